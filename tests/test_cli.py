"""The `bptt` command line and the demo's building blocks (answers files, submissions, folders)."""

import io
import os
import subprocess
import sys
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import autograde
from autograde.cli import main
from autograde.grading.course import keep_out_of_home, private_state_dir, source_notebooks
from autograde.grading.demo import MARKER_FILE, load_students, prepare_folder
from autograde.grading.submissions import answers_from_notebooks, build_submission, parse_answers

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "submissions"


def test_help_lists_the_commands():
    proc = subprocess.run([sys.executable, "-m", "autograde.cli", "--help"],
                          capture_output=True, text=True)
    assert proc.returncode == 0
    for command in ("check", "release", "demo"):
        assert command in proc.stdout


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2


def test_keep_out_of_home_respects_the_users_choice(tmp_path):
    env = {"JUPYTER_CONFIG_DIR": str(tmp_path / "mine")}
    keep_out_of_home(env)
    assert env["JUPYTER_CONFIG_DIR"] == str(tmp_path / "mine")
    home = str(Path.home())
    for var in ("JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        assert env[var] and not env[var].startswith(home + "/"), var
        assert Path(env[var]).is_dir()


# --- answers files ----------------------------------------------------------------------------

ANSWERS = '''"""A learner."""

import numpy as np


# %% answer_first
def first(x):
    return np.asarray(x) + 1


# %% answer_unknown
def unknown():
    return 0
'''


def test_parse_answers_keeps_each_section_and_drops_the_prelude():
    sections = parse_answers(ANSWERS)
    assert list(sections) == ["answer_first", "answer_unknown"]
    assert sections["answer_first"] == "def first(x):\n    return np.asarray(x) + 1"
    assert "import numpy" not in "".join(sections.values())


def test_parse_answers_rejects_a_repeated_section():
    with pytest.raises(ValueError, match="twice"):
        parse_answers("# %% answer_a\nx = 1\n# %% answer_a\nx = 2\n")


def _released(folder):
    folder.mkdir(parents=True)
    nb = new_notebook()
    answer = {"schema_version": 3, "solution": True, "grade": False, "locked": False}
    nb.cells = [
        new_markdown_cell("# exercise"),
        new_code_cell("# YOUR CODE HERE\nraise NotImplementedError()",
                      metadata={"nbgrader": {**answer, "grade_id": "answer_first"}}),
        new_code_cell("# YOUR CODE HERE\nraise NotImplementedError()",
                      metadata={"nbgrader": {**answer, "grade_id": "answer_second"}}),
        new_code_cell("assert first(1) == 2", metadata={"nbgrader": {
            "schema_version": 3, "grade_id": "test_first", "grade": True, "locked": True,
            "solution": False, "points": 1}}),
    ]
    nbformat.write(nb, folder / "01_x.ipynb")
    (folder / "data.txt").write_text("a data file travels with the notebooks\n")
    return folder


def test_build_submission_fills_known_answer_cells_only(tmp_path):
    released = _released(tmp_path / "release")
    before = (released / "01_x.ipynb").read_bytes()
    report = build_submission(released, parse_answers(ANSWERS), tmp_path / "sub")
    assert report.filled == ["01_x.ipynb:answer_first"]
    assert report.untouched == ["01_x.ipynb:answer_second"]
    assert report.skipped == ["answer_unknown"]
    nb = nbformat.read(tmp_path / "sub" / "01_x.ipynb", as_version=4)
    assert nb.cells[1].source.startswith("def first(x):")
    assert nb.cells[1].metadata["nbgrader"]["grade_id"] == "answer_first"  # metadata kept
    assert "NotImplementedError" in nb.cells[2].source
    assert nb.cells[3].source == "assert first(1) == 2"
    assert (tmp_path / "sub" / "data.txt").exists()
    assert (released / "01_x.ipynb").read_bytes() == before, "the release is not changed"


# --- the example learners ----------------------------------------------------------------------

def _functions(path):
    """Run an answers file as a module; its functions by name."""
    namespace = {"__name__": path.stem}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


def _check(function):
    return getattr(autograde, f"check_{function}", None)


def test_the_example_learners():
    students = {s.name: s for s in load_students(EXAMPLES)}
    assert set(students) == {"all_right", "wrong_fprime", "untouched", "misbehaves"}
    assert all(s.about for s in students.values()), "each file says who the learner is"
    assert students["untouched"].sections == {}
    code_answers = {gid for gid in answers_from_notebooks(source_notebooks(ROOT))
                    if gid.startswith("answer_")}
    for name in ("all_right", "wrong_fprime"):
        missing = code_answers - set(students[name].sections)
        assert not missing, f"{name} has no answer for {missing}"


@pytest.mark.parametrize("name", ["all_right", "wrong_fprime"])
def test_example_answers_earn_what_their_description_says(name):
    functions = _functions(EXAMPLES / f"{name}.py")
    sections = parse_answers((EXAMPLES / f"{name}.py").read_text())
    checked = 0
    for gid in sections:
        fn = gid[len("answer_"):]
        if _check(fn) is None:
            continue
        with redirect_stdout(io.StringIO()):
            scores = (_check(fn)(functions[fn]), _check(fn)(functions[fn], hidden=True))
        checked += 1
        if name == "wrong_fprime" and fn in ("calc_delta", "rnn_layer_backward",
                                             "rnn_stack_backward"):  # the last calls the second
            assert max(scores) < 1.0, "the mistake must be caught"
        else:
            assert scores == (1.0, 1.0), f"{name}.{fn} scored {scores}"
    assert checked >= 3


def test_the_mistake_is_named_by_the_check():
    fn = _functions(EXAMPLES / "wrong_fprime.py")["calc_delta"]
    out = io.StringIO()
    with redirect_stdout(out):
        autograde.check_calc_delta(fn)
    assert "takes f' from s_" in out.getvalue()
    out = io.StringIO()
    with redirect_stdout(out):
        autograde.check_rnn_layer_backward(_functions(EXAMPLES / "wrong_fprime.py")["rnn_layer_backward"])
    assert "f' is taken from s_{t-1}" in out.getvalue()


# --- the demo's folder ---------------------------------------------------------------------------

def test_demo_refuses_a_folder_it_did_not_make(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    assert main(["demo", "--dir", str(mine), "--root", str(ROOT)]) == 2
    err = capsys.readouterr().err
    assert "was not made by `bptt demo`" in err and "Traceback" not in err
    assert (mine / "thesis.tex").read_text() == "precious"


def test_demo_replaces_its_own_folder(tmp_path):
    dest = prepare_folder(tmp_path / "demo")
    (dest / "old.txt").write_text("from the last demo")
    dest = prepare_folder(dest)
    assert sorted(p.name for p in dest.iterdir()) == [MARKER_FILE]


def test_state_folder_that_others_can_write_to_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    mine = private_state_dir()
    assert mine == tmp_path / f"bptt-course-{os.getuid()}" and mine.is_dir()
    assert private_state_dir() == mine, "kept between runs"
    mine.chmod(0o777)  # as if someone else had prepared it
    other = private_state_dir()
    assert other != mine and other.is_dir() and not other.stat().st_mode & 0o077
