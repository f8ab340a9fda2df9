"""Every comparison fails on values that are not finite or too large to compare (issue 8)."""

import io
import sys
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest
from variants import correct

sys.path.insert(0, str(Path(__file__).resolve().parent))
import truncated_refs as R  # noqa: E402

from autograde import (  # noqa: E402
    check_calc_delta,
    check_calc_gradient,
    check_clip_grad_norm,
    check_clip_grad_value,
    check_step_jacobian,
    check_tbptt_k1k2,
    check_truncated_bptt,
)
from autograde.checks.clipping import global_norm  # noqa: E402
from autograde.checks.hints import first_wrong_step  # noqa: E402
from autograde.checks.report import print_report  # noqa: E402
from bptt_helpers.numgrad import gradient_report, rel_error, safe_norm  # noqa: E402


def clip_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    scale = max_norm / total if total > max_norm else 1.0
    return [np.array(g) * scale for g in grads]


def clip_value(grads, clip_value):
    return [np.clip(g, -clip_value, clip_value) for g in grads]


CHECKS = {  # a correct version of every graded function and its check
    "step_jacobian": (check_step_jacobian, correct.sj_broadcast),
    "calc_delta": (check_calc_delta, correct.cd_vectorised),
    "calc_gradient": (check_calc_gradient, correct.cg_vectorised),
    "truncated_bptt": (check_truncated_bptt, R.correct_lag_batched),
    "tbptt_k1k2": (check_tbptt_k1k2, R.tbptt_streaming),
    "clip_grad_norm": (check_clip_grad_norm, clip_norm),
    "clip_grad_value": (check_clip_grad_value, clip_value),
}


def _nan_in_one_entry(a):
    a = np.array(a, dtype=float)
    a.flat[a.size // 2] = np.nan
    return a


POISONS = {  # what the attack returns in place of each array, and the message it must get
    "overflow_1e200": (lambda a: np.full(np.shape(a), 1e200), "too large to compare"),
    "plus_inf": (lambda a: np.full(np.shape(a), np.inf), "contains infinity"),
    "minus_inf": (lambda a: np.full(np.shape(a), -np.inf), "contains infinity"),
    "nan_in_one_entry": (_nan_in_one_entry, "contains NaN"),
    "huge_but_finite": (lambda a: np.full(np.shape(a), np.finfo(float).max), "too large to compare"),
    "just_above_bound": (lambda a: np.full(np.shape(a), 1e101), "too large to compare"),
}


def poisoned(fn, poison):
    def attack(*args):
        out = fn(*args)
        if isinstance(out, (tuple, list)) and not isinstance(out, np.ndarray) and \
                len(out) and np.ndim(out[0]) >= 1 and not isinstance(out[0], float):
            return type(out)(poison(np.asarray(o)) for o in out)
        return poison(np.asarray(out))
    return attack


@pytest.mark.parametrize("poison", list(POISONS))
@pytest.mark.parametrize("function", list(CHECKS))
def test_non_finite_or_overflowing_answers_score_zero(function, poison):
    check, fn = CHECKS[function]
    transform, message = POISONS[poison]
    buf = io.StringIO()
    with redirect_stdout(buf):
        score = check(poisoned(fn, transform))
    out = buf.getvalue()
    assert score == 0.0, out
    assert message in out, out


def test_correct_versions_used_above_pass():
    for function, (check, fn) in CHECKS.items():
        with redirect_stdout(io.StringIO()):
            assert check(fn) == 1.0, function


def test_a_large_but_comparable_answer_fails_on_its_error():
    def big(sensitivity, states, W, activator):
        return np.full(states.shape, 1e40)

    buf = io.StringIO()
    with redirect_stdout(buf):
        assert check_calc_delta(big) == 0.0
    assert "relative error 1.0e+00" in buf.getvalue()


# --- rel_error, safe_norm, gradient_report ---------------------------------------------------

def test_rel_error_does_not_overflow():
    assert rel_error(np.full(5, 1e200), np.ones(5)) == pytest.approx(1.0)
    assert rel_error(np.full(5, 1e200), np.full(5, 1e200)) == 0.0
    assert rel_error(np.full(3, 1e300), np.full(3, 2e300)) == pytest.approx(0.5)
    assert safe_norm(np.full(4, 1e200)) == pytest.approx(2e200)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_rel_error_of_non_finite_is_inf_and_never_passes(bad):
    a = np.ones(4)
    a[2] = bad
    assert rel_error(a, np.ones(4)) == np.inf
    assert rel_error(np.ones(4), a) == np.inf
    assert not rel_error(a, np.ones(4)) < 1e-6


def test_rel_error_keeps_its_meaning_for_ordinary_arrays():
    a, n = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.1])
    assert rel_error(a, n) == pytest.approx(np.linalg.norm(a - n) / np.linalg.norm(n))
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.full(3, 1e-300), np.full(3, 2e-300)) < 1e-200  # below the 1e-12 floor
    with pytest.raises(ValueError):
        rel_error(np.ones(2), np.ones(3))


def test_gradient_report_says_wrong_for_overflow_and_nan():
    text = gradient_report({"dW": (np.full((2, 2), 1e200), np.ones((2, 2))),
                            "dU": (np.array([np.nan, 1.0]), np.ones(2)),
                            "dV": (np.ones(2), np.ones(2))})
    lines = text.splitlines()
    assert lines[1].startswith("dW") and lines[1].endswith("WRONG")
    assert "WRONG (yours has NaN or infinity: cannot compare)" in lines[2]
    assert lines[3].endswith("ok")


def test_first_wrong_step_blames_a_nan_step():
    n = np.ones((5, 3))
    a = n.copy()
    a[2, 1] = np.nan
    assert first_wrong_step(a, n, 1e-6)[0] == 2


def test_global_norm_of_huge_gradients_is_finite():
    assert global_norm([np.full(3, 1e200), np.full(1, 1e200)]) == pytest.approx(2e200)
    assert global_norm([[3.0, 0.0], [-4.0], [[12.0]]]) == 13.0  # exactly


# --- "same problem as case N" keeps each case's own first wrong step -------------------------

class _Case:
    def __init__(self, label):
        self.label = label


def _lines(t):
    return ["deltas: relative error 3.0e-01 (passes below 1e-06)",
            f"first wrong time step, walking back from T=9: t={t} (deltas[{t}] is off by 1.0e-01 "
            "of the whole tensor's norm)", "hint: the factor f'(net_t) is missing."]


def test_grouped_failure_names_its_own_first_wrong_step(capsys):
    results = [(_Case("a"), None, False, _lines(4)), (_Case("b"), None, False, _lines(4)),
               (_Case("c"), None, False, _lines(7))]
    print_report("calc_delta", results)
    out = capsys.readouterr().out
    assert "case 2 (b): same problem as case 1\n" in out
    assert "case 3 (c): same problem as case 1, but here the first wrong time step is t=7" in out
