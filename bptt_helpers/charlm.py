"""A character-level language model around your recurrent layers (notebook 8): all but the gradients.

The model reads character ids, looks up an embedding ``E`` (C, D), runs a stack of recurrent
layers (your ``rnn_layer_forward``) and predicts the next character with a softmax over
``states @ V^\\top + c``. Parameters travel as a dict: ``"E"`` (C, D); ``"U1"``, ``"W1"``, ``"b1"``
for layer 1 (the bottom one), ``"U2"``, ... for layer 2; ``"V"`` (C, H_L), ``"c"`` (C,).

The notebook writes the model's forward pass and its gradient; this module trains it over a
stream with a gradient function passed in (:func:`train_on_stream`), measures it
(:func:`stream_predictions`) and samples from it (:func:`sample`). Under the course's grading
training and measuring do a small fixed amount of work, so that graded notebooks stay cheap.
"""

import numpy as np

from .runtime import CHARS_WHEN_GRADING, CHUNKS_WHEN_GRADING, under_grading
from .softmax_rnn import softmax
from .text import batched_stream, chunks_per_epoch


def n_layers(params):
    """How many recurrent layers a parameter dict has (``"U1"``, ``"U2"``, ...)."""
    return sum(1 for name in params if name.startswith("U"))


def init_char_model(n_chars, n_embed, hidden_sizes, *, seed=0, sigma_w=0.9, unigram=None):
    """Random starting parameters.

    Parameters
    ----------
    n_chars, n_embed : int
        ``C`` (vocabulary size) and ``D`` (embedding size).
    hidden_sizes : sequence of int
        ``H_1, ..., H_L``, one per layer, bottom first.
    seed : int
    sigma_w : float
        Largest singular value of every ``W`` at the start (below 1: states neither explode
        nor saturate at first).
    unigram : ndarray, shape (C,), optional
        Character frequencies; ``c`` starts at their logarithm, so that the untrained model
        (with ``V`` near 0) predicts the unigram distribution.

    Returns
    -------
    dict
    """
    rng = np.random.default_rng(seed)
    params = {"E": 0.1 * rng.standard_normal((n_chars, n_embed))}
    below = n_embed
    for layer, H in enumerate(hidden_sizes, start=1):
        W = rng.standard_normal((H, H))
        params[f"U{layer}"] = rng.standard_normal((H, below)) / np.sqrt(below)
        params[f"W{layer}"] = W * (sigma_w / np.linalg.norm(W, 2))
        params[f"b{layer}"] = np.zeros(H)
        below = H
    params["V"] = 0.01 * rng.standard_normal((n_chars, below))
    params["c"] = np.zeros(n_chars) if unigram is None else np.log(np.asarray(unigram) + 1e-12)
    return params


def zero_states(params, n_rows):
    """The carried states of a fresh stream: one ``(N, H_l)`` array of zeros per layer."""
    return [np.zeros((n_rows, params[f"W{layer}"].shape[0]))
            for layer in range(1, n_layers(params) + 1)]


def global_norm(grads):
    """``sqrt`` of the sum of squares of every entry of every array in a dict."""
    return float(np.sqrt(sum(float(np.sum(np.square(g))) for g in grads.values())))


def train_on_stream(params, chunk_gradient, ids, *, n_rows, k, epochs, optimizer, clip=None,
                    reset=0.02, seed=0, progress=True, desc="training"):
    """Truncated BPTT over a stream: one update per chunk of ``k`` steps, states carried over.

    Parameters
    ----------
    params : dict
        Not modified.
    chunk_gradient : callable
        ``chunk_gradient(params, inputs, targets, carried) -> (loss, grads, carried)``:
        ``inputs`` and ``targets`` (N, k) ids, ``carried`` a list of ``(N, H_l)`` states
        (the last states of the chunk before); ``loss`` the mean cross-entropy per character,
        ``grads`` a dict with the keys of ``params``, and the chunk's last states.
    ids : ndarray of int, shape (L,)
        The training stream, cut by :func:`batched_stream` into ``n_rows`` tracks.
    n_rows, k : int
        Batch size ``N`` and truncation length (steps per chunk).
    epochs : float
        Passes over the stream (``1.5`` stops half-way through the second).
    optimizer : object
        ``step(params, grads) -> new params`` (dicts), e.g. ``training.Adam``.
    clip : callable, optional
        ``clip(list of arrays) -> list of arrays``, e.g. ``lambda g: clip_grad_norm(g, 1.0)``.
    reset : float
        Each row's carried state is set to zero after a chunk with this probability (and
        at the start of every epoch): the model then also learns to start from a blank state,
        as it must when it samples or is measured from the start of a text.
    seed : int
    progress : bool
        Show a ``tqdm.auto`` progress bar (a widget in Jupyter).
    desc : str

    Returns
    -------
    params : dict
        The trained parameters (new arrays).
    history : dict
        ``"loss"`` (U,): each chunk's loss per character before its update; ``"grad_norm"``
        (U,): the global gradient norm before clipping; ``"epoch"`` (U,): the epoch of each
        update, as a fraction (``0.5`` is half-way through the first).
    """
    from tqdm.auto import tqdm  # a widget in notebooks; plain tqdm would write to stderr

    rng = np.random.default_rng(seed)
    params = {n: np.array(p, dtype=np.float64) for n, p in params.items()}  # copies
    per_epoch = chunks_per_epoch(len(ids), n_rows, k)
    total = int(round(epochs * per_epoch))
    if under_grading():  # the graded notebook shows the same cells, trained briefly (runtime.py)
        total = min(total, CHUNKS_WHEN_GRADING)
    losses, norms = np.zeros(total), np.zeros(total)
    names = list(params)
    done = 0
    with tqdm(total=total, desc=desc, disable=not progress, leave=False, mininterval=0.5) as bar:
        while done < total:
            carried = zero_states(params, n_rows)
            for inputs, targets in batched_stream(ids, n_rows, k):
                loss, grads, carried = chunk_gradient(params, inputs, targets, carried)
                losses[done], norms[done] = loss, global_norm(grads)
                if not np.isfinite(norms[done]):
                    raise FloatingPointError(f"the gradient at update {done} is not finite")
                if clip is not None:
                    grads = dict(zip(names, clip([grads[n] for n in names]), strict=True))
                params.update(optimizer.step(params, grads))
                keep = (rng.random(n_rows) >= reset)[:, None]  # (N, 1)
                carried = [s * keep for s in carried]
                done += 1
                bar.update(1)
                if done == total:
                    break
    epoch = np.arange(1, total + 1) / per_epoch
    return params, {"loss": losses, "grad_norm": norms, "epoch": epoch}


