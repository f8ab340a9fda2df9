"""The Gradescope autograder, run as Gradescope runs it, in a simulated /autograder tree.

`bptt gradescope` builds autograder.zip; it is unpacked into <tmp>/autograder/source, its
run_autograder copied next to it, and the last step of setup.sh (release the course once)
run with this Python instead of the one setup.sh installs. Then every submission is one
`run_autograder` in that tree (BPTT_AUTOGRADER_ROOT), as a fresh container would. CI time
is precious: three graded runs, each of notebooks 2 and 3 (graded independently): the
solutions (full marks); a catalogued mistake in 2 (its hint) with 3 untouched (0, no
crash); hostile code (2: reads and rewrites the instructor's files; 3: forges
results.json); and one run with nothing gradable (a symbolic link). Every results.json is
checked against Gradescope's documented format (:func:`validate`).
"""

import json
import math
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograde.grading import gradescope
from autograde.grading.submissions import answers_from_notebooks, build_submission, parse_answers

ROOT = Path(__file__).resolve().parent.parent
NB2, NB3 = "02_delta_recursion.ipynb", "03_weight_gradients.ipynb"
pytestmark = [pytest.mark.skipif(not (ROOT / "solutions" / "bptt" / NB2).is_file(),
                                 reason="no notebook 2 yet"),
              pytest.mark.usefixtures("sandbox_ready")]

# Gradescope's results.json (gradescope-autograders.readthedocs.io/en/latest/specs/)
TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format",
            "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
            "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output",
             "output_format", "tags", "visibility", "extra_data"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def _number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def validate(r):
    """Assert ``r`` follows Gradescope's documented results.json format (and the course's use)."""
    assert isinstance(r, dict) and set(r) <= TOP_KEYS, set(r) - TOP_KEYS
    assert _number(r["score"]) and r["score"] >= 0
    assert isinstance(r["output"], str) and r["output"].strip()
    for key in ("visibility", "stdout_visibility"):
        assert r.get(key, "visible") in VISIBILITY
    for key in ("output_format", "test_output_format", "test_name_format"):
        assert r.get(key, "text") in FORMATS
    assert isinstance(r.get("extra_data", {}), dict)
    assert isinstance(r["tests"], list)
    for t in r["tests"]:
        assert isinstance(t, dict) and set(t) <= TEST_KEYS, set(t) - TEST_KEYS
        assert isinstance(t["name"], str) and t["name"]
        assert _number(t["score"]) and _number(t["max_score"]) and 0 <= t["score"] <= t["max_score"]
        assert t.get("status", "passed") in {"passed", "failed"}
        assert t["visibility"] in VISIBILITY
        assert isinstance(t["output"], str) and t["output"].strip()
        assert t.get("output_format", "text") in FORMATS
        assert isinstance(t.get("tags", []), list)
        assert isinstance(t.get("number", ""), str)
    assert math.isclose(r["score"], sum(t["score"] for t in r["tests"]), abs_tol=1e-6)
    json.dumps(r, allow_nan=False)  # strict JSON


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """The simulated /autograder after setup.sh, and the released notebooks."""
    tmp = tmp_path_factory.mktemp("gradescope")
    # an assignment of notebooks 2 and 3 (bptt gradescope --notebooks 02 03): a light release
    zpath = gradescope.build(ROOT, tmp / "autograder.zip", seed=20261201, notebooks=["02", "03"])
    base = tmp / "autograder"
    with zipfile.ZipFile(zpath) as zf:
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        zf.extractall(base / "source")
    assert {"setup.sh", "run_autograder", "requirements.txt", "config.json"} <= set(modes)
    assert all(modes[s] & stat.S_IXUSR for s in ("setup.sh", "run_autograder"))
    assert sorted(n for n in modes if n.endswith(".ipynb")) == [
        f"course/solutions/bptt/{NB2}", f"course/solutions/bptt/{NB3}"]
    assert "nbgrader==" in (base / "source" / "requirements.txt").read_text()
    shutil.copy(base / "source" / "run_autograder", base / "run_autograder")
    (base / "run_autograder").chmod(0o755)
    gradescope.prepare(base, out=lambda *_: None)  # setup.sh's last step (here: in-process)
    release = base / "source" / "grading" / "course" / "notebooks" / "bptt"
    right = answers_from_notebooks([ROOT / "solutions" / "bptt" / n for n in (NB2, NB3)])
    return {"base": base, "release": release, "right": right, "tmp": tmp}


def _env(base):
    return dict(os.environ, BPTT_AUTOGRADER_ROOT=str(base),
                BPTT_AUTOGRADER_PYTHON=sys.executable)


def submit(tree, answers, where=""):
    """One Gradescope run: notebooks 2 and 3 in submission/, run_autograder, results.json."""
    base = tree["base"]
    sub = base / "submission" / where
    shutil.rmtree(base / "submission", ignore_errors=True)
    shutil.rmtree(base / "results", ignore_errors=True)
    scratch = tree["tmp"] / "built"
    shutil.rmtree(scratch, ignore_errors=True)
    build_submission(tree["release"], answers, scratch)
    sub.mkdir(parents=True)
    for name in (NB2, NB3):
        shutil.copy(scratch / name, sub / name)
    return run_autograder(base)


