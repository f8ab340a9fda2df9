"""``bptt check``: the self-check for learners without an nbgrader course.

The notebook runs in a real Jupyter kernel (its folder is the working folder, so a later
notebook can import an earlier one). Then, in the same kernel, every exercise's hidden
cases run too: ``check_<function>(<function>, hidden=True)``, the cases the instructor's
hidden test cells use (they are stripped from the student notebooks, but they ship in the
installed ``autograde`` package). An exercise passes when its visible test cell raised
nothing and every hidden case passed.
"""

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..version import recorded_version, version_warning
from .course import CourseError, keep_out_of_home
from .submissions import grade_id

CELL_TIMEOUT = 120  # seconds per cell, as c.Execute.timeout in nbgrader_config.py
PROBE_TIMEOUT = 5  # after a timed-out cell: does the kernel still answer (in milliseconds)?
TIMEOUT_NAME = "CellTimeoutError"
HIDDEN_TAG = "bptt-selfcheck-hidden"


@dataclass
class Exercise:
    """One graded function of a notebook and what its checks said."""

    function: str
    test_index: int | None = None  # the visible test cell's index in the notebook
    visible_ok: bool | None = None  # None: there is no visible test cell, or it did not run
    visible_text: str = ""
    hidden_score: float | None = None  # None: the hidden check did not return a number
    hidden_text: str = ""
    bonus: bool = False  # its test cells say "bonus"
    unattempted: bool = False  # its answer cell still raises NotImplementedError

    @property
    def passed(self):
        visible = self.test_index is None or self.visible_ok is True
        return visible and self.hidden_score == 1.0

    @property
    def skipped(self):
        """A bonus exercise the learner has not started: neither passed nor a failure."""
        return self.bonus and self.unattempted and not self.passed


@dataclass
class Report:
    """The self-check of one notebook."""

    path: Path
    exercises: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # errors in other cells, timeouts
    aborted: str = ""  # why the run stopped early, if it did
    seconds: float = 0.0
    timed_out: set = field(default_factory=set)  # indexes of cells stopped at the time limit

    @property
    def passed(self):
        return (not self.aborted and not self.problems
                and all(e.passed or e.skipped for e in self.exercises))


