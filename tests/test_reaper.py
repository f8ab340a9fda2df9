"""autograde.grading.reaper: what bptt check's learner code detached ends with the check."""

import os
import subprocess
import sys

import pytest

from autograde.grading import reaper

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="a child subreaper is Linux's")


def running(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


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
