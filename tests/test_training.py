"""Delayed-recall data, the training loop, and what training with BPTT achieves (notebook 6).

The reference ``truncated_bptt`` and the catalogued mistakes come from tests/truncated_refs.py
(solutions live in tests/ only). The runs use notebook 6's settings: 1000 training sequences of
length 20, 4 symbols, delay 3, 16 state units, Adagrad(0.5), fixed seeds.
"""

import numpy as np
import pytest
from truncated_refs import (
    correct_nested,
    correct_one_pass,
    dw_with_current_state,
    tanh_derivative,
)

from bptt_helpers.tasks import chance, delayed_recall
from bptt_helpers.training import (
    SGD,
    Adagrad,
    evaluate,
    init_params,
    moving_average,
    predict,
    train,
)

S, D_DELAY, T, H = 4, 3, 20, 16
# "beats the V-only baseline by a clear margin": both of these at once
ACC_MARGIN = 0.4  # accuracy at least 40 points above the baseline's
LOSS_FACTOR = 0.5  # loss at most half the baseline's


# --- the task ------------------------------------------------------------------------------

def test_delayed_recall_targets_are_the_symbols_d_steps_back():
    xs, ys = delayed_recall(7, 12, n_symbols=5, delay=4, seed=3)
    assert xs.shape == (7, 12, 5) and ys.shape == (7, 12, 6)
    assert xs.dtype == np.float64 and ys.dtype == np.float64
    assert np.all(xs.sum(-1) == 1) and np.all(ys.sum(-1) == 1)
    sym, lab = xs.argmax(-1), ys.argmax(-1)
    assert np.all(lab[:, :4] == 5)  # blank before there is anything to recall
    assert np.array_equal(lab[:, 4:], sym[:, :-4])  # y_t = x_{t-d}


