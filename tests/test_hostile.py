"""The hostile class: every attack on grading, in ONE `bptt grade` batch (4 workers on 2 cores).

The course is a throw-away one (a course root with ``nbgrader_config.py`` and one light
notebook, ``solutions/bptt/02_light.ipynb``: the set-up, answer and test cells of notebook 2,
released by nbgrader as usual). Each ``tests/hostile/<name>.py`` is one student's answers
(``# @RIGHT_<fn>@`` stands for the instructor's code, ``@GRADE_DIR@`` and friends for the
absolute paths of this batch); some students' notebooks are edited as well
(:data:`NOTEBOOK_EDITS`, :data:`FILE_EDITS`). Two honest students share the batch.

For each student the score is what its honest part earns (:data:`EXPECTED`); the batch
finishes and writes grades.csv and everyone's feedback; two of the README demo's example
learners (``examples/submissions/``: a catalogued mistake, misbehaving code) are graded here
too, so their feedback is checked without grading the whole course for them; no process of the batch is left
running; the grader (each worker process) stays under 1 GiB; the grader's secret canary
appears nowhere; the instructor's files are unchanged; a rerun is idempotent.
docs/grading_integrity.md's attack table states the same scores.
"""

import copy
import csv
import html
import json
import os
import re
import resource
import secrets
import time
from pathlib import Path

import nbformat
import pytest

from autograde.grading import workers
from autograde.grading.batch import grade_batch
from autograde.grading.course import generate
from autograde.grading.submissions import answers_from_notebooks, build_submission, grade_id

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "hostile"
SOURCE = ROOT / "solutions" / "bptt" / "02_delta_recursion.ipynb"
NB = "02_light"
# Short limits keep the batch small: the kernel's cells 6 s each and 15 s per notebook, the
# trusted step's cells 10 s (defaults: 120 s, 600 s, 60 s); 150 s per student in all.
CONFIG = "\n".join(["c.Execute.timeout = 6", "c.GuardedExecute.notebook_seconds = 15",
                    "c.TrustedGrades.setup_seconds = 10"])
STUDENT_SECONDS = 150
# More workers than cores: most attacks wait (on time limits, sleeping cells), so the batch takes
# about as long as its slowest student rather than the sum of the waits over two workers.
WORKERS = 4
STALL = 5.5  # seconds each added cell of noise_stalls sleeps: just under the cell timeout
CANARY_VAR = "BPTT_HOSTILE_CANARY"
MAX_RSS_MIB = 1024

FULL = {"step_jacobian": "full", "calc_delta": "full"}
ATTACKED = {"step_jacobian": "full", "calc_delta": "zero"}
NOTHING = {"step_jacobian": "zero", "calc_delta": "zero"}  # the file could not be taken in
EXAMPLES = ROOT / "examples" / "submissions"
EXPECTED = {
    # the README demo's examples: f' from states[t+1] in calc_delta; an endless loop, and an
    # in-place change of an input. Both calc_delta's fail its long case (T = 1000), which gates
    # the check, so neither earns any of its points (the demo's wrong_fprime earns its points
    # elsewhere in the course)
    "wrong_fprime": ATTACKED,
    "misbehaves": {"step_jacobian": "zero", "calc_delta": "zero"},
    "honest_1": FULL, "honest_2": FULL, "honest_quirks": FULL, "noise_stalls": FULL,
    "daemons": FULL,
    **{name: ATTACKED for name in (
        "kernel_tricks", "tampered_tests", "process_attacks", "cell_exit", "cell_loop",
        "reads_instructor", "prints_environment", "result_bombs", "hidden_lookup", "overflow",
        "fd_naive", "fd_helper")},
    "symlink": NOTHING, "invalid_json": NOTHING,
}
pytestmark = [pytest.mark.skipif(not SOURCE.is_file(), reason="no notebook 2 yet"),
              pytest.mark.usefixtures("sandbox_ready")]


# --- the class ------------------------------------------------------------------------------------

def light_notebook(dest):
    """Notebook 2 with only its set-up, answer and test cells (no demonstrations)."""
    nb = nbformat.read(SOURCE, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "code" and re.match(
        r"^(setup|answer_|test_|hidden_)", grade_id(c) or "")]
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    return dest


def _cell(nb, gid):
    return next(i for i, c in enumerate(nb.cells) if grade_id(c) == gid)


