"""``bptt check``: the self-check for learners without an nbgrader course.

Two ways to check a notebook, one report (:mod:`autograde.grading.selfcheck_report`):

- by default, its exercises as grading decides them: set-up and answer cells in one
  process, each function's visible and hidden cases right after its answer cell
  (:mod:`autograde.grading.selfcheck_quick`; seconds per notebook);
- ``--all-cells``: every cell in a real Jupyter kernel first, as the learner runs it
  (:mod:`autograde.grading.selfcheck_kernel`), reporting errors and endless loops in any cell;
  then the exercises decided as above, outside the kernel (code in the kernel could replace
  the checks themselves).

An exercise passes when its visible cases and every hidden case pass.
"""

import sys
from pathlib import Path

from ..version import recorded_version, version_warning
from .selfcheck_report import CELL_TIMEOUT, format_report, read_notebook  # noqa: F401 - CELL_TIMEOUT
from .untraceable import untraceable

QUICK_NOTE = ("(exercises only: set-up and answer cells, then every check, as grading decides "
              "scores; `bptt check --all-cells` runs every cell in a Jupyter kernel)")


def check_notebooks(paths, timeout=CELL_TIMEOUT, out=print, progress=sys.stderr, all_cells=False):
    """Self-check every notebook; return 0 when all exercises pass, 1 otherwise.

    Unreadable files raise :class:`CourseError` before anything runs.
    """
    if all_cells:
        from .selfcheck_kernel import run_notebook as check
    else:
        from .selfcheck_quick import check_exercises as check
    for p in paths:
        read_notebook(p)
    ok = True
    for p in paths:
        warning = version_warning(recorded_version(read_notebook(p)))
        if warning:
            out(f"{Path(p).name}: {warning}")
        with untraceable():  # the learner's code cannot reach into this process (Linux)
            report = check(p, timeout=timeout, progress=progress)
        out(format_report(report))
        ok = ok and report.passed
    if not all_cells:
        out(QUICK_NOTE)
    return 0 if ok else 1
