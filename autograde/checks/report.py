"""The printed feedback of a check: a line per case, failures explained once, side effects noted.

A failure is explained in full the first time it appears (at most :data:`MAX_DETAILS`
distinct ones); a later case that fails the same way, numbers aside, says "same problem as
case N". What the function printed or warned is noted once, not per case.
"""

import re

MAX_DETAILS = 3  # distinct failures explained in full


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

