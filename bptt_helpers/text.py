"""Real text for notebook 8: Python's own standard library, read from this machine at run time.

Every Python installation ships the source of its standard library (``sysconfig``'s ``stdlib``
folder), so the course needs no download and no data file. The text is the source code of a
fixed list of pure-Python modules, docstrings and comments included; which files and how many
characters are printed by the notebook (they differ a little between Python versions).

Characters become integer ids with :class:`Vocabulary`; :func:`batched_stream` cuts the id
stream into ``N`` parallel tracks and yields chunks of ``k`` steps, so that row ``n`` of a chunk
continues row ``n`` of the chunk before (the state can be carried across chunks).
"""

import io
import sysconfig
import tokenize
from pathlib import Path

import numpy as np

TRAIN_MODULES = ("argparse", "configparser", "dataclasses", "functools", "fractions", "pprint",
                 "statistics", "textwrap", "string", "shlex", "calendar", "contextlib")
VALID_MODULES = ("random", "shutil", "smtplib", "codecs", "csv")
UNKNOWN = "\x00"  # stands for any character the training text does not contain
QUOTES = "\"'"


def stdlib_folder():
    """The folder of this Python's standard library (``sysconfig.get_paths()["stdlib"]``)."""
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_source(modules):
    """The source code of some standard-library modules, concatenated.

    Parameters
    ----------
    modules : sequence of str
        Module names whose source is ``<stdlib>/<name>.py``, e.g. ``("argparse", "heapq")``.

    Returns
    -------
    text : str
        The files' contents in the order given, each ending with a newline; tabs become four
        spaces.
    sizes : dict
        ``{name: number of characters}``.
    """
    parts, sizes = [], {}
    for name in modules:
        text = (stdlib_folder() / f"{name}.py").read_text(encoding="utf-8").replace("\t", "    ")
        parts.append(text if text.endswith("\n") else text + "\n")
        sizes[name] = len(parts[-1])
    return "".join(parts), sizes


class Vocabulary:
    """The characters of a text, numbered ``0 .. C-1`` in sorted order.

    Parameters
    ----------
    text : str
        The training text.
    min_count : int
        Characters that occur fewer times in ``text`` (a few accented letters, symbols in
        docstrings), and characters met later that ``text`` lacks, all map to :data:`UNKNOWN`.
    """

    def __init__(self, text, min_count=20):
        counts = {}
        for c in text:
            counts[c] = counts.get(c, 0) + 1
        self.chars = sorted({c for c, n in counts.items() if n >= min_count} | {UNKNOWN})
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """Ids of the characters, ndarray of int, shape (len(text),)."""
        unknown = self.index[UNKNOWN]
        return np.array([self.index.get(c, unknown) for c in text], dtype=np.int64)

    def decode(self, ids):
        """The text of a sequence of ids."""
        return "".join(self.chars[int(i)] for i in ids)


def batched_stream(ids, n_rows, k):
    """Chunks of ``k`` steps from ``n_rows`` parallel tracks of one long stream.

    The stream is cut into ``n_rows`` contiguous tracks of equal length (the rest is dropped);
    chunk ``i`` holds steps ``i k .. (i+1) k - 1`` of every track, so row ``n`` of a chunk
    continues row ``n`` of the chunk before. Targets are the inputs shifted by one step.

    Parameters
    ----------
    ids : ndarray of int, shape (L,)
    n_rows : int
        ``N``, the batch size.
    k : int
        Steps per chunk (the truncation length of chunked truncated BPTT).

    Yields
    ------
    inputs : ndarray of int, shape (N, k)
        ``inputs[n, t-1]`` is the character read at step ``t``.
    targets : ndarray of int, shape (N, k)
        The character that follows each input.
    """
    track = (len(ids) - 1) // n_rows
    if track < k:
        raise ValueError(f"{len(ids)} characters are too few for {n_rows} rows of {k} steps")
    x = np.asarray(ids[:n_rows * track]).reshape(n_rows, track)
    y = np.asarray(ids[1:n_rows * track + 1]).reshape(n_rows, track)
    for start in range(0, track - k + 1, k):
        yield x[:, start:start + k], y[:, start:start + k]


def chunks_per_epoch(n_ids, n_rows, k):
    """How many chunks :func:`batched_stream` yields for a stream of ``n_ids`` ids."""
    return ((n_ids - 1) // n_rows) // k


def unigram_cross_entropy(train_ids, test_ids, n_classes):
    """Cross-entropy (nats per character) of the best context-free model on ``test_ids``.

    The model predicts every character with its frequency in ``train_ids`` (plus one for
    every class, so that no probability is zero): what a model that ignores the past can do.

    Returns
    -------
    float
    """
    counts = np.bincount(train_ids, minlength=n_classes) + 1.0
    p = counts / counts.sum()
    return float(-np.mean(np.log(p[test_ids])))


def quote_closings(text):
    """Every closing quote of a one-line string literal, with its kind and the string's length.

    The strings are found by Python's own ``tokenize`` (so quotes inside comments, and the
    other kind of quote inside a string, do not count); triple-quoted strings are skipped.

    Returns
    -------
    positions : ndarray of int, shape (M,)
        Index in ``text`` of each closing quote.
    kinds : ndarray of int, shape (M,)
        0 for ``"``, 1 for ``'``.
    distances : ndarray of int, shape (M,)
        Characters from the opening quote to the closing one (``''`` has distance 1).
    """
    starts = np.cumsum([0] + [len(line) for line in text.splitlines(keepends=True)])
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type != tokenize.STRING or tok.start[0] != tok.end[0]:
                continue
            body = tok.string.lstrip("rRbBuUfF")
            if body[:3] in ('"""', "'''") or len(body) < 2:
                continue
            close = starts[tok.end[0] - 1] + tok.end[1] - 1
            out.append((close, QUOTES.index(body[-1]), len(body) - 1))
    except (tokenize.TokenError, SyntaxError):  # a text that is not Python to the end
        pass
    arr = np.array(out, dtype=np.int64).reshape(-1, 3)
    return arr[:, 0], arr[:, 1], arr[:, 2]
