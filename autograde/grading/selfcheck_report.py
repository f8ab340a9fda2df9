"""What ``bptt check`` reports, whichever way it ran a notebook: one :class:`Report` per notebook.

A notebook's exercises are its graded functions, found from their ``test_<f>`` and
``hidden_<f>`` cells; :func:`format_report` words the verdicts for the learner.
"""

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from bptt_helpers.notebook_import import strip_magics

from ..registry import GRADED
from .course import CourseError
from .submissions import grade_id

CELL_TIMEOUT = 120  # seconds per cell, as c.Execute.timeout in nbgrader_config.py


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
    all_cells: bool = True  # False: only the set-up and answer cells ran (the quick check)

    @property
    def passed(self):
        return (not self.aborted and not self.problems
                and all(e.passed or e.skipped for e in self.exercises))


def read_notebook(path):
    """Read and validate a notebook; :class:`CourseError` with a one-line reason otherwise."""
    path = Path(path)
    try:
        path.stat()
    except FileNotFoundError:
        raise CourseError(f"{path}: no such file") from None
    except OSError as exc:  # a folder on the way that this user may not enter, say
        raise CourseError(f"{path}: cannot read it ({exc.strerror})") from None
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


def _defined_functions(source):
    """Names of the functions ``source`` defines at its top level (none if it does not parse)."""
    try:
        tree = ast.parse(strip_magics(source))
    except (SyntaxError, ValueError):
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def find_exercises(nb):
    """The graded functions, from ``test_<f>`` and ``hidden_<f>`` cells, then from answer cells
    (``answer_<f>``) and from code cells that define a function the course grades: an exercise
    whose test cells are gone or renamed is checked all the same. Only functions the course
    grades (:data:`autograde.registry.GRADED`) count."""
    found, answers = {}, {}
    for i, cell in enumerate(nb.cells):
        gid = grade_id(cell) or ""
        if cell.cell_type != "code":
            continue
        if gid.startswith("answer_"):
            answers[gid[len("answer_"):]] = cell.source
        for function in _defined_functions(cell.source):
            answers.setdefault(function, cell.source)
        for prefix in ("test_", "hidden_"):
            if gid.startswith(prefix) and gid[len(prefix):] in GRADED:
                ex = found.setdefault(gid[len(prefix):], Exercise(gid[len(prefix):]))
                if prefix == "test_":
                    ex.test_index = i
                first = cell.source.strip().splitlines()[:1]
                ex.bonus = ex.bonus or bool(first and "bonus" in first[0].lower())
    for function in answers:
        if function in GRADED and function not in found:
            found[function] = Exercise(function)
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


class Progress:
    """One status line on a terminal; a line per graded cell otherwise."""

    def __init__(self, stream, name):
        self.stream, self.name = stream, name
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def show(self, done, total, label, graded):
        """Cell ``done`` of ``total`` is running (a line of its own only for graded cells)."""
        if self.tty:
            self.say(f"{done} of {total} code cells, running {label}")
        elif graded:
            self.say(label)

    def say(self, text):
        if self.tty:
            self.stream.write("\r" + f"  {self.name}: {text}"[:100].ljust(100))
        else:
            self.stream.write(f"  {self.name}: {text}\n")
        self.stream.flush()

    def clear(self):
        if self.tty:
            self.stream.write("\r" + " " * 101 + "\r")
            self.stream.flush()


def format_report(report):
    """The learner-facing summary of one notebook."""
    skipped = [e for e in report.exercises if e.skipped]
    if report.passed:
        verdict = ("all exercises passed" if report.exercises else "ran without errors"
                   if report.all_cells else "no autograded exercise here; its set-up and "
                   "answer cells ran without errors")
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
