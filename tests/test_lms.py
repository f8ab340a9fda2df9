"""Grades for an LMS (Canvas, Moodle) and merging the grading folders of several machines.

No grading runs here: the folders are what `bptt grade` writes (``results/<student>.json``
and friends), built by hand. tests/test_exchange.py writes the LMS CSV of a real gradebook.
"""

import csv
import json
from pathlib import Path

import pytest

from autograde.cli import main
from autograde.grading import lms
from autograde.grading.batch import MARKER, take_share
from autograde.grading.course import CourseError
from autograde.grading.merge import merge

CELLS = {  # points as in docs/instructors.md: 02 has 8 autograded + 2 written, 03 5 + 2
    "ada": {"02_delta_recursion:test_step_jacobian": [1, 1],
            "02_delta_recursion:hidden_step_jacobian": [2, 2],
            "02_delta_recursion:test_calc_delta": [0, 2],
            "02_delta_recursion:hidden_calc_delta": [1.5, 3],
            "02_delta_recursion:written_fprime_from_state": [None, 2],
            "03_weight_gradients:test_calc_gradient": [2, 2],
            "03_weight_gradients:hidden_calc_gradient": [3, 3],
            "03_weight_gradients:written_weak_check": [None, 2]},
}
CELLS["bob"] = {k: [0 if s is not None else None, m] for k, (s, m) in CELLS["ada"].items()}
CELLS["cy.d@uni"] = dict(CELLS["ada"])


def result(student, **extra):
    cells = CELLS[student]
    return {"student": student, "cells": cells, "notes": [],
            "score": sum(s for s, _ in cells.values() if s is not None),
            "max_score": sum(m for _, m in cells.values()), "stopped": False,
            "seconds": 1.0, "worker": 0, **extra}


def grade_folder(path, students, seed="12345", **extra):
    """A folder as `bptt grade` leaves it (results, graded notebooks, feedback, seed)."""
    (path / "results").mkdir(parents=True)
    (path / MARKER).touch()
    (path / "course").mkdir()
    (path / "course" / ".bptt-hidden-seed").write_text(seed + "\n")
    for s in students:
        (path / "results" / f"{s}.json").write_text(json.dumps(result(s, **extra)))
        for sub in ("autograded", "feedback"):
            (path / sub / s / "bptt").mkdir(parents=True)
            (path / sub / s / "bptt" / "02_delta_recursion.html").write_text(f"{sub} of {s}")
    return path


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


# --- LMS ------------------------------------------------------------------------------------------

def test_canvas_csv_has_the_id_column_points_possible_and_totals(tmp_path):
    results = {s: result(s) for s in ("ada", "bob")}
    path = tmp_path / "canvas.csv"
    assert lms.write(path, results, id_column="SIS Login ID", fmt="canvas") == []
    rows = read_rows(path)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "BPTT 02_delta_recursion", "BPTT 03_weight_gradients", "BPTT total"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "8", "5", "13"]
    assert rows[2] == ["", "", "", "ada", "", "4.5", "5", "9.5"]
    assert rows[3] == ["", "", "", "bob", "", "0", "0", "0"]
    with open(path, newline="", encoding="utf-8") as fh:  # the sheet a spreadsheet opens
        sheet = list(csv.DictReader(fh))
    assert [r["SIS Login ID"] for r in sheet] == ["", "ada", "bob"]
    assert sheet[0]["Student"].strip() == "Points Possible"


def test_moodle_csv_maps_ids_and_puts_maxima_in_the_headers(tmp_path):
    results = {s: result(s) for s in ("ada", "bob", "cy.d@uni")}
    ids = tmp_path / "ids.csv"
    ids.write_text("nbgrader_id,lms_id\nada,ada@uni.example\nbob,bob@uni.example\n")
    path = tmp_path / "moodle.csv"
    unmapped = lms.write(path, results, id_column="Email address", fmt="moodle",
                         ids=lms.read_ids(ids), written=True)
    assert unmapped == ["cy.d@uni"]
    with open(path, newline="", encoding="utf-8") as fh:
        sheet = list(csv.DictReader(fh))
    assert list(sheet[0]) == ["Email address", "BPTT 02_delta_recursion (max 10)",
                              "BPTT 03_weight_gradients (max 7)", "BPTT total (max 17)"]
    assert [r["Email address"] for r in sheet] == ["ada@uni.example", "bob@uni.example",
                                                   "cy.d@uni"]
    assert sheet[0]["BPTT total (max 17)"] == "9.5"  # written answers not graded yet: 0


