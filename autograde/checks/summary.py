"""The short form of a check's feedback: what a failing visible test cell says in its error.

nbgrader's Validate button and a notebook's error line show an exception's message, not what
the cell printed before it, so the visible test cells end with
``assert check_f(f) == 1.0, last_feedback()``: the headline of the report and its first
explained failure.
"""

import contextlib
import io
import sys

MAX_LINES = 12  # of the report, in the message
_LAST = {"text": ""}  # what the last check run in this process printed


class _Tee(io.TextIOBase):
    """Writes to the real stdout (the learner still sees the feedback as it comes) and keeps a copy."""

    def __init__(self, out):
        self.out, self.copy = out, io.StringIO()

    def write(self, text):
        self.copy.write(text)
        return self.out.write(text)

    def flush(self):
        self.out.flush()


def recorded(check, *args, **kwargs):
    """Run ``check(*args, **kwargs)``, printing as usual, and remember what it printed."""
    tee = _Tee(sys.stdout)
    try:
        with contextlib.redirect_stdout(tee):
            return check(*args, **kwargs)
    finally:
        _LAST["text"] = tee.copy.getvalue()


def summarize(report, max_lines=MAX_LINES):
    """The headline of a printed report and its first failing case, at most ``max_lines`` lines.

    Cases that passed and later failures are left out (the full report lists them); a line
    that sets the whole check's score (``score 0 for this check: ...``) is always kept.
    """
    lines = [ln.rstrip() for ln in report.strip().splitlines() if ln.strip()]
    if not lines:
        return "\nthe check printed nothing: run the answer cell above, then this cell again"
    kept, state = [lines[0]], "before"  # before / in / after the first failing case
    for line in lines[1:]:
        case_line = line.startswith("  ") and line.lstrip().startswith(("ok ", "FAIL "))
        if "score 0 for this check" in line:
            kept.append(line)
        elif case_line and line.lstrip().startswith("FAIL ") and state == "before":
            kept.append(line)
            state = "in"
        elif case_line:
            state = "after" if state == "in" else state
        elif state == "in" and len(line) - len(line.lstrip()) > 2:
            kept.append(line)
        elif state == "before" and not line.lstrip().startswith("note:"):
            kept.append(line)
    if len(kept) > max_lines:
        kept = kept[:max_lines] + ["  ... (the full feedback is printed above)"]
    return "\n" + "\n".join(kept)


def last_feedback():
    """The short form of what the last check printed (the message of a failing visible test)."""
    return summarize(_LAST["text"])
