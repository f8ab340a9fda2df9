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
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
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
    """The test can fail: nbformat imported on purpose is seen."""
    assert "nbformat" in imported_after("import nbformat")
