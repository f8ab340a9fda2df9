"""The trusted grading step: every autograded score decided outside the learner's kernel.

nbgrader runs the test cells in the learner's own kernel, after the learner's code,
which can change anything there (rewrite later cells, patch the checks or numpy,
display floats as text, kill the kernel). This step re-decides each test cell:

1. the notebook's locked set-up cells (from the instructor's source notebook) and
   the learner's answer cells (by ``grade_id``, in the source's order; cells a
   learner added are ignored) run in a fresh ``python -I`` process
   (:mod:`autograde.grading.child`) with limits on wall time, CPU time, address
   space and file size, in a new session that is killed as a whole afterwards;
2. that process calls the learner's functions on the inputs of the checker's cases,
   built here (``.npz``; activators by name), and sends back only plain arrays
   (``.npz`` loaded with ``allow_pickle=False``) and a small JSON per case;
3. this process judges them with the same judge the in-kernel checks use
   (:mod:`autograde.registry`) against references it computed itself, and writes
   each test cell's output: the feedback text, an error for a failed visible test,
   and ``points * fraction`` as a built-in float for a hidden test, so that
   nbgrader's ``SaveAutoGrades`` records that score.

:class:`TrustedGrades` is the nbgrader preprocessor (after :class:`GuardedExecute`
in ``Autograde.autograde_preprocessors``); :func:`grade_notebook` does the work.
"""

import ast
import contextlib
import io
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from ..checks.judge import MAX_TIMEOUTS, case_limit, print_report
from ..checks.safe_call import Outcome
from ..registry import GRADED, cached_cases

SETUP_SECONDS = 60  # wall time for starting Python and running the set-up and answer cells
MAX_SECONDS = 900  # wall time of one notebook's process, at most
MEMORY_BYTES = 2 * 1024**3  # address space of the learner's process
FILE_BYTES = 256 * 1024**2  # largest file it may write
MAX_RESULT_BYTES = 64 * 1024**2  # a case's result file larger than this is not read
FAILED_VISIBLE = "see the feedback printed above"


# --- the notebook: which cells run, which cells are graded ------------------------------------

def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


@dataclass
class TestCell:
    """A graded test cell: ``test_<function>`` (visible) or ``hidden_<function>``."""

    grade_id: str
    function: str
    hidden: bool
    seed: int = 0
    call: str = ""  # the name the learner's function has in their namespace (default: function)


@dataclass
class Program:
    """What the learner's process runs and calls, and the cells it decides."""

    cells: list  # of {"grade_id", "source"}: set-up and answer cells, in order
    tests: list  # of TestCell
    answers_missing: list = field(default_factory=list)


def test_cell_of(cell):
    """The :class:`TestCell` a code cell is, or ``None`` (unknown function, not a test)."""
    gid = _meta(cell).get("grade_id") or ""
    if cell.get("cell_type") != "code" or not _meta(cell).get("grade"):
        return None
    for prefix, hidden in (("test_", False), ("hidden_", True)):
        if gid.startswith(prefix) and gid[len(prefix):] in GRADED:
            fn = gid[len(prefix):]
            return TestCell(gid, fn, hidden, seed_of(cell.get("source", ""), fn))
    return None


