"""End to end with real nbgrader: release, autograde, feedback and export, as `bptt demo` runs them.

One `bptt demo` run grades the whole course, in a single `nbgrader autograde` call, for the
instructor's solutions (every autograded point) and the untouched released notebooks (0, no
crash), as otter-grader's CI does. The demo's other example learners are graded where their
point is cheaper to make: the catalogued mistake (calc_delta takes f' from states[t+1]) and the
misbehaving code (an endless loop, an in-place change of an input) in the hostile batch of
test_hostile.py, on notebook 2; the learner with every function right in another style, and
the mistake's cost in every notebook, without nbgrader in test_cli.py.
"""

import csv
import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograde.grading.course import source_notebooks
from autograde.grading.demo import read_gradebook
from autograde.grading.submissions import grade_id

ROOT = Path(__file__).resolve().parent.parent
STUDENTS = ["untouched", "solutions"]
pytestmark = [pytest.mark.skipif(not source_notebooks(ROOT), reason="no solutions yet"),
              pytest.mark.usefixtures("sandbox_ready")]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    examples = tmp / "examples"
    examples.mkdir()
    for name in STUDENTS[:-1]:  # the demo adds the solutions itself
        shutil.copy(ROOT / "examples" / "submissions" / f"{name}.py", examples)
    course = tmp / "course"
    proc = subprocess.run(
        [sys.executable, "-m", "autograde.cli", "demo", "--root", str(ROOT), "--dir", str(course),
         "--examples", str(examples), "--include-solutions"],
        capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    columns, scores, grades = read_gradebook(course, STUDENTS)
    return {"course": course, "stdout": proc.stdout, "grades": grades, "columns": columns}


def notebook_of(function):
    """The notebook (name without .ipynb) whose answer cell defines ``function``."""
    for path in source_notebooks(ROOT):
        if any(grade_id(c) == f"answer_{function}" for c in nbformat.read(path, as_version=4).cells):
            return path.stem
    pytest.skip(f"no notebook defines {function} yet")


def autograded_cells(grades):
    return {k: v for k, v in grades.items() if k[1].startswith(("test_", "hidden_"))}


def function_of(gid):
    return gid.split("_", 1)[1]


def page_text(path):
    """What a reader of an HTML page sees: no tags, styles or scripts; entities decoded."""
    text = Path(path).read_text(encoding="utf-8")
    text = re.sub(r"<(style|script)\b.*?</\1>", "", text, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def hidden_code_lines():
    """Every code line of every hidden test region in the solutions."""
    lines = []
    for path in source_notebooks(ROOT):
        for cell in nbformat.read(path, as_version=4).cells:
            if (grade_id(cell) or "").startswith("hidden_"):
                region = cell.source.split("### BEGIN HIDDEN TESTS", 1)[1]
                region = region.split("### END HIDDEN TESTS", 1)[0]
                lines += [ln.strip() for ln in region.splitlines() if ln.strip()]
    return lines


def test_demo_prints_the_grade_table_and_where_things_are(demo):
    out = demo["stdout"]
    header = next(ln for ln in out.splitlines() if ln.startswith("notebook"))
    assert header.split() == ["notebook", "function", "max", *STUDENTS]
    total = next(ln for ln in out.splitlines() if "autograded total" in ln).split()
    auto = sum(m for _, m in autograded_cells(demo["grades"]["solutions"]).values())
    assert float(total[2]) == pytest.approx(auto) == float(total[-1])  # max, and the solutions
    assert float(total[STUDENTS.index("untouched") + 3]) == 0.0
    assert f"feedback HTML: {demo['course'] / 'feedback'}" in out
    assert f"grades CSV:    {demo['course'] / 'grades.csv'}" in out


def test_every_student_and_notebook_was_graded(demo):
    released = sorted(p.name for p in (demo["course"] / "notebooks" / "bptt").glob("*.ipynb"))
    for name in STUDENTS:
        done = sorted(p.name for p in (demo["course"] / "autograded" / name / "bptt").glob("*.ipynb"))
        assert done == released, name
        html_files = sorted(p.stem for p in (demo["course"] / "feedback" / name / "bptt").glob("*.html"))
        assert html_files == [Path(n).stem for n in released], name


def test_solutions_earn_every_autograded_point(demo):
    grades = demo["grades"]["solutions"]
    assert autograded_cells(grades), "no graded cells found"
    for (nb, gid), (score, max_score) in autograded_cells(grades).items():
        assert score == max_score > 0, f"{nb}:{gid} scored {score} of {max_score}"
    for (nb, gid), (score, _) in grades.items():
        if gid.startswith("written_"):
            assert score is None, f"{nb}:{gid}: a written answer waits for the instructor"


def test_untouched_notebooks_score_zero(demo):
    for (nb, gid), (score, max_score) in demo["grades"]["untouched"].items():
        assert score == 0.0 and max_score > 0, f"{nb}:{gid} scored {score}"


def test_failing_hidden_cell_scores_zero_not_full_points(demo):
    hidden = {k: v for k, v in demo["grades"]["untouched"].items() if k[1].startswith("hidden_")}
    assert hidden
    for (nb, gid), (score, max_score) in hidden.items():
        assert score == 0.0 < max_score, f"{nb}:{gid}"
        cell = next(c for c in nbformat.read(
            demo["course"] / "autograded" / "untouched" / "bptt" / f"{nb}.ipynb", as_version=4).cells
            if grade_id(c) == gid)
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert results and results[0].data["text/plain"] == "0.0", gid


def test_feedback_shows_hidden_output_but_not_hidden_source(demo):
    lines = hidden_code_lines()
    assert lines
    course = demo["course"]
    for name in STUDENTS:
        for page in (course / "feedback" / name / "bptt").glob("*.html"):
            text = page_text(page)
            assert "BEGIN HIDDEN TESTS" not in text, page
            for line in lines:
                assert line not in text, f"{page} shows hidden test code {line!r}"
    # the control: the autograded notebooks do hold that code, so the check above means something
    graded = "".join(p.read_text() for p in (course / "autograded" / "untouched" / "bptt").glob("*.ipynb"))
    assert all(json_escaped(line) in graded for line in lines)
    # learners still see what the hidden cases said
    nb_delta = notebook_of("calc_delta")
    text = page_text(course / "feedback" / "untouched" / "bptt" / f"{nb_delta}.html")
    assert re.search(r"calc_delta: 0 of (1[0-9]|[2-9]\d) cases passed", text), "hidden feedback"


def json_escaped(line):
    return line.replace("\\", "\\\\").replace('"', '\\"')


def test_grades_export_to_csv(demo):
    with open(demo["course"] / "grades.csv", newline="") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert set(rows) == set(STUDENTS)
    points = sum(m for _, m in demo["grades"]["solutions"].values())
    auto = sum(m for _, m in autograded_cells(demo["grades"]["solutions"]).values())
    for row in rows.values():
        assert row["assignment"] == "bptt"
        assert float(row["max_score"]) == pytest.approx(points)
    assert float(rows["untouched"]["score"]) == 0.0
    assert float(rows["solutions"]["score"]) == pytest.approx(auto)


def test_tagged_failing_visible_test_scores_zero(demo):
    # Visible test cells carry `raises-exception` so that JupyterLab's Run All goes on past them;
    # nbgrader must still record the failure: 0 points, the error kept, and the cells after it run.
    course, seen = demo["course"], 0
    for nb_path in sorted((course / "autograded" / "untouched" / "bptt").glob("*.ipynb")):
        cells = nbformat.read(nb_path, as_version=4).cells
        for i, cell in enumerate(cells):
            gid = grade_id(cell) or ""
            if not gid.startswith("test_"):
                continue
            seen += 1
            assert "raises-exception" in cell.metadata.get("tags", []), gid
            assert demo["grades"]["untouched"][(nb_path.stem, gid)][0] == 0.0, gid
            assert any(o.output_type == "error" for o in cell.outputs), f"{gid}: the failure shows"
            later = [c for c in cells[i + 1:] if c.cell_type == "code"  # test cells are decided
                     and not (grade_id(c) or "").startswith(("test_", "hidden_"))]  # outside
            assert all(c.execution_count is not None for c in later[:1]), f"{gid}: Run All went on"
            assert cell.execution_count is None, f"{gid}: the kernel does not run test cells"
    assert seen >= 7
