"""`bptt check`: the self-check decides exercises as grading does (the default), or runs every cell
in a real kernel (`--all-cells`), with visible and hidden cases either way."""

import io
import json
import os
import sys
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from autograde import check_step_jacobian
from autograde.cli import main
from autograde.grading.course import source_notebooks
from autograde.grading.submissions import build_submission, grade_id, parse_answers

sys.path.insert(0, str(Path(__file__).resolve().parent))
import selfcheck_nb  # noqa: E402
from selfcheck_nb import LONG_RUNS, ROOT, bptt, needs_notebooks, tiny_notebook  # noqa: E402


@needs_notebooks
def test_solutions_pass(tmp_path):
    paths = source_notebooks(ROOT)
    proc = bptt("check", *paths)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    functions = [grade_id(c)[len("answer_"):] for p in paths
                 for c in nbformat.read(p, as_version=4).cells
                 if (grade_id(c) or "").startswith("answer_")]
    assert functions
    for fn in functions:
        assert f"PASS  {fn} (hidden score: 100%)" in proc.stdout, fn
    for name in LONG_RUNS:
        assert f"{name}: no autograded exercise here; its set-up and answer cells ran" \
            in proc.stdout
    assert "FAIL" not in proc.stdout and "Traceback" not in proc.stderr
    assert "hidden cases of calc_delta" in proc.stderr, "progress names the check being run"
    assert "--all-cells" in proc.stdout, "the quick check says what it did not run"


@needs_notebooks
def test_a_mistake_fails_with_its_feedback(tmp_path):
    answers = parse_answers((ROOT / "examples" / "submissions" / "wrong_fprime.py").read_text())
    report = build_submission(ROOT / "notebooks" / "bptt", answers, tmp_path)
    target = next(p for p in sorted(tmp_path.glob("*.ipynb"))
                  if any(grade_id(c) == "answer_calc_delta"
                         for c in nbformat.read(p, as_version=4).cells))
    assert any(f.endswith("answer_calc_delta") for f in report.filled)
    proc = bptt("check", target)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "PASS  step_jacobian (hidden score: 100%)" in proc.stdout
    assert "FAIL  calc_delta" in proc.stdout
    assert "takes f' from s_" in proc.stdout  # the check's hint, shown to the learner
    assert "hidden: calc_delta:" in proc.stdout  # the hidden cases ran too


