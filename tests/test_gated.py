"""Notebook 9's checks: correct variants pass, the catalogued LSTM mistakes fail with their hint."""

import io
from contextlib import redirect_stdout

import numpy as np
import pytest
from variants import gated as V

from autograde import check_gru_step_backward, check_lstm_backward, check_lstm_step_backward
from autograde.checks import gated as G
from autograde.checks.judge import normalise_outputs
from autograde.checks.layer_judge import compare
from autograde.checks.limits import case_limit
from autograde.checks.normalize import Rejected
from autograde.registry import GRADED
from bptt_helpers.numgrad import TOLERANCE

CHECKS = {"lstm_step_backward": check_lstm_step_backward, "lstm_backward": check_lstm_backward,
          "gru_step_backward": check_gru_step_backward}
BUILDERS = {"lstm_step_backward": G.lstm_step_backward_cases,
            "lstm_backward": G.lstm_backward_cases,
            "gru_step_backward": G.gru_step_backward_cases}
STEP_FUNCTIONS = ("lstm_step_backward", "gru_step_backward")
STEP_FD = {"lstm_step_backward": V.step_finite_differences,
           "gru_step_backward": V.gru_finite_differences}
SLOWEST_STEP = {"lstm_step_backward": V.step_per_gate, "gru_step_backward": V.gru_right}
VARIANTS = ([("lstm_step_backward", f) for f in V.STEP] + [("lstm_backward", f) for f in V.SEQ]
            + [("gru_step_backward", f) for f in V.GRU])


def run(function, fn, **kw):
    buf = io.StringIO()
    with redirect_stdout(buf):
        score = CHECKS[function](fn, **kw)
    return score, buf.getvalue()


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("item", VARIANTS, ids=lambda item: item[1].__name__)
def test_correct_variant_scores_one(item, hidden, capsys):
    function, fn = item
    score = CHECKS[function](fn, hidden=hidden)
    out = capsys.readouterr()
    assert type(score) is float and score == 1.0, out.out
    assert "cases passed" in out.out and out.err == ""


def test_registry_decides_like_the_checks():
    for function, build in BUILDERS.items():
        assert GRADED[function].build is build
    with redirect_stdout(io.StringIO()):
        assert GRADED["lstm_backward"].check(V.seq_right) == 1.0


def test_cases_cover_the_regime():
    for function, build in BUILDERS.items():
        cases = build()
        labels = " | ".join(c.label for c in cases)
        assert "N=1," in labels and "N=3," in labels, function
        assert "saturated gates" in labels and "unsaturated gates" in labels, function
        assert "≠ 0" in labels and "= 0" in labels, function
        assert len(build(hidden=True)) > len(cases)
    seq = " | ".join(c.label for c in G.lstm_backward_cases())
    assert "T=1," in seq and "T=16," in seq and "large:" in seq and "dhs[:, 0] ≠ 0" in seq
    for function in STEP_FUNCTIONS:  # one large step, last, visible and hidden
        for hidden in (False, True):
            cases = BUILDERS[function](hidden=hidden)
            assert [c.long_steps for c in cases] == [0] * (len(cases) - 1) + [1], function
            N, D, H = G.STEP_LARGE
            assert cases[-1].label.startswith(f"large: N={N},") and f"D={D}, H={H}" in \
                cases[-1].label


def test_case_args_are_plain_data():
    """The trusted step passes only arrays, numbers, None and lists of these."""
    from autograde.grading.replies import _encode_arg

    for build in BUILDERS.values():
        for case in build():
            for i, a in enumerate(case.args):
                _encode_arg(a, {}, f"a{i}")


@pytest.mark.parametrize("m", V.GATED_MISTAKES, ids=lambda m: m.name)
def test_mistake_is_rejected_with_its_hint(m):
    score, out = run(m.function, m.fn)
    assert type(score) is float and score < 1.0
    for text in m.expect:
        assert text in out, f"{text!r} missing from:\n{out}"


@pytest.mark.parametrize("m", V.GATED_MISTAKES, ids=lambda m: m.name)
def test_mistake_is_far_from_the_reference_on_a_visible_case(m):
    """Every catalogued mistake is 100x the tolerance off on some visible case."""
    worst = 0.0
    for case in BUILDERS[m.function]():
        try:
            errors = compare(case, normalise_outputs(case, m.fn(*case.args)))
        except Rejected:  # pragma: no cover
            continue
        worst = max(worst, max(errors.values()))
    assert worst >= 100 * TOLERANCE


def test_catalogue_covers_the_issue():
    """The issue's five classic mistakes, in the step function and through time."""
    for key in ("forget_ct", "no_tanh_prime", "o_from_c", "o_prime_from_h", "no_gate_prime"):
        assert key in V.STEP_EXPECT and key in V.SEQ_EXPECT
    assert "no_carry" in V.SEQ_EXPECT and "step_no_dc" in V.STEP_EXPECT


def test_feedback_names_step_row_and_gate():
    case = G.lstm_backward_cases()[0]  # T = 1: one step, the gate is exact
    with redirect_stdout(io.StringIO()):
        _, lines = GRADED["lstm_backward"].judge(case, _outcome(
            V.seq_bwd(*case.args, mistake="forget_ct")))
    text = "\n".join(lines)
    assert "t=1, batch row 0" in text
    assert "the gate whose gradient is off: forget gate f (rows 2:4)" in text
    assert "right: input gate i, candidate g, output gate o" in text


