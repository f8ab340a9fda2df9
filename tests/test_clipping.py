"""The clipping checks accept correct versions and reject plausible mistakes with the right feedback."""

import numpy as np
import pytest

from autograde.checks.clipping import (
    check_clip_grad_norm,
    check_clip_grad_value,
    clip_grad_norm_cases,
    clip_grad_value_cases,
    global_norm,
)

# --- clip_grad_norm: correct versions ------------------------------------------------------


def norm_loop(grads, max_norm):
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    if total > max_norm:
        return [g * (max_norm / total) for g in grads]
    return [g.copy() for g in grads]


def norm_concat(grads, max_norm):
    total = np.linalg.norm(np.concatenate([g.ravel() for g in grads]))
    scale = max_norm / total if total > max_norm else 1.0
    return [np.array(g) * scale for g in grads]


def norm_of_norms(grads, max_norm):
    total = np.linalg.norm([np.linalg.norm(g) for g in grads])
    out = [g.copy() for g in grads]
    if total > max_norm:
        for o in out:
            o *= max_norm / total  # in place, on copies: fine
    return tuple(out)


def norm_min_scale(grads, max_norm):
    total = float(np.sqrt(sum(np.vdot(g, g) for g in grads)))
    scale = min(1.0, max_norm / total) if total > 0 else 1.0
    return [scale * g for g in grads]


NORM_CORRECT = [norm_loop, norm_concat, norm_of_norms, norm_min_scale]

# --- clip_grad_norm: mistakes, each with the feedback it must get -----------------------------


def norm_per_array(grads, max_norm):
    out = []
    for g in grads:
        n = np.linalg.norm(g)
        out.append(g * (max_norm / n) if n > max_norm else g.copy())
    return out


def norm_always_scale(grads, max_norm):
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g * (max_norm / total) for g in grads]


def norm_in_place(grads, max_norm):
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return grads


def norm_sum_of_norms(grads, max_norm):
    total = sum(np.linalg.norm(g) for g in grads)
    return [g * (max_norm / total) if total > max_norm else g.copy() for g in grads]


def norm_max_abs(grads, max_norm):
    total = max(np.max(np.abs(g)) for g in grads)
    return [g * (max_norm / total) if total > max_norm else g.copy() for g in grads]


def norm_squared(grads, max_norm):
    total = sum(np.sum(g**2) for g in grads)
    return [g * (max_norm / total) if total > max_norm else g.copy() for g in grads]


def norm_epsilon(grads, max_norm):  # PyTorch's formula
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    scale = min(1.0, max_norm / (total + 1e-6))
    return [g * scale for g in grads]


def norm_returns_inputs(grads, max_norm):
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    if total > max_norm:
        return [g * (max_norm / total) for g in grads]
    return grads


def norm_zero_nan(grads, max_norm):
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g / total * min(total, max_norm) for g in grads]


def norm_upside_down(grads, max_norm):
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g * (total / max_norm) if total > max_norm else g.copy() for g in grads]


def norm_elementwise(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads]


def norm_concatenated(grads, max_norm):
    flat = np.concatenate([g.ravel() for g in grads])
    total = np.linalg.norm(flat)
    return flat * min(1.0, max_norm / total) if total > 0 else flat


def norm_forgot_return(grads, max_norm):
    [g * 1.0 for g in grads]


NORM_MISTAKES = [
    (norm_per_array, "each array by its own norm"),
    (norm_always_scale, "although total"),
    (norm_in_place, "in place"),
    (norm_sum_of_norms, "sum of the arrays' norms"),
    (norm_max_abs, "largest absolute entry"),
    (norm_squared, "squared global norm"),
    (norm_epsilon, "no epsilon"),
    (norm_returns_inputs, "the input array itself"),
    (norm_zero_nan, "global norm is 0"),
    (norm_upside_down, "upside down"),
    (norm_elementwise, "element-wise clipping"),
    (norm_concatenated, "one array per gradient"),
    (norm_forgot_return, "returned None"),
]

# --- clip_grad_value ---------------------------------------------------------------------------


def value_np_clip(grads, clip_value):
    return [np.clip(g, -clip_value, clip_value) for g in grads]


def value_min_max(grads, clip_value):
    return [np.minimum(np.maximum(g, -clip_value), clip_value) for g in grads]


def value_where(grads, clip_value):
    return [np.where(np.abs(g) > clip_value, np.sign(g) * clip_value, g) for g in grads]


def value_copy_then_in_place(grads, clip_value):
    out = [g.copy() for g in grads]
    for o in out:
        np.clip(o, -clip_value, clip_value, out=o)
    return out


VALUE_CORRECT = [value_np_clip, value_min_max, value_where, value_copy_then_in_place]


def value_only_above(grads, clip_value):
    return [np.minimum(g, clip_value) for g in grads]


def value_abs(grads, clip_value):
    return [np.minimum(np.abs(g), clip_value) for g in grads]


def value_zero_to_c(grads, clip_value):
    return [np.clip(g, 0.0, clip_value) for g in grads]


def value_outside_to_zero(grads, clip_value):
    return [np.where(np.abs(g) > clip_value, 0.0, g) for g in grads]


