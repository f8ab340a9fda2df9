"""The notebooks follow docs/authoring.md; the student notebooks hold no solutions or hidden tests."""

import re
from pathlib import Path

import nbformat
import pytest

from autograde.grading.program import meta as nbgrader_meta
from autograde.grading.submissions import grade_id

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions" / "bptt").glob("*.ipynb"))
STUDENT = sorted((ROOT / "notebooks" / "bptt").glob("*.ipynb"))
ALL = SOLUTIONS + STUDENT
HIDDEN_LAST_LINE = re.compile(
    r"^float\(\s*(?P<points>\d+(?:\.\d+)?)\s*\*\s*check_(?P<check>\w+)\(\s*(?P<fn>\w+)\s*,"
    r"\s*hidden=True\s*\)\s*\)$")


def _ids(paths):
    return [f"{p.parent.parent.name}/{p.name}" for p in paths]


def read(path):
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def cells_by_id(nb):
    return {grade_id(c): c for c in nb.cells if grade_id(c)}


def hidden_region(source):
    """The lines between ### BEGIN HIDDEN TESTS and ### END HIDDEN TESTS."""
    lines = source.splitlines()
    begin = [i for i, ln in enumerate(lines) if "BEGIN HIDDEN TESTS" in ln]
    end = [i for i, ln in enumerate(lines) if "END HIDDEN TESTS" in ln]
    assert len(begin) == 1 and len(end) == 1 and begin[0] < end[0], "one hidden region"
    return lines[begin[0] + 1:end[0]]


def solution_lines(source):
    """Code lines between ### BEGIN SOLUTION and ### END SOLUTION (no blanks, no comments)."""
    out, inside = [], False
    for line in source.splitlines():
        if "BEGIN SOLUTION" in line:
            inside = True
        elif "END SOLUTION" in line:
            inside = False
        elif inside and line.strip() and not line.strip().startswith("#"):
            out.append(line.strip())
    return out


def test_there_are_notebooks():
    if not SOLUTIONS:
        pytest.skip("no solutions/bptt/*.ipynb yet")
    assert STUDENT, "notebooks/bptt/ is empty: run `bptt release`"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_kernelspec_is_python3(path):
    assert read(path).metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_stored_without_outputs(path):
    for i, cell in enumerate(code_cells(read(path))):
        assert cell.outputs == [], f"code cell {i} has outputs"
        assert cell.execution_count is None, f"code cell {i} has an execution count"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_first_code_cell_is_locked_setup(path):
    first = code_cells(read(path))[0]
    meta = nbgrader_meta(first)
    assert meta.get("grade_id") == "setup" and meta.get("locked") and not meta.get("grade")


@pytest.mark.parametrize("path", SOLUTIONS, ids=_ids(SOLUTIONS))
def test_cell_metadata(path):
    nb = read(path)
    ids = [grade_id(c) for c in nb.cells if grade_id(c)]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id")
        if not gid:
            continue
        assert meta.get("schema_version") == 3, gid
        assert re.fullmatch(r"[A-Za-z0-9_-]+", gid), gid
        if gid.startswith("answer_"):
            assert cell.cell_type == "code", gid
            assert meta["solution"] and not meta["grade"] and not meta["locked"], gid
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source, gid
        elif gid.startswith(("test_", "hidden_")):
            assert cell.cell_type == "code", gid
            assert meta["grade"] and meta["locked"] and not meta["solution"], gid
            assert meta["points"] > 0, gid
        elif gid.startswith("written_"):
            assert cell.cell_type == "markdown", gid
            assert meta["grade"] and meta["solution"] and meta["points"] > 0, gid
        elif gid.startswith("optional_"):  # an ungraded exercise: a solution region, no tests
            assert cell.cell_type == "code", gid
            assert meta["solution"] and not meta["grade"] and not meta["locked"], gid
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source, gid
        else:
            assert gid.startswith("setup") and meta.get("locked") and not meta.get("grade"), gid


@pytest.mark.parametrize("path", SOLUTIONS, ids=_ids(SOLUTIONS))
def test_every_answer_has_visible_and_hidden_tests_after_it(path):
    nb = read(path)
    order = [grade_id(c) for c in nb.cells]
    for gid in filter(None, order):
        if gid.startswith("answer_"):
            fn = gid[len("answer_"):]
            assert f"test_{fn}" in order and f"hidden_{fn}" in order, fn
            assert order.index(gid) < order.index(f"test_{fn}") < order.index(f"hidden_{fn}")
            source = nb.cells[order.index(f"test_{fn}")].source
            assert re.search(rf"assert check_{fn}\({fn}\) == 1\.0, last_feedback\(\)$", source), source


