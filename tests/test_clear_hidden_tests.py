"""SafeClearHiddenTests (feedback): hidden test code leaves the instructor's test cells, and only them."""

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograde.grading.preprocessors import SafeClearHiddenTests

BALANCED = "visible = 1\n### BEGIN HIDDEN TESTS\nsecret = 2\n### END HIDDEN TESTS\n"
UNBALANCED = "### BEGIN HIDDEN TESTS\n my answer ### END HIDDEN TESTS\n### BEGIN HIDDEN TESTS"


def nbgrader(gid, grade, solution):
    return {"nbgrader": {"grade_id": gid, "grade": grade, "solution": solution, "locked": False,
                         "points": 1, "schema_version": 3}}


def cleared(*cells):
    nb = new_notebook(cells=list(cells))
    nb, _ = SafeClearHiddenTests().preprocess(nb, {})
    return [c.source for c in nb.cells]


def test_a_test_cells_hidden_part_is_cleared():
    (source,) = cleared(new_code_cell(BALANCED, metadata=nbgrader("hidden_f", True, False)))
    assert "visible = 1" in source and "secret" not in source


def test_a_test_cell_with_unbalanced_markers_is_hidden_whole():
    (source,) = cleared(new_code_cell(UNBALANCED, metadata=nbgrader("hidden_f", True, False)))
    assert source == "# (hidden test)"


def test_a_learners_written_answer_with_the_markers_stays_theirs():
    # a written answer is graded by hand (grade and solution): it is no test cell
    written = new_markdown_cell(UNBALANCED, metadata=nbgrader("written_x", True, True))
    answer = new_code_cell(BALANCED, metadata=nbgrader("answer_f", False, True))
    assert cleared(written, answer) == [UNBALANCED, BALANCED]


def test_a_cell_nbgrader_does_not_manage_stays_as_it_is():
    assert cleared(new_code_cell(BALANCED)) == [BALANCED]
