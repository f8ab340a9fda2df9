"""The checks the notebooks' test cells call: ``check_<function>(fn, *, hidden=False, seed=0)``.

Each returns the fraction of its cases that ``fn`` passes as a built-in ``float``
(``1.0`` only when every case passes; ``0.0`` when a long case fails, see
:func:`.scoring.check_score`), prints feedback to stdout (:func:`.report.print_report`),
writes nothing to stderr, and never lets the learner's error escape as a traceback. A check is
a pure function of arrays: no state is kept between calls.

Here: judging one case (:func:`judge`) and running a check's cases (:func:`run_check`), each
call within its time limit (:mod:`.limits`).
"""

import re
import warnings

import numpy as np

from bptt_helpers.numgrad import TOLERANCE, rel_error

from . import cases as _cases
from . import hints as _hints
from .limits import MAX_TIMEOUTS, _timeout_lines, case_limit
from .memo import built
from .normalize import Rejected, to_array
from .probes import judge_probes
from .report import print_report
from .safe_call import call_safely
from .scoring import check_score


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
        got = (f"{len(value)} values" if isinstance(value, (tuple, list))
               else f"one {type(value).__name__}")
        raise Rejected(f"return the {len(outs)} arrays as a tuple, `return {names}`, in the "
                       f"order ({names}); got {got}")
    shapes = [_shape_or_none(v) for v in value]
    wanted = [o.shape for o in outs]
    if (len(set(wanted)) == len(wanted) and shapes != wanted
            and sorted(map(str, shapes)) == sorted(map(str, wanted))):
        raise Rejected(f"{names} come back in the wrong order (their shapes are each other's): "
                       f"return ({names}) in that order")
    return {o.name: to_array(v, o.name, o.shape, o.symbols)
            for o, v in zip(outs, value, strict=True)}


def _shape_or_none(v):
    if isinstance(v, list):
        return None
    try:
        return np.shape(v)
    except Exception:  # ragged or odd objects: to_array explains them
        return None


def _written_input(case, error):
    """The input a read-only error came from, read off the learner's line (or None)."""
    found = re.search(r"at line \d+(?: of [^\n]*?\(\))?: (.*)$", error)
    line = found.group(1) if found else ""
    out = re.search(r"\bout\s*=\s*(\w+)", line)  # np.multiply(a, b, out=states)
    target = out.group(1) if out else _assignment_target(line)
    for name in case.arg_names:
        if re.search(rf"\b{re.escape(name)}\b", target):
            return name
    return None


def _assignment_target(line):
    """What a line assigns to (``states[t]`` in ``states[t] *= 2``), or '' if it assigns nothing.

    Only an ``=`` outside brackets counts, so a keyword argument (``f(x, in_place=True)``)
    is not mistaken for an assignment.
    """
    depth = 0
    for i, ch in enumerate(line):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "=" and depth == 0:
            before, after = line[i - 1:i], line[i + 1:i + 2]
            if after != "=" and before not in "=<>!":
                return line[:i]
    return ""


