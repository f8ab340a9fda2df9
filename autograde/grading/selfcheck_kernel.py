"""``bptt check --all-cells``: every cell of a notebook in a real Jupyter kernel, as a learner runs it.

The notebook's folder is the working folder, so a later notebook can import an earlier one.
Then, in the same kernel, every exercise's hidden cases run too:
``check_<function>(<function>, hidden=True)``, the cases the instructor's hidden test cells
use (they are stripped from the student notebooks, but they ship in the installed
``autograde`` package). Errors and endless loops in any cell are reported.
"""

import subprocess
import sys
import time
from pathlib import Path

import nbformat

from .course import keep_out_of_home
from .reaper import adopted_children_stopped
from .selfcheck_report import (
    CELL_TIMEOUT,
    Progress,
    Report,
    find_exercises,
    heading_above,
    read_notebook,
)
from .submissions import grade_id

PROBE_TIMEOUT = 5  # seconds: after a timed-out cell, does the kernel still answer?
TIMEOUT_NAME = "CellTimeoutError"
HIDDEN_TAG = "bptt-selfcheck-hidden"


def hidden_cell(function):
    """The code that runs ``function``'s hidden cases after the notebook.

    It calls the course's check, ``autograde.check_<function>``, whatever the notebook itself
    named ``check_<function>``.
    """
    src = (f"# hidden cases of {function} (bptt check)\n"
           f"__import__('autograde').check_{function}({function}, hidden=True)")
    cell = nbformat.v4.new_code_cell(src)
    cell.metadata["tags"] = [HIDDEN_TAG]
    return cell


def output_text(cell):
    """What a cell printed, its result and its error, as plain text."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", "") + "\n")
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}\n")
    return "".join(parts).rstrip()


def cell_error(cell):
    """``(ename, evalue)`` of a cell's error output, or ``None``."""
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            return out.ename, out.evalue
    return None


def result_float(cell):
    """The cell's result as a float, or ``None``."""
    for out in cell.get("outputs", []):
        if out.output_type == "execute_result":
            try:
                return float(out.get("data", {}).get("text/plain", ""))
            except ValueError:
                return None
    return None


def _label(cell, index, nb=None):
    gid = grade_id(cell)
    if HIDDEN_TAG in cell.get("metadata", {}).get("tags", []):
        return "hidden cases of " + cell.source.split("hidden cases of ", 1)[1].split(" ")[0]
    if gid:
        return gid
    heading = heading_above(nb, index) if nb is not None else ""
    return f"a code cell under \"{heading}\"" if heading else "a code cell at the top"


def run_notebook(path, timeout=CELL_TIMEOUT, progress=sys.stderr):
    """Run one notebook and its hidden cases in a kernel; return a :class:`Report`."""
    from nbclient import NotebookClient  # imported late: the command line starts faster

    path = Path(path).resolve()
    nb = read_notebook(path)
    report = Report(path, exercises=find_exercises(nb))
    n_own = len(nb.cells)
    for ex in report.exercises:
        nb.cells.append(hidden_cell(ex.function))
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
                if err and index < n_own and not (grade_id(cell) or "").startswith(
                        ("test_", "hidden_")):
                    report.problems.append(_problem(cell, label, err))
    except Exception as exc:  # the kernel died or could not start
        report.aborted = f"the kernel failed: {type(exc).__name__}: {exc}".strip()
    finally:
        bar.clear()
    report.seconds = time.perf_counter() - start
    _collect(nb, n_own, report)
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


def _collect(nb, n_own, report):
    hidden = {c.source.split("hidden cases of ", 1)[1].split(" ")[0]: (i, c)
              for i, c in enumerate(nb.cells) if i >= n_own}
    for ex in report.exercises:
        if ex.test_index is not None:
            cell = nb.cells[ex.test_index]
            ran = bool(cell.get("outputs")) or cell.get("execution_count") is not None
            ex.visible_ok = ((cell_error(cell) is None and ex.test_index not in report.timed_out)
                             if ran else None)
            ex.visible_text = output_text(cell)
        index, h = hidden.get(ex.function, (None, None))
        if h is not None:
            ex.hidden_score = None if index in report.timed_out else result_float(h)
            ex.hidden_text = output_text(h)


