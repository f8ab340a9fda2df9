"""The trusted grading step: every autograded score decided outside the learner's kernel.

For one notebook, a fresh learner process (:mod:`autograde.grading.child`) runs in the
sandbox (:mod:`autograde.grading.sandbox`). This process, the grader, drives it one step
at a time (:mod:`autograde.grading.protocol`): it sends the set-up and answer cells of
:class:`~autograde.grading.program.Program` in order, and right after the answer cell of a
graded function, that function's cases, one call at a time. The case inputs are built here
(hidden ones from the course's secret seed) and sent only when the call starts; the grader
times every call itself and kills the sandbox when a call runs past its limit. Each reply is
bounded before it is read, judged at once with the same judge as the in-kernel check
(:mod:`autograde.registry`), and dropped: the grader keeps verdicts, not arrays.

Grading a function right after its own answer cell means code in a later cell cannot change
an earlier function's grade.
"""

import contextlib
import io
import time
from dataclasses import dataclass

from ..checks.limits import MAX_TIMEOUTS, case_limit
from ..checks.report import print_report
from ..checks.safe_call import Outcome
from ..checks.scoring import check_score
from ..registry import GRADED, cached_cases
from . import protocol
from .learner_process import LearnerProcess
from .replies import call_request, outcome_of, result_bound

SETUP_SECONDS = 30  # wall time for starting the process and running the cells before a function
PREFETCH_BYTES = 32 * 1024  # cells sent ahead of their replies: well within a socket's buffer
GRACE = 1.0  # seconds past a case's limit before the grader stops waiting and kills the process


@dataclass
class Verdict:
    """The trusted decision on one test cell."""

    test: object  # TestCell
    fraction: float
    feedback: str


# --- one notebook -------------------------------------------------------------------------------

class _Session:
    """The learner's process for a notebook, restarted (cells re-run) after it was killed.

    A cell that ran past ``setup_seconds`` once, or stopped the process :data:`MAX_TIMEOUTS`
    times, is not run again: every later case that needs it fails at once with the same
    reason, so a stalling cell costs one ``setup_seconds``, not one per case. (A second try of
    a cell that ran out of time, with seconds to spare beside it, would only double the wait:
    the budget, :data:`SETUP_SECONDS` by default, is 30-60 times what honest set-up and
    answer cells take.)
    """

    def __init__(self, program, workdir, sandboxed, setup_seconds, errors=None):
        self.program, self.workdir, self.sandboxed = program, workdir, sandboxed
        self.setup_seconds = setup_seconds
        self.proc, self.ran, self.sent = None, 0, 0
        self.failed = {}  # index of a cell -> [times it stopped the process, why]
        self.errors = {} if errors is None else errors  # grade_id -> the error a cell raised

    def start(self, upto):
        """Start the learner's process and send it the cells before index ``upto`` at once.

        It runs them on its own (while ``bptt check`` builds the cases); their replies are
        read by :meth:`ready`. Only cells of :data:`PREFETCH_BYTES` in all are
        sent ahead, so that sending never waits for the process to read (the channel holds more).
        """
        if self.proc is not None or self.failed:
            return
        self.proc, self.ran, self.sent = LearnerProcess(self.workdir, self.sandboxed), 0, 0
        size, deadline = 0, time.monotonic() + self.setup_seconds
        for cell in self.program.cells[:upto]:
            size += len(cell["source"].encode("utf-8", "replace")) + 1024
            if size > PREFETCH_BYTES:
                break
            try:
                self.proc.post({"op": "run", "source": cell["source"]}, deadline=deadline)
            except protocol.ProtocolError:
                break  # ready() finds out why
            self.sent += 1

    def ready(self, upto):
        """Run the cells up to index ``upto``; ``""`` when ready, else why not (in words)."""
        for index, (times, why) in self.failed.items():
            if index < upto and times >= MAX_TIMEOUTS:
                return why
        if self.proc is not None and self.sent == self.ran and self.proc.proc.poll() is not None:
            self.stop()  # it ended after its last reply (os._exit in a thread, ...): start afresh
        if self.proc is None:
            self.proc, self.ran, self.sent = LearnerProcess(self.workdir, self.sandboxed), 0, 0
        deadline = time.monotonic() + self.setup_seconds  # cells sent ahead had longer still
        for index in range(self.ran, max(upto, self.sent)):  # cells sent ahead are read first
            cell = self.program.cells[index]
            try:
                if index >= self.sent:
                    self.proc.post({"op": "run", "source": cell["source"]}, deadline=deadline)
                    self.sent += 1
                reply, _ = self.proc.reply(1024**2, deadline)
            except protocol.Timeout:
                self.stop()
                return self._failed(index, (
                    f"did not finish running the set-up and answer cells within "
                    f"{self.setup_seconds:.0f} s (is there an endless loop outside your "
                    "function?)"), strikes=MAX_TIMEOUTS)
            except protocol.ProtocolError:
                why = self.proc.stopped_by() or "stopped while running your cells"
                self.stop()
                return self._failed(index, why)
            if reply.get("error"):
                self.errors.setdefault(cell["grade_id"], str(reply["error"])[:2000])
            self.ran += 1
        return ""

    def _failed(self, index, why, strikes=1):
        self.failed.setdefault(index, [0, why])[0] += strikes
        if index < len(self.program.cells):
            self.errors.setdefault(self.program.cells[index]["grade_id"], why)
        return why

    def stop(self):
        if self.proc is not None:
            self.proc.close()
        self.proc, self.ran, self.sent = None, 0, 0