def value_rescale(grads, clip_value):
    big = max(np.max(np.abs(g)) for g in grads)
    return [g * min(1.0, clip_value / big) for g in grads]


def value_in_place(grads, clip_value):
    for g in grads:
        np.clip(g, -clip_value, clip_value, out=g)
    return grads


def value_norm_clip(grads, clip_value):
    return norm_loop(grads, clip_value)


def value_returns_inputs(grads, clip_value):
    return [np.clip(g, -clip_value, clip_value) if np.any(np.abs(g) > clip_value) else g
            for g in grads]


VALUE_MISTAKES = [
    (value_only_above, "only from above"),
    (value_abs, "signs are lost"),
    (value_zero_to_c, "not [0, clip_value]"),
    (value_outside_to_zero, "not 0"),
    (value_rescale, "largest entry is clip_value"),
    (value_in_place, "in place"),
    (value_norm_clip, "global-norm clipping"),
    (value_returns_inputs, "the input array itself"),
]


# --- the tests ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", NORM_CORRECT, ids=lambda f: f.__name__)
@pytest.mark.parametrize("hidden", [False, True])
def test_clip_grad_norm_accepts_correct(fn, hidden, capsys):
    assert check_clip_grad_norm(fn, hidden=hidden) == 1.0
    assert check_clip_grad_norm(fn, hidden=hidden, seed=7) == 1.0
    assert "all" in capsys.readouterr().out


@pytest.mark.parametrize("fn", VALUE_CORRECT, ids=lambda f: f.__name__)
@pytest.mark.parametrize("hidden", [False, True])
def test_clip_grad_value_accepts_correct(fn, hidden):
    assert check_clip_grad_value(fn, hidden=hidden) == 1.0
    assert check_clip_grad_value(fn, hidden=hidden, seed=7) == 1.0


@pytest.mark.parametrize("fn,feedback", NORM_MISTAKES, ids=lambda x: getattr(x, "__name__", ""))
def test_clip_grad_norm_rejects_mistake(fn, feedback, capsys):
    score = check_clip_grad_norm(fn)
    out = capsys.readouterr()
    assert score < 1.0 and isinstance(score, float)
    assert feedback in out.out
    assert out.err == ""
    assert check_clip_grad_norm(fn, hidden=True) < 1.0


@pytest.mark.parametrize("fn,feedback", VALUE_MISTAKES, ids=lambda x: getattr(x, "__name__", ""))
def test_clip_grad_value_rejects_mistake(fn, feedback, capsys):
    score = check_clip_grad_value(fn)
    out = capsys.readouterr()
    assert score < 1.0 and isinstance(score, float)
    assert feedback in out.out
    assert out.err == ""
    assert check_clip_grad_value(fn, hidden=True) < 1.0


def test_hidden_cases_are_a_superset():
    for build in (clip_grad_norm_cases, clip_grad_value_cases):
        visible, hidden = build(False), build(True)
        assert len(hidden) > len(visible)
        for v, h in zip(visible, hidden, strict=False):
            assert v.label == h.label
            assert all(np.array_equal(a, b) for a, b in zip(v.info["grads"], h.info["grads"], strict=True))


def test_norm_cases_cover_each_regime():
    """Above, below and exactly at the threshold, and zero gradients, among the visible cases."""
    cases = clip_grad_norm_cases()
    totals = [(global_norm(c.info["grads"]), c.info["threshold"]) for c in cases]
    assert any(t > m for t, m in totals)
    assert any(0 < t < m for t, m in totals)
    assert any(t == m for t, m in totals)
    assert any(t == 0 for t, m in totals)


def test_not_callable_and_exceptions(capsys):
    assert check_clip_grad_norm(None) == 0.0
    assert "expected a function" in capsys.readouterr().out

    def raises(grads, max_norm):
        raise NotImplementedError()

    assert check_clip_grad_value(raises) == 0.0
    assert "NotImplementedError" in capsys.readouterr().out


def test_endless_loop_is_stopped(capsys):
    def endless(grads, clip_value):
        while clip_value == 0.1:  # only the all-zero case: one 2-second limit, not four
            pass
        return value_np_clip(grads, clip_value)

    assert check_clip_grad_value(endless) == 0.75
    assert "endless loop" in capsys.readouterr().out


def test_score_is_a_fraction():
    def wrong_only_when_nothing_to_clip(grads, max_norm):
        return norm_always_scale(grads, max_norm) if global_norm(grads) > 0 else norm_loop(
            grads, max_norm)

    score = check_clip_grad_norm(wrong_only_when_nothing_to_clip)
    assert type(score) is float and 0.0 < score < 1.0


@pytest.mark.parametrize("check", [check_clip_grad_norm, check_clip_grad_value])
@pytest.mark.parametrize("hidden", [False, True])
def test_returning_the_inputs_unchanged_scores_zero(check, hidden, capsys):
    # Attack review F4: a function that clips nothing passed every "nothing to clip" case
    # (1.15 of notebook 5's 5 points). Those cases count only once a case that needs clipping
    # passes.
    score = check(lambda grads, threshold: [np.array(g) for g in grads], hidden=hidden)
    assert score == 0.0 and "returning its inputs unchanged" in capsys.readouterr().out
