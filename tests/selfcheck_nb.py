"""Shared by the `bptt check` tests: the command in a subprocess and a tiny course notebook."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograde.grading.course import source_notebooks

ROOT = Path(__file__).resolve().parent.parent
needs_notebooks = pytest.mark.skipif(not source_notebooks(ROOT), reason="no solutions yet")


def running(pid):
    """Whether process ``pid`` still runs (not gone, not a zombie), from ``/proc``."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def bptt(*args, env=None, cwd=None, timeout=900):
    return subprocess.run([sys.executable, "-m", "autograde.cli", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


def meta(gid, **kw):
    m = {"schema_version": 3, "grade_id": gid, "grade": False, "solution": False, "locked": False}
    m.update(kw)
    return {"nbgrader": m}


# Code for a cell: a process in a session of its own (out of the check's process group), its pid
# appended to detached.pids in the notebook's folder.
DETACH = ("\nimport subprocess\n_p = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
          "with open('detached.pids', 'a') as fh:\n    fh.write(f'{_p.pid}\\n')\n")


def tiny_notebook(path, *extra_cells, answer="return W * activator.backward(state)"):
    """A small notebook in the course's conventions with a step_jacobian exercise."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        new_markdown_cell("# A tiny exercise"),
        new_code_cell("from autograde import check_step_jacobian", metadata=meta("setup", locked=True)),
        new_code_cell(f"def step_jacobian(W, state, activator):\n    {answer}",
                      metadata=meta("answer_step_jacobian", solution=True)),
        new_code_cell("# visible cases\nassert check_step_jacobian(step_jacobian) == 1.0",
                      metadata=meta("test_step_jacobian", grade=True, locked=True, points=1)),
        new_code_cell("# hidden cases (stripped in the student version)",
                      metadata=meta("hidden_step_jacobian", grade=True, locked=True, points=2)),
        *extra_cells,
    ]
    nbformat.write(nb, path)
    return path


# Notebooks 1, 6 and 8 have no graded function (6 and 8 train for a while at the keyboard): every
# cell of theirs runs under grading (small fixed sweeps and training) in its own test in
# test_selfcheck_kernel.py, which proves they run to the end; the full-size runs are what a learner
# waits for.
LONG_RUNS = {"01_model_and_gradients.ipynb", "06_training.ipynb", "08_char_language_model.ipynb"}
