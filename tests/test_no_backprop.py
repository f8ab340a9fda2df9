"""No grade without backpropagation: the long case of every gradient check (issue 8).

The attacks (tests/variants/attacks.py) give right values by finite differences; each
passes every short case and must run past the long case's limit, whose cost is orders
of magnitude above honest code: ``python benchmarks/no_backprop.py`` prints the ratios.
No assertion here times anything: they read the outcome's ``timed_out`` flag.
"""

import io
from contextlib import redirect_stdout

import numpy as np
import pytest
import truncated_refs as R
from variants import attacks as A
from variants import correct

from autograde.checks import large as L
from autograde.checks.limits import MIN_LIMIT, case_limit
from autograde.checks.safe_call import call_safely
from autograde.registry import GRADED
from bptt_helpers.numgrad import rel_error

FAST = {"calc_delta": correct.cd_vectorised, "calc_gradient": correct.cg_vectorised,
        "truncated_bptt": R.correct_lag_batched, "tbptt_k1k2": R.tbptt_streaming}
ATTACKS = ([("calc_delta", f) for f in A.CALC_DELTA_FD]
           + [("calc_gradient", f) for f in A.CALC_GRADIENT_FD]
           + [("truncated_bptt", f) for f in A.TRUNCATED_FD]
           + [("tbptt_k1k2", f) for f in A.TBPTT_FD])


def long_case(function, hidden=False, seed=0):
    found = [c for c in GRADED[function].cases(hidden, seed) if c.long_steps]
    assert len(found) == 1
    return found[0]


def judged(function, fn, case):
    out = call_safely(fn, case.args, case.arg_names, case_limit(case))
    return out, GRADED[function].judge(case, out)


@pytest.mark.parametrize("function", list(FAST))
def test_long_case_is_visible_and_hidden_with_seeded_directions(function):
    visible, hidden, other = (long_case(function), long_case(function, True),
                              long_case(function, True, seed=5))
    assert visible is hidden  # the same case, built once per process
    assert visible.long_steps >= 500 and visible.outputs[-1].shape[-1] == 64  # H = 64
    name = next(iter(visible.probes))
    assert not np.array_equal(visible.probes[name][0].V, other.probes[name][0].V)
    assert case_limit(visible) == max(MIN_LIMIT, L.LONG_FACTOR * visible.ref_seconds)


@pytest.mark.parametrize("function", list(FAST))
def test_correct_code_matches_the_directional_derivatives(function):
    case = long_case(function)
    out, (passed, lines) = judged(function, FAST[function], case)
    assert passed and not out.timed_out, lines


def test_deltas_neither_vanish_nor_explode_over_the_long_sequence():
    case = long_case("calc_delta")
    norms = np.linalg.norm(correct.cd_vectorised(*case.args)[1:], axis=1)
    assert 1e-2 <= norms.min() / norms[-1] and norms.max() / norms[-1] <= 1e2


def _fails_at(function, answer_of, expect):
    case = long_case(function)
    out, (passed, lines) = judged(function, answer_of, case)
    assert not passed and not out.timed_out
    assert any(expect in ln for ln in lines), lines


def test_zero_deltas_for_old_steps_fail_and_name_the_block():
    def vanished(sensitivity, states, W, activator):
        d = correct.cd_vectorised(sensitivity, states, W, activator)
        d[:500] = 0.0  # "truncated because deltas vanish"
        return d
    _fails_at("calc_delta", vanished, "first wrong time steps, walking back from T=1000: t=401..500")


def test_one_wrong_step_fails():
    def one_step(sensitivity, states, W, activator):
        d = correct.cd_vectorised(sensitivity, states, W, activator)
        d[37] *= 1.001
        return d
    _fails_at("calc_delta", one_step, "t=1..100")


def test_a_gradient_that_skips_old_steps_fails():
    def recent_only(deltas, states, xs):
        d = deltas.copy()
        d[:-100] = 0.0
        return correct.cg_vectorised(d, states, xs)
    _fails_at("calc_gradient", recent_only, "dU: along")


def test_a_window_one_step_short_fails_the_long_truncated_case():
    def short(xs, ys, U, V, W, k, s0=None):
        return R.correct_lag_batched(xs, ys, U, V, W, k - 1, s0)
    _fails_at("truncated_bptt", short, "dW: along")


def test_reference_is_not_a_backward_formula_but_agrees_with_one():
    case = long_case("calc_gradient")
    from autograde.checks.probes import project
    dU, dW = correct.cg_vectorised(*case.args)
    assert rel_error(project(dU, case.probes["dU"]), case.reference["dU"]) < 1e-9
    assert rel_error(project(dW, case.probes["dW"]), case.reference["dW"]) < 1e-9


@pytest.fixture
def tight_limit(monkeypatch):
    """The long case's limit at its floor (2 s) instead of 1000x the forward pass (10-40 s).

    Only tightens: an attack stopped at 2 s is stopped at the real limit too, and each attack
    costs the suite 2 s instead of the full limit. That honest code meets the real limit is
    tested above with the real one; the margins are printed by benchmarks/no_backprop.py.
    """
    from autograde.checks import judge, limits

    real = limits.case_limit

    def tight(case):
        return MIN_LIMIT if case.long_steps else real(case)

    monkeypatch.setattr(judge, "case_limit", tight)  # the limit run_check gives each call
    monkeypatch.setattr(limits, "case_limit", tight)  # ... and the one its timeout message names


@pytest.mark.parametrize("item", ATTACKS, ids=lambda it: it[1].__name__)
def test_finite_differences_fail_the_long_case_in_kernel(item, tight_limit):
    function, attack = item
    buf = io.StringIO()
    with redirect_stdout(buf):
        score = GRADED[function].check(attack)
    out = buf.getvalue()
    n = len(GRADED[function].cases(False, 0))
    assert f"{n - 1} of {n} cases passed" in out, out  # every short case passes: right values
    assert score == 0.0 and "not backpropagation" in out, out  # ... and the check earns nothing
    assert "Backpropagation needs one backward walk" in out, out
    assert f"on a sequence of T={long_case(function).long_steps} steps" in out
    assert "Finite differences" in out


def test_the_attack_outcome_is_timed_out():
    case = long_case("calc_delta")
    out = call_safely(A.cd_fd_vectorised, case.args, case.arg_names, MIN_LIMIT)  # see tight_limit
    assert out.timed_out and out.value is None


def test_quadratic_variants_pass_every_short_case_and_fail_the_long_one():
    short = [c for c in GRADED["calc_delta"].cases(True, 0) if not c.long_steps]
    for fn in correct.CALC_DELTA_QUADRATIC:
        for case in short:
            assert judged("calc_delta", fn, case)[1][0], fn.__name__
    out, (passed, lines) = judged("calc_delta", correct.cd_recursive, long_case("calc_delta"))
    assert not passed and "RecursionError" in lines[0] and "write it as a loop" in lines[1]
