"""Submissions built from a learner's answers, so example submissions never drift from the notebooks.

An answers file is Python with one section per answer cell::

    import numpy as np          # before the first marker: not part of any answer

    # %% answer_step_jacobian
    def step_jacobian(W, state, activator):
        ...

A submission is the released student notebooks with those answer cells filled in.
Sections for cells the notebooks do not have are skipped; answer cells without a
section are left as released.
"""

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .program import meta

MARKER = re.compile(r"^# %% (answer_[A-Za-z0-9_-]+)\s*$")


def grade_id(cell):
    """A cell's nbgrader ``grade_id`` or ``None`` (also for malformed metadata,
    :func:`autograde.grading.program.meta`)."""
    return meta(cell).get("grade_id")


def parse_answers(text):
    """``{grade_id: source}`` of an answers file; raises ``ValueError`` on a repeated section."""
    sections, current, lines = {}, None, []

    def close():
        if current is not None:
            if current in sections:
                raise ValueError(f"section {current} appears twice")
            sections[current] = "\n".join(lines).strip("\n")

    for line in text.splitlines():
        m = MARKER.match(line)
        if m:
            close()
            current, lines = m.group(1), []
        elif current is not None:
            lines.append(line)
    close()
    return sections


def is_answer(cell):
    """An answer cell: code (``answer_<function>``) or a written answer (``written_<topic>``)."""
    m = meta(cell)
    return bool(m.get("solution") and m.get("grade_id"))


def answers_from_notebooks(paths):
    """``{grade_id: source}`` of every answer cell, code or written, in the given notebooks."""
    sections = {}
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if is_answer(cell):
                sections[grade_id(cell)] = cell.source
    return sections


@dataclass
class FillReport:
    """What happened to one learner's answers."""

    filled: list = field(default_factory=list)  # "01_x.ipynb:answer_f"
    skipped: list = field(default_factory=list)  # sections no released notebook has
    untouched: list = field(default_factory=list)  # answer cells left as released


def fill_notebook(nb, sections, report, name):
    """Replace the source of ``nb``'s answer cells that ``sections`` has; keep their metadata."""
    for cell in nb.cells:
        gid = grade_id(cell)
        if not is_answer(cell):
            continue
        if gid in sections:
            cell.source = sections[gid]
            report.filled.append(f"{name}:{gid}")
        else:
            report.untouched.append(f"{name}:{gid}")
    return nb


def build_submission(release_dir, sections, dest):
    """Copy the released assignment to ``dest``, filling answer cells from ``sections``.

    Parameters
    ----------
    release_dir : Path
        The released assignment, e.g. ``<course>/notebooks/bptt``.
    sections : dict of str -> str
        ``{grade_id: source}``, e.g. from :func:`parse_answers`.
    dest : Path
        E.g. ``<course>/submitted/<student>/bptt``; created.

    Returns
    -------
    FillReport
    """
    release_dir, dest = Path(release_dir), Path(dest)
    shutil.copytree(release_dir, dest, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    report = FillReport()
    for path in sorted(dest.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        fill_notebook(nb, sections, report, path.name)
        nbformat.write(nb, path)
    used = {f.split(":", 1)[1] for f in report.filled}
    report.skipped = sorted(set(sections) - used)
    return report