def stream_predictions(forward, params, ids, *, at=(), n_rows=50, k=500):
    """Run a model over a text from blank states; log-probability of every next character.

    Parameters
    ----------
    forward : callable
        ``forward(params, inputs, carried) -> (logits, carried)`` with ``inputs`` (N, T) ids
        and ``logits`` (N, T, C).
    params : dict
    ids : ndarray of int, shape (L,)
        The text; under grading only its first ``runtime.CHARS_WHEN_GRADING`` characters.
    at : sequence of int
        Positions ``i`` of ``ids`` whose full predicted distribution (of ``ids[i]``, from
        ``ids[:i]``) to return as well.
    n_rows, k : int
        The text is cut into ``n_rows`` tracks run side by side, ``k`` steps per call.

    Returns
    -------
    logp : ndarray, shape (M,)
        ``log p(ids[i] | ids[:i])`` for the ``M`` predicted positions ``i`` (each track's
        first character is not predicted).
    positions : ndarray of int, shape (M,)
        The ``i`` of each entry of ``logp``.
    probs_at : ndarray, shape (len(at), C)
        The distribution at each position of ``at`` (rows of NaN where it was not predicted).
    """
    ids = np.asarray(ids)
    if under_grading():
        ids = ids[:CHARS_WHEN_GRADING]
    n_rows = max(1, min(n_rows, (len(ids) - 1) // 2))
    track = len(ids) // n_rows
    x = ids[:n_rows * track].reshape(n_rows, track)
    carried = zero_states(params, n_rows)
    logits = []
    for start in range(0, track - 1, k):
        out, carried = forward(params, x[:, start:min(start + k, track - 1)], carried)
        logits.append(out)
    probs = softmax(np.concatenate(logits, axis=1))  # (N, track-1, C): predicts x[:, 1:]
    positions = (np.arange(n_rows)[:, None] * track + np.arange(1, track)[None, :])
    logp = np.log(np.take_along_axis(probs, x[:, 1:, None], axis=-1)[..., 0])
    probs_at = np.full((len(at), probs.shape[-1]), np.nan)
    for j, i in enumerate(at):
        row, step = divmod(int(i), track)
        if row < n_rows and step >= 1:
            probs_at[j] = probs[row, step - 1]
    return logp.ravel(), positions.ravel(), probs_at


def sample(forward, params, vocab, prompt, length, *, temperature=1.0, seed=0):
    """Text drawn from the model, one character at a time, after a prompt.

    The next character is drawn from ``softmax(logits / temperature)``: a temperature below 1
    sharpens the distribution (safer, more repetitive text), above 1 flattens it.

    Parameters
    ----------
    forward : callable
        As for :func:`stream_predictions`.
    params : dict
    vocab : text.Vocabulary
    prompt : str
        At least one character; read first, from blank states.
    length : int
        Characters to draw.
    temperature : float
        Positive.
    seed : int

    Returns
    -------
    str
        The prompt followed by the drawn characters.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    rng = np.random.default_rng(seed)
    logits, carried = forward(params, vocab.encode(prompt)[None, :], zero_states(params, 1))
    drawn = []
    for _ in range(length):
        p = softmax(logits[0, -1] / temperature)
        drawn.append(int(rng.choice(p.size, p=p / p.sum())))
        logits, carried = forward(params, np.array([[drawn[-1]]]), carried)
    return prompt + vocab.decode(drawn)
