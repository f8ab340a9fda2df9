"""Notebook 7's checks: correct variants pass, catalogued mistakes and attacks fail with feedback."""

import io
from contextlib import redirect_stdout

import numpy as np
import pytest
from variants import layer as V

from autograde import check_rnn_layer_backward, check_rnn_layer_forward, check_rnn_stack_backward
from autograde.checks import layer as L
from autograde.checks.layer_judge import compare, safe_error, unpack
from autograde.checks.normalize import Rejected
from autograde.registry import GRADED
from bptt_helpers.numgrad import TOLERANCE

CHECKS = {"rnn_layer_forward": check_rnn_layer_forward,
          "rnn_layer_backward": check_rnn_layer_backward,
          "rnn_stack_backward": check_rnn_stack_backward}
BUILDERS = {"rnn_layer_forward": L.rnn_layer_forward_cases,
            "rnn_layer_backward": L.rnn_layer_backward_cases,
            "rnn_stack_backward": L.rnn_stack_backward_cases}
VARIANTS = ([("rnn_layer_forward", f) for f in V.FORWARD]
            + [("rnn_layer_backward", f) for f in V.BACKWARD]
            + [("rnn_stack_backward", f) for f in V.STACK])


def run(function, fn, **kw):
    buf = io.StringIO()
    with redirect_stdout(buf):
        score = CHECKS[function](fn, **kw)
    return score, buf.getvalue()


def _id(item):
    return item[1].__name__ if isinstance(item, tuple) else item.name


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("item", VARIANTS, ids=_id)
def test_correct_variant_scores_one(item, hidden, capsys):
    function, fn = item
    score = CHECKS[function](fn, hidden=hidden)
    out = capsys.readouterr()
    assert type(score) is float and score == 1.0, out.out
    assert "cases passed" in out.out and out.err == ""


def test_registry_decides_like_the_checks():
    for function in CHECKS:
        assert GRADED[function].build is BUILDERS[function]
    fn = dict(VARIANTS)["rnn_layer_backward"]
    with redirect_stdout(io.StringIO()):
        assert GRADED["rnn_layer_backward"].check(fn) == 1.0


def test_cases_cover_the_regime():
    for function, build in BUILDERS.items():
        cases = build()
        labels = " | ".join(c.label for c in cases)
        assert "T=1," in labels and "s_0 ≠ 0" in labels and "large:" in labels, function
        assert any("N=1," in c.label for c in cases) and any("N=3," in c.label for c in cases)
        assert len(build(hidden=True)) > len(cases)
    backward = " | ".join(c.label for c in L.rnn_layer_backward_cases())
    for act in ("tanh", "sigmoid", "relu", "identity"):
        assert act in backward
    assert "dstates[:, 0] ≠ 0" in backward and "T=16" in backward


def test_case_args_are_plain_data():
    """The trusted step passes only arrays, numbers, None, lists of these and activators."""
    from autograde.grading.replies import _encode_arg

    for build in BUILDERS.values():
        for case in build():
            for i, a in enumerate(case.args):
                _encode_arg(a, {}, f"a{i}")


# --- mistakes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("m", V.LAYER_MISTAKES, ids=_id)
def test_mistake_is_rejected_with_its_hint(m):
    score, out = run(m.function, m.fn)
    assert type(score) is float and score < 1.0
    for text in m.expect:
        assert text in out, f"{text!r} missing from:\n{out}"


@pytest.mark.parametrize("m", [m for m in V.LAYER_MISTAKES if m.comparable], ids=_id)
def test_mistake_is_far_from_the_reference_on_a_visible_case(m):
    """Every catalogued mistake is 100x the tolerance off on some visible case."""
    worst = 0.0
    for case in BUILDERS[m.function]():
        try:
            with redirect_stdout(io.StringIO()):
                value = m.fn(*case.args)
            errors = compare(case, unpack(case, value))
        except (Rejected, ValueError):  # a shape the case rejects (U for W where D != H)
            continue
        worst = max(worst, max(errors.values()))
    assert worst >= 100 * TOLERANCE


def test_catalogue_covers_the_issue():
    names = " ".join(" ".join(m.expect) for m in V.LAYER_MISTAKES)
    for text in ("db holds only", "divided by the batch size", "dxs is computed with W",
                 "dxs uses U^\\top", "ds0 is zero", "ds0 is delta_1 itself", "one step late"):
        assert text in names


# --- attacks and safe comparison -------------------------------------------------------------

def test_non_finite_and_overflow_can_only_fail():
    a = np.ones(5)
    assert safe_error(a, a) == 0.0
    assert not safe_error(np.full(5, np.nan), a) < TOLERANCE
    assert not safe_error(np.full(5, np.inf), a) < TOLERANCE
    assert not safe_error(np.full(5, 1e200), np.full(5, 1e200) * (1 + 1e-3)) < TOLERANCE
    assert safe_error(np.full(5, 1e200), np.full(5, 1e200)) == 0.0  # finite, no overflow


@pytest.mark.parametrize("fn", [V.bwd_overflow, V.bwd_overflow_scaled],
                         ids=lambda f: f.__name__)
def test_overflow_attack_scores_zero(fn):
    for hidden in (False, True):
        score, _ = run("rnn_layer_backward", fn, hidden=hidden)
        assert score == 0.0


def test_finite_difference_attack_is_stopped_on_the_large_case():
    """Central differences of the learner's own forward pass get every small case right and
    run past the time limit on the large one (about 2 s there; honest code takes ms)."""
    score, out = run("rnn_layer_backward", V.bwd_finite_differences)
    cases = L.rnn_layer_backward_cases()
    assert f"{len(cases) - 1} of {len(cases)} cases passed" in out, out
    assert "large:" in out and "past its time limit" in out
    assert score == 0.0 and "not backpropagation" in out  # right values without it earn nothing


def test_large_case_is_easy_for_honest_code():
    import time

    case = [c for c in L.rnn_layer_backward_cases() if "large:" in c.label][0]
    t0 = time.process_time()  # its cost: CPU time, not the machine's load (one BLAS thread)
    V.bwd_jacobians(*case.args)  # the slowest correct variant: explicit Jacobians per example
    assert time.process_time() - t0 < 0.25 * L.case_limit(case)


def test_large_reference_is_accurate():
    """The directional derivatives agree with the exact gradient far below the tolerance."""
    for build, fn in ((L.rnn_layer_backward_cases, V.bwd_loop),
                      (L.rnn_stack_backward_cases, V.stack_loop)):
        for case in [c for c in build(hidden=True) if c.info.get("directions")]:
            errors = compare(case, unpack(case, fn(*case.args)))
            assert max(errors.values()) < TOLERANCE / 100, errors


def test_a_mistake_names_the_step_and_batch_row():
    case = L.rnn_layer_backward_cases()[4]  # N = 4, T = 12
    with redirect_stdout(io.StringIO()):
        value = V.bwd_skips_last_row(*case.args)
    passed, lines = L.judge_layer(case, _outcome(value))
    text = "\n".join(lines)
    assert not passed and "t=12, batch row 3" in text and "ds0 is wrong in batch rows 3" in text


def _outcome(value):
    from autograde.checks.safe_call import Outcome

    return Outcome(value=value)


def test_an_unwritten_function_scores_zero():
    def stub(*args):
        raise NotImplementedError()

    for function in CHECKS:
        score, out = run(function, stub)
        assert score == 0.0 and "not written yet" in out
