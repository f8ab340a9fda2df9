"""Time limits: how long the learner's function may take on a case, and what it is told past one.

A case's limit is :data:`LIMIT_FACTOR` times the checker's own forward pass on it (a long
case's ``limit_factor`` instead, :mod:`.large`), at least :data:`MIN_LIMIT` seconds. After
:data:`MAX_TIMEOUTS` cases ran past their limit a check runs no more of its cases
(:func:`.judge.run_check`, and the trusted grading step).
"""

MIN_LIMIT = 2.0  # seconds per case, at least
LIMIT_FACTOR = 100  # ... and 100x the checker's own forward pass on the case
MAX_TIMEOUTS = 2  # after this many cases ran past their limit, the rest are not run


def case_limit(case):
    """Seconds the learner's function may take on ``case``.

    ``case.limit_factor`` (long cases, :mod:`.large`) replaces :data:`LIMIT_FACTOR`.
    """
    factor = LIMIT_FACTOR if case.limit_factor is None else case.limit_factor
    return max(MIN_LIMIT, factor * case.ref_seconds)


def _timeout_lines(case, outcome):
    if not case.long_steps:
        return [f"stopped after {outcome.elapsed:.1f} s, past its time limit: is there an "
                "endless loop (a `while` whose condition never changes, or a loop "
                "variable that is never updated)?"]
    T = case.long_steps
    factor = LIMIT_FACTOR if case.limit_factor is None else case.limit_factor
    limit = case_limit(case)
    why = (f"{factor:.0f} times the checker's own forward pass ({case.ref_seconds * 1e3:.0f} ms)"
           if limit > MIN_LIMIT else "its floor")
    if T == 1:  # one large step: the cost is in its number of weights, not in time
        return [f"stopped after {outcome.elapsed:.1f} s on one large step, past its time "
                f"limit of {limit:.1f} s ({why}). Backpropagating one step costs a few "
                "matrix products, about as much as the forward step. Finite differences (with "
                "numerical_gradient or by hand) cost two forward steps per entry of the inputs "
                "and weights, about a million here, and cannot finish: write the step's chain "
                "rule with whole-array operations (one matrix product per weight gradient)."]
    return [f"stopped after {outcome.elapsed:.1f} s on a sequence of T={T} steps, past its time "
            f"limit of {limit:.1f} s ({why}). Backpropagation needs one "
            "backward walk, about as long as one forward pass. Finite differences (with "
            "numerical_gradient or by hand), or recomputing the forward pass or a product "
            f"of Jacobians for every time step, cost about T={T} times more and cannot "
            "finish here: walk back once, from t = T down to 1, reusing delta_{t+1}. (If "
            "you loop over single entries in Python, use one vector operation per step.)"]

