"""``bptt demo``: release the course, grade example submissions with nbgrader, show the grades.

Everything happens in a fresh course folder (``build/demo-course`` by default): the
assignment is released there with ``nbgrader generate_assignment``, each example learner's
answers (``examples/submissions/<student>.py``) are filled into the released notebooks under
``submitted/<student>/bptt/``, and ``nbgrader autograde``, ``generate_feedback`` and
``export`` run on all of them at once.
"""

import ast
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .course import ASSIGNMENT, RELEASE, CourseError, make_course, run_nbgrader, source_notebooks
from .submissions import answers_from_notebooks, build_submission, grade_id, parse_answers

MARKER_FILE = ".bptt-demo-course"
SOLUTIONS_STUDENT = "solutions"


@dataclass
class Student:
    """An example learner: an id, a one-line description, and answers by grade_id."""

    name: str
    about: str
    sections: dict


@dataclass
class DemoResult:
    """Where the demo put things and what the gradebook says."""

    course: Path
    students: list
    columns: list  # of (notebook, key, max_score)
    scores: dict  # student -> {(notebook, key): score or None}
    grades: dict  # student -> {(notebook, grade_id): (score, max_score)}
    seconds: dict = field(default_factory=dict)  # nbgrader step -> wall time

    @property
    def feedback_dir(self):
        return self.course / "feedback"

    @property
    def grades_csv(self):
        return self.course / "grades.csv"


def load_students(folder):
    """The example learners of ``folder`` (``<student>.py`` answers files), sorted by name."""
    students = []
    for path in sorted(Path(folder).glob("*.py")):
        text = path.read_text(encoding="utf-8")
        doc = ast.get_docstring(ast.parse(text)) or ""
        students.append(Student(path.stem, doc.strip().splitlines()[0] if doc.strip() else "",
                                parse_answers(text)))
    if not students:
        raise CourseError(f"no example submissions (<student>.py) in {folder}")
    return students


def solutions_student(root):
    """A learner whose answers are the instructor's own (they must earn every point)."""
    return Student(SOLUTIONS_STUDENT, "the instructor's solutions, as a sanity check",
                   answers_from_notebooks(source_notebooks(root)))


def prepare_folder(dest):
    """Make ``dest`` an empty folder; only ever deletes a folder an earlier demo made."""
    dest = Path(dest).resolve()
    if dest.exists():
        if not dest.is_dir():
            raise CourseError(f"{dest} exists and is not a folder")
        if any(dest.iterdir()):
            if not (dest / MARKER_FILE).exists():
                raise CourseError(f"{dest} is not empty and was not made by `bptt demo`; "
                                  "choose another --dir (the demo replaces its folder)")
            shutil.rmtree(dest)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / MARKER_FILE).write_text("made by `bptt demo`; replaced by the next demo\n")
    return dest


def _key(gid):
    for prefix in ("test_", "hidden_"):
        if gid.startswith(prefix):
            return gid[len(prefix):]
    return gid


def read_gradebook(course, students):
    """Scores per student and per (notebook, function) from the course's gradebook."""
    from nbgrader.api import Gradebook  # imported late: sqlalchemy is slow to import

    columns, grades, scores = {}, {}, {}
    position = {}  # (notebook, grade_id) -> index, so columns follow the notebooks' order
    for path in sorted((Path(course) / RELEASE / ASSIGNMENT).glob("*.ipynb")):
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            position[(path.stem, grade_id(cell))] = i
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        assignment = gb.find_assignment(ASSIGNMENT)
        for nb in sorted(assignment.notebooks, key=lambda n: n.name):
            cells = sorted(nb.grade_cells, key=lambda c: (position.get((nb.name, c.name), 1e9),
                                                          c.name))
            for cell in cells:
                col = (nb.name, _key(cell.name))
                columns[col] = columns.get(col, 0.0) + float(cell.max_score)
        for name in students:
            sub = gb.find_submission(ASSIGNMENT, name)
            grades[name], scores[name] = {}, {}
            for nbsub in sub.notebooks:
                for g in nbsub.grades:
                    # Grade.score is 0.0, not None, for a written answer still to be graded
                    waiting = g.manual_score is None and g.auto_score is None
                    score = None if waiting else float(g.score)
                    grades[name][(nbsub.name, g.name)] = (score, float(g.max_score))
                    col = (nbsub.name, _key(g.name))
                    if score is None or scores[name].get(col, 0.0) is None:
                        scores[name][col] = None
                    else:
                        scores[name][col] = scores[name].get(col, 0.0) + score
    ordered = [(nb, key, mx) for (nb, key), mx in columns.items()]
    return ordered, scores, grades


