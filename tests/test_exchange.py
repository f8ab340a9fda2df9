"""The nbgrader exchange round trip with the course's grading, as the README's instructor section runs it.

A throw-away course (the repository's nbgrader_config.py, and notebook 2 reduced to its
set-up, answer and test cells: CI time is precious) with the README's two exchange lines
(``c.CourseDirectory.course_id``, ``c.Exchange.root``, a temporary folder; no JupyterHub).

The instructor's steps run through nbgrader's API (what the ``nbgrader`` commands call; one,
``release_assignment``, as the command itself, to prove the config lines). The learners
are simulated: separate home folders with their own nbgrader cache, and nbgrader's
documented ``--student`` id (``CourseDirectory.student_id``) instead of separate unix
users (the exchange identifies a learner by that id or by the unix user name).

ada fetches, answers right, submits on time. bob submits the notebook untouched, then,
after the due date, again with a catalogued mistake (f' from the next state). As nbgrader
documents: ``collect`` keeps what it has already collected, ``collect --update`` takes the
newer submission; the late one is graded with its lateness recorded (the default
LateSubmissionPlugin penalty, 'none', leaves the score). Both fetch feedback: ada's has
full marks; bob's names the mistake and the first wrong time step, without hidden test
source. The gradebook then gives the LMS CSV (``bptt lms``).
"""

import csv
import datetime as dt
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograde.cli import main
from autograde.grading.course import run_nbgrader
from autograde.grading.submissions import (
    FillReport,
    answers_from_notebooks,
    fill_notebook,
    grade_id,
    parse_answers,
)

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "solutions" / "bptt" / "02_delta_recursion.ipynb"
NB, COURSE_ID = "02_light", "bptt-exchange-test"
pytestmark = [pytest.mark.skipif(not SOURCE.is_file(), reason="no notebook 2 yet"),
              pytest.mark.usefixtures("sandbox_ready")]


def make_course(tmp):
    course = tmp / "course"
    (course / "solutions" / "bptt").mkdir(parents=True)
    nb = nbformat.read(SOURCE, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "code" and re.match(
        r"^(setup|answer_|test_|hidden_)", grade_id(c) or "")]
    nbformat.write(nb, course / "solutions" / "bptt" / f"{NB}.ipynb")
    config = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    config += (f'\n# the exchange (README, instructor section)\n'
               f'c.CourseDirectory.course_id = "{COURSE_ID}"\n'
               f'c.Exchange.root = "{tmp / "exchange"}"\n'
               'c.Execute.timeout = 10\n')
    (course / "nbgrader_config.py").write_text(config, encoding="utf-8")
    return course


def api(course):
    from autograde.grading.worker import make_api

    return make_api(course)


def learner_config(tmp, student):
    from traitlets.config import Config

    home = tmp / "home" / student
    home.mkdir(parents=True, exist_ok=True)
    cfg = Config()
    cfg.Exchange.root = str(tmp / "exchange")
    cfg.Exchange.cache = str(home / ".nbgrader-cache")  # a learner's own cache (JUPYTER_DATA_DIR)
    cfg.Exchange.assignment_dir = str(home)  # where they work: fetch writes home/bptt/
    cfg.CourseDirectory.course_id = COURSE_ID
    cfg.CourseDirectory.assignment_id = "bptt"
    cfg.CourseDirectory.student_id = student  # `--student ada`
    return cfg, home


