"""GuardedExecute leaves the test cells the trusted step decides to it, and fails closed.

nbgrader gives full points to a test cell whose outputs hold no error, so a test cell the
kernel does not run must score 0 until the trusted step writes its verdict.
"""

import nbformat
from nbgrader.utils import determine_grade
from traitlets.config import Config

from autograde.grading.preprocessors import GuardedExecute, undecided, write_verdict
from autograde.grading.program import TestCell as GradedCell
from autograde.grading.trusted import Verdict


def graded_cell(gid, points, source="pass"):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "grade_id": gid, "points": points, "schema_version": 3}
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "8.0"})]
    return cell


def test_scores_only_mode_leaves_test_cells_at_zero_until_decided():
    nb = nbformat.v4.new_notebook()
    nb.cells = [graded_cell("test_calc_delta", 2), graded_cell("hidden_calc_delta", 3),
                graded_cell("my_own_check", 1)]  # not a registered function: nbgrader decides
    config = Config()
    config.GuardedExecute.run_notebook = False
    nb, _ = GuardedExecute(config=config).preprocess(nb, {})
    assert [determine_grade(c)[0] for c in nb.cells[:2]] == [0, 0]
    assert all("did not decide" in c.outputs[0]["evalue"] for c in nb.cells[:2])
    assert nb.cells[2].outputs == [] and determine_grade(nb.cells[2])[0] == 1


def test_the_trusted_verdict_replaces_the_placeholder():
    cell = graded_cell("hidden_calc_delta", 3)
    undecided(cell)
    assert determine_grade(cell)[0] == 0
    test = GradedCell("hidden_calc_delta", "calc_delta", True, points=3)
    write_verdict(cell, Verdict(test, 1.0, "calc_delta: all cases passed\n"))
    assert determine_grade(cell)[0] == 3.0
    assert not any(o.output_type == "error" for o in cell.outputs)
