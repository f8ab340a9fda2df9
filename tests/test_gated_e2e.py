"""Notebook 9 end to end through the trusted grading step, and what nbgrader then scores.

Two runs of the sandboxed trusted step: the instructor's notebook (full marks on every test
cell, the bonus included) and a released notebook in which a learner wrote a mistaken
``lstm_backward`` (the cell gradient is not carried back) and left the rest untouched.
(``bptt demo`` in test_nbgrader_e2e.py runs every notebook, this one included, through real
nbgrader.)
"""

import re
from pathlib import Path

import nbformat
import pytest

from autograde.grading.preprocessors import grade_notebook
from autograde.grading.program import build_program
from autograde.grading.trusted import grade_program

ROOT = Path(__file__).resolve().parent.parent
NAME = "09_lstm_gru.ipynb"
SOURCE, RELEASED = ROOT / "solutions" / "bptt" / NAME, ROOT / "notebooks" / "bptt" / NAME
pytestmark = [pytest.mark.skipif(not SOURCE.exists(), reason="no notebook 9"),
              pytest.mark.usefixtures("sandbox_ready")]

NO_CARRY = '''
def lstm_backward(dhs, cache):
    """Every step right, but the cell gradient is never passed to the step before."""
    xs, hs, cs, gates, U, W = cache
    dxs, dU, dW, db = np.zeros(xs.shape), np.zeros(U.shape), np.zeros(W.shape), np.zeros(U.shape[0])
    dh, dc_prev = np.zeros(hs[:, 0].shape), np.zeros(cs[:, 0].shape)
    for t in range(xs.shape[1], 0, -1):
        i, f, g, o = np.split(gates[:, t], 4, axis=1)
        dht = dhs[:, t] + dh
        dct = dht * o * (1 - np.tanh(cs[:, t]) ** 2)  # the mistake: no dc from step t+1
        da = np.concatenate([dct * g * i * (1 - i), dct * cs[:, t - 1] * f * (1 - f),
                             dct * i * (1 - g**2), dht * np.tanh(cs[:, t]) * o * (1 - o)], axis=1)
        dxs[:, t - 1], dh, dc_prev = da @ U, da @ W, dct * f
        dU, dW, db = dU + da.T @ xs[:, t - 1], dW + da.T @ hs[:, t - 1], db + da.sum(axis=0)
    return dxs, dhs[:, 0] + dh, dc_prev, dU, dW, db
'''


def test_solutions_earn_full_marks_in_the_trusted_step():
    src = nbformat.read(SOURCE, as_version=4)
    verdicts = grade_program(build_program(src, src), RELEASED.parent)
    assert {v.test.function for v in verdicts} == {"lstm_step_backward", "lstm_backward",
                                                   "gru_step_backward"}
    for v in verdicts:
        assert v.fraction == 1.0, f"{v.test.grade_id}: {v.feedback}"


def test_a_mistake_costs_its_function_and_unwritten_ones_score_zero():
    from nbgrader.utils import determine_grade

    src = nbformat.read(SOURCE, as_version=4)
    nb = nbformat.read(RELEASED, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer_lstm_backward":
            cell.source = NO_CARRY.strip()
    verdicts = {v.test.grade_id: v for v in grade_program(build_program(src, nb), RELEASED.parent)}
    assert "not written yet" in verdicts["test_lstm_step_backward"].feedback
    hidden = verdicts["hidden_lstm_backward"]
    # T = 1 cases without dc0 pass, but the large case fails: the check's score is 0
    assert re.search(r"lstm_backward: [1-9]\d* of \d+ cases passed", hidden.feedback)
    assert hidden.fraction == 0.0 and "score 0 for this check" in hidden.feedback
    assert "The cell state's gradient is not carried back" in hidden.feedback
    assert "first wrong time step" in hidden.feedback and "batch row" in hidden.feedback
    import contextlib
    import io

    import numpy as np

    from autograde.registry import GRADED

    namespace = {"np": np}
    exec(NO_CARRY, namespace)  # the same answer, checked in this process: the same fraction
    with contextlib.redirect_stdout(io.StringIO()):
        in_kernel = GRADED["lstm_backward"].check(namespace["lstm_backward"], hidden=True)
    assert hidden.fraction == in_kernel
    grade_notebook(src, nb, RELEASED.parent)  # what nbgrader's Autograde then scores
    scores = {c.metadata["nbgrader"]["grade_id"]: determine_grade(c)[0] for c in nb.cells
              if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    assert scores["hidden_lstm_backward"] == pytest.approx(4 * hidden.fraction)
    assert {k: v for k, v in scores.items() if k != "hidden_lstm_backward"} == {
        "test_lstm_step_backward": 0, "hidden_lstm_step_backward": 0.0,
        "test_lstm_backward": 0, "test_gru_step_backward": 0, "hidden_gru_step_backward": 0.0}