@pytest.mark.parametrize("path", SOLUTIONS, ids=_ids(SOLUTIONS))
def test_hidden_cells_end_with_float_of_their_points(path):
    for gid, cell in cells_by_id(read(path)).items():
        if not gid.startswith("hidden_"):
            continue
        region = [ln.strip() for ln in hidden_region(cell.source) if ln.strip()]
        match = HIDDEN_LAST_LINE.match(region[-1])
        assert match, f"{gid} must end with float(P * check_<f>(<f>, hidden=True))"
        fn = gid[len("hidden_"):]
        assert match["check"] == fn and match["fn"] == fn, gid
        assert float(match["points"]) == float(nbgrader_meta(cell)["points"]), \
            f"{gid}: the literal {match['points']} differs from the cell's points"


@pytest.mark.parametrize("path", STUDENT, ids=_ids(STUDENT))
def test_student_notebook_has_no_solutions_or_hidden_tests(path):
    nb = read(path)
    source = ROOT / "solutions" / "bptt" / path.name
    assert source.exists(), f"{path.name} has no source in solutions/bptt/"
    solution = cells_by_id(read(source))
    for cell in nb.cells:
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in cell.source, f"{marker!r} in the student notebook"
        if cell.cell_type == "code":  # the prose may tell learners how to run hidden cases
            assert "hidden=True" not in cell.source, "a hidden check in the student notebook"
    student = cells_by_id(nb)
    assert list(student) == list(solution), "the same graded cells, in the same order"
    for gid, cell in student.items():
        if nbgrader_meta(cell).get("solution") and cell.cell_type == "code":
            mine = {ln.strip() for ln in cell.source.splitlines()}
            leaked = [ln for ln in solution_lines(solution[gid].source) if ln in mine]
            assert not leaked, f"{gid} shows solution code: {leaked}"
            assert "raise NotImplementedError" in cell.source, gid
        elif gid.startswith("hidden_"):
            code = [ln for ln in cell.source.splitlines()
                    if ln.strip() and not ln.strip().startswith("#")]
            assert code == [], f"{gid} keeps code in the student notebook: {code}"
        elif gid.startswith("written_"):
            assert "YOUR ANSWER HERE" in cell.source, gid
            model = [ln.strip() for ln in solution[gid].source.splitlines() if len(ln.strip()) > 20]
            assert not [ln for ln in model if ln in cell.source], f"{gid} shows the model answer"


# --- text rules: one transpose sign, hints that do not hand over the code -------------------

TRANSPOSE_T = re.compile(r"\^T(?![A-Za-z0-9_{])|\^\{\\!T\}|\\right\)\^\{T\}")
TEXT_FILES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"),
                     *(ROOT / "autograde").rglob("*.py"), *(ROOT / "bptt_helpers").rglob("*.py")])


SUM_TO_T = re.compile(r"\\(sum|prod)_\{[^}]*\}\^T")  # an upper limit T, not a transpose


def transposes_written_T(text):
    """The lines of ``text`` that write a transpose as ``^T`` (the letter of the length T)."""
    return [ln.strip() for ln in text.splitlines() if TRANSPOSE_T.search(SUM_TO_T.sub("", ln))]


def test_transpose_rule_sees_what_it_must():
    assert transposes_written_T(r"$W^T \delta$") and transposes_written_T("x_t^T.")
    assert transposes_written_T(r"\right)^{T} \delta_T") and transposes_written_T("W^T")
    assert not transposes_written_T(r"$W^\top$, \sum_{t=1}^{T} x, (\gamma\sigma)^{T-j}, 2^Tk")
    assert not transposes_written_T(r"\sum_{t=1}^T \delta_t^\top x_t") and transposes_written_T(
        r"\sum_{t=1}^T \delta_t x_t^T")


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_notebooks_write_transposes_as_top(path):
    found = [ln for cell in read(path).cells for ln in transposes_written_T(cell.source)]
    assert not found, f"write transposes as ^\\top, never ^T: {found}"


