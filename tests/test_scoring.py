"""What a grade requires: the long case gates a check, graded cases come from a secret seed
no search can find, and the learner's own text never reaches the grading feedback.

Attacks 01, 02, 04 and 09 of the fresh-eyes round: right values by finite differences that give
up on the long case, lookups of the public seed-0 cases, and a 31-bit seed recovered offline
from what a learner's function printed into its feedback.
"""

import io
import os
import stat
from contextlib import redirect_stdout

import numpy as np
import pytest
from variants import correct

from autograde.checks.cases import Case
from autograde.checks.report import print_report
from autograde.checks.safe_call import Outcome
from autograde.checks.scoring import NOT_BACKPROPAGATION, check_score
from autograde.grading import program as P
from autograde.grading.preprocessors import SEED_FILE, course_seed
from autograde.grading.program import Program
from autograde.grading.program import TestCell as GradedCell
from autograde.grading.trusted import grade_program
from autograde.registry import GRADED


def _case(long_steps=0, label="T=3"):
    return Case(label=label, arg_names=[], args=[], outputs=[], reference={},
                long_steps=long_steps)


SHORT, LONG = _case(), _case(1000, "long sequence: T=1000")
OK = Outcome(value=np.zeros(3))


@pytest.mark.parametrize("outcome", [
    Outcome(error="ValueError: this sequence is too long for me", error_type="ValueError"),
    Outcome(value=np.zeros(3)),  # wrong values, wrong shape or NaN: the judge said no
    None,  # not run (the function ran past its limit on earlier cases)
], ids=["raised", "wrong", "not-run"])
def test_a_long_case_failed_in_any_way_zeroes_the_check(outcome):
    results = [(SHORT, OK, True, []), (SHORT, OK, True, []), (LONG, outcome, False, ["x"])]
    fraction, why = check_score(results)
    assert fraction == 0.0
    assert "case 3, T=1000" in why and "needs backpropagation" in why
    assert "The other cases count once it passes" in why


def test_a_long_case_past_its_limit_says_not_backpropagation():
    timed = Outcome(timed_out=True, elapsed=9.0)
    for results in ([(SHORT, OK, True, []), (LONG, timed, False, ["x"])],
                    [(SHORT, OK, False, ["x"]), (LONG, timed, False, ["x"])]):
        assert check_score(results) == (0.0, NOT_BACKPROPAGATION)


def test_partial_credit_once_every_long_case_passes():
    results = [(SHORT, OK, True, []), (SHORT, OK, False, ["x"]), (LONG, OK, True, []),
               (LONG, OK, True, [])]
    assert check_score(results) == (0.75, "")
    results[3] = (LONG, OK, False, ["x"])  # a second long case (the layer checks have two)
    assert check_score(results)[0] == 0.0
    nothing = [(SHORT, OK, False, ["x"]), (LONG, OK, False, ["x"])]
    assert check_score(nothing) == (0.0, "")  # no extra message when nothing passed anyway


@pytest.mark.parametrize("function", ["calc_delta", "calc_gradient"])
def test_right_short_cases_and_a_long_case_given_up_earn_nothing(function):
    honest = {"calc_delta": correct.cd_vectorised, "calc_gradient": correct.cg_vectorised}[function]

    def gives_up_when_long(*args):  # attack 01: finite differences that raise on long cases
        if np.shape(args[1])[0] > 200:
            raise ValueError("too long")
        return honest(*args)

    out = io.StringIO()
    with redirect_stdout(out):
        score = GRADED[function].check(gives_up_when_long)
    text = out.getvalue()
    assert score == 0.0 and "score 0 for this check: the long case" in text, text
    assert f"{len(GRADED[function].cases()) - 1} of" in text  # every short case passed


def _cell(grade_id, source):
    return {"cell_type": "code", "source": source,
            "metadata": {"nbgrader": {"grade": True, "grade_id": grade_id, "points": 2}}}


def test_visible_and_hidden_cells_are_graded_with_the_secret_seed():
    secret = 2**127 + 12345
    visible = _cell("test_calc_delta", "assert check_calc_delta(calc_delta) == 1.0")
    hidden = _cell("hidden_calc_delta", "float(3 * check_calc_delta(calc_delta, hidden=True))")
    named = _cell("test_calc_delta", "assert check_calc_delta(calc_delta, seed=5) == 1.0")
    assert P.test_cell_of(visible, secret).seed == secret
    assert P.test_cell_of(hidden, secret).seed == secret
    assert P.test_cell_of(named, secret).seed == 5  # the instructor's own seed wins
    assert P.test_cell_of(visible).seed == 0 and P.test_cell_of(hidden).seed == 0  # self-check


def test_the_course_seed_has_128_bits_and_an_old_seed_still_works(tmp_path):
    seed = course_seed(tmp_path)
    assert 64 < seed.bit_length() <= 128  # fails with probability 2**-64
    assert stat.S_IMODE(os.stat(tmp_path / SEED_FILE).st_mode) == 0o600
    assert course_seed(tmp_path) == seed  # kept for the term
    (tmp_path / SEED_FILE).write_text("663354741\n", encoding="utf-8")
    assert course_seed(tmp_path) == 663354741
    first = GRADED["step_jacobian"].cases(True, seed)[0].args[0]  # big seeds build cases
    assert not np.array_equal(first, GRADED["step_jacobian"].cases(True, seed + 1)[0].args[0])


def test_grading_feedback_says_that_the_function_printed_never_what():
    leaky = Outcome(value=None, printed="LEAK -1.1148896231167689\nLEAK 2\n",
                    warned=["UserWarning: LEAK 0.5", "RuntimeWarning: overflow encountered"])
    results = [(SHORT, leaky, False, ["wrong"])]
    for show, seen in ((True, True), (False, False)):
        out = io.StringIO()
        with redirect_stdout(out):
            print_report("calc_delta", results, show_printed=show)
        text = out.getvalue()
        assert ("LEAK" in text) is seen, text
        if not show:
            assert "printed 2 lines (not shown when grading" in text
            assert "(UserWarning; its text is not shown" in text and "RuntimeWarning" in text


def test_the_trusted_step_keeps_printed_text_out_of_the_feedback(tmp_path, sandbox_ready):
    source = ("def step_jacobian(W, state, activator):\n"
              "    print('LEAK', W[0, 0])\n"
              "    return W * activator.backward(state)\n")
    program = Program([{"grade_id": "answer_step_jacobian", "source": source}],
                      [GradedCell("test_step_jacobian", "step_jacobian", False, seed=2**100)])
    (verdict,) = grade_program(program, tmp_path)
    assert verdict.fraction == 1.0, verdict.feedback
    assert "LEAK" not in verdict.feedback and "printed 1 line (not shown" in verdict.feedback
