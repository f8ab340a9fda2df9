"""autograde.grading.reaper: what bptt check's learner code detached ends with the check."""

import os
import subprocess
import sys
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