@pytest.mark.parametrize("path", TEXT_FILES, ids=[p.relative_to(ROOT).as_posix() for p in TEXT_FILES])
def test_docs_and_messages_write_transposes_as_top(path):
    found = transposes_written_T(path.read_text(encoding="utf-8"))
    assert not found, f"write transposes as ^\\top, never ^T: {found}"


def hint_folds(source):
    """The text of every ``<details>`` block of a Markdown cell."""
    return re.findall(r"<details>(.*?)</details>", source, flags=re.S)


def code_of(line):
    """A solution line without its trailing comment, or '' for lines too short to matter."""
    code = line.split("  #", 1)[0].strip()
    return code if len(code) >= 10 else ""


@pytest.mark.parametrize("path", SOLUTIONS, ids=_ids(SOLUTIONS))
def test_hints_do_not_hand_over_solution_code(path):
    nb = read(path)
    solution = {code_of(ln) for c in nb.cells if (grade_id(c) or "").startswith(("answer_", "optional_"))
                for ln in solution_lines(c.source)} - {""}
    assert solution or not any((grade_id(c) or "").startswith("answer_") for c in nb.cells)
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for fold in hint_folds(cell.source):
            leaked = [ln for ln in solution if ln in fold]
            assert not leaked, f"a hint shows solution code: {leaked}"


def test_hint_rule_sees_what_it_must():
    fold = hint_folds("<details><summary>h</summary>\n`for t in range(T - 1, 0, -1):`\n</details>")
    assert fold and code_of("    for t in range(T - 1, 0, -1):  # walk back") in fold[0]


@pytest.mark.parametrize("path", SOLUTIONS, ids=_ids(SOLUTIONS))
def test_every_exercise_has_hints_each_in_its_own_fold(path):
    nb = read(path)
    for i, cell in enumerate(nb.cells):
        gid = grade_id(cell) or ""
        if gid.startswith("answer_"):  # the hints are in the nearest Markdown cell above with folds
            above = [c for c in nb.cells[:i] if c.cell_type == "markdown" and hint_folds(c.source)]
            assert above, f"{gid} has no hint"
            fn = gid[len("answer_"):]
            if fn not in above[-1].source:
                assert nb.cells[i - 1] is above[-1], f"{gid}: its hints do not name it"
        if cell.cell_type == "markdown":
            opened, closed = cell.source.count("<details>"), cell.source.count("</details>")
            assert opened == closed, f"unbalanced <details> in {cell.source[:60]!r}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=_ids(SOLUTIONS))
def test_visible_tests_let_run_all_go_on(path):
    # JupyterLab's Run All stops at a cell that raises unless it has this tag; nbgrader still
    # records the error (tests/test_nbgrader_e2e.py: a failing visible test scores 0)
    for cell in read(path).cells:
        if (grade_id(cell) or "").startswith("test_"):
            assert "raises-exception" in cell.metadata.get("tags", []), grade_id(cell)


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_metadata_is_what_jupyterlab_writes(path):
    # JupyterLab rewrites these on opening; anything else marks a fresh notebook as modified
    meta = read(path).metadata
    assert meta["kernelspec"] == {"display_name": "Python 3 (ipykernel)", "language": "python",
                                  "name": "python3"}
    info = meta["language_info"]
    assert {k: info.get(k) for k in ("name", "file_extension", "mimetype", "nbconvert_exporter",
                                     "pygments_lexer", "codemirror_mode")} == {
        "name": "python", "file_extension": ".py", "mimetype": "text/x-python",
        "nbconvert_exporter": "python", "pygments_lexer": "ipython3",
        "codemirror_mode": {"name": "ipython", "version": 3}}
    assert info.get("version", "").startswith("3.11"), "the course's Python"


@pytest.mark.skipif(not STUDENT, reason="no released notebooks")
def test_a_student_notebook_runs_to_the_end_past_its_failing_tests(tmp_path):
    # nbclient, like JupyterLab's Run All, stops at an error unless the cell has `raises-exception`
    from nbclient import NotebookClient

    path = next(p for p in STUDENT if any((grade_id(c) or "").startswith("test_")
                                          for c in read(p).cells))
    nb = read(path)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(ROOT / "notebooks" / "bptt")}}).execute()
    tests = [c for c in nb.cells if (grade_id(c) or "").startswith("test_")]
    assert all(any(o.output_type == "error" for o in c.outputs) for c in tests), "they fail"
    assert all(c.execution_count is not None for c in code_cells(nb)), "every cell ran"
