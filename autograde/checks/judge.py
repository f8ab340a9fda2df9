"""The checks the notebooks' test cells call: ``check_<function>(fn, *, hidden=False, seed=0)``.

Each returns the fraction of its cases that ``fn`` passes as a built-in ``float``
(``1.0`` only when every case passes; ``0.0`` when a long case fails, see
:func:`check_score`), prints feedback to stdout, writes nothing
to stderr, and never lets the learner's error escape as a traceback. A check is
a pure function of arrays: no state is kept between calls.
"""

import re
import warnings

import numpy as np

from bptt_helpers.numgrad import TOLERANCE, rel_error

from . import cases as _cases
from . import hints as _hints
from .memo import built
from .normalize import Rejected, to_array
from .probes import judge_probes
from .safe_call import call_safely

MIN_LIMIT = 2.0  # seconds per case, at least
LIMIT_FACTOR = 100  # ... and 100x the checker's own forward pass on the case
MAX_DETAILS = 3  # distinct failures explained in full
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


def _signature(lines):
    """What a failure looks like with its numbers masked: equal signatures, same problem."""
    return tuple(re.sub(r"\d+(\.\d+)?(e[+-]?\d+)?", "#", ln) for ln in lines)


def _first_step(lines):
    """The first wrong time step (or block) a failure names, e.g. ``t=3``; '' if none."""
    for ln in lines:
        found = re.match(r"first wrong time steps?, walking back from T=\d+: (t=[\d.]+)", ln)
        if found:
            return found.group(1)
    return ""


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


def print_report(title, results, show_printed=True):
    """Print the feedback of a check: ``results`` is a list of ``(case, outcome, passed, lines)``.

    ``outcome`` may be ``None`` for a case that was not run. ``show_printed=False`` (the
    trusted grading step) says how much the function printed and which warnings it raised,
    never their text: the learner's text could carry the cases' inputs into the feedback.
    """
    n_pass = sum(r[2] for r in results)
    total = len(results)
    if n_pass == total:
        print(f"{title}: all {total} cases passed.")
    else:
        print(f"{title}: {n_pass} of {total} cases passed.")
    seen = {}  # signature -> (case number where it was explained, its lines)
    hidden = 0
    for i, (case, _outcome, passed, lines) in enumerate(results, 1):
        head = f"  {'ok  ' if passed else 'FAIL'} case {i} ({case.label})"
        if passed:
            print(head)
            continue
        sig = _signature(lines)
        if sig in seen:
            first, explained = seen[sig]
            own = _first_step(lines)
            differs = f", but here the first wrong time step is {own}" if (
                own and own != _first_step(explained)) else ""
            print(f"{head}: same problem as case {first}{differs}")
        elif lines and lines[0].startswith("not run:"):
            print(f"{head}: {lines[0]}")
        elif len(seen) < MAX_DETAILS:
            seen[sig] = (i, lines)
            print(head)
            for line in lines:
                print("       " + line.replace("\n", "\n       "))
        else:
            hidden += 1
            print(head)
    if hidden:
        print(f"  ({hidden} more failing cases not explained; fix the ones above first)")
    _print_side_effects([r[1] for r in results], show_printed)


def _print_side_effects(outcomes, show_printed=True):
    """Say once, not per case, that the function printed or warned (one Outcome or a list)."""
    if not isinstance(outcomes, (list, tuple)):
        outcomes = [outcomes]
    printed = next((o.printed.strip() for o in outcomes if o and o.printed.strip()), "")
    if printed and not show_printed:
        n = printed.count("\n") + 1
        print(f"  note: your function printed {n} line{'s' if n > 1 else ''} (not shown when "
              "grading: it could reveal the cases)")
    elif printed:
        cut = printed[:300] + (" ..." if len(printed) > 300 else "")
        print("  note: your function printed (shown once; remove debugging prints when done): "
              + cut.replace("\n", "\n         "))
    warned = []
    for o in outcomes:
        for w in (o.warned if o else []):
            if w not in warned:
                warned.append(w)
    if not show_printed:  # a warning's text is the learner's too: its category only
        warned = list(dict.fromkeys(w.split(":")[0] for w in warned))
    for w in warned[:3]:
        print(f"  note: your function raised a warning: {w}" if show_printed else
              f"  note: your function raised a warning ({w[:40]}; its text is not shown when "
              "grading)")


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


_print_report = print_report  # the name other checks (clipping) import
