"""`bptt release`: notebooks/ is exactly what nbgrader generate_assignment makes of solutions/."""

import importlib
import shutil
from pathlib import Path

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

from autograde.checks.limits import case_limit
from autograde.cli import main
from autograde.grading.course import generate, release_differences, source_notebooks
from autograde.grading.selfcheck import CELL_TIMEOUT

ROOT = Path(__file__).resolve().parent.parent
needs_notebooks = pytest.mark.skipif(not source_notebooks(ROOT), reason="no solutions yet")


def load_config():
    return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()


def test_config_settings():
    c = load_config()
    assert c.CourseDirectory.source_directory == "solutions"
    assert c.CourseDirectory.release_directory == "notebooks"
    assert c.Execute.raise_on_iopub_timeout is False
    assert c.OverwriteCells.add_missing_cells is True
    assert "autograde.grading.preprocessors.SafeClearHiddenTests" in c.GenerateFeedback.preprocessors
    # Under grading the demonstrations do less (bptt_helpers/runtime.py) and scores never depend
    # on the kernel; `bptt check` runs the full notebook a learner runs, so it allows more.
    assert 30 <= c.Execute.timeout <= CELL_TIMEOUT


def _hidden_case_sets():
    """The hidden cases of every check that exists, with the per-case limit each gets."""
    sets = {}
    for module, names in [("autograde.checks.cases", ["step_jacobian", "calc_delta", "calc_gradient"]),
                          ("autograde.checks.truncated", ["truncated_bptt", "tbptt_k1k2"]),
                          ("autograde.checks.clipping", ["clip_grad_norm", "clip_grad_value"])]:
        try:
            mod = importlib.import_module(module)
        except ImportError:  # a check that is not written yet
            continue
        for name in names:
            builder = getattr(mod, f"{name}_cases", None)
            if builder is not None:
                sets[name] = builder(hidden=True)
    return sets


def test_cell_timeout_outlasts_an_endless_loop_on_every_hidden_case():
    # A learner's function that never returns is stopped after each case's limit, and after
    # MAX_TIMEOUTS such cases the rest are not run: the hidden cell must still finish within
    # `bptt check`'s cell timeout, with room to spare. (Under grading the kernel runs no check:
    # the trusted step does, with its own per-case limits.)
    from autograde.checks.limits import MAX_TIMEOUTS

    for name, cases in _hidden_case_sets().items():
        worst = sum(sorted((case_limit(c) for c in cases), reverse=True)[:MAX_TIMEOUTS])
        assert 1.5 * worst <= CELL_TIMEOUT, f"{name}: {len(cases)} cases may take {worst:.0f} s"


@pytest.fixture(scope="module")
def generated():
    return generate(ROOT)


@needs_notebooks
def test_committed_notebooks_are_what_nbgrader_generates(generated):
    changed = release_differences(ROOT, generated)
    assert changed == [], f"run `bptt release`: {changed}"


@needs_notebooks
def test_generation_clears_outputs(generated):
    # (It is deterministic too: the test above compares a fresh generation with the committed
    # files byte for byte, and `bptt release --check` in CI is another.)
    first = generated
    names = sorted(p.name for p in source_notebooks(ROOT))
    assert sorted(n for n in first if n.endswith(".ipynb")) == names
    for name in names:
        nb = nbformat.reads(first[name].decode(), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, name


LIGHT = ("01_model_and_gradients.ipynb", "03_weight_gradients.ipynb")  # two of the notebooks


@pytest.fixture
def course_copy(tmp_path):
    """A course made of two of the repository's notebooks (config, solutions, released versions).

    What `bptt release` does with stale, edited and missing files does not depend on how many
    notebooks there are; two keep each generation short (the whole course is generated above).
    """
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    for folder in ("solutions/bptt", "notebooks/bptt"):
        (tmp_path / folder).mkdir(parents=True)
        for name in LIGHT:
            shutil.copy2(ROOT / folder / name, tmp_path / folder / name)
    return tmp_path


@needs_notebooks
def test_check_names_stale_files_and_release_fixes_them(course_copy, capsys):
    target = course_copy / "notebooks" / "bptt"
    edited = sorted(target.glob("*.ipynb"))[0]
    nb = nbformat.read(edited, as_version=4)
    nb.cells[0].source += "\nhand edit"
    nbformat.write(nb, edited)
    (target / "99_stale.ipynb").write_text(edited.read_text())
    missing = sorted(target.glob("*.ipynb"))[-2]
    missing.unlink()

    assert main(["release", "--check", "--root", str(course_copy)]) == 1
    out = capsys.readouterr().out
    for path in (edited, missing, target / "99_stale.ipynb"):
        assert f"notebooks/bptt/{path.name}" in out
    assert edited.exists() and not missing.exists()  # --check changes nothing

    assert main(["release", "--root", str(course_copy)]) == 0
    out = capsys.readouterr().out
    assert "removed notebooks/bptt/99_stale.ipynb" in out
    assert f"wrote   notebooks/bptt/{missing.name}" in out
    assert not (target / "99_stale.ipynb").exists() and missing.exists()
    for path in sorted(target.glob("*.ipynb")):
        assert path.read_bytes() == (ROOT / "notebooks" / "bptt" / path.name).read_bytes()
    leftovers = {"gradebook.db", "submitted", "autograded", "feedback", "release", "source"}
    assert not leftovers & {p.name for p in course_copy.iterdir()}, "nbgrader files in the repo"


def test_release_outside_a_course_is_a_clear_error(tmp_path, capsys):
    assert main(["release", "--check", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is not a course folder" in err and "Traceback" not in err


@needs_notebooks
def test_after_nbgraders_own_generate_the_check_says_what_to_run(course_copy, capsys):
    # Formgrader's Generate button runs this: the same files, without the autograde version
    from autograde.grading.course import run_nbgrader

    run_nbgrader(["generate_assignment", "bptt", "--force", "--no-db"], course_copy)
    released = sorted((course_copy / "notebooks" / "bptt").glob("*.ipynb"))
    assert released and all("autograde_version" not in p.read_text() for p in released)

    assert main(["release", "--check", "--root", str(course_copy)]) == 1
    out = capsys.readouterr().out
    assert "Formgrader's Generate" in out and "Run `bptt release` after" in out
    for path in released:
        assert f"  notebooks/bptt/{path.name}" in out

    assert main(["release", "--root", str(course_copy)]) == 0
    assert main(["release", "--check", "--root", str(course_copy)]) == 0
    capsys.readouterr()
