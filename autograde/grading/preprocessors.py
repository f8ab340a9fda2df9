"""The nbgrader preprocessors of the course's grading (``nbgrader_config.py`` lists them).

- :class:`RestoreCells` (sanitizing, first): every cell the instructor's notebook knows gets
  the instructor's nbgrader metadata back; of a duplicated ``grade_id`` (a copy-pasted answer
  cell) the last copy is kept, as nbgrader's ``DeduplicateIds`` does and as the kernel ran it,
  and earlier copies and unknown ids become ordinary cells; so tampered or broken metadata is
  graded as the instructor wrote it, never a crash.
- :class:`GuardedExecute`: nbgrader's ``Execute`` with the learner's kernel in the sandbox
  (:mod:`autograde.grading.kernel`), a time budget per notebook, immediate shutdown, no
  failure when the kernel dies, and the test cells left to the trusted step (they are not run
  twice); ``run_notebook = False`` is the scores-only mode.
- :class:`TrustedGrades`: decides every test cell again outside the kernel
  (:mod:`autograde.grading.trusted`) and writes the verdicts into the notebook.
- :class:`NeutralizeActiveContent` (:mod:`autograde.grading.neutralize`): nothing a learner
  wrote or displayed is active in the feedback HTML or in Formgrader.
- :class:`SafeClearHiddenTests` (feedback): nbgrader's ``ClearHiddenTests`` on test cells
  only, so hidden-test markers a learner typed cannot break anyone's feedback.

The instructor's notebooks are read once per process, before any learner code of that
notebook runs, and kept in memory with their hash (:func:`instructor_notebook`).
"""

import copy
import hashlib
import json
import secrets
import time
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, Execute, NbGraderPreprocessor
from traitlets import Bool, Float, Integer

from ..checks.summary import summarize
from . import sandbox
from .bounded import BoundedOutputs
from .neutralize import SAFE_MIME, NeutralizeActiveContent  # noqa: F401 - named in nbgrader_config.py
from .program import build_program, meta, test_cell_of
from .trusted import SETUP_SECONDS, grade_program

SEED_FILE = ".bptt-hidden-seed"  # the course's secret seed for hidden cases (never released)
NOTE = "(decided by the trusted grading step, outside your notebook's kernel)\n"
_MATERIAL = {}  # (path) -> (notebook dict, sha256): the instructor's notebooks, read once


def _course(config):
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=config)


def instructor_notebook(config, resources):
    """The instructor's version of the notebook being graded, as parsed JSON (read once)."""
    info = resources["nbgrader"]
    course = _course(config)
    folder = Path(course.format_path(course.source_directory, ".", info["assignment"]))
    path = (folder / f"{info['notebook']}.ipynb").resolve()
    if path not in _MATERIAL:
        data = path.read_bytes()
        _MATERIAL[path] = (json.loads(data.decode("utf-8")), hashlib.sha256(data).hexdigest())
    return _MATERIAL[path][0]


SEED_BITS = 128  # far beyond a search of every seed (a 31-bit seed took 26 core-hours)


def learner_folder(config, resources):
    """The working folder of the learner's code: the student's submitted files, read-only.

    Never nbgrader's output folder (``autograded/<student>/<assignment>/``), where it writes
    the notebook being graded and keeps the notebooks graded before it with the instructor's
    hidden tests restored: learner code must not read those. The submitted folder holds the
    learner's own notebooks, so a later notebook still imports the functions of earlier ones.
    """
    info = resources.get("nbgrader") or {}
    if not (info.get("student") and info.get("assignment")):  # not under nbgrader's converters
        return Path(resources.get("metadata", {}).get("path") or ".")
    course = _course(config)
    folder = Path(course.format_path(course.submitted_directory, info["student"],
                                     info["assignment"]))
    if not folder.is_dir():
        raise FileNotFoundError(f"the submitted folder {folder} is missing")
    return folder


def course_seed(root):
    """The course's secret seed for the graded cases, made once (``<root>/.bptt-hidden-seed``, 0600).

    A new file holds :data:`SEED_BITS` random bits; an older, shorter seed is read as it is
    (delete the file to draw a new one, before the term's first grading).
    """
    path = Path(root) / SEED_FILE
    if not path.is_file():
        path.touch(mode=0o600)
        path.write_text(f"{secrets.randbits(SEED_BITS)}\n", encoding="utf-8")
    return int(path.read_text(encoding="utf-8").strip())


