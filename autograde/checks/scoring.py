"""What a check earns from its judged cases, and the words that say why it earns 0.

A long case (``case.long_steps``) gates its check: right values on the short cases earn
nothing without it. Cases that returning the inputs unchanged would pass (``case.trivial``)
earn nothing unless a case that needs work passes. See :func:`check_score`; the in-kernel
checks (:func:`.judge.run_check`) and the trusted grading step both score this way.
"""

NOT_BACKPROPAGATION = (
    "  score 0 for this check: your function ran past the time limit of the long case, so it is "
    "not backpropagation (finite differences, or a forward pass recomputed for every step, give "
    "right values on the short cases but cost T times more). Write the backward walk: one pass "
    "from t = T down to 1.")

NOT_BACKPROPAGATION_STEP = (
    "  score 0 for this check: your function ran past the time limit of the large step, so it is "
    "not backpropagation (finite differences give right values on the small cases but cost two "
    "forward steps per weight). Write the step's backward pass with whole-array operations.")


def long_case_failed(case, number):
    """What a check says when its long case ``number`` failed without running past its limit."""
    what = f"long case (case {number}, T={case.long_steps})" if case.long_steps > 1 else \
        f"large case (case {number}, one step with too many weights for finite differences)"
    return (f"  score 0 for this check: the {what} is the "
            "one that needs backpropagation, and your function does not pass it. The other "
            "cases count once it passes.")


NOTHING_DONE = ("  score 0 for this check: your function passes only the cases where returning "
                "its inputs unchanged is right (nothing to do); they count once it passes a "
                "case that needs it to act.")


def check_score(results):
    """``(fraction, why)``: what a check earns from ``[(case, outcome, passed, lines)]``.

    Cases that the inputs returned unchanged would pass (``case.trivial``: nothing to clip)
    earn nothing unless another case passes (:data:`NOTHING_DONE`).

    The fraction of cases passed, provided every long case (``case.long_steps``) passed: a long
    case is the one that shows backpropagation, so right values on the short cases earn nothing
    without it, however it failed (past its limit, wrong values, an exception, not run...).
    ``why`` says so in words: :data:`NOT_BACKPROPAGATION` when a long case ran past its limit
    (:data:`NOT_BACKPROPAGATION_STEP` for a large single step, ``long_steps == 1``),
    else :func:`long_case_failed` when the long case cost the check the cases it passed
    (nothing is added when no case passed). The in-kernel checks and the trusted step both
    score this way.
    """
    work = [r for r in results if not getattr(r[0], "trivial", False)]
    if len(work) < len(results) and not any(r[2] for r in work):
        return 0.0, NOTHING_DONE if any(r[2] for r in results) else ""
    failed = [(i, case, outcome) for i, (case, outcome, passed, _lines) in enumerate(results, 1)
              if getattr(case, "long_steps", 0) and not passed]
    timed = [case for _i, case, outcome in failed if outcome is not None and outcome.timed_out]
    if timed:
        return 0.0, NOT_BACKPROPAGATION if timed[0].long_steps > 1 else NOT_BACKPROPAGATION_STEP
    if failed:
        i, case, _outcome = failed[0]
        return 0.0, long_case_failed(case, i) if any(r[2] for r in results) else ""
    return float(sum(r[2] for r in results) / len(results)), ""