def _fmt(x):
    return f"{round(x, 2):g}"


def autograded_total(result, name):
    """``(score, max)`` over the test and hidden cells (written answers are graded by hand)."""
    cells = [v for (nb, gid), v in result.grades[name].items()
             if gid.startswith(("test_", "hidden_"))]
    return sum(s or 0.0 for s, _ in cells), sum(m for _, m in cells)


def format_table(result):
    """The grade table: one row per notebook and function, one column per student."""
    heads = ["notebook", "function", "max", *result.students]
    rows = []
    for nb, key, mx in result.columns:
        row = [nb, key, _fmt(mx)]
        for name in result.students:
            v = result.scores[name].get((nb, key))
            row.append("manual" if v is None else _fmt(v))
        rows.append(row)
    totals = [autograded_total(result, name) for name in result.students]
    rows.append(["", "autograded total", _fmt(totals[0][1]) if totals else "",
                 *[_fmt(t) for t, _ in totals]])
    widths = [max(len(r[i]) for r in [heads, *rows]) for i in range(len(heads))]

    def line(cells):
        left = [c.ljust(w) for c, w in zip(cells[:2], widths[:2], strict=True)]
        right = [c.rjust(w) for c, w in zip(cells[2:], widths[2:], strict=True)]
        return "  ".join(left + right).rstrip()

    out = [line(heads), "-" * len(line(heads))]
    out += [line(r) for r in rows[:-1]] + ["-" * len(line(heads)), line(rows[-1])]
    return "\n".join(out)


def run_demo(root, dest, students, out=print):
    """Release the course into ``dest``, grade ``students`` there, and return the grades.

    Parameters
    ----------
    root : Path
        The course repository (``nbgrader_config.py``, ``solutions/bptt/``).
    dest : Path
        The demo's course folder; replaced when an earlier demo made it.
    students : list of Student
    out : callable
        Where progress goes (``print``).

    Returns
    -------
    DemoResult
    """
    course = prepare_folder(dest)
    log = course / "nbgrader.log"
    seconds = {}

    def step(label, args):
        out(f"==> nbgrader {' '.join(args)}  ({label})")
        t0 = time.perf_counter()
        run_nbgrader(args, course, log=log)
        seconds[args[0]] = time.perf_counter() - t0
        out(f"    done in {seconds[args[0]]:.1f} s")

    make_course(root, course)
    step("release the student notebooks", ["generate_assignment", ASSIGNMENT])
    released = course / RELEASE / ASSIGNMENT
    out(f"==> submissions in {course / 'submitted'}")
    for st in students:
        report = build_submission(released, st.sections, course / "submitted" / st.name / ASSIGNMENT)
        out(f"    {st.name:<14} {st.about}")
        out(f"    {'':<14} {len(report.filled)} answer cells filled, "
            f"{len(report.untouched)} left as released"
            + (f"; skipped (not in these notebooks): {', '.join(report.skipped)}"
               if report.skipped else ""))
    step(f"grade {len(students)} submissions in one run", ["autograde", ASSIGNMENT])
    step("feedback HTML without hidden test source", ["generate_feedback", ASSIGNMENT])
    step("grades to grades.csv", ["export"])
    columns, scores, grades = read_gradebook(course, [s.name for s in students])
    return DemoResult(course, [s.name for s in students], columns, scores, grades, seconds)


def report(result, out=print):
    """Print the grade table and where the feedback and grades are."""
    out("")
    out(format_table(result))
    if any(key.startswith("written_") for _, key, _ in result.columns):
        out("written_* are answers in prose: nbgrader scores one left as released 0 and leaves "
            "the others to the instructor (manual).")
    out("")
    out(f"feedback HTML: {result.feedback_dir}/<student>/{ASSIGNMENT}/<notebook>.html")
    out(f"grades CSV:    {result.grades_csv}")
    out(f"nbgrader log:  {result.course / 'nbgrader.log'}")