class RestoreCells(NbGraderPreprocessor):
    """Give every known cell the instructor's metadata back; drop earlier copies and unknown ids."""

    def preprocess(self, nb, resources):
        source = {meta(c).get("grade_id"): c for c in instructor_notebook(self.config, resources)["cells"]
                  if meta(c).get("grade_id")}
        seen = set()
        for i in reversed(range(len(nb.cells))):  # the last copy is the one the kernel ran
            cell = nb.cells[i]
            if "nbgrader" not in cell.get("metadata", {}):
                continue
            gid = meta(cell).get("grade_id")
            if gid not in source or gid in seen:
                why = "a second copy of" if gid in seen else "not in the instructor's notebook:"
                self.log.warning("cell %s is %s %r: graded as the learner's own cell", i, why, gid)
                del cell.metadata["nbgrader"]
                continue
            seen.add(gid)
            mine = source[gid]
            if cell.cell_type != mine["cell_type"]:  # keep the learner's text in the right kind
                new = (nbformat.v4.new_code_cell if mine["cell_type"] == "code"
                       else nbformat.v4.new_markdown_cell)(source=cell.source)
                nb.cells[i] = cell = new
            cell.metadata["nbgrader"] = copy.deepcopy(mine["metadata"]["nbgrader"])
        return nb, resources


def undecided(cell):
    """Give a test cell the kernel does not run an output that scores 0 until the trusted step
    replaces it with its verdict (nbgrader gives full points to a test cell without an error)."""
    cell.execution_count = None
    cell.outputs = [nbformat.v4.new_output(
        "error", ename="NotGraded", evalue="the trusted grading step did not decide this test cell",
        traceback=["NotGraded: the trusted grading step did not decide this test cell"])]


class _StopExecution(Exception):
    """Raised to stop running a learner's notebook in its kernel."""


class GuardedExecute(BoundedOutputs, Execute):
    """nbgrader's ``Execute`` for learner code: sandboxed kernel, bounded, never failing the run.

    The cells after a stop keep no outputs; :class:`TrustedGrades` decides every score.
    What the kernel displays is bounded per cell and per notebook (:mod:`.bounded`).
    """

    run_notebook = Bool(True, help=(
        "Run the notebook in the learner's kernel (feedback with figures). False: scores-only, "
        "the trusted step alone decides and explains every score")).tag(config=True)
    notebook_seconds = Float(600, help=(
        "Seconds of kernel time one notebook may use in all; past it the remaining cells are "
        "not run (the trusted step still grades every function)")).tag(config=True)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.shutdown_kernel = "immediate"  # a graceful shutdown costs 0.5 s after a plot
        self.on_notebook_start = self._kernel_ready  # the kernel is up

    def preprocess_cell(self, cell, resources, index):
        """Run a cell, except the test cells :class:`TrustedGrades` decides: it replaces their
        outputs with its own verdicts, so running their checks in the kernel as well would
        only double the grading time (no notebook cell reads a name a test cell defines).
        Any other graded cell runs, and nbgrader scores it as usual."""
        if test_cell_of(cell) is not None:
            undecided(cell)
            return cell, self.resources
        return super().preprocess_cell(cell, resources, index)

    def _kernel_ready(self, **_):
        self._times["cells"] = time.monotonic()
        if hasattr(self.km, "seal"):
            self.km.seal()

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        self._times["shutdown"] = time.monotonic()  # the last cell so far has run
        content = kwargs["execute_reply"].get("content", {})
        if content.get("ename") == self.error_on_timeout.get("ename"):
            # A kernel that ran past the cell timeout (and may ignore interrupts) would make
            # every later cell wait as long: stop here; the trusted step decides the scores.
            raise _StopExecution("a cell ran past the time limit")
        if time.monotonic() - self._started > self.notebook_seconds:
            raise _StopExecution(f"the notebook used its {self.notebook_seconds:.0f} s")

    def preprocess(self, nb, resources=None, km=None):
        if not self.run_notebook:
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
                    if test_cell_of(cell) is not None:
                        undecided(cell)
            return nb, resources
        sandbox.require()  # refuse before any learner code runs, unless explicitly opted out
        self._started = time.monotonic()
        self._times = {"start": self._started}
        run = dict(resources)  # the kernel's working folder: the learner's own files only
        run["metadata"] = dict(resources.get("metadata") or {},
                               path=str(learner_folder(self.config, resources)))
        try:
            nb, _ = super().preprocess(nb, run, km=km)
            return nb, resources
        except Exception as exc:  # noqa: BLE001 - DeadKernelError, a timeout, a budget ...
            self.log.warning("the learner's kernel stopped (%s: %s); the trusted grading step "
                             "decides the scores", type(exc).__name__, str(exc)[:200])
            return nb, resources
        finally:  # nbconvert's preprocess has shut the kernel down when it returns
            self._times["done"] = time.monotonic()
            marks = [self._times.get(k) for k in ("start", "cells", "shutdown", "done")]
            if None not in marks:  # read by benchmarks/grading.py
                self.log.info("kernel timing: start %.3f s, cells %.3f s, shutdown %.3f s",
                              *(b - a for a, b in zip(marks, marks[1:], strict=False)))


