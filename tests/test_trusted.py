"""The trusted grading step: for honest work it gives the in-kernel checks' scores.

The catalogued mistakes (tests/variants/mistakes.py) and the correct variants run in the
trusted step's own process (one per graded function); every fraction must equal what the
in-kernel check gives, and the feedback must open with the same verdict line.
"""

import contextlib
import io
import os
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograde.grading import protocol, replies, trusted
from autograde.grading.preprocessors import grade_notebook
from autograde.grading.program import Program, build_program, seed_of
from autograde.grading.program import TestCell as GradedCell
from autograde.grading.trusted import grade_program
from autograde.registry import GRADED, cached_cases

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = Path(__file__).resolve().parent / "variants"
RELEASED = sorted((ROOT / "notebooks" / "bptt").glob("*.ipynb"))


LEARNERS_TEXT = {"debugging: T =", "raised a warning: UserWarning: this warning must be captured"}


def in_kernel(function, fn, hidden):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        score = GRADED[function].check(fn, hidden=hidden)
    return score, buf.getvalue()


def _variants_program(module, function, names):
    source = (VARIANTS / f"{module}.py").read_text(encoding="utf-8")
    tests = [GradedCell(f"{'hidden' if h else 'test'}_{n}", function, h, call=n)
             for n in names for h in (False, True)]
    return Program([{"grade_id": "setup", "source": source}], tests)


def test_registry_matches_the_check_functions():
    import autograde

    for name, graded in GRADED.items():
        check = getattr(autograde, f"check_{name}")
        assert graded.title == name and callable(check)
        cases = cached_cases(name, False, 0)  # built once: the tests below reuse them
        assert cases and len(cached_cases(name, True, 0)) > len(cases)


@pytest.mark.parametrize("function", ["step_jacobian", "calc_delta", "calc_gradient"])
def test_catalogued_mistakes_get_the_in_kernel_score(function, sandbox_ready):
    from variants.mistakes import BY_FUNCTION

    mistakes = BY_FUNCTION[function]
    verdicts = grade_program(_variants_program("mistakes", function, [m.name for m in mistakes]),
                             ROOT / "notebooks" / "bptt")
    by_id = {v.test.grade_id: v for v in verdicts}
    for m in mistakes:
        for hidden in (False, True):
            v = by_id[f"{'hidden' if hidden else 'test'}_{m.name}"]
            score, text = in_kernel(function, m.fn, hidden)
            assert v.fraction == score, f"{m.name} hidden={hidden}: {v.fraction} != {score}"
            assert v.feedback.splitlines()[0] == text.splitlines()[0], m.name
            if score < 1.0 and m.comparable:
                for want in m.expect:  # the trusted feedback names the mistake too ...
                    if want in LEARNERS_TEXT:  # ... but never shows what the function printed
                        assert want not in v.feedback and "not shown when grading" in v.feedback
                    else:
                        assert want in v.feedback, f"{m.name}: {want!r} missing"


# The solutions' full marks and the released notebooks' zero through the trusted step are
# asserted for every notebook by the graded demo course (tests/test_nbgrader_e2e.py) and by
# `bptt check` on the solutions (tests/test_selfcheck.py).


def test_grade_notebook_writes_what_nbgrader_scores(tmp_path, sandbox_ready):
    from nbgrader.utils import determine_grade

    src = nbformat.read(ROOT / "solutions" / "bptt" / "02_delta_recursion.ipynb", as_version=4)
    nb = nbformat.read(ROOT / "notebooks" / "bptt" / "02_delta_recursion.ipynb", as_version=4)
    for cell in nb.cells:  # a forged in-kernel result: full marks on every test cell
        if (cell.metadata.get("nbgrader", {}).get("grade_id") or "").startswith("hidden_"):
            cell.outputs = [nbformat.v4.new_output("execute_result",
                                                   data={"text/plain": "full marks"})]
    grade_notebook(src, nb, ROOT / "notebooks" / "bptt")
    scores = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            scores[meta["grade_id"]] = determine_grade(cell)[0]
            assert "trusted grading step" in cell.outputs[0]["text"]
    assert scores == {"test_step_jacobian": 0, "hidden_step_jacobian": 0.0,
                      "test_calc_delta": 0, "hidden_calc_delta": 0.0}