def _tampered_tests(nb, released):
    del nb.cells[_cell(nb, "test_calc_delta")]
    hidden = nb.cells[_cell(nb, "hidden_calc_delta")]
    hidden.metadata.nbgrader.update(solution=True, points=100, locked=False)
    hidden.source = "float(100)"
    nb.cells[_cell(nb, "test_step_jacobian")].source = "pass"
    mine = nbformat.v4.new_code_cell("float(100)")
    mine.metadata["nbgrader"] = {"grade": True, "grade_id": "test_mine", "points": 100,
                                 "locked": True, "solution": False, "schema_version": 3}
    nb.cells.append(mine)


def _honest_quirks(nb, released):
    i = _cell(nb, "answer_calc_delta")
    first = copy.deepcopy(nb.cells[i])  # JupyterLab's copy keeps the metadata, new cell id
    first.id = secrets.token_hex(4)
    first.source = released.cells[_cell(released, "answer_calc_delta")].source  # the stub
    nb.cells.insert(i, first)
    empty = nbformat.v4.new_code_cell("x = 1")
    empty.metadata["nbgrader"] = {}
    nb.cells.append(empty)
    nb.cells.append(nbformat.v4.new_markdown_cell(  # live in the feedback HTML and in Formgrader?
        'my notes <img src=x onerror="alert(1)"> [see](javascript:alert(2)) '
        '<script>alert(3)</script>'))


def _noise_stalls(nb, released):
    i = _cell(nb, "answer_calc_delta")
    for k in range(4, 0, -1):
        nb.cells.insert(i + 1, nbformat.v4.new_code_cell(
            f"import time\n\ntime.sleep({STALL})\nprint('stall {k} done')"))


NOTEBOOK_EDITS = {"tampered_tests": _tampered_tests, "honest_quirks": _honest_quirks,
                  "noise_stalls": _noise_stalls}
FILE_EDITS = {
    "symlink": lambda path, course: (path.unlink(), path.symlink_to(
        course / "solutions" / "bptt" / f"{NB}.ipynb")),
    "invalid_json": lambda path, course: path.write_text('{"cells": [ this is not JSON'),
}


def answers(name, right, paths):
    """The sections of ``tests/hostile/<name>.py`` with every placeholder filled in."""
    from autograde.grading.submissions import parse_answers

    path = HOSTILE / f"{name}.py"
    text = (path if path.is_file() else EXAMPLES / f"{name}.py").read_text(encoding="utf-8")
    text = re.sub(r"^# @RIGHT_(\w+)@.*$", lambda m: right[f"answer_{m.group(1)}"], text,
                  flags=re.M)
    for key, value in paths.items():
        text = text.replace(f"@{key}@", str(value))
    return {**right, **parse_answers(text)}


def build_class(tmp):
    """The course root, the released light notebook, and one submission per student."""
    course = tmp / "course-root"
    (course / "solutions" / "bptt").mkdir(parents=True)
    (course / "nbgrader_config.py").write_bytes((ROOT / "nbgrader_config.py").read_bytes())
    source = light_notebook(course / "solutions" / "bptt" / f"{NB}.ipynb")
    release = tmp / "release"
    release.mkdir()
    for rel, data in generate(course).items():  # nbgrader generate_assignment, as `bptt release`
        (release / rel).write_bytes(data)
    released = nbformat.read(release / f"{NB}.ipynb", as_version=4)
    right = answers_from_notebooks([source])
    paths = {"GRADE_DIR": tmp / "out", "COURSE_ROOT": course, "REPO_ROOT": ROOT}
    subs = tmp / "submissions"
    for name in EXPECTED:
        has_file = (HOSTILE / f"{name}.py").is_file() or (EXAMPLES / f"{name}.py").is_file()
        dest = subs / name / "bptt"
        build_submission(release, answers(name, right, paths) if has_file else right, dest)
        path = dest / f"{NB}.ipynb"
        if name in NOTEBOOK_EDITS:
            nb = nbformat.read(path, as_version=4)
            NOTEBOOK_EDITS[name](nb, released)
            nbformat.write(nb, path)
        if name in FILE_EDITS:
            FILE_EDITS[name](path, course)
    return course, subs