def seed_of(source, function):
    """The ``seed=`` an instructor passed to ``check_<function>`` in a test cell (default 0)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == f"check_{function}":
            for kw in node.keywords:
                if kw.arg == "seed" and isinstance(kw.value, ast.Constant) \
                        and isinstance(kw.value.value, int):
                    return kw.value.value
    return 0


def is_setup(cell):
    """A locked code cell that is neither graded nor an answer (the notebook's set-up)."""
    m = _meta(cell)
    return (cell.get("cell_type") == "code" and m.get("locked") and not m.get("grade")
            and not m.get("solution") and bool(m.get("grade_id")))


def is_code_answer(cell):
    m = _meta(cell)
    return cell.get("cell_type") == "code" and bool(m.get("solution")) and bool(m.get("grade_id"))


def build_program(source_nb, submitted_nb):
    """The set-up cells and test cells of the instructor's notebook, the learner's answers.

    Everything but the answer cells' source comes from ``source_nb`` (the instructor's), so
    a learner who edits a set-up or test cell, its metadata, or deletes it changes nothing.
    """
    answers = {}
    for cell in submitted_nb.cells:
        if is_code_answer(cell):
            answers.setdefault(_meta(cell)["grade_id"], cell.get("source", ""))
    cells, tests, missing = [], [], []
    for cell in source_nb.cells:
        gid = _meta(cell).get("grade_id")
        if is_setup(cell):
            cells.append({"grade_id": gid, "source": cell.source})
        elif is_code_answer(cell):
            if gid in answers:
                cells.append({"grade_id": gid, "source": answers[gid]})
            else:
                missing.append(gid)
        else:
            t = test_cell_of(cell)
            if t is not None:
                tests.append(t)
    return Program(cells, tests, missing)


# --- the inputs the learner's process gets ----------------------------------------------------

def _encode_arg(value, arrays, key):
    from bptt_helpers.activators import Activator

    if isinstance(value, np.ndarray):
        arrays[key] = value
        return {"kind": "array", "key": key}
    if isinstance(value, (list, tuple)):
        return {"kind": "list", "items": [_encode_arg(v, arrays, f"{key}_{i}")
                                          for i, v in enumerate(value)]}
    if isinstance(value, Activator):
        return {"kind": "activator", "name": value.name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"kind": "value", "value": value}
    raise TypeError(f"cannot pass a {type(value).__name__} to the learner's process")


def write_inputs(folder, program):
    """``program.json`` and ``inputs.npz`` in ``folder``; returns the groups' case lists."""
    arrays, groups, all_cases = {}, [], []
    for g, t in enumerate(program.tests):
        cases = cached_cases(t.function, t.hidden, t.seed)
        all_cases.append(cases)
        groups.append({"function": t.call or t.function, "cases": [
            {"args": [_encode_arg(a, arrays, f"g{g}_c{i}_a{j}") for j, a in enumerate(c.args)],
             "names": list(c.arg_names), "limit": case_limit(c)}
            for i, c in enumerate(cases)]})
    spec = {"cells": program.cells, "groups": groups, "max_timeouts": MAX_TIMEOUTS}
    (folder / "program.json").write_text(json.dumps(spec), encoding="utf-8")
    np.savez(folder / "inputs.npz", **arrays)
    return all_cases


# --- running the learner's process --------------------------------------------------------------

def _limits(cpu_seconds, memory, file_bytes):
    def apply():
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def child_env(folder):
    """A small environment: no PYTHON* variables (``-I`` ignores them anyway), one BLAS thread."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder),
           "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "LANG": "C.UTF-8"}
    for var in ("MPLCONFIGDIR", "IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR"):
        env[var] = str(folder / var.lower())
    if os.environ.get("MPLCONFIGDIR"):  # the grader's font cache, built once
        env["MPLCONFIGDIR"] = os.environ["MPLCONFIGDIR"]
    return env


def wall_limit(all_cases, setup_seconds=SETUP_SECONDS):
    """Seconds the learner's process may run: the cells, then every case's own limit."""
    per_group = [sum(case_limit(c) for c in cases) for cases in all_cases]
    return min(MAX_SECONDS, setup_seconds + sum(per_group) + 5)


def run_learner_process(folder, seconds, memory=MEMORY_BYTES, runner=None,
                        setup_seconds=SETUP_SECONDS):
    """Run the learner's process on ``folder``; kill it (and its session) when it runs too long.

    It has ``setup_seconds`` to run the set-up and answer cells (it writes ``out/cells.json``
    when done), and ``seconds`` in all.

    Returns
    -------
    str
        ``""`` when it finished, else why it stopped ("ran past ...", "was stopped by signal N").
    """
    cmd = [sys.executable, "-I", "-m", "autograde.grading.child", str(folder)]
    if runner:
        cmd = [*runner, *cmd]
    proc = subprocess.Popen(cmd, cwd=folder, env=child_env(folder), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True,
                            preexec_fn=_limits(int(seconds) + 5, memory, FILE_BYTES))
    why = ""
    start = time.monotonic()
    try:
        while True:
            code = proc.poll()
            if code is not None:
                if code < 0:
                    why = f"was stopped by signal {-code} ({signal.Signals(-code).name})"
                elif code != 0:
                    why = f"exited with status {code}"
                break
            elapsed = time.monotonic() - start
            if elapsed > seconds:
                why = f"ran past its time limit of {seconds:.0f} s and was stopped"
                break
            if elapsed > setup_seconds and not (folder / "out" / "cells.json").exists():
                why = (f"did not finish running the set-up and answer cells within "
                       f"{setup_seconds:.0f} s (is there an endless loop outside your function?)")
                break
            time.sleep(0.02)
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # its children too
        proc.wait()
    return why


# --- reading what came back -------------------------------------------------------------------

def _decode_value(node, arrays, depth=0):
    """Rebuild a returned value from its JSON tree (only None, arrays, scalars, lists, tuples)."""
    if not isinstance(node, dict) or depth > 5:
        raise ValueError("bad node")
    kind = node.get("kind")
    if kind == "none":
        return None
    if kind in ("list", "tuple"):
        items = [_decode_value(n, arrays, depth + 1) for n in node.get("items", [])[:64]]
        return items if kind == "list" else tuple(items)
    if kind == "object":
        name = str(node.get("type", "object"))
        name = name if name.isidentifier() else "object"
        return type(name, (), {"__module__": "learner"})()  # an opaque stand-in
    if kind in ("ndarray", "npscalar", "pyscalar"):
        arr = np.array(arrays[str(node["key"])])
        if arr.dtype.kind not in "biufc":
            raise ValueError("not numeric")
        if kind == "npscalar":
            return arr[()]
        if kind == "pyscalar":
            return arr.item()
        if node.get("readonly"):
            arr.setflags(write=False)
        return arr
    raise ValueError(f"unknown kind {kind!r}")


def read_outcome(out, name):
    """The :class:`Outcome` of one case from the learner's process, or ``None`` if it is absent."""
    meta_path, arr_path = out / f"{name}.json", out / f"{name}.npz"
    if not meta_path.is_file():
        return None
    try:
        if meta_path.stat().st_size > 1024**2 or arr_path.stat().st_size > MAX_RESULT_BYTES:
            raise ValueError("too large")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        with np.load(arr_path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        value = _decode_value(meta.get("value"), arrays)
        error = meta.get("error")
        outcome = Outcome(
            value=value,
            error=str(error)[:2000] if error is not None else None,
            timed_out=meta.get("timed_out") is True,
            printed=str(meta.get("printed", ""))[:2000],
            warned=[str(w)[:300] for w in list(meta.get("warned", []))[:5]],
            elapsed=float(meta.get("elapsed", 0.0)),
            modified=[str(m) for m in list(meta.get("modified", []))[:10]])
        if not np.isfinite(outcome.elapsed):
            outcome.elapsed = 0.0
        return outcome
    except Exception as exc:  # noqa: BLE001 - anything unreadable fails the case
        return Outcome(error=f"its result could not be read ({type(exc).__name__})")


# --- judging ----------------------------------------------------------------------------------

@dataclass
class Verdict:
    """The trusted decision on one test cell."""

    test: TestCell
    fraction: float
    feedback: str


def judge_group(test, cases, out, g, stopped):
    """Judge test cell ``g``'s cases from the learner's process; print nothing, return a Verdict."""
    graded = GRADED[test.function]
    buf = io.StringIO()
    missing = out / f"g{g}_missing.json"
    if missing.is_file():
        try:
            kind = str(json.loads(missing.read_text(encoding="utf-8")).get("type", "?"))[:40]
        except Exception:  # noqa: BLE001
            kind = "?"
        text = (f"{graded.title}: expected a function, got {kind}. Did you run the answer "
                "cell that defines it?")
        return Verdict(test, 0.0, text)
    results, timeouts = [], []
    for i, case in enumerate(cases):
        if len(timeouts) >= MAX_TIMEOUTS:
            runs = " and ".join(str(k) for k in timeouts)
            results.append((case, None, False, [
                f"not run: your function already ran past its time limit on cases {runs}"]))
            continue
        outcome = read_outcome(out, f"g{g}_c{i}")
        if outcome is None:
            results.append((case, None, False, [
                f"not run: the process running your code {stopped or 'stopped early'}"]))
            continue
        if outcome.timed_out:
            timeouts.append(i + 1)
        with contextlib.redirect_stdout(io.StringIO()):
            passed, lines = graded.judge(case, outcome)
        results.append((case, outcome, bool(passed), lines))
    with contextlib.redirect_stdout(buf):
        print_report(graded.title, results)
    fraction = float(sum(r[2] for r in results) / len(results))
    return Verdict(test, fraction, buf.getvalue())


def grade_program(program, runner=None, memory=MEMORY_BYTES, setup_seconds=SETUP_SECONDS):
    """Judge every test cell of ``program``; a list of Verdict in the order of its tests.

    Each graded function gets its own process, which runs the set-up cells and the answer
    cells up to that function's own (as the notebook does before its test cells), so code
    in a later answer cell cannot change an earlier function's grade.
    """
    verdicts = {}
    functions = list(dict.fromkeys(t.function for t in program.tests))
    ids = [c["grade_id"] for c in program.cells]
    for fn in functions:
        cut = ids.index(f"answer_{fn}") + 1 if f"answer_{fn}" in ids else len(ids)
        part = Program(program.cells[:cut], [t for t in program.tests if t.function == fn])
        for v in _grade_part(part, runner, memory, setup_seconds):
            verdicts[v.test.grade_id] = v
    return [verdicts[t.grade_id] for t in program.tests]


def _grade_part(program, runner, memory, setup_seconds):
    with tempfile.TemporaryDirectory(prefix="bptt-trusted-") as tmp:
        folder = Path(tmp)
        all_cases = write_inputs(folder, program)
        (folder / "out").mkdir()
        if runner:  # the unprivileged user writes its results here
            os.chmod(folder, 0o755)
            os.chmod(folder / "out", 0o777)
        stopped = run_learner_process(folder, wall_limit(all_cases, setup_seconds),
                                      memory=memory, runner=runner,
                                      setup_seconds=setup_seconds)
        return [judge_group(t, cases, folder / "out", g, stopped)
                for g, (t, cases) in enumerate(zip(program.tests, all_cases, strict=True))]


# --- writing the verdicts into the notebook ---------------------------------------------------

NOTE = "(decided by the trusted grading step, outside your notebook's kernel)\n"


def write_verdict(cell, verdict):
    """Replace a test cell's outputs with the trusted feedback and score (nbgrader reads them)."""
    points = float(_meta(cell).get("points") or 0)
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=verdict.feedback + NOTE)]
    if verdict.test.hidden:
        outputs.append(nbformat.v4.new_output(
            "execute_result", data={"text/plain": repr(float(points * verdict.fraction))},
            execution_count=cell.get("execution_count")))
    elif verdict.fraction != 1.0:
        outputs.append(nbformat.v4.new_output(
            "error", ename="AssertionError", evalue=FAILED_VISIBLE,
            traceback=[f"AssertionError: {FAILED_VISIBLE}"]))
    cell.outputs = outputs