def test_only_plain_arrays_come_back():
    liar = replies.decode_value({"kind": "object", "type": "Liar"}, {})
    assert type(liar).__name__ == "Liar" and not isinstance(liar, np.ndarray)
    with pytest.raises(ValueError):
        replies.decode_value({"kind": "pickle", "key": "v"}, {})
    huge = replies.decode_value({"kind": "toolarge", "shape": [10**6, 10**6]}, {})
    assert huge.shape == (10**6, 10**6) and huge.strides == (0, 0)  # no memory behind it
    # 64 of them in a list: np.asarray would stack them into 64 x 8 GB of the grader's memory
    node = {"kind": "list", "items": [{"kind": "toolarge", "shape": [1000, 1000]}] * 64}
    items = replies.decode_value(node, {})
    assert len(items) == 64 and not any(isinstance(v, np.ndarray) for v in items)
    from autograde.checks.normalize import Rejected, to_array
    with pytest.raises(Rejected, match="array of numbers"):
        to_array(items, "deltas", (3, 2), "(T+1, H)")


def test_the_result_channel_is_bounded_before_anything_is_read():
    r, w = os.pipe()
    try:
        os.write(w, protocol.encode({"op": "result"}, {"v": np.zeros(1000)}))
        with pytest.raises(protocol.ProtocolError, match="larger than allowed"):
            protocol.receive(r, max_data=1000)
    finally:
        os.close(r), os.close(w)
    for spec, data in ([{"name": "v", "dtype": "|O", "shape": [1]}], b"\0" * 8), \
            ([{"name": "v", "dtype": "<f8", "shape": [2]}], b"\0" * 8), \
            ([{"name": "v", "dtype": "<f8", "shape": [1]}], b"\0" * 16):
        with pytest.raises(protocol.ProtocolError):
            protocol.decode_arrays(spec, data)
    arrays = protocol.decode_arrays([{"name": "v", "dtype": "<f8", "shape": [2]}],
                                    np.array([1.0, 2.0]).tobytes())
    assert arrays["v"].tolist() == [1.0, 2.0] and arrays["v"].flags.writeable


def test_a_header_nested_too_deep_is_a_protocol_error():
    # json.loads("[" * 10**5) raises RecursionError, which is no ValueError: it must not escape
    # the channel (it would fail the whole student's nbgrader run instead of one case)
    head = b"[" * 200_000
    r, w = os.pipe()
    try:
        os.write(w, protocol.MAGIC + protocol._LENGTHS.pack(len(head), 0))
        with open(w, "wb", closefd=False) as fh:  # more than a pipe buffer: write from a thread
            import threading
            t = threading.Thread(target=fh.write, args=(head,))
            t.start()
            with pytest.raises(protocol.ProtocolError, match="not JSON"):
                protocol.receive(r, max_data=0)
            t.join()
    finally:
        os.close(r), os.close(w)


def test_seed_is_read_from_the_instructors_test_cell():
    assert seed_of("float(3 * check_calc_delta(calc_delta, hidden=True, seed=42))",
                   "calc_delta") == 42
    assert seed_of("float(3 * check_calc_delta(calc_delta, hidden=True))", "calc_delta") is None


# --- the autograde version a notebook was released with ------------------------------------------

def test_released_notebooks_record_the_autograde_version():
    from autograde import __version__
    from autograde.version import recorded_version

    for path in RELEASED:
        assert recorded_version(nbformat.read(path, as_version=4)) == __version__, path.name


def _tiny_notebook(path, version):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1 + 1")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["bptt"] = {"autograde_version": version}
    nbformat.write(nb, path)
    return path


def test_self_check_warns_on_stdout_when_versions_differ(tmp_path):
    from autograde import __version__
    from autograde.grading.selfcheck import check_notebooks

    for version, warned in (("0.0.1-old", True), (__version__, False)):
        lines = []
        path = _tiny_notebook(tmp_path / f"nb_{warned}.ipynb", version)
        check_notebooks([path], out=lines.append, progress=io.StringIO())
        text = "\n".join(lines)
        assert ("released with autograde 0.0.1-old" in text) is warned, text
        assert (f"autograde {__version__} is installed" in text) is warned