def batch_processes(uids, marker):
    """``[(pid, what)]`` of processes of the sandbox's ``uids`` or naming ``marker`` (a path)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue  # ended meanwhile
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        if uid in uids or marker.encode() in cmdline:
            found.append((int(entry.name), f"uid {uid}: {cmdline[:200].decode(errors='replace')}"))
    return found


def _cpu_seconds():
    """CPU time of this process and its waited-for children (workers, kernels, sandboxes)."""
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@pytest.fixture(scope="module")
def batch(tmp_path_factory, request):
    tmp = tmp_path_factory.mktemp("hostile")
    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    course, subs = build_class(tmp)
    canary = f"canary-{secrets.token_hex(12)}"
    # uids of this batch alone (others' batches on the same machine use 61000 and up)
    first_uid = 62000 + WORKERS * (os.getpid() % (3000 // WORKERS))
    uids = tuple(first_uid + k for k in range(WORKERS))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(workers, "FIRST_UID", first_uid)
        mp.setenv(CANARY_VAR, canary)  # the workers inherit the grader's environment
        lines = []
        t1 = time.perf_counter()
        results, failures = grade_batch(course, subs, tmp / "out", workers=WORKERS, config=CONFIG,
                                        out=lines.append, student_seconds=STUDENT_SECONDS)
        t2 = time.perf_counter()
        left = batch_processes(set(uids), str(tmp))
        yield {"results": results, "failures": failures, "out": tmp / "out", "course": course,
               "subs": subs, "log": lines, "canary": canary, "uids": uids,
               "left": left, "tmp": tmp}
    report = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if report is not None and capture is not None:  # the module's time, measured (cpu: all
        with capture.global_and_fixture_disabled():  # its processes, on 2 cores)
            report.write_line(f"\nhostile batch: class built in {t1 - t0:.1f} s, {len(EXPECTED)} "
                              f"students graded in {t2 - t1:.1f} s; module {time.perf_counter() - t0:.1f}"
                              f" s wall, {_cpu_seconds() - cpu0:.0f} s cpu")


def cells(result, function):
    """``{grade_id: (score, max)}`` of the test cells of ``function``."""
    return {k.split(":", 1)[1]: tuple(v) for k, v in result["cells"].items()
            if re.match(rf"^{NB}:(test|hidden)_{function}$", k)}


def feedback(batch, name):
    return (batch["out"] / "feedback" / name / "bptt" / f"{NB}.html").read_text(encoding="utf-8")


# --- the tests ------------------------------------------------------------------------------------

def test_the_batch_finishes_with_grades_and_feedback_for_everyone(batch):
    assert not batch["failures"], batch["failures"]
    assert sorted(batch["results"]) == sorted(EXPECTED)
    with open(batch["out"] / "grades.csv", newline="") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert set(rows) == set(EXPECTED)
    for name, r in batch["results"].items():
        assert float(rows[name]["score"]) == pytest.approx(r["score"])
        assert float(rows[name]["max_score"]) == 8
        assert "trusted grading step" in feedback(batch, name), name
    assert not [ln for ln in batch["log"] if "no feedback" in ln or "FAILED" in ln]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_student_scores_what_its_honest_part_earns(batch, name):
    result = batch["results"][name]
    for function, want in EXPECTED[name].items():
        got = cells(result, function)
        assert len(got) == 2, got
        for gid, (score, max_score) in got.items():
            assert max_score > 0, gid
            assert score == (max_score if want == "full" else 0.0), \
                f"{name}: {gid} {score} of {max_score}"


def page_text(batch, name):
    """What a reader of a student's feedback page sees: no tags, styles or scripts."""
    text = re.sub(r"<(style|script)\b.*?</\1>", "", feedback(batch, name), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def test_the_feedback_names_the_catalogued_mistake(batch):
    text = page_text(batch, "wrong_fprime")
    assert re.search(r"deltas\[\d+\] takes f' from s_\d+", text), "the hint for the mistake"
    assert re.search(r"calc_delta: \d+ of (1[0-9]|[2-9]\d) cases passed", text), "hidden cases"
    assert re.search(r"AssertionError:\s*calc_delta: \d+ of \d+ cases passed", text), "error line"


def test_misbehaving_code_is_reported_in_words(batch):
    text = page_text(batch, "misbehaves")
    assert "endless loop" in text
    assert "in place" in text


def test_nothing_a_learner_wrote_or_displayed_is_active_html(batch):
    html = feedback(batch, "honest_quirks")
    assert "my notes" in html  # the learner's cell is shown, as text
    for active in ("<img src=x onerror", 'href="javascript:', "<script>alert(3)",
                   "<script>document.title", "<b id=quirks-html>"):
        assert active not in html, active


def test_the_secret_seed_defeats_a_hidden_case_lookup(batch):
    assert cells(batch["results"]["hidden_lookup"], "calc_delta")["hidden_calc_delta"] == (0, 3)


def test_no_process_of_the_batch_is_left_running(batch):
    assert batch["left"] == [], batch["left"]  # daemons, sleepers, kernels, bwrap, workers
    text = feedback(batch, "daemons")
    assert re.search(rf"daemon started by uid ({'|'.join(map(str, batch['uids']))})", text)
    for path in [*batch["out"].rglob("*.ipynb"), *batch["subs"].rglob("*.ipynb")]:
        if path.is_file() and not path.is_symlink():
            assert not path.read_bytes().endswith(b"garbage"), path


def test_the_grader_stays_under_1_gib(batch):
    peaks = {n: r["grader_max_rss_mib"] for n, r in batch["results"].items()}
    assert all(0 < p < MAX_RSS_MIB for p in peaks.values()), peaks


def test_the_graders_environment_leaks_nowhere(batch):
    text = feedback(batch, "prints_environment")
    assert "ENVIRONMENT:" in text and "BPTT_GRADING=1" in text  # the printing reached feedback
    assert re.search(rf"uid=({'|'.join(map(str, batch['uids']))})", text)  # as error text
    canary = batch["canary"].encode()
    assert canary not in "\n".join(batch["log"]).encode()
    for path in batch["out"].rglob("*"):
        if path.is_file():
            assert canary not in path.read_bytes(), path


def test_the_instructors_files_are_out_of_reach(batch):
    assert "found: []; wrote: []" in feedback(batch, "reads_instructor")
    original = (batch["course"] / "solutions" / "bptt" / f"{NB}.ipynb").read_bytes()
    out = batch["out"]
    copies = [out / "course", *(out / "workers" / str(k) for k in range(WORKERS))]
    for folder in copies:
        assert (folder / "solutions" / "bptt" / f"{NB}.ipynb").read_bytes() == original, folder
    seeds = {(folder / ".bptt-hidden-seed").read_text() for folder in copies}
    assert len(seeds) == 1 and int(seeds.pop()) >= 0


def test_files_that_cannot_be_taken_in_get_0_with_a_reason(batch):
    with open(batch["out"] / "grades.csv", newline="") as fh:
        notes = {r["student_id"]: r["notes"] for r in csv.DictReader(fh)}
    assert "symbolic link" in notes["symlink"] and "0 points" in notes["symlink"]
    assert "not a valid notebook" in notes["invalid_json"]
    assert "could not be graded" in feedback(batch, "invalid_json")
    assert not notes["honest_1"] and not notes["tampered_tests"]


def test_tampered_cells_are_graded_as_the_instructor_wrote_them(batch):
    keys = set(batch["results"]["tampered_tests"]["cells"])
    assert keys == set(batch["results"]["honest_1"]["cells"])  # no test_mine, no new points
    assert batch["results"]["tampered_tests"]["max_score"] == 8


def test_stalling_cells_are_bounded_by_the_notebooks_budget(batch):
    nb = nbformat.read(batch["out"] / "autograded" / "noise_stalls" / "bptt" / f"{NB}.ipynb",
                       as_version=4)
    printed = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "stall 1 done" in printed and "stall 4 done" not in printed
    assert batch["results"]["noise_stalls"]["seconds"] < STUDENT_SECONDS


def test_a_rerun_is_idempotent_and_grades_only_what_is_missing(batch):
    out = batch["out"]
    before = {n: json.loads((out / "results" / f"{n}.json").read_text()) for n in EXPECTED}
    (out / "results" / "honest_2.json").unlink()  # as if its worker had been killed
    lines = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(workers, "FIRST_UID", batch["uids"][0])
        results, failures = grade_batch(batch["course"], batch["subs"], out, workers=1,
                                        config=CONFIG, out=lines.append,
                                        student_seconds=STUDENT_SECONDS)
    assert not failures
    assert any("1 to grade" in ln for ln in lines), lines
    assert {n: r["cells"] for n, r in results.items()} == {n: r["cells"] for n, r in before.items()}
    assert batch_processes(set(batch["uids"]), str(batch["tmp"])) == []
