"""``bptt check --all-cells``: every cell of a notebook in a real Jupyter kernel, as a learner runs it.

The notebook's folder is the working folder, so a later notebook can import an earlier one.
Errors and endless loops in any cell are reported. The exercises are then decided as the quick
check decides them (:func:`autograde.grading.selfcheck_quick.check_exercises`: set-up and
answer cells in a fresh process, then the course's visible and hidden cases), never by code
that ran in the kernel: an answer cell there can replace anything, ``autograde.check_<function>``
included, and a verdict taken from the kernel would be the learner's own.
"""

import subprocess
import sys
import time
from pathlib import Path

import nbformat

from .course import keep_out_of_home
from .reaper import adopted_children_stopped
from .selfcheck_quick import check_exercises
from .selfcheck_report import (
    CELL_TIMEOUT,
    Progress,
    Report,
    heading_above,
    read_notebook,
)
from .submissions import grade_id

PROBE_TIMEOUT = 5  # seconds: after a timed-out cell, does the kernel still answer?
TIMEOUT_NAME = "CellTimeoutError"


def cell_error(cell):
    """``(ename, evalue)`` of a cell's error output, or ``None``."""
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            return out.ename, out.evalue
    return None


def _label(cell, index, nb=None):
    gid = grade_id(cell)
    if gid:
        return gid
    heading = heading_above(nb, index) if nb is not None else ""
    return f"a code cell under \"{heading}\"" if heading else "a code cell at the top"


def run_notebook(path, timeout=CELL_TIMEOUT, progress=sys.stderr):
    """Run every cell of one notebook in a kernel, then decide its exercises as the quick check
    does; return a :class:`Report`."""
    from nbclient import NotebookClient  # imported late: the command line starts faster

    path = Path(path).resolve()
    nb = read_notebook(path)
    report = Report(path)  # its exercises: decided after the kernel run, outside it
    keep_out_of_home()
    kernel = nb.metadata.get("kernelspec", {}).get("name") or "python3"
    client = NotebookClient(
        nb, timeout=timeout, kernel_name=kernel, allow_errors=True, interrupt_on_timeout=True,
        raise_on_iopub_timeout=False, record_timing=False,
        error_on_timeout={"ename": TIMEOUT_NAME, "evalue": f"the cell ran past {timeout} s",
                          "traceback": []},
        resources={"metadata": {"path": str(path.parent)}})
    bar = Progress(progress, path.name)
    replies = []
    client.on_cell_executed = lambda **kw: replies.append(kw["execute_reply"])
    start = time.perf_counter()
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    try:
        with adopted_children_stopped(), \
                client.setup_kernel(cwd=str(path.parent), stderr=subprocess.DEVNULL):
            count = 0
            for n, index in enumerate(code_cells, 1):
                cell = nb.cells[index]
                label = _label(cell, index, nb)
                graded = label.startswith(("test_", "hidden")) or bool(grade_id(cell))
                bar.show(n, len(code_cells), label, graded and not label.startswith("answer_"))
                count += 1
                replies.clear()
                client.execute_cell(cell, index, execution_count=count)
                content = (replies[-1] or {}).get("content", {}) if replies else {}
                timed_out = content.get("ename") == TIMEOUT_NAME
                if timed_out:
                    report.timed_out.add(index)
                err = (TIMEOUT_NAME, content.get("evalue", "")) if timed_out else cell_error(cell)
                if timed_out and not _responds(client, count + 1, replies):
                    report.problems.append(_problem(cell, label, err))
                    report.aborted = ("the kernel stopped answering after that cell ran too "
                                      "long (does your code catch KeyboardInterrupt?); the "
                                      "cells after it did not run")
                    client.shutdown_kernel = "immediate"  # it would not hear a polite request
                    break
                if err and not (grade_id(cell) or "").startswith(("test_", "hidden_")):
                    report.problems.append(_problem(cell, label, err))
    except Exception as exc:  # the kernel died or could not start
        report.aborted = f"the kernel failed: {type(exc).__name__}: {exc}".strip()
    finally:
        bar.clear()
    decided = check_exercises(path, timeout=timeout, progress=progress)
    report.exercises = decided.exercises
    reported = {p.split(":", 1)[0].split(",", 1)[0] for p in report.problems}
    report.problems += [p for p in decided.problems if p.split(":", 1)[0] not in reported]
    report.seconds = time.perf_counter() - start
    return report


def _problem(cell, label, err):
    """One line about a cell that raised an error or ran too long."""
    if not grade_id(cell):
        first = next((ln.strip() for ln in cell.source.splitlines() if ln.strip()), "")
        label += f", starting \"{first[:60]}\"" if first else ""
    if err[0] == TIMEOUT_NAME:
        return f"{label}: {err[1]} and was stopped: is there an endless loop?"
    return f"{label}: {err[0]}: {err[1]}".rstrip(": ")


def _responds(client, count, replies):
    """After a timeout: does the kernel still run a trivial cell?"""
    probe = nbformat.v4.new_code_cell("None")
    old = client.timeout
    client.timeout = PROBE_TIMEOUT
    replies.clear()
    try:
        client.execute_cell(probe, 0, execution_count=count)
    finally:
        client.timeout = old
    return bool(replies) and replies[-1].get("content", {}).get("status") == "ok"
