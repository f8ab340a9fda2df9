"""`bptt check --all-cells`: every cell in a real Jupyter kernel, as Run All does; the notebooks
without a graded function run to the end under grading."""

import os
import sys
import time
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell

sys.path.insert(0, str(Path(__file__).resolve().parent))
import selfcheck_nb  # noqa: E402
from selfcheck_nb import LONG_RUNS, ROOT, bptt, needs_notebooks, tiny_notebook  # noqa: E402


@needs_notebooks
@pytest.mark.parametrize("name", sorted(LONG_RUNS))
def test_long_notebooks_run_cheaply_under_grading(name):
    path = ROOT / "solutions" / "bptt" / name
    if not path.exists():
        pytest.skip(f"no {name} yet")
    env = dict(os.environ, BPTT_GRADING="1")  # what the grading sandbox sets
    start = time.perf_counter()
    proc = bptt("check", "--all-cells", path, env=env)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "raised" not in proc.stdout
    assert seconds < 90, f"{name} took {seconds:.0f} s under grading (a full run takes minutes)"


def test_crashing_cell_and_endless_loop_are_reported(tmp_path):
    path = tiny_notebook(tmp_path / "nb.ipynb",
                         new_code_cell("raise RuntimeError('boom')"),
                         new_code_cell("while True:\n    pass"),
                         new_code_cell("print('the kernel still runs')"))
    proc = bptt("check", "--all-cells", path, "--timeout", "10")  # set-up imports take seconds
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "PASS  step_jacobian (hidden score: 100%)" in proc.stdout
    assert "RuntimeError: boom" in proc.stdout
    assert "ran past 10 s" in proc.stdout and "endless loop" in proc.stdout
    assert "exercises passed, but some cells raised errors" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_kernel_that_ignores_interrupts_is_reported(tmp_path):
    stubborn = ("import time\nwhile True:\n    try:\n        time.sleep(0.05)\n"
                "    except KeyboardInterrupt:\n        pass")
    path = tiny_notebook(tmp_path / "nb.ipynb", new_code_cell(stubborn))
    proc = bptt("check", "--all-cells", path, "--timeout", "10")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "PASS  step_jacobian (hidden score: 100%)" in proc.stdout  # decided outside the kernel
    assert "stopped: the kernel stopped answering" in proc.stdout
    assert "KeyboardInterrupt" in proc.stdout
    assert "Traceback" not in proc.stderr




def test_all_cells_stops_what_the_notebook_detached_and_decides_outside_the_kernel(tmp_path):
    # a process in a session of its own would keep the kernel's output open (a pipe to `tee`
    # waited for it) and run on; a notebook's own check_step_jacobian, or the course's replaced
    # in the kernel, would pass anything
    path = tiny_notebook(tmp_path / "nb.ipynb", new_code_cell(selfcheck_nb.DETACH),
                         answer="return W * 0.0\n"
                                "check_step_jacobian = lambda fn, hidden=False, **kw: 1.0\n"
                                "import autograde\n"
                                "autograde.check_step_jacobian = check_step_jacobian")
    proc = bptt("check", "--all-cells", path, "--timeout", "20")
    pids = [int(x) for x in (tmp_path / "detached.pids").read_text().split()]
    alive = [p for p in pids if selfcheck_nb.running(p)]
    for pid in alive:
        os.kill(pid, 9)
    assert pids and not alive, f"still running after the check: {alive}"
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL  step_jacobian (hidden score: 0%)" in proc.stdout
