"""What one student can cost the grader: intake, reply frames, the working folder, the budget.

Attacks 06, 07 and 08 of the fresh-eyes round (docs/grading_integrity.md): learner code must
not see nbgrader's autograded/ folder (hidden tests of earlier notebooks); a reply frame costs
the grader at most the data it sent; a notebook is measured before nbformat validates it.
"""

import json
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograde.grading import intake, protocol, replies, trusted
from autograde.grading.program import Program

ROOT = Path(__file__).resolve().parent.parent
RELEASED = sorted((ROOT / "notebooks" / "bptt").glob("*.ipynb"))


# --- 08: intake measures a notebook before nbformat reads it ------------------------------------

def _notebook(cells):
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _markdown(n):
    return [{"cell_type": "markdown", "metadata": {}, "source": "x", "id": f"c{i}"}
            for i in range(n)]


def test_released_notebooks_are_far_under_the_intake_bounds():
    for path in RELEASED:
        text = path.read_text(encoding="utf-8")
        assert intake._measure(text) == "", path.name
        data = json.loads(text)
        assert len(data["cells"]) * 10 < intake.MAX_CELLS, path.name
        assert len(text) * 20 < intake.MAX_NOTEBOOK_BYTES, path.name


def test_intake_refuses_oversized_notebooks_before_nbformat(tmp_path, monkeypatch):
    release, student, target = tmp_path / "release", tmp_path / "student", tmp_path / "target"
    release.mkdir(), student.mkdir()
    names = {"a_cells": _notebook(_markdown(intake.MAX_CELLS + 1)),
             "b_outputs": _notebook([{"cell_type": "code", "metadata": {}, "source": "",
                                      "id": "c", "execution_count": None,
                                      "outputs": [{"output_type": "stream", "name": "stdout",
                                                   "text": "x"}] * (intake.MAX_OUTPUTS + 1)}]),
             "c_fields": _notebook([{"cell_type": "markdown", "source": "x", "id": "c",
                                     "metadata": {f"k{i}": 1 for i in range(intake.MAX_FIELDS)}}]),
             "d_honest": _notebook(_markdown(3))}
    for name, nb in names.items():
        (release / f"{name}.ipynb").write_text(json.dumps(_notebook(_markdown(1))))
        (student / f"{name}.ipynb").write_text(json.dumps(nb))
    (release / "e_bytes.ipynb").write_text(json.dumps(_notebook(_markdown(1))))
    with open(student / "e_bytes.ipynb", "wb") as fh:  # sparse: never read
        fh.truncate(intake.MAX_NOTEBOOK_BYTES + 1)

    read, reads = [], nbformat.reads

    def counted(text, *args, **kwargs):
        read.append(len(text))
        return reads(text, *args, **kwargs)

    monkeypatch.setattr(nbformat, "reads", counted)
    t0 = time.perf_counter()
    notes = intake.take_in(release, student, target)
    assert time.perf_counter() - t0 < 10
    assert read and max(read) < 2000  # nbformat read the small ones only (and the release)
    assert [n.split(" ")[0] for n in notes] == ["a_cells.ipynb", "b_outputs.ipynb",
                                                "c_fields.ipynb", "e_bytes.ipynb"]
    assert f"it has {intake.MAX_CELLS + 1} cells (at most {intake.MAX_CELLS})" in notes[0]
    assert f"{intake.MAX_OUTPUTS + 1} outputs" in notes[1]
    assert "fields of cell data" in notes[2] and "larger than 16 MB" in notes[3]
    assert all("graded as not answered (0 points)" in n for n in notes)
    first = json.loads((target / "a_cells.ipynb").read_text())["cells"][0]["source"]
    assert "is too large to grade" in "".join(first) and "Clear Outputs" in "".join(first)
    assert json.loads((target / "d_honest.ipynb").read_text()) == names["d_honest"]


# --- 07: a reply frame costs the grader at most the data it sent --------------------------------

def test_a_reply_may_name_each_array_once():
    leaf = {"kind": "ndarray", "key": "a"}
    bomb = {"kind": "list", "items": [{"kind": "list", "items": [leaf] * 64}] * 64}
    arrays = {"a": np.ones((1001, 64))}
    with pytest.raises(replies.BadReply, match="same array twice"):
        replies.decode_value(bomb, arrays)
    outcome = replies.outcome_of({"value": bomb}, {"a": np.ones((1001, 64))}, 0.1, 2.0)
    assert outcome.value is None and "could not be read: it names" in outcome.error
    missing = replies.outcome_of({"value": {"kind": "ndarray", "key": "b"}}, {}, 0.1, 2.0)
    assert "could not be read" in missing.error
    # what the child sends for an honest tuple: one key per leaf, each handed out once
    found = {}
    from autograde.grading.child import encode
    same = np.arange(3.0)
    value = replies.decode_value(encode((same, same, [same]), found, 1 << 20), dict(found))
    assert len(found) == 3 and [v.tolist() for v in (value[0], value[1], value[2][0])] == [
        [0.0, 1.0, 2.0]] * 3


