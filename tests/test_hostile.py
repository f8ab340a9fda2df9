"""The hostile-submission suite: attacks on grading, all graded in ONE `bptt grade` batch.

Each ``tests/hostile/attack_<name>.py`` puts an attack in notebook 2's answer cell of
``calc_delta``, next to a wrong or stub implementation; ``noise_<name>.py`` puts noise
around a right one. Every other answer cell holds the instructor's (right) code. Three
attacks edit the notebook itself (test cells deleted, rewritten, metadata changed): see
``NOTEBOOK_EDITS``. Two honest students are graded in the same batch.

For every attacker: calc_delta scores 0 (nothing in it is right), step_jacobian full
marks; noise costs nothing; the honest students get full marks; the batch finishes.
"""

import csv
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from autograde.grading.batch import grade_batch
from autograde.grading.course import source_notebooks
from autograde.grading.submissions import (
    answers_from_notebooks,
    build_submission,
    grade_id,
    parse_answers,
)

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "hostile"
NOTEBOOK = "02_delta_recursion"
ATTACKED = "calc_delta"
HONEST_FN = "step_jacobian"
# Short limits keep the suite fast: a cell that never ends costs 20 s in the learner's kernel
# and 15 s in the trusted step's process (defaults: 120 s and 60 s).
CONFIG = "c.Execute.timeout = 20\nc.TrustedGrades.setup_seconds = 15"
pytestmark = [pytest.mark.skipif(not source_notebooks(ROOT), reason="no solutions yet"),
              pytest.mark.usefixtures("sandbox_ready")]


def _delete_tests(nb):
    nb.cells = [c for c in nb.cells if grade_id(c) not in (f"test_{ATTACKED}", f"hidden_{ATTACKED}")]


def _edit_tests(nb):
    for c in nb.cells:
        if grade_id(c) == f"test_{ATTACKED}":
            c.source = "pass"
        elif grade_id(c) == f"hidden_{ATTACKED}":
            c.source = "float(3)"


def _edit_metadata(nb):
    for c in nb.cells:
        if grade_id(c) == f"test_{ATTACKED}":
            c.metadata["nbgrader"]["grade_id"] = "test_mine"
            c.metadata["nbgrader"]["grade"] = False
            c.source = "pass"
        elif grade_id(c) == f"hidden_{ATTACKED}":
            c.metadata["nbgrader"]["points"] = 100
            c.metadata["nbgrader"]["locked"] = False
            c.source = "float(100)"


NOTEBOOK_EDITS = {"attack_delete_test_cells": _delete_tests, "attack_edit_test_cells": _edit_tests,
                  "attack_edit_test_metadata": _edit_metadata}


def build_class(folder):
    """One submission (notebook 2 only) per hostile file, plus two honest students."""
    release = folder / "release"
    release.mkdir()
    shutil.copy(ROOT / "notebooks" / "bptt" / f"{NOTEBOOK}.ipynb", release)
    right = answers_from_notebooks(source_notebooks(ROOT))
    students = {}
    for path in sorted(HOSTILE.glob("*.py")):
        students[path.stem] = {**right, **parse_answers(path.read_text(encoding="utf-8"))}
    students["honest_1"] = students["honest_2"] = right
    subs = folder / "submissions"
    for name, sections in students.items():
        dest = subs / name / "bptt"
        build_submission(release, sections, dest)
        if name in NOTEBOOK_EDITS:
            path = dest / f"{NOTEBOOK}.ipynb"
            nb = nbformat.read(path, as_version=4)
            NOTEBOOK_EDITS[name](nb)
            nbformat.write(nb, path)
    return subs, sorted(students)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    subs, students = build_class(tmp)
    lines = []
    results, failures = grade_batch(ROOT, subs, tmp / "out", workers=2, config=CONFIG,
                                    out=lines.append)
    return {"results": results, "failures": failures, "students": students, "out": tmp / "out",
            "log": lines}


def cells(result, function):
    return {k.split(":", 1)[1]: v for k, v in result["cells"].items()
            if k.startswith(NOTEBOOK + ":") and k.split(":", 1)[1].split("_", 1)[1] == function}


def test_the_batch_finishes_for_every_student(batch):
    assert not batch["failures"], batch["failures"]
    assert sorted(batch["results"]) == batch["students"]
    assert any("[" in ln and "/" in ln for ln in batch["log"]), "progress is shown"


@pytest.mark.parametrize("name", sorted(p.stem for p in HOSTILE.glob("attack_*.py")))
def test_an_attack_never_raises_the_attacked_score(batch, name):
    got = cells(batch["results"][name], ATTACKED)
    assert set(got) == {f"test_{ATTACKED}", f"hidden_{ATTACKED}"}, got
    for gid, (score, max_score) in got.items():
        assert score == 0.0 < max_score, f"{name}: {gid} scored {score} of {max_score}"


@pytest.mark.parametrize("name", sorted(p.stem for p in HOSTILE.glob("*.py")) + ["honest_1"])
def test_honest_functions_keep_full_marks(batch, name):
    got = cells(batch["results"][name], HONEST_FN)
    assert len(got) == 2
    for gid, (score, max_score) in got.items():
        assert score == max_score > 0, f"{name}: {gid} scored {score} of {max_score}"


@pytest.mark.parametrize("name", ["noise_prints_megabytes", "noise_writes_stderr", "honest_1",
                                  "honest_2"])
def test_noise_around_right_code_costs_nothing(batch, name):
    got = cells(batch["results"][name], ATTACKED)
    for gid, (score, max_score) in got.items():
        assert score == max_score > 0, f"{name}: {gid} scored {score} of {max_score}"


def test_honest_students_grades_are_the_solutions(batch):
    a, b = batch["results"]["honest_1"], batch["results"]["honest_2"]
    assert a["cells"] == b["cells"]
    graded = {k: v for k, v in a["cells"].items() if k.startswith(NOTEBOOK + ":")
              and k.split(":")[1].startswith(("test_", "hidden_"))}
    assert graded and all(s == m for s, m in graded.values())


def test_grades_csv_and_feedback(batch):
    with open(batch["out"] / "grades.csv", newline="") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert set(rows) == set(batch["students"])
    for name, r in batch["results"].items():
        assert float(rows[name]["score"]) == pytest.approx(r["score"])
    page = batch["out"] / "feedback" / "attack_redefines_check" / "bptt" / f"{NOTEBOOK}.html"
    text = page.read_text(encoding="utf-8")
    assert "trusted grading step" in text
    assert "BEGIN HIDDEN TESTS" not in text


def test_a_rerun_is_idempotent_and_grades_only_what_is_missing(batch, tmp_path):
    out = batch["out"]
    before = {n: json.loads((out / "results" / f"{n}.json").read_text()) for n in batch["students"]}
    (out / "results" / "honest_2.json").unlink()  # as if its worker had been killed
    lines = []
    results, failures = grade_batch(ROOT, out.parent / "submissions", out, workers=1,
                                    config=CONFIG, out=lines.append)
    assert not failures
    assert any("1 to grade" in ln for ln in lines), lines
    assert {n: r["cells"] for n, r in results.items()} == {n: r["cells"] for n, r in before.items()}
