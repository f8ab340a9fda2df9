"""Notebook 8's helpers: the text, the stream, Adam, stream training under grading, sampling."""

import numpy as np
import pytest

from bptt_helpers import charlm, runtime
from bptt_helpers.text import (
    QUOTES,
    TRAIN_MODULES,
    UNKNOWN,
    VALID_MODULES,
    Vocabulary,
    batched_stream,
    chunks_per_epoch,
    quote_closings,
    stdlib_source,
    unigram_cross_entropy,
)
from bptt_helpers.training import Adam


def test_the_text_is_read_from_this_python():
    text, sizes = stdlib_source(TRAIN_MODULES)
    assert list(sizes) == list(TRAIN_MODULES) and sum(sizes.values()) == len(text) > 300_000
    assert "def " in text and "\t" not in text
    assert not set(TRAIN_MODULES) & set(VALID_MODULES), "validation text is never trained on"


def test_vocabulary_round_trip_and_rare_characters():
    vocab = Vocabulary("aab" * 20 + "é")  # é occurs once: below min_count
    ids = vocab.encode("abé?")
    assert vocab.decode(ids) == f"ab{UNKNOWN}{UNKNOWN}"
    assert len(vocab) == 3 and ids.dtype == np.int64


def test_stream_rows_continue_across_chunks():
    ids = np.arange(103)
    chunks = list(batched_stream(ids, n_rows=4, k=5))
    assert len(chunks) == chunks_per_epoch(len(ids), 4, 5) == 5  # tracks of 25 steps
    x = np.concatenate([c[0] for c in chunks], axis=1)  # (4, 25)
    y = np.concatenate([c[1] for c in chunks], axis=1)
    assert np.array_equal(x, np.arange(100).reshape(4, 25))
    assert np.array_equal(y, x + 1)
    with pytest.raises(ValueError):
        list(batched_stream(ids[:10], n_rows=4, k=5))


def test_unigram_cross_entropy():
    train, test = np.array([0, 0, 0, 1]), np.array([0, 1])
    p = np.array([4, 2, 1]) / 7  # counts plus one for each of 3 classes
    assert unigram_cross_entropy(train, test, 3) == pytest.approx(-np.mean(np.log(p[[0, 1]])))


def test_quote_closings_follow_pythons_tokenizer():
    text = 'x = "ab\'c"  # don\'t\ny = \'\'\ny = """doc"""\nz = f\'{x}\'\n'
    positions, kinds, distances = quote_closings(text)
    assert [text[i] for i in positions] == ['"', "'", "'"]
    assert list(kinds) == [QUOTES.index('"'), QUOTES.index("'"), QUOTES.index("'")]
    assert list(distances) == [5, 1, 4]


def test_adam_first_step_has_size_lr():
    opt = Adam(0.1)
    new = opt.step({"w": np.zeros(3)}, {"w": np.array([2.0, -1e-3, 0.0])})
    assert np.allclose(new["w"], [-0.1, 0.1, 0.0], atol=1e-6)


def _toy_chunk_gradient(params, inputs, targets, carried):
    # A model with no recurrence: loss (c - 1)^2, gradient 2 (c - 1); states pass through.
    return float(np.sum((params["c"] - 1) ** 2)), {n: (2 * (p - 1) if n == "c" else 0 * p)
                                                   for n, p in params.items()}, carried


def test_training_does_a_fixed_small_amount_of_work_under_grading(monkeypatch):
    params = charlm.init_char_model(5, 2, [3], seed=0)
    ids = np.random.default_rng(0).integers(0, 5, 2000)
    kwargs = dict(n_rows=4, k=5, epochs=2, progress=False)
    _, full = charlm.train_on_stream(params, _toy_chunk_gradient, ids, optimizer=Adam(0.01), **kwargs)
    assert len(full["loss"]) == 2 * chunks_per_epoch(len(ids), 4, 5)
    assert full["loss"][-1] < full["loss"][0]
    monkeypatch.setenv("BPTT_GRADING", "1")
    _, graded = charlm.train_on_stream(params, _toy_chunk_gradient, ids, optimizer=Adam(0.01), **kwargs)
    assert len(graded["loss"]) == runtime.CHUNKS_WHEN_GRADING
    assert np.array_equal(graded["loss"], full["loss"][:runtime.CHUNKS_WHEN_GRADING])


def _unigram_forward(params, inputs, carried):
    # Logits that ignore the input: c at every step.
    return np.broadcast_to(params["c"], (*inputs.shape, params["c"].size)).copy(), carried


def test_stream_predictions_line_up_with_the_text():
    params = {"c": np.log(np.array([0.5, 0.25, 0.25])), "W1": np.zeros((2, 2)), "U1": np.zeros((2, 1))}
    ids = np.array([0, 1, 2, 0, 0, 1, 2, 2, 1, 0, 1])
    logp, positions, probs_at = charlm.stream_predictions(_unigram_forward, params, ids,
                                                          at=[0, 2, 6], n_rows=2, k=2)
    assert np.allclose(logp, np.log(np.array([0.5, 0.25, 0.25])[ids[positions]]))
    assert 0 not in positions and 5 not in positions  # each track's first character
    assert np.isnan(probs_at[0]).all() and np.allclose(probs_at[1:], [[0.5, 0.25, 0.25]] * 2)


def test_sampling_temperature():
    vocab = Vocabulary("ab" * 50)  # ids: \x00, a, b
    params = {"c": np.array([-50.0, 1.0, 0.0]), "W1": np.zeros((2, 2)), "U1": np.zeros((2, 1))}
    cold = charlm.sample(_unigram_forward, params, vocab, "a", 200, temperature=0.01, seed=0)
    warm = charlm.sample(_unigram_forward, params, vocab, "a", 2000, temperature=1.0, seed=0)
    assert cold == "a" * 201
    assert warm.count("b") / 2000 == pytest.approx(1 / (1 + np.e), abs=0.03)
    with pytest.raises(ValueError):
        charlm.sample(_unigram_forward, params, vocab, "a", 5, temperature=0)