def test_a_frame_with_repeated_keys_through_the_channel_fails_one_case():
    import os
    r, w = os.pipe()
    try:
        leaf = {"kind": "ndarray", "key": "a"}
        os.write(w, protocol.encode({"op": "result", "value": {"kind": "list",
                                                                 "items": [leaf] * 64}},
                                    {"a": np.ones((10, 4))}))
        header, arrays = protocol.receive(r, max_data=4096)
    finally:
        os.close(r), os.close(w)
    outcome = replies.outcome_of(header, arrays, 0.1, 2.0)
    assert outcome.value is None and "same array twice" in outcome.error


def test_a_process_that_ended_after_its_reply_is_started_again(monkeypatch):
    started = []

    class Ended:
        def __init__(self, *_a):
            started.append(self)
            self.proc = type("P", (), {"poll": staticmethod(lambda: 0)})()

        def close(self):
            pass

    monkeypatch.setattr(trusted, "LearnerProcess", Ended)
    session = trusted._Session(Program([], []), ROOT, True, 1.0)
    assert session.ready(0) == "" and len(started) == 1
    assert session.ready(0) == "" and len(started) == 2  # not "the process is gone"


# --- 06: learner code works in the student's submitted folder, never in autograded/ -----------

def _cell(kind, source, **nbgrader):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    cell.metadata["nbgrader"] = {"grade": False, "locked": False, "solution": False,
                                 "schema_version": 3, **nbgrader}
    return cell


PEEK = """import os
SEEN = sorted(os.listdir("."))
print("SEEN", SEEN)

def step_jacobian(W, state, activator):
    if SEEN != ["nb.ipynb"]:
        return None
    return W * activator.backward(state)
"""


def test_learner_code_never_sees_the_autograded_folder(tmp_path, sandbox_ready):
    from traitlets.config import Config

    from autograde.grading.preprocessors import GuardedExecute, TrustedGrades, learner_folder

    setup = ("import numpy as np\nfrom autograde import check_step_jacobian, last_feedback")
    test = "assert check_step_jacobian(step_jacobian) == 1.0, last_feedback()"
    cells = [_cell("code", setup, grade_id="setup", locked=True),
             _cell("code", "raise NotImplementedError", grade_id="answer_step_jacobian",
                   solution=True),
             _cell("code", test, grade_id="test_step_jacobian", grade=True, locked=True,
                   points=1)]
    source = nbformat.v4.new_notebook(cells=cells)
    source.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
    root = tmp_path / "course"
    for folder in ("source", "submitted/s", "autograded/s"):
        (root / folder / "bptt").mkdir(parents=True)
    nbformat.write(source, root / "source" / "bptt" / "nb.ipynb")
    learner = nbformat.from_dict(json.loads(json.dumps(source)))
    learner.cells[1].source = PEEK
    nbformat.write(learner, root / "submitted" / "s" / "bptt" / "nb.ipynb")
    # what nbgrader keeps there: an earlier notebook with the instructor's hidden tests
    (root / "autograded" / "s" / "bptt" / "earlier.ipynb").write_text("### BEGIN HIDDEN TESTS")
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.source_directory = "source"
    config.GuardedExecute.kernel_manager_class = "autograde.grading.kernel.SandboxedKernelManager"
    resources = {"nbgrader": {"student": "s", "assignment": "bptt", "notebook": "nb"},
                 "metadata": {"path": str(root / "autograded" / "s" / "bptt")}}

    nb, res = GuardedExecute(config=config).preprocess(learner, resources)
    assert res is resources and res["metadata"]["path"].endswith("autograded/s/bptt")
    printed = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert "SEEN ['nb.ipynb']" in printed, nb.cells[1].outputs
    TrustedGrades(config=config, hidden_seed=1).preprocess(nb, resources)
    outputs = nb.cells[2].outputs
    assert "passed" in outputs[0]["text"] and len(outputs) == 1, outputs  # no AssertionError
    assert learner_folder(config, resources) == root / "submitted" / "s" / "bptt"


def test_a_killed_worker_leaves_no_temporary_folder(tmp_path, monkeypatch):
    import tempfile

    from autograde.grading import workers

    made, mkdtemp = [], tempfile.mkdtemp
    monkeypatch.setattr(workers.tempfile, "mkdtemp",
                        lambda **kw: made.append(mkdtemp(**kw)) or made[-1])
    worker = workers.Worker(tmp_path, 0, tmp_path / "log")
    with pytest.raises(workers.WorkerTimeout):  # still starting: stopped as a stalling student
        worker.ask({"op": "ping", "student": "-"}, 0.01)
    assert len(made) == 1 and Path(made[0]).name.startswith("bptt-worker0-")
    assert not Path(made[0]).exists() and worker.proc is None
