"""autograde.grading.reaper: what bptt check's learner code detached ends with the check."""

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograde.grading import reaper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from selfcheck_nb import running  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="a child subreaper is Linux's")


def test_orphans_are_stopped_and_the_callers_own_children_are_not():
    own = subprocess.Popen(["sleep", "60"])  # a child from before: the caller's, left alone
    try:
        with reaper.adopted_children_stopped():
            # a shell starts a grandchild in a session of its own and exits: an orphan
            out = subprocess.run(["sh", "-c", "setsid sleep 300 >/dev/null 2>&1 & echo $!"],
                                 capture_output=True, text=True, check=True).stdout
            orphan = int(out.split()[0])
            assert running(orphan), "the premise: the orphan runs"
            assert orphan in reaper.children(), "adopted by this process, not by init"
        assert not running(orphan)
        assert running(own.pid) and own.poll() is None
    finally:
        own.kill()
        own.wait()
        if "orphan" in locals() and running(orphan):
            os.kill(orphan, 9)


CHAIN = """
import os, sys, time
if os.fork():
    sys.exit(0)                 # the shell's child ends: the rest is an orphan
os.setsid()
for level in range(40):         # 40 levels, each waiting for the next
    with open(sys.argv[1], "a") as fh:
        fh.write(f"{os.getpid()}\\n")
    if os.fork():
        os.wait()
        os._exit(0)
time.sleep(300)
"""


def test_a_deep_chain_of_detached_processes_is_stopped_whole(tmp_path):
    pids_file = tmp_path / "pids"
    with reaper.adopted_children_stopped():
        subprocess.run([sys.executable, "-c", CHAIN, str(pids_file)], check=True)
        for _ in range(200):  # until the chain is 40 deep
            if pids_file.exists() and len(pids_file.read_text().split()) >= 40:
                break
            __import__("time").sleep(0.05)
    pids = [int(p) for p in pids_file.read_text().split()]
    alive = [p for p in pids if running(p)]
    for pid in alive:
        os.kill(pid, 9)
    assert len(pids) >= 40 and not alive, f"{len(alive)} of {len(pids)} still running"


HOPPER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
/* forks and exits without pause, each child in a session of its own, for argv[1] seconds;
   a survivor then writes its pid to argv[2] and sleeps */
int main(int argc, char **argv) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double end = t.tv_sec + t.tv_nsec * 1e-9 + atof(argv[1]);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec + t.tv_nsec * 1e-9 > end) break;
        pid_t p = fork();
        if (p > 0) _exit(0);
        if (p == 0) setsid();
        else usleep(100);
    }
    FILE *fh = fopen(argv[2], "w");
    fprintf(fh, "%d\n", (int)getpid());
    fclose(fh);
    sleep(60);
    return 0;
}
"""
HOP_SECONDS = 2.0


@pytest.mark.skipif(not (shutil.which("cc") or shutil.which("gcc")), reason="no C compiler")
def test_a_process_that_forks_and_exits_without_pause_is_caught(tmp_path):
    # its pid changes every few microseconds: a pass that first walks /proc never finds it
    (tmp_path / "hop.c").write_text(HOPPER)
    subprocess.run([shutil.which("cc") or shutil.which("gcc"), "-O2", "-o", str(tmp_path / "hop"),
                    str(tmp_path / "hop.c")], check=True)
    survivor = tmp_path / "survivor"
    start = time.monotonic()
    with reaper.adopted_children_stopped():
        subprocess.Popen([tmp_path / "hop", str(HOP_SECONDS), survivor])
        time.sleep(0.2)  # hopping
    took = time.monotonic() - start
    time.sleep(max(0.0, HOP_SECONDS + 0.5 - took))  # a survivor has stopped hopping by now
    if survivor.exists():  # it stopped hopping; whether the reaper then caught it or not
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(survivor.read_text()), 9)
    assert took < HOP_SECONDS and not survivor.exists(), \
        f"the reaper took {took:.1f} s; the hopper hopped for {HOP_SECONDS} s and then " + \
        ("stopped on its own" if survivor.exists() else "was caught")