def read_notebook(path):
    """Read and validate a notebook; :class:`CourseError` with a one-line reason otherwise."""
    path = Path(path)
    if not path.exists():
        raise CourseError(f"{path}: no such file")
    if path.is_dir():
        raise CourseError(f"{path} is a folder, not a notebook")
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as exc:
        raise CourseError(f"{path} is not a notebook (cannot read it as text: {exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        what = "a malformed notebook" if path.suffix == ".ipynb" else "not a notebook"
        raise CourseError(f"{path} is {what} (not valid JSON: {exc.msg} at line {exc.lineno})") \
            from None
    if not isinstance(data, dict) or "cells" not in data or "nbformat" not in data:
        raise CourseError(f"{path} is not a notebook (JSON without 'cells' and 'nbformat')")
    try:
        nb = nbformat.reads(text, as_version=4, capture_validation_error={})
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several kinds of errors for bad notebooks
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CourseError(f"{path} is a malformed notebook ({first})") from None
    return nb


def find_exercises(nb):
    """The graded functions, in notebook order, from ``test_<f>`` and ``hidden_<f>`` cells."""
    found, answers = {}, {}
    for i, cell in enumerate(nb.cells):
        gid = grade_id(cell) or ""
        if cell.cell_type != "code":
            continue
        if gid.startswith("answer_"):
            answers[gid[len("answer_"):]] = cell.source
        for prefix in ("test_", "hidden_"):
            if gid.startswith(prefix) and gid[len(prefix):].isidentifier():
                ex = found.setdefault(gid[len(prefix):], Exercise(gid[len(prefix):]))
                if prefix == "test_":
                    ex.test_index = i
                first = cell.source.strip().splitlines()[:1]
                ex.bonus = ex.bonus or bool(first and "bonus" in first[0].lower())
    for ex in found.values():
        ex.unattempted = "raise NotImplementedError" in answers.get(ex.function, "")
    return list(found.values())


def heading_above(nb, index):
    """The title of the nearest Markdown heading above cell ``index`` (what a learner sees)."""
    for cell in reversed(nb.cells[:index]):
        if cell.cell_type == "markdown":
            titles = [ln.lstrip("#").strip() for ln in cell.source.splitlines()
                      if ln.startswith("#")]
            if titles:
                return titles[-1]
    return ""


def hidden_cell(function):
    """The code that runs ``function``'s hidden cases after the notebook."""
    check = f"check_{function}"
    src = (f"# hidden cases of {function} (bptt check)\n"
           f"(globals().get({check!r}) or getattr(__import__('autograde'), {check!r}))"
           f"({function}, hidden=True)")
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


class _Progress:
    """One status line on a terminal; a line per graded cell otherwise."""

    def __init__(self, stream, name):
        self.stream, self.name = stream, name
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def show(self, done, total, label, graded):
        if self.tty:
            text = f"  {self.name}: {done} of {total} code cells, running {label}"[:100]
            self.stream.write("\r" + text.ljust(100))
            self.stream.flush()
        elif graded:
            self.stream.write(f"  {self.name}: {label}\n")
            self.stream.flush()

    def clear(self):
        if self.tty:
            self.stream.write("\r" + " " * 101 + "\r")
            self.stream.flush()


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
    bar = _Progress(progress, path.name)
    replies = []
    client.on_cell_executed = lambda **kw: replies.append(kw["execute_reply"])
    start = time.perf_counter()
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    try:
        with client.setup_kernel(cwd=str(path.parent), stderr=subprocess.DEVNULL):
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


def format_report(report):
    """The learner-facing summary of one notebook."""
    skipped = [e for e in report.exercises if e.skipped]
    if report.passed:
        verdict = "all exercises passed" if report.exercises else "ran without errors"
        if skipped:
            verdict = "all required exercises passed; the bonus was not attempted"
    elif all(e.passed or e.skipped for e in report.exercises) and not report.aborted:
        verdict = "exercises passed, but some cells raised errors"
    else:
        verdict = "some exercises need work"
    lines = [f"{report.path.name}: {verdict}"]
    for ex in report.exercises:
        if ex.skipped:
            lines.append(f"  SKIP  {ex.function} (bonus, not attempted: it does not count as a "
                         "failure)")
            continue
        mark = "PASS" if ex.passed else "FAIL"
        score = "" if ex.hidden_score is None else f" (hidden score: {ex.hidden_score:.0%})"
        lines.append(f"  {mark}  {ex.function}{score}")
        if ex.passed:
            continue
        if ex.visible_ok is False or ex.visible_ok is None and ex.test_index is not None:
            text = ex.visible_text or "the test cell did not run"
            lines += ["        " + ln for ln in text.splitlines()]
            first = ex.hidden_text.splitlines()[:1]
            lines += ["        hidden: " + ln for ln in first]
        else:
            text = ex.hidden_text or "the hidden check did not run"
            lines += ["        " + ln for ln in text.splitlines()]
    for p in report.problems:
        lines.append(f"  error in {p}")
    if report.aborted:
        lines.append(f"  stopped: {report.aborted}")
    lines.append(f"  ({report.seconds:.1f} s)")
    return "\n".join(lines)


def check_notebooks(paths, timeout=CELL_TIMEOUT, out=print, progress=sys.stderr):
    """Self-check every notebook; return 0 when all exercises pass, 1 otherwise.

    Unreadable files raise :class:`CourseError` before any kernel starts.
    """
    for p in paths:
        read_notebook(p)
    ok = True
    for p in paths:
        warning = version_warning(recorded_version(read_notebook(p)))
        if warning:
            out(f"{Path(p).name}: {warning}")
        report = run_notebook(p, timeout=timeout, progress=progress)
        out(format_report(report))
        ok = ok and report.passed
    return 0 if ok else 1
