"""The message of a failing visible test: what nbgrader's Validate button and the error line show."""

import contextlib
import io

import numpy as np

from autograde import check_calc_delta, last_feedback
from autograde.checks.scoring import NOT_BACKPROPAGATION
from autograde.checks.summary import summarize

REPORT = """calc_delta: 1 of 3 cases passed.
  ok   case 1 (T=1, tanh)
  FAIL case 2 (T=3, tanh)
       deltas: relative error 4.1e-01 (passes below 1e-06)
       hint: the first one
  FAIL case 3 (T=5, relu)
       deltas: relative error 9.9e-01 (passes below 1e-06)
  note: your function printed (shown once): hello
"""


def test_the_summary_is_the_headline_and_the_first_failure():
    text = summarize(REPORT)
    assert text.startswith("\ncalc_delta: 1 of 3 cases passed.")
    assert "FAIL case 2" in text and "hint: the first one" in text
    assert "case 1" not in text and "case 3" not in text and "printed" not in text


def test_the_whole_checks_zero_is_always_said():
    text = summarize(REPORT + NOT_BACKPROPAGATION + "\n")
    assert "score 0 for this check" in text and "case 3" not in text


def test_a_long_report_is_cut_with_a_pointer_to_the_full_one():
    report = "f: 0 of 1 cases passed.\n  FAIL case 1 (x)\n" + "".join(
        f"       line {i}\n" for i in range(40))
    text = summarize(report)
    assert "line 5" in text and "line 30" not in text and "printed above" in text


def test_last_feedback_is_what_the_last_check_printed():
    def zeros(sensitivity, states, W, activator):
        return np.zeros_like(states)

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        score = check_calc_delta(zeros)
    assert score == 0.0
    assert out.getvalue().startswith("calc_delta: 0 of")  # still printed as it came
    message = last_feedback()
    assert message.strip().splitlines()[0] == out.getvalue().splitlines()[0]
    assert "first wrong time step" in message