def run_autograder(base):
    proc = subprocess.run([str(base / "run_autograder")], env=_env(base), cwd=base,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    results = json.loads((base / "results" / "results.json").read_text())
    validate(results)
    return results


def by_name(results):
    return {t["name"]: t for t in results["tests"]}


def test_the_zip_has_what_gradescope_runs(tree):
    src = tree["base"] / "source"
    for script in ("setup.sh", "run_autograder"):
        assert (src / script).read_text().startswith("#!/usr/bin/env bash")
    assert "bubblewrap" in (src / "setup.sh").read_text()
    cfg = json.loads((src / "config.json").read_text())
    assert cfg["hidden_visibility"] == "after_due_date"
    assert (src / "course" / ".bptt-hidden-seed").read_text().strip() == "20261201"
    with pytest.raises(Exception, match="hidden visibility"):
        gradescope.settings(hidden_visibility="later")


def test_solutions_earn_full_marks_and_say_what_was_graded(tree):
    r = submit(tree, tree["right"], where="my-bptt")
    assert len(r["tests"]) == 6  # 02: step_jacobian, calc_delta; 03: calc_gradient; x2
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in r["tests"])
    assert r["score"] == 13 == sum(t["max_score"] for t in r["tests"])
    vis = {t["name"]: t["visibility"] for t in r["tests"]}
    assert vis["02_delta_recursion: calc_delta (hidden cases)"] == "after_due_date"
    assert vis["03_weight_gradients: calc_gradient (visible cases)"] == "visible"
    assert f"{NB2} (from my-bptt/{NB2})" in r["output"]
    assert "Not in your submission" not in r["output"]
    assert "written_fprime_from_state" in r["output"]  # graded by hand, said so
    assert r["extra_data"]["graded_notebooks"] == [NB2, NB3]


def test_catalogued_mistake_gets_its_hint_and_untouched_scores_zero(tree):
    wrong = parse_answers((ROOT / "examples" / "submissions" / "wrong_fprime.py").read_text())
    released = answers_from_notebooks([tree["release"] / NB3])  # notebook 3 as handed out
    r = by_name(submit(tree, {**tree["right"], **wrong, **released}))
    assert r["02_delta_recursion: step_jacobian (visible cases)"]["status"] == "passed"
    visible = r["02_delta_recursion: calc_delta (visible cases)"]
    assert visible["status"] == "failed" and "takes f' from s_" in visible["output"]
    assert re.search(r"first wrong time step.*: t=\d", visible["output"])
    hidden = r["02_delta_recursion: calc_delta (hidden cases)"]
    assert hidden["score"] < hidden["max_score"] and "BEGIN HIDDEN" not in hidden["output"]
    assert "check_calc_delta(" not in hidden["output"]  # no hidden test source
    for kind in ("visible", "hidden"):  # notebook 3 untouched
        t = r[f"03_weight_gradients: calc_gradient ({kind} cases)"]
        assert t["score"] == 0 and t["status"] == "failed" and t["output"].strip()


def _hostile(tree, name):
    text = (ROOT / "tests" / "hostile" / f"{name}.py").read_text()
    text = re.sub(r"^# @RIGHT_(\w+)@.*$", lambda m: tree["right"][f"answer_{m.group(1)}"],
                  text, flags=re.M)
    for key, value in {"GRADE_DIR": tree["base"] / "source" / "grading",
                       "COURSE_ROOT": tree["base"] / "source" / "course",
                       "REPO_ROOT": ROOT}.items():
        text = text.replace(f"@{key}@", str(value))
    return parse_answers(text)


FORGE = '''
# %% answer_calc_gradient
import json, os
def calc_gradient(deltas, states, xs):
    fake = {"score": 1000, "output": "forged", "tests": []}
    for folder in ("@RESULTS@", "/autograder/results", "."):
        try:
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "results.json"), "w") as fh:
                json.dump(fake, fh)
        except OSError:
            pass
    return xs.T @ xs * 0.0, states.T @ states * 0.0
'''


def test_hostile_code_changes_nothing_but_its_own_score(tree):
    seed = tree["base"] / "source" / "course" / ".bptt-hidden-seed"
    source = tree["base"] / "source" / "course" / "solutions" / "bptt" / NB2
    before = source.read_bytes()
    forge = parse_answers(FORGE.replace("@RESULTS@", str(tree["base"] / "results")))
    r = submit(tree, {**tree["right"], **_hostile(tree, "reads_instructor"), **forge})
    assert "forged" not in json.dumps(r)
    tests = by_name(r)
    assert tests["02_delta_recursion: step_jacobian (hidden cases)"]["status"] == "passed"
    zero = [n for n in tests if "calc_delta" in n or "calc_gradient" in n]
    assert len(zero) == 4 and all(tests[n]["score"] == 0 for n in zero)
    assert r["score"] == 3  # step_jacobian only (1 + 2 points)
    assert seed.read_text().strip() == "20261201" and source.read_bytes() == before


def test_nothing_gradable_scores_zero_with_words(tree):
    base = tree["base"]
    shutil.rmtree(base / "submission", ignore_errors=True)
    (base / "submission").mkdir()
    (base / "submission" / "notes.txt").write_text("hello")
    (base / "submission" / NB2).symlink_to(base / "source" / "course" / "solutions" / "bptt" / NB2)
    r = run_autograder(base)  # the link to the instructor's notebook is not followed
    assert r["score"] == 0 and r["tests"] == [] and "No notebook of the course" in r["output"]
    assert "notes.txt" in r["output"]
