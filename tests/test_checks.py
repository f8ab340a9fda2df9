"""The autograder's checks: correct variants pass, catalogued mistakes fail with the right feedback."""

import io
import signal
import time
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest
from variants import correct
from variants.mistakes import CATALOGUE

from autograde.checks import cases as C
from autograde.checks import judge as checks
from autograde.checks import limits
from autograde.checks.normalize import Rejected
from autograde.checks.safe_call import call_safely
from bptt_helpers.numgrad import rel_error

CHECKS = {"step_jacobian": checks.check_step_jacobian, "calc_delta": checks.check_calc_delta,
          "calc_gradient": checks.check_calc_gradient}
BUILDERS = {"step_jacobian": C.step_jacobian_cases, "calc_delta": C.calc_delta_cases,
            "calc_gradient": C.calc_gradient_cases}
VARIANTS = ([("step_jacobian", f) for f in correct.STEP_JACOBIAN]
            + [("calc_delta", f) for f in correct.CALC_DELTA]
            + [("calc_gradient", f) for f in correct.CALC_GRADIENT])
SLOW = ("endless", "forever")


def _slow(m):
    return any(word in m.name for word in SLOW)


def _id(item):
    return item[1].__name__ if isinstance(item, tuple) else item.name


# --- correct variants ------------------------------------------------------------------------

def test_enough_variants():
    for name in CHECKS:
        assert sum(1 for f, _ in VARIANTS if f == name) >= 4, name


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("item", VARIANTS, ids=_id)
def test_correct_variant_scores_one(item, hidden, capsys):
    function, fn = item
    score = CHECKS[function](fn, hidden=hidden)
    out = capsys.readouterr()
    assert type(score) is float and score == 1.0, out.out
    assert "cases passed" in out.out and out.err == ""


@pytest.mark.parametrize("seed", [1, 7])
def test_correct_variants_pass_other_seeds(seed, capsys):
    for function, fn in VARIANTS[::3]:
        assert CHECKS[function](fn, hidden=True, seed=seed) == 1.0, capsys.readouterr().out


# --- catalogued mistakes ---------------------------------------------------------------------

def test_catalogue_is_large():
    assert len(CATALOGUE) >= 12
    for name in CHECKS:
        assert sum(1 for m in CATALOGUE if m.function == name) >= 6, name


@pytest.mark.parametrize("m", [m for m in CATALOGUE if not _slow(m)], ids=_id)
def test_mistake_is_rejected_with_its_feedback(m, capsys):
    score = CHECKS[m.function](m.fn)
    out = capsys.readouterr()
    assert type(score) is float and score < 1.0
    assert out.err == ""
    for text in m.expect:
        assert text in out.out, f"{text!r} missing from:\n{out.out}"
    for text in m.expect_absent:
        assert text not in out.out


def _errors_on_visible_cases(m):
    """Relative error of the mistake on each visible case (None where its output is rejected)."""
    errs = []
    for case in BUILDERS[m.function]():
        if case.probes:  # the long case: its reference is a set of projections
            continue
        args = [a.copy() if isinstance(a, np.ndarray) else a for a in case.args]  # writable
        try:
            with warnings.catch_warnings(), redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                value = m.fn(*args)
            answer = checks.normalise_outputs(case, value)
        except Rejected:
            errs.append(None)
            continue
        errs.append(max(rel_error(answer[k], n) for k, n in case.reference.items()))
    return errs


@pytest.mark.parametrize("m", [m for m in CATALOGUE if m.comparable], ids=_id)
def test_mistake_is_far_from_the_reference_on_a_visible_case(m, capsys):
    """Guards the case regime: every mistake is 100x the tolerance off somewhere visible."""
    errs = [e for e in _errors_on_visible_cases(m) if e is not None]
    assert errs, "no visible case produced a comparable array"
    assert max(errs) >= 100 * checks.TOLERANCE, errs


def test_the_seed_programs_weak_check_is_not_ours():
    """With s_0 = 0 and the identity, the seed's wrong step is invisible; our cases see it."""
    m = next(m for m in CATALOGUE if m.name == "cd_wrong_step")
    assert max(e for e in _errors_on_visible_cases(m) if e is not None) > 0.1


