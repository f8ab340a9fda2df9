"""Taking in one student's files: every problem costs only that notebook, in words, never a crash.

For each notebook of the release, the student's file is copied into nbgrader's ``submitted/``
folder when it is a regular file of reasonable size that holds a valid notebook. Otherwise
the released notebook is graded in its place (0 points for its exercises), with a first cell
that tells the learner why, and the reason goes into the notes of ``grades.csv``. Symbolic
links and other non-regular files are never followed; files the release does not have are
not taken in.

nbformat's validation costs time per cell, output and field (seconds per 10 000 cells):
a notebook is measured before nbformat reads it, by its size in bytes, then (plain JSON, fast)
by its cells, outputs and fields, each bounded far above a solved notebook with its outputs
(sizes measured: docs/grading_integrity.md). ``bptt grade`` takes a student in inside their
worker, so intake also counts in the student's budget.
"""

import json
import re
import warnings
from pathlib import Path

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
# Far above a solved notebook run with its outputs (measured on all eight: at most 0.7 MB,
# 48 cells, 27 outputs, 2987 fields); at these bounds nbformat takes a few seconds.
MAX_NOTEBOOK_BYTES = 16 * 1024**2
MAX_CELLS = 2000
MAX_OUTPUTS = 5000
MAX_FIELDS = 100_000  # keys of all JSON objects (cell metadata, outputs' data, ...)


def _measure(text):
    """Why the notebook's JSON is too large to validate, or ``""``; ValueError if not JSON."""
    fields = 0

    def count(pairs):
        nonlocal fields
        fields += len(pairs)
        return dict(pairs)

    data = json.loads(text, object_pairs_hook=count)
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return ""  # nbformat says what is wrong
    outputs = sum(len(c["outputs"]) for c in cells
                  if isinstance(c, dict) and isinstance(c.get("outputs"), list))
    for what, n, most in (("cells", len(cells), MAX_CELLS), ("outputs", outputs, MAX_OUTPUTS),
                          ("fields of cell data", fields, MAX_FIELDS)):
        if n > most:
            return f"is too large to grade: it has {n} {what} (at most {most})"
    return ""


def _problem(path):
    """``(why the file at path cannot be graded or "", its bytes as checked)``."""
    import nbformat

    if path.is_symlink():
        return "is a symbolic link (not followed)", b""
    if not path.is_file():
        return "is not a regular file", b""
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        return f"is too large to grade: larger than {MAX_NOTEBOOK_BYTES // 1024**2} MB", b""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_NOTEBOOK_BYTES + 1)  # it may have grown since
        if len(data) > MAX_NOTEBOOK_BYTES:
            return f"is too large to grade: larger than {MAX_NOTEBOOK_BYTES // 1024**2} MB", b""
        text = data.decode("utf-8")
        too_large = _measure(text)
        if too_large:
            return too_large, b""
        with warnings.catch_warnings():  # e.g. duplicate cell ids: nbformat fixes them itself
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb)
    except UnicodeDecodeError:
        return "is not text (UTF-8)", b""
    except RecursionError:  # "[[[[..." nested deeper than Python's JSON parser goes
        return "is not a valid notebook (its JSON is nested too deeply)", b""
    except Exception as exc:  # noqa: BLE001 - JSON errors, schema errors, ...
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        return f"is not a valid notebook ({type(exc).__name__}: {first})", b""
    return "", data


def _stand_in(released, target, why):
    """The released notebook with a first cell saying why it stands in for the learner's file."""
    import nbformat

    nb = nbformat.read(released, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(
        f"**Your submitted `{released.name}` could not be graded: it {why}.** The notebook as "
        "released was graded in its place, so its exercises score 0. " + (
            "Make it smaller (in JupyterLab: Edit > Clear Outputs of All Cells, and delete the "
            "cells you added), save it" if why.startswith("is too large") else
            "Fix the file (open it in JupyterLab and save it again)")
        + " and ask your instructor to grade it again."))
    nbformat.write(nb, target)


def take_in(release_dir, student_dir, target_dir):
    """Copy one student's notebooks into ``target_dir``; the list of notes (problems found)."""
    release_dir, student_dir, target_dir = Path(release_dir), Path(student_dir), Path(target_dir)
    target_dir.mkdir(parents=True)
    notes = []
    for released in sorted(release_dir.glob("*.ipynb")):
        path = student_dir / released.name
        if not path.exists() and not path.is_symlink():
            continue  # not submitted: nbgrader scores its cells 0
        why, data = _problem(path)
        if why:
            notes.append(f"{released.name} {why}: graded as not answered (0 points)")
            _stand_in(released, target_dir / released.name, why)
        else:  # the bytes that were checked, not the file again
            (target_dir / released.name).write_bytes(data)
    return notes