def test_delayed_recall_is_reproducible():
    a, b = delayed_recall(5, 10, seed=1), delayed_recall(5, 10, seed=1)
    c = delayed_recall(5, 10, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("T_, delay", [(3, 3), (2, 5), (10, 0), (10, 1.5)])
def test_delayed_recall_rejects_bad_sizes(T_, delay):
    with pytest.raises(ValueError):
        delayed_recall(2, T_, delay=delay)


def test_chance():
    acc, loss = chance(4)
    assert acc == 0.25 and loss == pytest.approx(np.log(4))


# --- the training loop ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def small():
    xs, ys = delayed_recall(30, 8, S, 2, seed=5)
    return xs, ys, init_params(S, 5, S + 1, seed=1)


def test_train_returns_new_params_and_history(small, capsys):
    xs, ys, p0 = small
    before = {n: p.copy() for n, p in p0.items()}
    params, history = train(p0, xs, ys, correct_one_pass, k=3, progress=False)
    assert all(np.array_equal(p0[n], before[n]) for n in p0)  # not modified
    assert all(params[n].shape == p0[n].shape and not np.array_equal(params[n], p0[n]) for n in p0)
    assert history["loss"].shape == (30,) and history["grad_norm"].shape == (30,)
    assert np.all(history["loss"] > 0) and np.all(history["grad_norm"] > 0)
    assert capsys.readouterr().err == ""  # no progress bar on stderr when disabled


def test_train_passes_k_and_uses_the_gradient_function(small):
    xs, ys, p0 = small
    seen = []

    def spy(xs_, ys_, U, V, W, k):
        seen.append((xs_.shape, ys_.shape, U.shape, V.shape, W.shape, k))
        return correct_one_pass(xs_, ys_, U, V, W, k)

    train(p0, xs, ys, spy, k=2, progress=False)
    assert seen == [((8, S), (8, S + 1), (5, S), (S + 1, 5), (5, 5), 2)] * 30


def test_sgd_step_and_clip_function(small):
    xs, ys, p0 = small
    calls = []

    def clip(grads):
        calls.append(len(grads))
        return [np.zeros_like(g) for g in grads]

    params, _ = train(p0, xs[:3], ys[:3], correct_one_pass, optimizer=SGD(1.0), clip=clip,
                      progress=False)
    assert calls == [3, 3, 3]
    assert all(np.array_equal(params[n], p0[n]) for n in p0)  # zero steps

    params, _ = train(p0, xs[:1], ys[:1], correct_one_pass, optimizer=SGD(0.1), progress=False)
    dU, dV, dW = correct_one_pass(xs[0], ys[0], p0["U"], p0["V"], p0["W"], None)
    assert np.allclose(params["W"], p0["W"] - 0.1 * dW) and np.allclose(params["U"], p0["U"] - 0.1 * dU)


def test_adagrad_first_step_has_size_lr():
    opt = Adagrad(0.3)
    new = opt.step({"W": np.zeros(3)}, {"W": np.array([2.0, -0.01, 5.0])})
    assert np.allclose(new["W"], [-0.3, 0.3, -0.3])


def test_trainable_freezes_the_others(small):
    xs, ys, p0 = small
    params, _ = train(p0, xs, ys, correct_one_pass, trainable=("V",), progress=False)
    assert np.array_equal(params["U"], p0["U"]) and np.array_equal(params["W"], p0["W"])
    assert not np.array_equal(params["V"], p0["V"])
    with pytest.raises(ValueError):
        train(p0, xs, ys, correct_one_pass, trainable=("X",), progress=False)


def test_non_finite_gradient_stops_training(small):
    xs, ys, p0 = small

    def bad(xs_, ys_, U, V, W, k):
        return np.full_like(U, np.nan), V * 0, W * 0

    with pytest.raises(FloatingPointError):
        train(p0, xs, ys, bad, progress=False)


def test_predict_and_evaluate_agree_with_the_model(small):
    from bptt_helpers.softmax_rnn import softmax_rnn_forward, softmax_rnn_loss

    xs, ys, p0 = small
    outs = predict(p0, xs)
    _, one = softmax_rnn_forward(xs[4], p0["U"], p0["V"], p0["W"])
    assert np.allclose(outs[4], one)
    loss, acc = evaluate(p0, xs, ys, skip=0)
    total = sum(softmax_rnn_loss(x, y, p0["U"], p0["V"], p0["W"]) for x, y in zip(xs, ys, strict=True))
    assert loss == pytest.approx(total / (30 * 8))
    assert acc == pytest.approx(np.mean(outs.argmax(-1) == ys.argmax(-1)))
    _, acc_scored = evaluate(p0, xs, ys, skip=2)
    assert acc_scored == pytest.approx(np.mean(outs[:, 2:].argmax(-1) == ys[:, 2:].argmax(-1)))


def test_moving_average():
    assert np.allclose(moving_average([1, 2, 3, 4], 2), [1.5, 2.5, 3.5])
    assert np.allclose(moving_average([1, 2], 10), [1.5])


# --- training learns what only working recurrent gradients can learn -------------------------

@pytest.fixture(scope="module")
def recall():
    xs, ys = delayed_recall(1000, T, S, D_DELAY, seed=1)
    test = delayed_recall(500, T, S, D_DELAY, seed=2)
    p0 = init_params(S, H, S + 1, seed=0)

    def run(grad_fn, k=None, trainable=("U", "V", "W")):
        params, _ = train(p0, xs, ys, grad_fn, k=k, optimizer=Adagrad(0.5), trainable=trainable,
                          progress=False)
        return evaluate(params, *test, skip=D_DELAY)

    return run, run(correct_one_pass, trainable=("V",))


def clearly_beats(result, baseline):
    (loss, acc), (base_loss, base_acc) = result, baseline
    return acc >= base_acc + ACC_MARGIN and loss <= LOSS_FACTOR * base_loss


def test_v_only_baseline_is_at_chance(recall):
    _, (loss, acc) = recall
    chance_acc, chance_loss = chance(S)
    assert abs(acc - chance_acc) < 0.05
    assert loss > chance_loss - 0.05  # it learns nothing about the symbol d steps back


@pytest.mark.parametrize("grad_fn", [correct_one_pass, correct_nested], ids=lambda f: f.__name__)
def test_correct_bptt_beats_the_v_only_baseline(recall, grad_fn):
    run, baseline = recall
    loss, acc = run(grad_fn)
    assert clearly_beats((loss, acc), baseline), (loss, acc, baseline)
    assert acc > 0.95


@pytest.mark.parametrize("mistake", [dw_with_current_state, tanh_derivative],
                         ids=lambda f: f.__name__)
def test_a_mistake_in_dU_dW_does_not_beat_the_baseline(recall, mistake):
    run, baseline = recall
    result = run(mistake)
    assert not clearly_beats(result, baseline), (result, baseline)


def test_window_must_reach_past_the_delay(recall):
    run, baseline = recall
    assert clearly_beats(run(correct_one_pass, k=D_DELAY + 1), baseline)
    assert not clearly_beats(run(correct_one_pass, k=D_DELAY), baseline)
    assert not clearly_beats(run(correct_one_pass, k=1), baseline)
