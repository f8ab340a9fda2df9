"""The checks the notebooks' test cells call: ``check_<function>(fn, *, hidden=False, seed=0)``.

Each returns the fraction of its cases that ``fn`` passes as a built-in ``float``
(``1.0`` only when every case passes), prints feedback to stdout, writes nothing
to stderr, and never lets the learner's error escape as a traceback. A check is
a pure function of arrays: no state is kept between calls.
"""

import warnings

import numpy as np

from bptt_helpers.numgrad import TOLERANCE, rel_error

from . import cases as _cases
from . import hints as _hints
from .normalize import Rejected, to_array
from .safe_call import call_safely

MIN_LIMIT = 2.0  # seconds per case, at least
LIMIT_FACTOR = 100  # ... and 100x the checker's own forward pass on the case
MAX_DETAILS = 3  # failing cases explained in full


def case_limit(case):
    """Seconds the learner's function may take on ``case``."""
    return max(MIN_LIMIT, LIMIT_FACTOR * case.ref_seconds)


def normalise_outputs(case, value):
    """The learner's return value as ``{name: ndarray}``; raises :class:`Rejected`."""
    outs = case.outputs
    if len(outs) == 1:
        o = outs[0]
        return {o.name: to_array(value, o.name, o.shape, o.symbols)}
    names = ", ".join(o.name for o in outs)
    if value is None:
        raise Rejected(f"the function returned None: did you forget `return {names}`?")
    if not isinstance(value, (tuple, list)) or len(value) != len(outs):
        got = f"{len(value)} values" if isinstance(value, (tuple, list)) else type(value).__name__
        raise Rejected(f"return the {len(outs)} arrays ({names}) as a tuple; got {got}")
    shapes = [np.shape(v) if not isinstance(v, list) else None for v in value]
    wanted = [o.shape for o in outs]
    if len(set(wanted)) == len(wanted) and shapes == wanted[::-1]:
        raise Rejected(f"the arrays come back in the wrong order: return ({names})")
    return {o.name: to_array(v, o.name, o.shape, o.symbols) for o, v in zip(outs, value)}


def judge(case, outcome, hint_fn):
    """Decide one case from the learner's outcome. Pure: arrays in, verdict and messages out.

    Returns
    -------
    passed : bool
    lines : list of str
        Feedback for a failed case (empty when it passed).
    """
    if outcome.timed_out:
        return False, [f"stopped after {outcome.elapsed:.1f} s, past its time limit: is there an "
                       "endless loop (a `while` whose condition never changes, or a loop "
                       "variable that is never updated)?"]
    if outcome.error:
        if "read-only" in outcome.error:
            return False, ["your function changes one of its inputs in place (its inputs are "
                           "read-only here). Changing an input corrupts it for the caller, the "
                           "bug of the seed program: build a new array, or work on a .copy().",
                           outcome.error]
        return False, [f"your function raised {outcome.error}"]
    if outcome.modified:
        return False, [f"your function modified its input {', '.join(outcome.modified)}: "
                       "build a new array, or work on a .copy()."]
    try:
        answer = normalise_outputs(case, outcome.value)
    except Rejected as why:
        return False, [str(why)]
    lines = []
    for name, n in case.reference.items():
        err = rel_error(answer[name], n)
        if err >= TOLERANCE:
            lines.append(f"{name}: relative error {err:.1e} (passes below {TOLERANCE:.0e})")
    if not lines:
        return True, []
    if case.time_axis:
        a, n = answer[case.time_axis], case.reference[case.time_axis]
        t, err = _hints.first_wrong_step(a, n, TOLERANCE)
        if t is not None:
            T = a.shape[0] - 1
            lines.append(f"first wrong time step, walking back from T={T}: t={t} "
                         f"({case.time_axis}[{t}] is off by {err:.1e} of the whole tensor's norm)")
        hints = hint_fn(case, answer, t)
    else:
        hints = hint_fn(case, answer)
    lines += [f"hint: {h}" for h in hints]
    return False, lines


def run_check(title, fn, cases, hint_fn):
    """Call ``fn`` on every case, print feedback, return the fraction passed (built-in float)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if not callable(fn):
            print(f"{title}: expected a function, got {type(fn).__name__}. Did you run the "
                  "answer cell that defines it?")
            return 0.0
        results = []
        for case in cases:
            outcome = call_safely(fn, case.args, case.arg_names, case_limit(case))
            passed, lines = judge(case, outcome, hint_fn)
            results.append((case, outcome, passed, lines))
    n_pass = sum(r[2] for r in results)
    total = len(results)
    if n_pass == total:
        print(f"{title}: all {total} cases passed.")
    else:
        print(f"{title}: {n_pass} of {total} cases passed.")
        shown = 0
        for i, (case, outcome, passed, lines) in enumerate(results, 1):
            print(f"  {'ok ' if passed else 'FAIL'} case {i} ({case.label})")
            if passed or shown >= MAX_DETAILS:
                continue
            shown += 1
            for line in lines:
                print("       " + line.replace("\n", "\n       "))
            _print_side_effects(outcome)
        if total - n_pass > shown:
            print(f"  ({total - n_pass - shown} more failing cases not explained; fix these first)")
    return float(n_pass / total)


def _print_side_effects(outcome):
    if outcome.printed.strip():
        text = outcome.printed.strip()
        cut = text[:300] + (" ..." if len(text) > 300 else "")
        print("       your function printed: " + cut.replace("\n", "\n         "))
    for w in outcome.warned[:3]:
        print(f"       a warning was raised: {w}")


def check_step_jacobian(fn, *, hidden=False, seed=0):
    """Check ``step_jacobian(W, state, activator) -> (H, H)``; return the fraction of cases passed."""
    return run_check("step_jacobian", fn, _cases.step_jacobian_cases(hidden, seed),
                     _hints.hints_step_jacobian)


def check_calc_delta(fn, *, hidden=False, seed=0):
    """Check ``calc_delta(sensitivity, states, W, activator) -> deltas (T+1, H)``."""
    return run_check("calc_delta", fn, _cases.calc_delta_cases(hidden, seed),
                     _hints.hints_calc_delta)


def check_calc_gradient(fn, *, hidden=False, seed=0):
    """Check ``calc_gradient(deltas, states, xs) -> (dU, dW)``."""
    return run_check("calc_gradient", fn, _cases.calc_gradient_cases(hidden, seed),
                     _hints.hints_calc_gradient)