def test_the_set_up_cells_import_warns_in_a_notebook(tmp_path, monkeypatch):
    from autograde.version import warn_in_notebook

    lines = []
    monkeypatch.setenv("JPY_SESSION_NAME", str(_tiny_notebook(tmp_path / "a.ipynb", "9.9")))
    assert "released with autograde 9.9" in warn_in_notebook(out=lines.append)
    assert lines
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "missing.ipynb"))
    assert warn_in_notebook(out=lines.append) == ""


# --- OS isolation: the learner's process in the sandbox ---------------------------------------

RIGHT_CALC_DELTA = """
def calc_delta(sensitivity, states, W, activator):
    if LEAKED or WROTE:
        return np.zeros_like(states)
    T = len(states) - 1
    deltas = np.zeros_like(states)
    deltas[T] = sensitivity
    for t in range(T - 1, 0, -1):
        deltas[t] = activator.backward(states[t]) * (W.T @ deltas[t + 1])
    return deltas
"""


def _file_attack_program(folder):
    attack = f"""
import numpy as np
try:
    LEAKED = "SECRET" in open({str(folder / 'solutions.ipynb')!r}).read()
except OSError:
    LEAKED = False
try:
    with open({str(folder / 'gradebook.db')!r}, "w") as fh:
        fh.write("all full marks")
    WROTE = True
except OSError:
    WROTE = False
try:
    open({str(folder / 'planted.py')!r}, "w").write("x = 1")
except OSError:
    pass
"""
    return Program([{"grade_id": "setup", "source": "import numpy as np"},
                    {"grade_id": "answer_calc_delta", "source": attack + RIGHT_CALC_DELTA}],
                   [GradedCell("test_calc_delta", "calc_delta", False)])


def test_file_attacks_fail_in_the_sandbox(tmp_path, sandbox_ready):
    folder = tmp_path / "course"
    folder.mkdir(mode=0o777)
    os.chmod(tmp_path, 0o755)
    (folder / "solutions.ipynb").write_text("SECRET")
    os.chmod(folder / "solutions.ipynb", 0o644)  # readable and writable by anyone who sees them
    (folder / "gradebook.db").write_text("grades")
    os.chmod(folder / "gradebook.db", 0o666)
    [v] = grade_program(_file_attack_program(folder), tmp_path)
    assert v.fraction == 1.0, v.feedback  # it ran, and neither the read nor the write worked
    assert (folder / "gradebook.db").read_text() == "grades"
    assert not (folder / "planted.py").exists()
    # the control: without the sandbox (the explicit opt-out) the same code reads and writes both
    [v] = grade_program(_file_attack_program(folder), tmp_path, sandboxed=False)
    assert v.fraction == 0.0
    assert (folder / "gradebook.db").read_text() == "all full marks"
    assert (folder / "planted.py").exists()


def test_bptt_grade_explains_a_missing_submissions_folder(tmp_path, capsys):
    from autograde.cli import main

    assert main(["grade", str(tmp_path / "nope"), "--dir", str(tmp_path / "out"),
                 "--root", str(ROOT)]) == 2
    assert "is not a folder of submissions" in capsys.readouterr().err


def test_a_cell_that_stalls_is_tried_once_not_once_per_case(monkeypatch, sandbox_ready):
    started = []
    real = trusted.LearnerProcess

    def counted(*args, **kwargs):
        started.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(trusted, "LearnerProcess", counted)
    # (a set-up cell with no import, and 3 s rather than 1: on a busy machine the process's own
    # start can take a second, which would count against the set-up cell instead)
    program = Program([{"grade_id": "setup", "source": "x = 1"},
                       {"grade_id": "answer_calc_delta", "source": "while True:\n    pass"}],
                      [GradedCell("test_calc_delta", "calc_delta", False),
                       GradedCell("hidden_calc_delta", "calc_delta", True)])
    verdicts = grade_program(program, ROOT / "notebooks" / "bptt", setup_seconds=3)
    assert [v.fraction for v in verdicts] == [0.0, 0.0]
    assert "did not finish running the set-up and answer cells within 3 s" in verdicts[1].feedback
    assert len(started) == 1  # not one process (and 3 s) per case: 26, nor a second try