def test_feedback_names_the_batch_row_of_a_step():
    case = G.lstm_step_backward_cases()[3]  # N = 4

    def last_row_wrong(dh, dc, cache):
        out = list(V.step_right(dh, dc, cache))
        out[1] = out[1].copy()
        out[1][3] *= 2
        return tuple(out)

    _, lines = GRADED["lstm_step_backward"].judge(case, _outcome(last_row_wrong(*case.args)))
    assert "dh_prev is wrong in batch rows 3" in "\n".join(lines)


def _outcome(value):
    from autograde.checks.safe_call import Outcome

    return Outcome(value=value)


def test_large_case_stops_finite_differences_and_is_easy_for_honest_code():
    import time

    case = [c for c in G.lstm_backward_cases() if c.long_steps][0]
    t0 = time.process_time()  # its cost: CPU time, not the machine's load (one BLAS thread)
    V.seq_with_per_gate_step(*case.args)  # the slowest correct variant: loops over examples
    assert time.process_time() - t0 < 0.25 * case_limit(case)
    # finite differences need two forward passes per entry of every gradient the function
    # returns (dxs, dh0, dc0, dU, dW, db): 2 x 8,160 entries of the visible large case
    entries = sum(int(np.prod(out.shape)) for out in case.outputs)
    assert 2 * entries * case.ref_seconds > 20 * case_limit(case)


def test_finite_difference_attack_is_stopped_on_the_large_case():
    """Right on every small case, past the time limit on the large one: no grade at all."""
    import re

    score, out = run("lstm_backward", V.seq_finite_differences)
    assert "ok   case 1 (" in out, out  # right values where finite differences can finish
    assert score == 0.0, out
    # stopped on the large case; a loaded machine stops it on two middle cases first (2 s each),
    # and then the large case is not run (seen in CI beside the graded demo): no grade either way
    stopped_large = re.search(r"FAIL case \d+ \(large:[^\n]*\n\s+stopped after", out)
    stopped_before = re.search(r"FAIL case \d+ \(large:[^\n]*: not run: your function already "
                               r"ran past its time limit", out)
    assert stopped_large and "not backpropagation" in out or stopped_before, out


def _large(function, hidden=False, seed=0):
    return [c for c in BUILDERS[function](hidden=hidden, seed=seed) if c.long_steps][-1]


@pytest.mark.parametrize("function", STEP_FUNCTIONS)
def test_large_step_stops_finite_differences_and_is_easy_for_honest_code(function):
    import time

    case = _large(function)
    assert case.info["directions"] and case.limit_factor is None  # 100x one step, at least 2 s
    t0 = time.process_time()  # its cost: CPU time, not the machine's load (one BLAS thread)
    SLOWEST_STEP[function](*case.args)  # loops over the batch
    assert time.process_time() - t0 < 0.1 * case_limit(case)
    # finite differences need two forward steps per entry of every input and weight
    entries = sum(int(np.prod(o.shape)) for o in case.outputs)
    assert entries > 3e5 and 2 * entries * case.ref_seconds > 20 * case_limit(case)


@pytest.mark.parametrize("function", STEP_FUNCTIONS)
def test_finite_difference_attack_is_stopped_on_the_large_step(function):
    """Attack a1: right on every small case, past the time limit on the large step: score 0."""
    import re

    score, out = run(function, STEP_FD[function])
    assert "ok   case 1 (" in out, out  # right values where finite differences can finish
    assert re.search(r"FAIL case \d+ \(large:[^\n]*\n\s+stopped after [^\n]* on one large "
                     r"step", out), out
    assert "not backpropagation" in out and score == 0.0


@pytest.mark.parametrize("function", STEP_FUNCTIONS)
def test_small_cases_right_and_the_large_step_given_up_earn_nothing(function):
    honest = SLOWEST_STEP[function]

    def gives_up_when_large(*args):  # attack 01 on one step: raise where the limit would bite
        if args[0].shape[1] > 100:
            raise ValueError("too large")
        return honest(*args)

    score, out = run(function, gives_up_when_large)
    n = len(BUILDERS[function]())
    assert f"{n - 1} of {n} cases passed" in out and score == 0.0
    assert f"the large case (case {n}, one step with too many weights" in out


def test_large_reference_is_accurate():
    right = {"lstm_backward": V.seq_right, "lstm_step_backward": V.step_right,
             "gru_step_backward": V.gru_right}
    for function, fn in right.items():
        for hidden in (False, True):
            for case in [c for c in BUILDERS[function](hidden=hidden) if c.info.get("directions")]:
                errors = compare(case, normalise_outputs(case, fn(*case.args)))
                assert max(errors.values()) < TOLERANCE / 100, (function, errors)


def test_large_step_comes_from_the_seed_and_catches_every_step_mistake():
    for function in STEP_FUNCTIONS:
        a, b = _large(function, True, 0), _large(function, True, 1)
        assert not np.array_equal(a.args[0], b.args[0])
        assert not np.array_equal(a.info["directions"]["dW"], b.info["directions"]["dW"])
    for m in [m for m in V.GATED_MISTAKES if m.function in STEP_FUNCTIONS]:
        case = _large(m.function)
        errors = compare(case, normalise_outputs(case, m.fn(*case.args)))
        assert max(errors.values()) >= 100 * TOLERANCE, m.name


def test_an_unwritten_function_scores_zero():
    def stub(*args):
        raise NotImplementedError()

    for function in CHECKS:
        score, out = run(function, stub)
        assert score == 0.0 and "not written yet" in out


def test_wrong_db_shape_explains_the_fused_blocks():
    def one_block(dh, dc, cache):
        out = list(V.step_right(dh, dc, cache))
        out[5] = out[5][: dh.shape[1]]
        return tuple(out)

    score, out = run("lstm_step_backward", one_block)
    assert score == 0.0 and "one block of H rows per gate" in out
