"""autograde.grading.untraceable: learner code cannot reach into bptt check's own process."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Run as an unprivileged user (root may trace anything): a child of the process, as the
# learner's code is, reads the process's open files and environment through /proc.
PROBE = """
import os, subprocess
from autograde.grading.untraceable import dumpable, untraceable

def reachable():
    pid = os.getpid()
    return subprocess.run(["/bin/sh", "-c", f"ls /proc/{pid}/fd && head -c1 /proc/{pid}/environ"],
                          capture_output=True).returncode == 0

before = reachable()
with untraceable():
    during, flag = reachable(), dumpable()
print(before, during, reachable(), flag)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or not hasattr(os, "geteuid")
                    or os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="runs the probe as another user: Linux, root and setpriv")
def test_the_checks_process_is_out_of_reach_of_its_users_other_processes_while_it_checks():
    proc = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                           sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=60, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "False", "True", "0"], proc.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_bptt_check_checks_each_notebook_untraceable(tmp_path, monkeypatch):
    from selfcheck_nb import tiny_notebook

    from autograde.grading import selfcheck, selfcheck_quick
    from autograde.grading.selfcheck_report import Report
    from autograde.grading.untraceable import dumpable

    seen = []

    def check(path, timeout, progress):  # stands in for the learner's code running
        seen.append(dumpable())
        return Report(path)

    monkeypatch.setattr(selfcheck_quick, "check_exercises", check)
    path = tiny_notebook(tmp_path / "nb.ipynb")
    assert selfcheck.check_notebooks([path, path], out=lambda *_: None, progress=None) == 0
    assert seen == [0, 0] and dumpable() == 1