def exchange(step, cfg):
    """Run one learner step, as ``nbgrader <step> bptt --course ... --student ...`` does."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import default

    cls = {"fetch_assignment": default.ExchangeFetchAssignment, "submit": default.ExchangeSubmit,
           "fetch_feedback": default.ExchangeFetchFeedback}[step]
    coursedir = CourseDirectory(config=cfg)
    cls(coursedir=coursedir, authenticator=Authenticator(config=cfg), config=cfg).start()


def answer(home, sections):
    path = home / "bptt" / f"{NB}.ipynb"
    nb = nbformat.read(path, as_version=4)
    fill_notebook(nb, sections, FillReport(), path.name)
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("exchange")
    with pytest.MonkeyPatch.context() as mp:  # nbgrader starts `alembic` by name; runs in the course
        mp.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        mp.chdir(tmp)
        return _round_trip(tmp)


def _round_trip(tmp):
    course = make_course(tmp)
    right = answers_from_notebooks([course / "solutions" / "bptt" / f"{NB}.ipynb"])
    wrong = parse_answers((ROOT / "examples" / "submissions" / "wrong_fprime.py").read_text())
    teacher = api(course)
    assert teacher.generate_assignment("bptt")["success"]
    run_nbgrader(["release_assignment", "bptt"], course)  # the command, with the config lines
    assert (tmp / "exchange" / COURSE_ID / "outbound" / "bptt" / f"{NB}.ipynb").is_file()

    ada, ada_home = learner_config(tmp, "ada")
    bob, bob_home = learner_config(tmp, "bob")
    for cfg in (ada, bob):
        exchange("fetch_assignment", cfg)
    answer(ada_home, right)
    exchange("submit", ada)
    exchange("submit", bob)  # untouched, on time
    assert teacher.collect("bptt", update=False)["success"]

    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # the due date: now
        gb.update_or_create_assignment("bptt", duedate=dt.datetime.now(dt.timezone.utc))
    time.sleep(1.5)
    answer(bob_home, {**right, **wrong})
    exchange("submit", bob)  # again, late, with the mistake
    first = (course / "submitted" / "bob" / "bptt" / "timestamp.txt").read_text()
    assert teacher.collect("bptt", update=False)["success"]
    kept = (course / "submitted" / "bob" / "bptt" / "timestamp.txt").read_text()
    assert teacher.collect("bptt", update=True)["success"]
    updated = (course / "submitted" / "bob" / "bptt" / "timestamp.txt").read_text()

    for student in ("ada", "bob"):
        r = teacher.autograde("bptt", student)
        assert r["success"], r.get("log", "")[-2000:]
    assert teacher.generate_feedback("bptt")["success"]
    assert teacher.release_feedback("bptt")["success"]
    for cfg in (ada, bob):
        exchange("fetch_feedback", cfg)
    return {"tmp": tmp, "course": course, "homes": {"ada": ada_home, "bob": bob_home},
            "timestamps": (first, kept, updated)}


def feedback_text(home):
    pages = sorted((home / "bptt" / "feedback").glob(f"*/{NB}.html"))
    assert len(pages) == 1, pages  # feedback for the graded (last collected) submission only
    page = pages[0].read_text(encoding="utf-8")
    page = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S)
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_collect_keeps_its_copy_and_update_takes_the_resubmission(round_trip):
    first, kept, updated = round_trip["timestamps"]
    assert first == kept  # `nbgrader collect` without --update: the copy it has stays
    assert updated > first  # `--update`: the newer (late) submission


def test_lateness_is_recorded_as_nbgrader_documents(round_trip):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{round_trip['course'] / 'gradebook.db'}") as gb:
        ada = gb.find_submission("bptt", "ada")
        bob = gb.find_submission("bptt", "bob")
        assert ada.total_seconds_late == 0 and bob.total_seconds_late > 0
        assert ada.score == ada.max_score == 8  # penalty 'none': the score stands
        assert 0 < bob.score < bob.max_score and bob.late_submission_penalty in (None, 0)


def test_learners_fetch_the_promised_feedback(round_trip):
    ada = feedback_text(round_trip["homes"]["ada"])
    assert re.search(r"Score:\s*8(\.0)?\s*/\s*8", ada), ada[:500]
    bob = feedback_text(round_trip["homes"]["bob"])
    assert "takes f' from s_" in bob
    assert re.search(r"first wrong time step.*: t=\d", bob)
    assert "BEGIN HIDDEN TESTS" not in bob and "hidden=True" not in bob  # no hidden source


def test_the_gradebook_gives_the_lms_csv(round_trip, tmp_path):
    out = tmp_path / "canvas.csv"
    assert main(["lms", str(round_trip["course"]), "--lms", "canvas", "--out", str(out)]) == 0
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["Student"].strip() == "Points Possible" and rows[0]["BPTT total"] == "8"
    scores = {r["SIS Login ID"]: float(r["BPTT total"]) for r in rows[1:]}
    assert scores["ada"] == 8 and 0 < scores["bob"] < 8
