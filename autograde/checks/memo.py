"""Cases built once per process.

Building a check's cases costs more than checking a right answer (its references are
numerical gradients). A learner who runs a test cell again, a self-check, and a grading
process that grades many learners all reuse them. The learner's function only ever sees
read-only copies of a case's inputs (:func:`autograde.checks.safe_call.call_safely`), so
nothing it does changes a later check's cases.
"""

from functools import lru_cache


@lru_cache(maxsize=64)
def built(builder, hidden=False, seed=0):
    """``builder(hidden, seed)`` as a tuple of Case, built once per process for each argument."""
    return tuple(builder(hidden, seed))