def test_lms_refuses_what_canvas_cannot_match(tmp_path):
    with pytest.raises(CourseError, match="SIS Login ID"):
        lms.write(tmp_path / "x.csv", {"ada": result("ada")}, id_column="Email", fmt="canvas")
    bad = tmp_path / "ids.csv"
    bad.write_text("student,email\nada,a@b\n")
    with pytest.raises(CourseError, match="nbgrader_id and lms_id"):
        lms.read_ids(bad)


def test_bptt_lms_command_reads_a_grading_folder(tmp_path, capsys):
    folder = grade_folder(tmp_path / "g", ["ada", "bob"])
    assert main(["lms", str(folder), "--lms", "canvas", "--id-column", "SIS User ID"]) == 0
    rows = read_rows(folder / "grades-canvas.csv")
    assert rows[2][2] == "ada" and rows[2][-1] == "9.5"


# --- several machines -----------------------------------------------------------------------------

def test_shares_split_a_class_without_overlap():
    students = {f"s{i:02d}": i for i in range(10)}
    parts = [take_share(students, k, 3) for k in (1, 2, 3)]
    assert sorted(s for p in parts for s in p) == sorted(students)
    assert [len(p) for p in parts] == [4, 3, 3]
    assert main(["grade", "x", "--share", "4/3"]) == 2  # refused with words, before grading


def test_merge_joins_shares_and_is_idempotent(tmp_path):
    a = grade_folder(tmp_path / "a", ["ada"])
    b = grade_folder(tmp_path / "b", ["bob", "ada"], seconds=9.0, worker=3)  # ada twice, same grades
    out = tmp_path / "merged"
    merged = merge(out, [a, b], out=lambda *_: None)
    assert sorted(merged) == ["ada", "bob"]
    assert (out / "feedback" / "bob" / "bptt" / "02_delta_recursion.html").read_text() == \
        "feedback of bob"
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert rows["ada"]["score"] == "9.5" and rows["bob"]["score"] == "0"
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    merge(out, [b, a], out=lambda *_: None)  # again, in another order
    merge(out, [a], out=lambda *_: None)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_merge_refuses_conflicting_grades_and_writes_nothing(tmp_path):
    a = grade_folder(tmp_path / "a", ["ada"])
    b = grade_folder(tmp_path / "b", ["ada"])
    changed = json.loads((b / "results" / "ada.json").read_text())
    changed["cells"]["02_delta_recursion:hidden_calc_delta"] = [3, 3]
    changed["score"] = 11
    (b / "results" / "ada.json").write_text(json.dumps(changed))
    out = tmp_path / "merged"
    with pytest.raises(CourseError, match=r"conflicting grades.*\n  ada: 9.5/17 in .*, 11/17 in"):
        merge(out, [a, b], out=lambda *_: None)
    assert not out.exists()


def test_merge_refuses_other_seeds_and_strange_folders(tmp_path):
    a = grade_folder(tmp_path / "a", ["ada"])
    b = grade_folder(tmp_path / "b", ["bob"], seed="999")
    with pytest.raises(CourseError, match="different hidden seeds"):
        merge(tmp_path / "m", [a, b], out=lambda *_: None)
    (tmp_path / "plain").mkdir()
    with pytest.raises(CourseError, match="not made by `bptt grade`"):
        merge(tmp_path / "m", [a, tmp_path / "plain"], out=lambda *_: None)


def test_bptt_merge_command_reports_a_conflict_in_words(tmp_path, capsys):
    a = grade_folder(tmp_path / "a", ["ada"])
    b = grade_folder(tmp_path / "b", ["ada"], notes=["02_delta_recursion.ipynb is not text"])
    assert main(["merge", str(tmp_path / "m"), str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bptt merge: conflicting grades") and "ada: 9.5/17" in err
    assert main(["merge", str(tmp_path / "m2"), str(a), "--lms", "moodle",
                 "--id-column", "Username"]) == 0
    assert read_rows(Path(tmp_path / "m2" / "grades-moodle.csv"))[1][0] == "ada"