@pytest.mark.parametrize("m", [m for m in CATALOGUE if _slow(m)], ids=_id)
def test_endless_loop_is_stopped(m, capsys, monkeypatch):
    monkeypatch.setattr(limits, "MIN_LIMIT", 0.2)
    score = CHECKS[m.function](m.fn)
    out = capsys.readouterr()
    assert score < 1.0 and out.err == ""
    assert "endless loop" in out.out
    # after MAX_TIMEOUTS cases ran past their limit, the remaining cases are not run at all
    rows = [ln for ln in out.out.splitlines() if ln.startswith(("  ok", "  FAIL"))]
    skipped = ["not run: your function already ran past" in ln for ln in rows]
    first = skipped.index(True)
    assert all(skipped[first:]) and len(rows) == len(BUILDERS[m.function]())


# --- the safe call ---------------------------------------------------------------------------

def test_keyboard_interrupt_is_re_raised(capsys):
    def interrupted(sensitivity, states, W, activator):
        raise KeyboardInterrupt

    before = signal.getsignal(signal.SIGALRM)
    with pytest.raises(KeyboardInterrupt):
        checks.check_calc_delta(interrupted)
    assert signal.getsignal(signal.SIGALRM) is before  # the checker's handler is gone
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_no_learner_error_escapes(capsys):
    class Weird:
        def __array__(self, *a, **k):
            raise RuntimeError("no array for you")

    def bad_values(deltas, states, xs):
        return Weird(), [[1, 2], [3]]

    for fn in (bad_values, lambda *a: Weird(), lambda *a: 1 / 0, lambda *a: exit(3)):
        assert checks.check_calc_gradient(fn) == 0.0
    assert checks.check_calc_delta("not a function") == 0.0
    assert capsys.readouterr().err == ""


def _swallow_pass(x):
    while True:
        try:
            pass
        except BaseException:
            pass


def _swallow_sleep(x):
    while True:
        try:
            time.sleep(0.01)
        except BaseException:
            pass


def _swallow_numpy(x):
    while True:
        try:
            np.linalg.svd(np.ones((30, 30)))
        except BaseException:
            pass


def _swallow_in_finally(x):
    while True:
        try:
            time.sleep(0.01)
        finally:
            continue  # noqa: B012 -- swallows the exception on purpose


@pytest.mark.parametrize("fn", [_swallow_pass, _swallow_sleep, _swallow_numpy,
                                _swallow_in_finally], ids=lambda f: f.__name__)
def test_a_function_that_swallows_the_interruption_is_still_stopped(fn):
    out = call_safely(fn, [np.zeros(2)], ["x"], 0.2)
    assert out.timed_out and out.error is None  # returning at all is the point
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_caught_interruption_still_counts_as_timed_out():
    def catches_once(x):
        try:
            while True:
                pass
        except BaseException:
            return x

    out = call_safely(catches_once, [np.zeros(2)], ["x"], 0.1)
    assert out.timed_out and out.value is None


def test_inputs_are_read_only_copies():
    a = np.arange(3.0)
    out = call_safely(lambda x: x.flags.writeable, [a], ["a"], 1.0)
    assert out.value is False and a.flags.writeable


def test_printing_and_warnings_are_captured(capsys):
    import sys
    import warnings

    def noisy(x):
        print("to stdout")
        print("to stderr", file=sys.stderr)
        warnings.warn("careful", stacklevel=1)
        return x

    out = call_safely(noisy, [np.zeros(1)], ["x"], 1.0)
    assert "to stdout" in out.printed and "to stderr" in out.printed
    assert out.warned == ["UserWarning: careful"]
    assert capsys.readouterr() == ("", "")


# --- purity and determinism ------------------------------------------------------------------

@pytest.mark.parametrize("function", list(CHECKS))
def test_two_calls_give_identical_output(function, capsys):
    m = next(m for m in CATALOGUE if m.function == function)
    runs = []
    for _ in range(2):
        score = CHECKS[function](m.fn, hidden=True)
        runs.append((score, capsys.readouterr().out))
    assert runs[0] == runs[1]


def _fingerprint(cases):
    return [(c.label, [np.asarray(a).tobytes() for a in c.args if isinstance(a, np.ndarray)],
             {k: v.tobytes() for k, v in c.reference.items()}) for c in cases]


@pytest.mark.parametrize("function", list(BUILDERS))
def test_case_building_is_deterministic_and_seeded(function):
    build = BUILDERS[function]
    assert _fingerprint(build(True, 0)) == _fingerprint(build(True, 0))
    assert _fingerprint(build(True, 0)) != _fingerprint(build(True, 3))
    visible = build(False, 0)
    hidden = build(True, 0)
    assert _fingerprint(hidden)[:len(visible)] == _fingerprint(visible)  # a superset