@pytest.mark.parametrize("mode", ["quick", "--all-cells"])
def test_hidden_cases_catch_what_the_visible_ones_miss(tmp_path, mode):
    # Right on the visible cases, wrong for H = 6, a size only the hidden cases use: the hidden
    # cases (stripped from the student notebooks) must catch it.
    answer = "return W if W.shape[0] == 6 else W * activator.backward(state)"
    ns = {}
    exec(f"def step_jacobian(W, state, activator):\n    {answer}", ns)
    with redirect_stdout(io.StringIO()):
        visible = check_step_jacobian(ns["step_jacobian"])
        hidden = check_step_jacobian(ns["step_jacobian"], hidden=True)
    assert visible == 1.0 and hidden < 1.0, "the premise of this test"
    path = tiny_notebook(tmp_path / "nb.ipynb", answer=answer)
    proc = bptt("check", *([mode] if mode != "quick" else []), path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"FAIL  step_jacobian (hidden score: {hidden:.0%})" in proc.stdout
    assert "FAIL case" in proc.stdout  # the hidden check's feedback names the failing cases


def test_the_quick_check_runs_no_demonstration(tmp_path):
    path = tiny_notebook(tmp_path / "nb.ipynb", new_markdown_cell("## 3. Something to run"),
                         new_code_cell("raise RuntimeError('boom')"))
    proc = bptt("check", path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "nb.ipynb: all exercises passed" in proc.stdout and "boom" not in proc.stdout
    assert "--all-cells" in proc.stdout


def test_the_quick_check_reports_an_answer_cell_that_fails(tmp_path):
    path = tiny_notebook(tmp_path / "nb.ipynb")
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source += "\nundefined_name + 1"  # the cell itself raises, after the def
    nbformat.write(nb, path)
    proc = bptt("check", path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert ("error in answer_step_jacobian: NameError: name 'undefined_name' is not defined"
            in proc.stdout)


def test_the_quick_check_stops_an_endless_loop_outside_the_function(tmp_path):
    path = tiny_notebook(tmp_path / "nb.ipynb")
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source += "\nwhile True:\n    pass"
    nbformat.write(nb, path)
    proc = bptt("check", path, "--timeout", "5")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL  step_jacobian (hidden score: 0%)" in proc.stdout
    assert "error in answer_step_jacobian: did not finish running the set-up and answer cells " \
        "within 5 s (is there an endless loop outside your function?)" in proc.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a child subreaper is Linux's")
def test_a_process_the_learners_code_detached_ends_with_the_check(tmp_path):
    path = tiny_notebook(tmp_path / "nb.ipynb")
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source += selfcheck_nb.DETACH
    nbformat.write(nb, path)
    proc = bptt("check", path)
    pids = [int(x) for x in (tmp_path / "detached.pids").read_text().split()]
    alive = [p for p in pids if selfcheck_nb.running(p)]
    for pid in alive:  # leave nothing behind, whatever the outcome
        os.kill(pid, 9)
    assert pids and proc.returncode == 0, proc.stdout + proc.stderr
    assert not alive, f"still running after the check: {alive}"


def test_a_function_with_an_endless_loop_fails_its_exercise(tmp_path):
    path = tiny_notebook(tmp_path / "nb.ipynb", answer="while True:\n        pass")
    proc = bptt("check", path)
    assert proc.returncode == 1
    assert "FAIL  step_jacobian (hidden score: 0%)" in proc.stdout
    assert "endless loop" in proc.stdout


def _garbage(tmp_path):
    (tmp_path / "notes.txt").write_text("just some notes\n")
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    (tmp_path / "data.json").write_text(json.dumps({"a": 1}))
    bad_schema = {"cells": [{"cell_type": "code"}], "metadata": {}, "nbformat": 4,
                  "nbformat_minor": 5}
    (tmp_path / "bad_schema.ipynb").write_text(json.dumps(bad_schema))
    (tmp_path / "binary.ipynb").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    (tmp_path / "folder.ipynb").mkdir()
    return {
        "missing.ipynb": "no such file",
        "notes.txt": "is not a notebook (not valid JSON",
        "broken.ipynb": "is a malformed notebook (not valid JSON",
        "data.json": "is not a notebook (JSON without 'cells'",
        "bad_schema.ipynb": "is a malformed notebook",
        "binary.ipynb": "is not a notebook",
        "folder.ipynb": "is a folder, not a notebook",
    }


def test_unreadable_files_give_one_clear_line(tmp_path, capsys):
    for name, message in _garbage(tmp_path).items():
        assert main(["check", str(tmp_path / name)]) == 2, name
        out, err = capsys.readouterr()
        assert out == "", name
        lines = err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (name, err)
        assert lines[0].startswith("bptt check: ")


def test_a_bad_file_stops_before_any_kernel_runs(tmp_path, capsys):
    good = tiny_notebook(tmp_path / "good.ipynb")
    assert main(["check", str(good), str(tmp_path / "missing.ipynb")]) == 2
    out, err = capsys.readouterr()
    assert "no such file" in err and out == ""


def test_the_console_script_reports_errors_the_same_way(tmp_path):
    proc = bptt("check", tmp_path / "missing.ipynb", timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == f"bptt check: {tmp_path / 'missing.ipynb'}: no such file"


@pytest.mark.parametrize("mode", ["quick", "--all-cells"])
def test_nothing_is_written_to_the_home_folder(tmp_path, mode):
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER_", "IPYTHON", "MPL"))}
    env.update(HOME=str(home), TMPDIR=str(tmp), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"))
    path = tiny_notebook(tmp_path / "nb.ipynb",
                         new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2])"))
    nb = nbformat.read(path, as_version=4)  # the quick check runs set-up cells: one plots
    nb.cells[1].source += "\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])"
    nbformat.write(nb, path)
    proc = bptt("check", *([mode] if mode != "quick" else []), path, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(home.rglob("*")) == [], "files appeared in the home folder"
    assert any(p.name.startswith("bptt-course-") for p in tmp.iterdir())
    if mode == "quick":  # the learner process's own home and temporary folder are gone
        assert not any(p.name.startswith("bptt-learner-") for p in tmp.iterdir())


def bonus_notebook(path, answer):
    """``tiny_notebook`` whose exercise is a bonus (its test cells say so, as notebook 4's do)."""
    tiny_notebook(path, new_markdown_cell("## 3. Something to run"),
                  new_code_cell("x = 1\nraise RuntimeError('boom')"), answer=answer)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if (grade_id(cell) or "").startswith(("test_", "hidden_")):
            cell.source = "# bonus, " + cell.source.lstrip("# ")
    nb.cells = [c for c in nb.cells if "boom" not in c.source]
    nbformat.write(nb, path)
    return path


def test_an_unattempted_bonus_is_no_failure(tmp_path):
    proc = bptt("check", bonus_notebook(tmp_path / "nb.ipynb", "raise NotImplementedError()"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SKIP  step_jacobian (bonus, not attempted" in proc.stdout
    assert "the bonus was not attempted" in proc.stdout and "need work" not in proc.stdout


def test_an_attempted_bonus_that_fails_is_a_failure(tmp_path):
    proc = bptt("check", bonus_notebook(tmp_path / "nb.ipynb", "return W"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL  step_jacobian" in proc.stdout and "SKIP" not in proc.stdout


def test_errors_name_the_heading_and_first_line_a_learner_sees(tmp_path):
    path = tiny_notebook(tmp_path / "nb.ipynb", new_markdown_cell("## 3. Something to run"),
                         new_code_cell("x = 1\nraise RuntimeError('boom')"))
    proc = bptt("check", "--all-cells", path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert ('error in a code cell under "3. Something to run", starting "x = 1": '
            "RuntimeError: boom") in proc.stdout
    assert "cell 6" not in proc.stdout and "cell 5" not in proc.stdout


@pytest.mark.parametrize("mode", ["quick", "--all-cells"])
def test_deleting_the_test_cells_does_not_make_wrong_work_pass(tmp_path, mode):
    path = tiny_notebook(tmp_path / "nb.ipynb", answer="return 0 * W")
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if not (grade_id(c) or "").startswith(("test_", "hidden_"))]
    nbformat.write(nb, path)
    proc = bptt("check", *([mode] if mode != "quick" else []), path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL  step_jacobian (hidden score: 0%)" in proc.stdout


def test_a_duplicated_answer_cell_is_checked_by_its_last_copy_as_grading_does(tmp_path):
    # grading keeps the last copy of a copy-pasted answer cell (RestoreCells), the one the
    # kernel ran last: a right first copy must not make the quick check say PASS
    path = tiny_notebook(tmp_path / "nb.ipynb")
    nb = nbformat.read(path, as_version=4)
    wrong = nbformat.v4.new_code_cell("def step_jacobian(W, state, activator):\n    return W",
                                      metadata=nb.cells[2].metadata)
    nb.cells.insert(3, wrong)
    nbformat.write(nb, path)
    proc = bptt("check", path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL  step_jacobian" in proc.stdout  # right only where f' is 1 (identity)


def test_malformed_nbgrader_metadata_is_no_traceback(tmp_path):
    path = tiny_notebook(tmp_path / "nb.ipynb",
                         new_code_cell("x = 1", metadata={"nbgrader": {"grade_id": 7,
                                                                       "solution": True}}),
                         new_code_cell("y = 2", metadata={"nbgrader": ["not", "a", "dict"]}),
                         new_code_cell("z = 3", metadata={"nbgrader": {
                             "grade_id": "test_notreal", "grade": True, "points": 1}}))
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].metadata["nbgrader"]["points"] = "two"  # test_step_jacobian
    path.write_text(json.dumps(nb))  # as a learner's editor may save it: no schema check
    proc = bptt("check", path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASS  step_jacobian (hidden score: 100%)" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_renamed_cells_do_not_make_an_exercise_vanish(tmp_path):
    # the exercise is found from the graded function its answer cell defines
    path = tiny_notebook(tmp_path / "nb.ipynb", answer="return None")
    nb = nbformat.read(path, as_version=4)
    for cell, gid in zip(nb.cells[2:5], ("answer_sj", "tsj", "hsj"), strict=True):
        cell.metadata.nbgrader.grade_id = gid
    nbformat.write(nb, path)
    proc = bptt("check", path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL  step_jacobian (hidden score: 0%)" in proc.stdout


def test_stopping_the_check_stops_what_the_learners_code_started(tmp_path):
    import signal
    import subprocess
    import time

    path = tiny_notebook(tmp_path / "nb.ipynb")
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source += selfcheck_nb.DETACH + "import time\ntime.sleep(60)"
    nbformat.write(nb, path)
    proc = subprocess.Popen([sys.executable, "-m", "autograde.cli", "check", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pids = tmp_path / "detached.pids"
    for _ in range(300):
        if pids.exists() and pids.read_text().endswith("\n"):
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)  # timeout(1), a CI job's limit, a closed terminal (SIGHUP)
    out, err = proc.communicate(timeout=30)
    pid = int(pids.read_text())
    alive = selfcheck_nb.running(pid)
    if alive:
        os.kill(pid, 9)
    assert not alive, "the detached process outlived the stopped check"
    assert proc.returncode == 128 + signal.SIGTERM and "stopped by signal 15" in err, err
    assert "Traceback" not in err


def test_an_output_that_cannot_take_the_report_is_no_traceback(tmp_path):
    import subprocess

    path = tiny_notebook(tmp_path / "nb.ipynb")
    argv = [sys.executable, "-m", "autograde.cli", "check", str(path)]
    with open("/dev/full", "w") as full:  # a full disk
        proc = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stderr.strip().endswith(
        "bptt check: cannot write (the output): No space left on device"), proc.stderr
    closed = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    closed.stdout.close()  # `bptt check ... | head -0`: the reader went away
    err = closed.stderr.read()
    assert closed.wait(timeout=120) == 1 and "Traceback" not in err and "Exception" not in err, err