def judge(case, outcome, hint_fn):
    """Decide one case from the learner's outcome. Pure: arrays in, verdict and messages out.

    Returns
    -------
    passed : bool
    lines : list of str
        Feedback for a failed case (empty when it passed).
    """
    if outcome.timed_out:
        return False, _timeout_lines(case, outcome)
    if outcome.error:
        if "read-only" in outcome.error:
            name = _written_input(case, outcome.error)
            which = f"its input {name}" if name else "one of its inputs"
            return False, [f"your function changes {which} in place (inputs are read-only "
                           "here). Writing into an input corrupts it for the caller, as in the "
                           "seed program: build a new array, or work on a .copy().",
                           outcome.error]
        if outcome.error_type == "NotImplementedError":
            return False, ["not written yet: replace `raise NotImplementedError()` in the answer "
                           "cell with your code, then run that cell again."]
        lines = [f"your function raised {outcome.error}"]
        if outcome.error_type == "RecursionError":
            lines.append("hint: a recursion one call deep per time step cannot run on long "
                         "sequences (Python stops at about 1000 nested calls): write it as a "
                         "loop from t = T-1 down to 1.")
        return False, lines
    if outcome.modified:
        return False, [f"your function modified its input {', '.join(outcome.modified)}: "
                       "build a new array, or work on a .copy()."]
    try:
        answer = normalise_outputs(case, outcome.value)
    except Rejected as why:
        return False, [str(why)]
    except Exception as exc:  # an odd returned object
        return False, [f"the returned value could not be read ({type(exc).__name__}: {exc})"]
    if case.probes:
        lines = judge_probes(case, answer)
        if not lines:
            return True, []
        return False, lines + ["hint: this long case is compared along random directions; "
                               "the shorter cases name the usual mistakes."]
    lines = []
    for name, n in case.reference.items():
        err = rel_error(answer[name], n)
        if not err < TOLERANCE:  # NaN or inf fails too
            lines.append(f"{name}: relative error {err:.1e} (passes below {TOLERANCE:.0e})"
                         if np.isfinite(err) else
                         f"{name}: could not be compared (its error is not a finite number)")
    if not lines:
        return True, []
    try:
        if case.time_axis:
            a, n = answer[case.time_axis], case.reference[case.time_axis]
            t, err = _hints.first_wrong_step(a, n, TOLERANCE)
            if t is not None:
                T = a.shape[0] - 1
                lines.append(f"first wrong time step, walking back from T={T}: t={t} "
                             f"({case.time_axis}[{t}] is off by {err:.1e} of the whole "
                             "tensor's norm)")
            hints = hint_fn(case, answer, t)
        else:
            hints = hint_fn(case, answer)
    except Exception:  # a hint must never break a check  # pragma: no cover
        hints = []
    lines += [f"hint: {h}" for h in hints]
    return False, lines


def run_check(title, fn, cases, hint_fn, judge_fn=None):
    """Call ``fn`` on every case, print feedback, return the fraction passed (built-in float).

    ``judge_fn(case, outcome) -> (passed, lines)`` replaces the comparison with numerical
    references (the clipping checks decide by properties); by default it is
    ``judge(case, outcome, hint_fn)``.

    A failure is explained in full the first time it appears; a later case that fails
    the same way says "same problem as case N". After ``MAX_TIMEOUTS`` cases ran past
    their time limit the remaining cases are not run (and fail), so that an endless loop
    costs a few seconds, not the whole cell's time.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if not callable(fn):
            print(f"{title}: expected a function, got {type(fn).__name__}. Did you run the "
                  "answer cell that defines it?")
            return 0.0
        results = []
        timeouts = []
        for i, case in enumerate(cases, 1):
            if len(timeouts) >= MAX_TIMEOUTS:
                cases_ = " and ".join(str(k) for k in timeouts)
                results.append((case, None, False, [
                    f"not run: your function already ran past its time limit on cases {cases_}"]))
                continue
            outcome = call_safely(fn, case.args, case.arg_names, case_limit(case))
            if outcome.timed_out:
                timeouts.append(i)
            if judge_fn is None:
                passed, lines = judge(case, outcome, hint_fn)
            else:
                passed, lines = judge_fn(case, outcome)
            results.append((case, outcome, passed, lines))
    print_report(title, results)
    fraction, why = check_score(results)
    if why:
        print(why)
    return fraction


def check_step_jacobian(fn, *, hidden=False, seed=0):
    """Check ``step_jacobian(W, state, activator) -> (H, H)``; return the fraction of cases passed."""
    return run_check("step_jacobian", fn, built(_cases.step_jacobian_cases, hidden, seed),
                     _hints.hints_step_jacobian)


def check_calc_delta(fn, *, hidden=False, seed=0):
    """Check ``calc_delta(sensitivity, states, W, activator) -> deltas (T+1, H)``."""
    return run_check("calc_delta", fn, built(_cases.calc_delta_cases, hidden, seed),
                     _hints.hints_calc_delta)


def check_calc_gradient(fn, *, hidden=False, seed=0):
    """Check ``calc_gradient(deltas, states, xs) -> (dU, dW)``."""
    return run_check("calc_gradient", fn, built(_cases.calc_gradient_cases, hidden, seed),
                     _hints.hints_calc_gradient)