@pytest.mark.parametrize("function", list(BUILDERS))
def test_visible_cases_cover_the_regime(function):
    cases = [c for c in BUILDERS[function]() if not c.long_steps]
    if function == "step_jacobian":
        acts = {c.info["activator"] for c in cases}
        assert acts == {"tanh", "sigmoid", "relu", "identity"}
        for c in cases:
            W = c.info["W"]
            assert not np.allclose(W, W.T)
            if c.info["activator"] == "relu":
                assert 0 < np.count_nonzero(c.info["state"]) < len(c.info["state"])
        return
    Ts = {c.args[1].shape[0] - 1 for c in cases}
    assert {1, 2, 3} <= Ts and max(Ts) >= 15
    for c in cases:
        states = c.info["states"]
        assert np.any(states[0])  # nonzero s_0
    assert any(c.outputs[0].shape[1] != c.outputs[0].shape[0] for c in cases)


def test_reference_of_each_case_matches_the_analytic_answer():
    """The numerical references agree with the closed forms far below the tolerance."""
    for case in C.calc_delta_cases(hidden=True):
        if case.long_steps:
            continue  # compared along directions: tests/test_no_backprop.py
        d = correct.cd_vectorised(*case.args)
        assert rel_error(d, case.reference["deltas"]) < 1e-8
    for case in C.calc_gradient_cases(hidden=True):
        if case.long_steps:
            continue
        dU, dW = correct.cg_vectorised(*case.args)
        assert rel_error(dU, case.reference["dU"]) < 1e-8
        assert rel_error(dW, case.reference["dW"]) < 1e-8
    for case in C.step_jacobian_cases(hidden=True):
        assert rel_error(correct.sj_broadcast(*case.args), case.reference["jacobian"]) < 1e-8


@pytest.mark.parametrize("act", C.ACTS)
def test_the_batched_forward_of_the_references_is_the_course_s_layer(act):
    """``cases.nets_of`` (every perturbed copy at once) runs ``bptt_helpers.rnn.rnn_forward``."""
    from bptt_helpers.rnn import rnn_forward

    m = C._model(7, 3, 4, act, seed=11)
    rng = np.random.default_rng(5)
    Us = m["U"] + 0.1 * rng.standard_normal((3,) + m["U"].shape)  # (3, H, D)
    shift = 0.1 * rng.standard_normal((3, 8, 4))  # (3, T+1, H)
    for k in range(3):
        states = rnn_forward(m["xs"], Us[k], m["W"], act, m["s0"], net_shift=shift[k])
        nets = C._nets(dict(m, U=Us[k]), states, shift[k])
        assert rel_error(C.nets_of(m, U=Us, shift=shift)[k], nets) < 1e-14
        assert rel_error(C.nets_of(m, U=Us)[k],
                         C._nets(dict(m, U=Us[k]), rnn_forward(m["xs"], Us[k], m["W"], act,
                                                               m["s0"]), np.zeros((8, 4)))) < 1e-14


def test_feedback_does_not_repeat_itself(capsys):
    m = next(m for m in CATALOGUE if m.name == "cd_wrong_step")
    checks.check_calc_delta(m.fn, hidden=True)
    out = capsys.readouterr().out
    assert out.count("takes f' from s_") == 1
    assert "same problem as case 3" in out


def test_timeouts_bound_a_whole_hidden_check(monkeypatch):
    """An endless loop pays at most MAX_TIMEOUTS limits per check: well under any cell timeout
    (nbgrader's default is 30 s; nbgrader_config.py sets 120 s)."""
    n_hidden = max(len(b(True)) for b in BUILDERS.values())
    assert limits.MAX_TIMEOUTS * limits.MIN_LIMIT < 30
    assert n_hidden > limits.MAX_TIMEOUTS


def test_in_place_blame_ignores_keyword_arguments():
    """`f(..., in_place=True)` is a call, not an assignment: the message must not blame `sensitivity`."""
    from autograde.checks.judge import _assignment_target

    assert _assignment_target("states[t] *= 2").rstrip("* ") == "states[t]"
    assert _assignment_target("deltas[t] = W.T @ deltas[t + 1]").strip() == "deltas[t]"
    assert _assignment_target("return f(sensitivity, states, W, activator, in_place=True)") == ""
    assert _assignment_target("if a == b: pass") == ""


def test_unwritten_function_says_so(capsys):
    """The released stub (`raise NotImplementedError()`) gets a plain message, not a traceback."""

    def calc_delta(sensitivity, states, W, activator):
        raise NotImplementedError()

    assert checks.check_calc_delta(calc_delta) == 0.0
    out = capsys.readouterr()
    assert "not written yet" in out.out and out.err == ""