def test_the_sandboxs_tmp_is_bounded(sandbox_ready):
    import subprocess
    import sys

    from autograde.grading import sandbox

    if not sandbox._sizes_tmpfs():
        pytest.skip("this bubblewrap cannot bound a tmpfs (--size needs bubblewrap 0.7)")
    code = ("n = 0\nfor d in ('/tmp', '/dev/shm'):\n    for i in range(16):\n        try:\n"
            "            open(f'{d}/f{i}', 'wb').write(b'x' * 2**25)\n            n += 32\n"
            "        except OSError:\n            break\nprint(n)")
    proc = subprocess.run(sandbox.wrap([sys.executable, "-I", "-c", code], ROOT / "notebooks"),
                          capture_output=True, text=True, timeout=60)
    written = int(proc.stdout.strip())  # MiB in /tmp and /dev/shm: tmpfs is memory
    assert 0 < written <= (sandbox.TMP_BYTES + sandbox.SHM_BYTES) // 2**20, proc.stdout


def test_the_long_case_is_called_last_when_visible_and_first_when_hidden():
    # Between the two calls on the same long-case inputs there is no short case a learner's
    # process could stall while it works on the long case in the background.
    for function in ("calc_delta", "truncated_bptt"):
        visible, hidden = cached_cases(function, False, 3), cached_cases(function, True, 3)
        long_visible = [i for i, c in enumerate(visible) if c.long_steps]
        long_hidden = [i for i, c in enumerate(hidden) if c.long_steps]
        assert len(long_visible) == 1 and visible[long_visible[0]] is hidden[long_hidden[0]]
        assert trusted.call_order(visible, False)[-1] == long_visible[0]
        assert trusted.call_order(hidden, True)[0] == long_hidden[0]
        assert sorted(trusted.call_order(hidden, True)) == list(range(len(hidden)))


@pytest.mark.parametrize("overlap", [False, True])
def test_grading_builds_every_case_before_learner_code_runs(overlap, monkeypatch):
    # Attack 4b: a case's time limit comes from the checker's run, timed as the case is built;
    # learner processes left busy meanwhile stretched it. Grading builds every case before the
    # learner's process starts; only `bptt check` (overlap=True) lets them run side by side.
    from variants.mistakes import BY_FUNCTION

    events, build, start = [], trusted.cached_cases, trusted.LearnerProcess
    monkeypatch.setattr(trusted, "cached_cases",
                        lambda *a: events.append(("build", a[0], a[1])) or build(*a))
    monkeypatch.setattr(trusted, "LearnerProcess",
                        lambda *a, **k: events.append(("start",)) or start(*a, **k))
    names = [m.name for m in BY_FUNCTION["step_jacobian"][:1]]
    grade_program(_variants_program("mistakes", "step_jacobian", names), ROOT / "notebooks" / "bptt",
                  sandboxed=False, overlap=overlap)
    first_start = events.index(("start",))
    first_build = {}  # (function, hidden) -> when its cases were first asked for
    for i, e in enumerate(events):
        if e[0] == "build":
            first_build.setdefault(e[1:], i)
    assert set(first_build) == {("step_jacobian", False), ("step_jacobian", True)}
    if overlap:
        assert first_start == 0
    else:
        assert max(first_build.values()) < first_start


def test_a_missing_answer_cell_is_named_not_blamed_on_running(sandbox_ready):
    # Attack review F5: an honest calc_delta retyped into a new cell scored 0 with "Did you
    # run the answer cell that defines it?", although the learner had run it.
    src = nbformat.read(ROOT / "solutions" / "bptt" / "02_delta_recursion.ipynb", as_version=4)
    nb = nbformat.read(ROOT / "solutions" / "bptt" / "02_delta_recursion.ipynb", as_version=4)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                  == "answer_calc_delta")
    del answer.metadata["nbgrader"]  # the same code in a cell the learner added
    program = build_program(src, nb)
    assert program.answers_missing == ["answer_calc_delta"]
    verdicts = {v.test.grade_id: v for v in grade_program(program, ROOT / "solutions" / "bptt")}
    assert verdicts["test_step_jacobian"].fraction == 1.0
    for gid in ("test_calc_delta", "hidden_calc_delta"):
        assert verdicts[gid].fraction == 0.0
        assert "no answer cell for calc_delta" in verdicts[gid].feedback
        assert "Did you run" not in verdicts[gid].feedback
