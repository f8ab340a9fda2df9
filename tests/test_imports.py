"""What a learner's kernel, the trusted child and `bptt check` pull in when they import the course.

nbformat (with jsonschema and its grammar), nbgrader, nbclient and sqlalchemy cost seconds per
process; a kernel or a learner's grading process pays that for every notebook. They must be
imported where they are used, never by ``import autograde`` or ``import bptt_helpers``.
"""

import json
import subprocess
import sys

import pytest

HEAVY = ("nbformat", "jsonschema", "nbgrader", "nbclient", "nbconvert", "sqlalchemy",
         "jupyter_client", "zmq", "rfc3987_syntax", "lark", "matplotlib", "tqdm")


def imported_after(statement):
    """Top-level package names in ``sys.modules`` after ``statement`` in a fresh interpreter."""
    code = (f"{statement}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] "
            "for m, mod in sys.modules.items() if mod is not None})))")  # None: left out
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("statement", [
    "import autograde",
    "import bptt_helpers",
    "from autograde import check_calc_delta, check_truncated_bptt, check_clip_grad_norm",
    "import autograde.registry",
    "import autograde.grading.child",
])
def test_the_learner_side_imports_nothing_heavy(statement):
    heavy = imported_after(statement) & set(HEAVY)
    assert not heavy, f"`{statement}` imports {sorted(heavy)}: import them where they are used"


def test_the_check_still_sees_a_heavy_import():
    """The tests here can fail: nbformat imported on purpose is seen, with jsonschema's IRI
    grammar (left out only by the course's own start-up, below)."""
    assert {"nbformat", "rfc3987_syntax", "lark"} <= imported_after("import nbformat")


# The course's own processes that read notebooks leave jsonschema's IRI grammar out
# (autograde.startup: rfc3987_syntax compiles it with lark, 2-3 s of every such process).
ENTRY_POINTS = {
    "bptt": "import autograde.cli",
    "nbgrader": ("import runpy, sys\nsys.argv = ['nbgrader', '--version']\ntry:\n"
                 "    runpy.run_module('autograde.grading.nbgrader_cli', run_name='__main__')\n"
                 "except SystemExit:\n    pass"),
    "gradescope": "from autograde.grading import gradescope\ngradescope.main(['usage'])",
}


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_entry_points_read_notebooks_without_the_iri_grammar(entry):
    loaded = imported_after(ENTRY_POINTS[entry] + "\nimport nbformat")
    assert "jsonschema" in loaded, "nbformat's validator is loaded ..."
    assert not {"rfc3987_syntax", "lark"} & loaded, f"... but `{entry}` loads the IRI grammar"