def grade_notebook(source_nb, nb, runner=None, setup_seconds=SETUP_SECONDS):
    """Decide every known test cell of ``nb`` (a submitted notebook) in place.

    Test cells are matched by ``grade_id`` with the instructor's ``source_nb``; the
    submission's own test cells only receive the outputs. Returns the list of Verdict.
    """
    program = build_program(source_nb, nb)
    verdicts = grade_program(program, runner=runner, setup_seconds=setup_seconds)
    by_id = {v.test.grade_id: v for v in verdicts}
    for cell in nb.cells:
        gid = _meta(cell).get("grade_id")
        if gid in by_id and cell.get("cell_type") == "code" and _meta(cell).get("grade"):
            write_verdict(cell, by_id[gid])
    return verdicts


# --- nbgrader preprocessors -------------------------------------------------------------------

from nbgrader.preprocessors import Execute, NbGraderPreprocessor  # noqa: E402
from traitlets import Float, List, Unicode  # noqa: E402


class _StopExecution(Exception):
    """Raised to stop running a learner's notebook in its kernel."""


class GuardedExecute(Execute):
    """nbgrader's ``Execute`` that survives a kernel the learner killed (nbgrader #427).

    The cells after the death keep no outputs; :class:`TrustedGrades` decides the scores.
    """

    def on_cell_executed(self, **kwargs):
        super().on_cell_executed(**kwargs)
        content = kwargs["execute_reply"].get("content", {})
        if content.get("ename") == self.error_on_timeout.get("ename"):
            # A kernel that ran past the cell timeout (and may ignore interrupts) would make
            # every later cell wait as long: stop here; the trusted step decides the scores.
            self.shutdown_kernel = "immediate"
            raise _StopExecution("a cell ran past the time limit")

    def preprocess(self, nb, resources=None, km=None):
        try:
            return super().preprocess(nb, resources, km=km)
        except Exception as exc:  # noqa: BLE001 - DeadKernelError, a timeout, ...
            self.log.warning("the learner's kernel stopped (%s: %s); the trusted grading step "
                             "decides the scores", type(exc).__name__, str(exc)[:200])
            return nb, resources


