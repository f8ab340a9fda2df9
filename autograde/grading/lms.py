"""Grades an LMS imports: one CSV row per student, a column per notebook, the total.

Two layouts (``fmt``):

- ``canvas``: Canvas's gradebook layout: the identity columns ``Student, ID, SIS User ID,
  SIS Login ID, Section`` (the one the instructor names holds the id, the others stay empty:
  Canvas matches a student by any of them), one column per notebook and one for the total,
  and, as in Canvas's own gradebook export, a second row ``Points Possible`` with the
  maximum of every column.
- ``moodle``: Moodle's grade import maps any column to a grade item and one column to a user
  field (email, username, ID number); a row that is no user would be an error, so the
  maxima go into the column headers instead (``... (max 9)``).

Columns count the autograded checks (``test_*``, ``hidden_*`` cells); ``written=True`` adds
the written answers (0 until graded by hand, so only from a gradebook after formgrading).
A student's id is their nbgrader id (the folder name under ``submitted/``, the JupyterHub
user name with the exchange) unless ``ids`` maps it to the LMS's id.
"""

import csv
from pathlib import Path

from .course import CourseError

CANVAS_IDS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
FORMATS = ("canvas", "moodle")


def _autograded(key):
    return key.split(":", 1)[1].startswith(("test_", "hidden_"))


def read_ids(path):
    """``{nbgrader id: LMS id}`` from a CSV with the columns ``nbgrader_id`` and ``lms_id``."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    if rows and not {"nbgrader_id", "lms_id"} <= set(rows[0]):
        raise CourseError(f"{path}: needs the columns nbgrader_id and lms_id")
    return {r["nbgrader_id"].strip(): r["lms_id"].strip() for r in rows}


def table(results, written=False, prefix="BPTT"):
    """``(columns, maxima, rows)``: per-notebook and total points of every student.

    ``results`` is ``{student: {"cells": {"<notebook>:<grade_id>": [score or None, max]}}}``
    (``bptt grade``'s results, or a gradebook's). A cell a student lacks scores 0.
    """
    maxima = {}
    for r in results.values():
        for key, (_, mx) in r["cells"].items():
            if written or _autograded(key):
                nb = key.split(":", 1)[0]
                maxima.setdefault(nb, {})[key] = float(mx)
    notebooks = sorted(maxima)
    columns = [f"{prefix} {nb}" for nb in notebooks] + [f"{prefix} total"]
    col_max = [sum(maxima[nb].values()) for nb in notebooks]
    col_max.append(sum(col_max))
    rows = {}
    for student, r in results.items():
        per = [sum(float(r["cells"].get(k, [0])[0] or 0) for k in maxima[nb]) for nb in notebooks]
        rows[student] = [*per, sum(per)]
    return columns, col_max, rows


def write(path, results, id_column="SIS Login ID", fmt="canvas", ids=None, written=False):
    """Write the LMS CSV at ``path``; returns the students whose id had no mapping in ``ids``."""
    if fmt not in FORMATS:
        raise CourseError(f"LMS format must be one of {', '.join(FORMATS)}")
    if fmt == "canvas" and id_column not in CANVAS_IDS:
        raise CourseError(f"for Canvas the id column is one of: {', '.join(CANVAS_IDS)}")
    columns, col_max, rows = table(results, written)
    unmapped = sorted(s for s in rows if ids is not None and s not in ids)
    heads = list(CANVAS_IDS) if fmt == "canvas" else [id_column]
    if fmt == "moodle":
        columns = [f"{c} (max {m:g})" for c, m in zip(columns, col_max, strict=True)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow([*heads, *columns])
        if fmt == "canvas":
            out.writerow(["    Points Possible", *[""] * (len(heads) - 1),
                          *(f"{m:g}" for m in col_max)])
        for student in sorted(rows):
            key = (ids or {}).get(student, student)
            ident = [key if h == id_column else "" for h in heads]
            out.writerow([*ident, *(f"{v:g}" for v in rows[student])])
    return unmapped


def gradebook_results(course, assignment="bptt"):
    """``{student: {"cells": ...}}`` from an nbgrader course's ``gradebook.db`` (hand grades too)."""
    from nbgrader.api import Gradebook, MissingEntry

    db = Path(course) / "gradebook.db"
    if not db.is_file():
        raise CourseError(f"no gradebook.db in {course}")
    out = {}
    with Gradebook(f"sqlite:///{db}") as gb:
        for student in gb.students:
            try:
                sub = gb.find_submission(assignment, student.id)
            except MissingEntry:
                continue  # nothing submitted: no row (the LMS keeps its own "missing")
            cells = {}
            for nb in sub.notebooks:
                for g in nb.grades:
                    none = g.manual_score is None and g.auto_score is None
                    cells[f"{nb.name}:{g.name}"] = [None if none else float(g.score),
                                                    float(g.max_score)]
            out[student.id] = {"cells": cells}
    return out
