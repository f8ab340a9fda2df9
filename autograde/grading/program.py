"""What the trusted step runs for one notebook, read from the instructor's notebook and the learner's.

Everything but the answer cells' source comes from the instructor's notebook (read once,
before any learner code runs): the locked set-up cells, the test cells and their points.
The learner's notebook contributes only the source of its answer cells, matched by
``grade_id`` (the last copy when a cell was duplicated: the one a kernel runs last, and the
one grading keeps, :class:`~autograde.grading.preprocessors.RestoreCells`); cells a learner added, edited
set-up or test cells and changed metadata change nothing.
"""

import ast
import math
from dataclasses import dataclass, field

from ..registry import GRADED


def meta(cell):
    """A cell's nbgrader metadata (``{}`` for cells nbgrader does not manage or bad metadata);
    a ``grade_id`` that is not a string is left out."""
    m = (cell.get("metadata") or {}) if isinstance(cell, dict) else {}
    m = m.get("nbgrader") if isinstance(m, dict) else None
    if not isinstance(m, dict):
        return {}
    return m if isinstance(m.get("grade_id", ""), str) else {k: v for k, v in m.items()
                                                              if k != "grade_id"}


def points_of(m):
    """A cell's ``points`` as a finite float, 0 when it is missing or not a number."""
    try:
        points = float(m.get("points") or 0)
    except (TypeError, ValueError):
        return 0.0
    return points if math.isfinite(points) else 0.0


def source_of(cell):
    """A cell's source as one string (files may store it as a list of lines)."""
    src = cell.get("source", "")
    return "".join(map(str, src)) if isinstance(src, list) else str(src)


@dataclass
class TestCell:
    """A graded test cell: ``test_<function>`` (visible) or ``hidden_<function>``."""

    grade_id: str
    function: str
    hidden: bool
    seed: int = 0
    points: float = 0.0
    call: str = ""  # the name the learner's function has in their namespace (default: function)


@dataclass
class Program:
    """What the learner's process runs and calls, and the cells it decides."""

    cells: list  # of {"grade_id", "source"}: set-up and answer cells, in order
    tests: list  # of TestCell
    answers_missing: list = field(default_factory=list)


def seed_of(source, function):
    """The ``seed=`` an instructor passed to ``check_<function>`` in a test cell, or ``None``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == f"check_{function}":
            for kw in node.keywords:
                if kw.arg == "seed" and isinstance(kw.value, ast.Constant) \
                        and isinstance(kw.value.value, int):
                    return kw.value.value
    return None


def test_cell_of(cell, hidden_seed=None):
    """The :class:`TestCell` an instructor's code cell is, or ``None``.

    A test cell's cases are built with the ``seed=`` written in it, else the course's secret
    ``hidden_seed`` (visible cells too: their public seed-0 cases, and the long case's
    directions, could be looked up), else 0 (the public cases learners run themselves).
    """
    m = meta(cell)
    gid = m.get("grade_id") or ""
    if cell.get("cell_type") != "code" or not m.get("grade"):
        return None
    for prefix, hidden in (("test_", False), ("hidden_", True)):
        if gid.startswith(prefix) and gid[len(prefix):] in GRADED:
            fn = gid[len(prefix):]
            seed = seed_of(source_of(cell), fn)
            if seed is None:
                seed = hidden_seed if hidden_seed is not None else 0
            return TestCell(gid, fn, hidden, int(seed), points_of(m))
    return None


def is_setup(cell):
    """A locked code cell that is neither graded nor an answer (the notebook's set-up)."""
    m = meta(cell)
    return (cell.get("cell_type") == "code" and bool(m.get("locked")) and not m.get("grade")
            and not m.get("solution") and bool(m.get("grade_id")))


def is_code_answer(cell):
    m = meta(cell)
    return cell.get("cell_type") == "code" and bool(m.get("solution")) and bool(m.get("grade_id"))


def build_program(source_nb, submitted_nb, hidden_seed=None):
    """The instructor's set-up and test cells with the learner's answers, in the source's order.

    Parameters
    ----------
    source_nb, submitted_nb : dict
        Notebooks as parsed JSON (or ``NotebookNode``); ``submitted_nb`` may be ``None``
        (nothing usable was submitted: every answer is missing).
    hidden_seed : int, optional
        The course's secret seed for test cells (visible and hidden) that name no seed.
    """
    answers = {}
    cells = (submitted_nb or {}).get("cells") or []
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, dict) and is_code_answer(cell):
            answers[meta(cell)["grade_id"]] = source_of(cell)  # a later copy wins
    run, tests, missing = [], [], []
    for cell in source_nb["cells"]:
        gid = meta(cell).get("grade_id")
        if is_setup(cell):
            run.append({"grade_id": gid, "source": source_of(cell)})
        elif is_code_answer(cell):
            if gid in answers:
                run.append({"grade_id": gid, "source": answers[gid]})
            else:
                missing.append(gid)
        else:
            t = test_cell_of(cell, hidden_seed)
            if t is not None:
                tests.append(t)
    return Program(run, tests, missing)
