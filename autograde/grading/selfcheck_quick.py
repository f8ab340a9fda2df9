"""``bptt check`` (the default): a notebook's exercises decided the way grading decides them.

One process (:mod:`autograde.grading.child`, the trusted step's, here with the learner's own
rights: it is their code on their machine) runs the notebook's set-up and answer cells in
order, and right after the answer cell of a graded function, that function's visible and
hidden cases (:func:`autograde.grading.trusted.grade_program`). The notebook's other cells,
its demonstrations and figures, do not run: ``bptt check --all-cells`` runs every cell in a
Jupyter kernel (:mod:`autograde.grading.selfcheck_kernel`).

The verdicts are the trusted step's, on the public cases (seed 0): what a learner's notebook
scores under grading, but for the course's secret seed. Processes the learner's code detached
(``setsid``) are stopped with it (:mod:`autograde.grading.reaper`).
"""

import time
from pathlib import Path

from .program import TestCell, build_program
from .reaper import adopted_children_stopped
from .selfcheck_report import CELL_TIMEOUT, Progress, Report, find_exercises, read_notebook
from .trusted import grade_program


def check_exercises(path, timeout=CELL_TIMEOUT, progress=None):
    """Decide one notebook's exercises without a kernel; return a :class:`Report`.

    Parameters
    ----------
    path : Path
        The learner's notebook; its folder is the working folder (a later notebook imports
        an earlier one from there).
    timeout : float
        Seconds the set-up and answer cells before each function may take in all.
    """
    path = Path(path).resolve()
    nb = read_notebook(path)
    report = Report(path, exercises=find_exercises(nb), all_cells=False)
    program = build_program(nb, nb)  # the learner's notebook is its own instructor's copy
    tested = {(t.function, t.hidden) for t in program.tests}
    for ex in report.exercises:  # test cells a learner deleted still count here
        for hidden in (False, True):
            if (ex.function, hidden) not in tested:
                program.tests.append(TestCell(f"{'hidden' if hidden else 'test'}_{ex.function}",
                                              ex.function, hidden))
    ids = [c["grade_id"] for c in program.cells]  # each function right after its answer cell
    program.tests.sort(key=lambda t: ids.index(f"answer_{t.function}")
                       if f"answer_{t.function}" in ids else len(ids))
    bar = Progress(progress, path.name) if progress is not None else None
    errors = {}

    def on_test(test):
        if bar is not None:
            bar.say(f"{'hidden' if test.hidden else 'visible'} cases of {test.function}")

    start = time.perf_counter()
    try:
        with adopted_children_stopped():  # nothing the learner's code detached outlives it
            verdicts = grade_program(program, path.parent, sandboxed=False,
                                     setup_seconds=timeout, errors=errors, on_test=on_test,
                                     run_all=True, show_printed=True, overlap=True)
    finally:
        if bar is not None:
            bar.clear()
    report.seconds = time.perf_counter() - start
    by_function = {ex.function: ex for ex in report.exercises}
    for v in verdicts:
        ex = by_function.get(v.test.function)
        if ex is None:
            continue
        if v.test.hidden:
            ex.hidden_score, ex.hidden_text = v.fraction, v.feedback.rstrip()
        else:
            ex.visible_ok, ex.visible_text = v.fraction == 1.0, v.feedback.rstrip()
    report.problems += [f"{gid}: {error}" for gid, error in errors.items()]
    return report