def _call(session, case, function):
    """Call the learner's function on one case: ``(Outcome, None)``, or ``(None, type)`` when the
    name is not a function in the learner's namespace."""
    header, arrays = call_request(case, function)
    limit, t0 = case_limit(case), time.monotonic()
    try:
        reply, found = session.proc.ask(header, arrays, max_data=result_bound(case) + 1024,
                                        seconds=limit + GRACE)
    except protocol.Timeout:
        session.stop()
        return Outcome(timed_out=True, elapsed=time.monotonic() - t0), None
    except protocol.ProtocolError as exc:
        why = session.proc.stopped_by() or str(exc)
        session.stop()
        return Outcome(error=f"the process running your function {why}"), None
    if reply.get("op") == "missing":
        return None, str(reply.get("type", "?"))[:40]
    return outcome_of(reply, found, time.monotonic() - t0, limit), None


def call_order(cases, hidden):
    """The order in which the cases of a test cell are called (reports keep the cases' order).

    The visible and hidden cells share their long case. The visible cell calls it last and
    the hidden cell first, so the learner's process meets the same long-case inputs twice
    with nothing in between: no short case it could stall (just inside its own limit) while
    a background thread works on the long case by finite differences.
    """
    return sorted(range(len(cases)), key=lambda i: bool(cases[i].long_steps) != hidden)


def _judge_cases(session, upto, test, cases):
    """``([(case, outcome or None, passed, lines)], None)`` for one test cell, or
    ``(None, type)`` when the learner's name is not a function."""
    graded, results, timeouts = GRADED[test.function], [None] * len(cases), []
    for index in call_order(cases, test.hidden):
        case, i = cases[index], index + 1
        if len(timeouts) >= MAX_TIMEOUTS:
            runs = " and ".join(str(k) for k in timeouts)
            results[index] = (case, None, False, [
                f"not run: your function already ran past its time limit on cases {runs}"])
            continue
        why = session.ready(upto)
        if why:
            results[index] = (case, None, False, [f"not run: the process running your code {why}"])
            continue
        outcome, missing = _call(session, case, test.call or test.function)
        if outcome is None:
            return None, missing
        if outcome.timed_out:
            timeouts.append(i)
        with contextlib.redirect_stdout(io.StringIO()):
            passed, lines = graded.judge(case, outcome)
        outcome.value = None  # verdicts, not arrays
        results[index] = (case, outcome, bool(passed), lines)
    return results, None


def grade_program(program, workdir, sandboxed=True, setup_seconds=SETUP_SECONDS, errors=None,
                  on_test=None, run_all=False, show_printed=False, overlap=False):
    """Judge every test cell of ``program``; a list of :class:`Verdict` in the order of its tests.

    Parameters
    ----------
    program : Program
    workdir : Path
        The learner's notebooks (the working folder of their process, read-only).
    sandboxed : bool
        False only with the instructor's explicit opt-out, and for ``bptt check`` (a learner's
        own code on their own machine).
    errors : dict, optional
        Filled with ``grade_id -> "Type: message"`` of the cells that raised an error.
    on_test : callable, optional
        Called with each TestCell before its cases run (progress for a learner).
    run_all : bool
        Also run the cells after the last graded function's answer (their errors go to
        ``errors``); grading does not need them.
    show_printed : bool
        Put what the function printed or warned into the feedback (``bptt check``, a learner's
        own cases); grading never does (a function could print the graded cases).
    overlap : bool
        Start the learner's process (its first set-up and answer cells) while the cases are
        built (``bptt check``: a learner's own seconds). Grading never does: each case's time
        limit comes from the checker's own run, timed as it is built, and learner code running
        meanwhile (processes it leaves busy) could stretch that time, and so the limits.
    """
    verdicts = {}
    ids = [c["grade_id"] for c in program.cells]
    session = _Session(program, workdir, sandboxed, setup_seconds, errors)
    try:
        first = next((t.function for t in program.tests), None)
        upto = ids.index(f"answer_{first}") + 1 if f"answer_{first}" in ids else len(ids)
        if first is not None and overlap:  # the first cells run while the cases are built
            session.start(upto)
        for test in program.tests:  # every case, and its reference time, before any learner code
            cached_cases(test.function, test.hidden, test.seed)  # (or any call) when grading
        if first is not None:
            session.start(upto)
        for fn in dict.fromkeys(t.function for t in program.tests):
            upto = ids.index(f"answer_{fn}") + 1 if f"answer_{fn}" in ids else len(ids)
            for test in (t for t in program.tests if t.function == fn):
                if on_test is not None:
                    on_test(test)
                cases = cached_cases(fn, test.hidden, test.seed)
                results, missing = _judge_cases(session, upto, test, cases)
                if results is None and f"answer_{fn}" in program.answers_missing:
                    text = (f"{fn}: your notebook has no answer cell for {fn}, the cell below its "
                            "exercise that came with the notebook. Only that cell is graded (not "
                            "a cell you added): put your code back into it.\n")
                    verdicts[test.grade_id] = Verdict(test, 0.0, text)
                    continue
                if results is None:
                    text = (f"{fn}: expected a function, got {missing}. Did you run the answer "
                            "cell that defines it?\n")
                    verdicts[test.grade_id] = Verdict(test, 0.0, text)
                    continue
                buf = io.StringIO()
                fraction, why = check_score(results)
                with contextlib.redirect_stdout(buf):
                    print_report(fn, results, show_printed=show_printed)
                    if why:
                        print(why)
                verdicts[test.grade_id] = Verdict(test, fraction, buf.getvalue())
        if run_all:
            session.ready(len(ids))
    finally:
        session.stop()
    return [verdicts[t.grade_id] for t in program.tests]