def _source_notebook(config, resources):
    """The instructor's version of the notebook being graded (``source/<assignment>/<nb>``)."""
    from nbgrader.coursedir import CourseDirectory

    info = resources["nbgrader"]
    course = CourseDirectory(config=config)
    source = Path(course.format_path(course.source_directory, ".", info["assignment"]))
    return nbformat.read(source / f"{info['notebook']}.ipynb", as_version=4)


class DropUnknownCells(NbGraderPreprocessor):
    """Sanitizing: a cell whose ``grade_id`` the instructor's notebook lacks loses its nbgrader
    metadata (as a learner's own cell). nbgrader 0.9.6 would otherwise fail the whole
    submission in ``OverwriteCells.add_missing_task_cells`` (KeyError 'grade_id')."""

    def preprocess(self, nb, resources):
        known = {_meta(c).get("grade_id") for c in _source_notebook(self.config, resources).cells}
        for cell in nb.cells:
            gid = _meta(cell).get("grade_id")
            if "nbgrader" in cell.get("metadata", {}) and gid not in known:
                self.log.warning("cell %r is not in the instructor's notebook: graded as a "
                                 "learner's own cell", gid)
                del cell.metadata["nbgrader"]
        return nb, resources


class TrustedGrades(NbGraderPreprocessor):
    """Re-decide every test cell outside the learner's kernel (see :mod:`autograde.grading.trusted`)."""

    runner = List(Unicode(), default_value=[], help=(
        "A command prefix that runs the learner's process as another user, e.g. "
        "['setpriv', '--reuid=bptt-learner', '--regid=bptt-learner', '--clear-groups', '--']")
    ).tag(config=True)
    setup_seconds = Float(SETUP_SECONDS, help=(
        "Seconds the learner's process may take to run the set-up and answer cells")
    ).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        source_nb = _source_notebook(self.config, resources)
        t0 = time.perf_counter()
        verdicts = grade_notebook(source_nb, nb, runner=list(self.runner) or None,
                                  setup_seconds=self.setup_seconds)
        self.log.info("trusted grading of %s/%s: %s (%.1f s)", info["student"], info["notebook"],
                      ", ".join(f"{v.test.grade_id}={v.fraction:.2f}" for v in verdicts),
                      time.perf_counter() - t0)
        return nb, resources