def write_verdict(cell, verdict):
    """Replace a test cell's outputs with the trusted feedback and score (nbgrader reads them)."""
    points = float(meta(cell).get("points") or 0)
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=verdict.feedback + NOTE)]
    if verdict.test.hidden:
        outputs.append(nbformat.v4.new_output(
            "execute_result", data={"text/plain": repr(float(points * verdict.fraction))},
            execution_count=cell.get("execution_count")))
    elif verdict.fraction != 1.0:
        outputs.append(nbformat.v4.new_output(
            "error", ename="AssertionError", evalue=summarize(verdict.feedback),
            traceback=[f"AssertionError: {summarize(verdict.feedback)}"]))
    cell.outputs = outputs


def grade_notebook(source_nb, nb, workdir, hidden_seed=None, sandboxed=True,
                   setup_seconds=SETUP_SECONDS):
    """Decide every known test cell of ``nb`` (a submitted notebook) and write the verdicts into it.

    Test cells are matched by ``grade_id`` with the instructor's ``source_nb``; the
    submission's own test cells only receive the outputs. Returns the list of Verdict.
    """
    program = build_program(source_nb, nb, hidden_seed)
    verdicts = grade_program(program, workdir, sandboxed=sandboxed, setup_seconds=setup_seconds)
    by_id = {v.test.grade_id: v for v in verdicts}
    for cell in nb.cells:
        gid = meta(cell).get("grade_id")
        if gid in by_id and cell.cell_type == "code" and meta(cell).get("grade"):
            write_verdict(cell, by_id[gid])
    return verdicts


class TrustedGrades(NbGraderPreprocessor):
    """Re-decide every test cell outside the learner's kernel (see :mod:`autograde.grading.trusted`)."""

    setup_seconds = Float(SETUP_SECONDS, help=(
        "Seconds the learner's process may take to run the set-up and answer cells")
    ).tag(config=True)
    hidden_seed = Integer(None, allow_none=True, help=(
        "Secret seed of the hidden cases (default: made once in <course>/.bptt-hidden-seed)")
    ).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        sandboxed = sandbox.require()
        seed = self.hidden_seed
        if seed is None:
            seed = course_seed(_course(self.config).root)
        workdir = learner_folder(self.config, resources)
        t0 = time.perf_counter()
        verdicts = grade_notebook(instructor_notebook(self.config, resources), nb, workdir, seed,
                                  sandboxed, self.setup_seconds)
        self.log.info("trusted grading of %s/%s: %s (%.1f s)", info["student"], info["notebook"],
                      ", ".join(f"{v.test.grade_id}={v.fraction:.2f}" for v in verdicts),
                      time.perf_counter() - t0)
        return nb, resources


class SafeClearHiddenTests(ClearHiddenTests):
    """``ClearHiddenTests`` on test cells only (graded, not answers); a learner's text with the
    markers, in an answer cell or a written answer (graded too, by hand), stays theirs."""

    def preprocess_cell(self, cell, resources, cell_index):
        if not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, cell_index)
        except RuntimeError:  # unbalanced markers: hide the whole source, never fail
            cell.source = "# (hidden test)"
            return cell, resources
