"""``bptt grade SUBMISSIONS``: grade a class's submissions with nbgrader and the trusted step.

``SUBMISSIONS`` holds one folder per student, ``<student>/bptt/*.ipynb`` (nbgrader's
``submitted/`` layout) or ``<student>/*.ipynb``. The output folder (``--dir``) gets:

- ``course/``: the course, released there once with ``nbgrader generate_assignment``;
- ``workers/<k>/``: one nbgrader course folder (own ``gradebook.db``) per worker, so
  that workers never share nbgrader's serial ``autograde`` (nbgrader #174);
- ``autograded/<student>/``, ``feedback/<student>/``: copied from the worker that graded
  the student (feedback without hidden test source, see ``nbgrader_config.py``);
- ``results/<student>.json``: the student's grades, written last and atomically: a
  student with a results file is done; a rerun skips them and grades the rest, so a
  crash or a killed worker loses no grade already given;
- ``grades.csv``: one row per student (total, maximum, then every graded cell).

Each student is one unit of work: ``nbgrader autograde bptt --student S --force``
(the learner's kernel, then :class:`autograde.grading.trusted.TrustedGrades`) in the worker's
course folder. At the end ``nbgrader generate_feedback`` runs once per worker.
"""

import csv
import json
import os
import queue
import shutil
import threading
import time
from pathlib import Path

from .course import ASSIGNMENT, RELEASE, CourseError, make_course, run_nbgrader
from .demo import read_gradebook

MARKER = ".bptt-grade-folder"


def find_submissions(folder):
    """``{student: folder holding their notebooks}`` of a submissions folder, sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CourseError(f"{folder} is not a folder of submissions")
    found = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        nbs = sub / ASSIGNMENT if (sub / ASSIGNMENT).is_dir() else sub
        if any(nbs.glob("*.ipynb")):
            found[sub.name] = nbs
    if not found:
        raise CourseError(f"no submissions in {folder} (expected <student>/{ASSIGNMENT}/*.ipynb)")
    return found


def prepare(root, dest, workers, log, config=""):
    """The output folder with a released course and one course folder per worker."""
    dest = Path(dest).resolve()
    if dest.exists() and any(dest.iterdir()) and not (dest / MARKER).exists():
        raise CourseError(f"{dest} is not empty and was not made by `bptt grade`")
    dest.mkdir(parents=True, exist_ok=True)
    (dest / MARKER).touch()
    course = dest / "course"
    if not (course / RELEASE / ASSIGNMENT).is_dir():
        shutil.rmtree(course, ignore_errors=True)
        make_course(root, course)
        run_nbgrader(["generate_assignment", ASSIGNMENT, "--force"], course, log=log)
    for k in range(workers):
        w = dest / "workers" / str(k)
        if not (w / "gradebook.db").is_file():
            shutil.rmtree(w, ignore_errors=True)
            shutil.copytree(course, w, ignore=shutil.ignore_patterns("submitted", "autograded",
                                                                     "feedback"))
            if config:
                with open(w / "nbgrader_config.py", "a", encoding="utf-8") as fh:
                    fh.write("\n# added by bptt grade\n" + config + "\n")
    for sub in ("results", "autograded", "feedback"):
        (dest / sub).mkdir(exist_ok=True)
    return dest


def _replace_tree(src, dst):
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    if src.is_dir():
        shutil.copytree(src, tmp)
        shutil.rmtree(dst, ignore_errors=True)
        os.replace(tmp, dst)


def grade_student(dest, worker, student, notebooks, log):
    """Grade one student in the worker's course folder; write ``results/<student>.json`` last."""
    w = dest / "workers" / str(worker)
    target = w / "submitted" / student / ASSIGNMENT
    shutil.rmtree(w / "submitted" / student, ignore_errors=True)
    target.mkdir(parents=True)
    for nb in sorted(Path(notebooks).glob("*.ipynb")):
        shutil.copy2(nb, target / nb.name)
    t0 = time.perf_counter()
    run_nbgrader(["autograde", ASSIGNMENT, "--student", student, "--force"], w, log=log)
    t_auto = time.perf_counter() - t0
    _, _, grades = read_gradebook(w, [student])
    cells = {f"{nb}:{gid}": [score, mx] for (nb, gid), (score, mx) in grades[student].items()}
    _replace_tree(w / "autograded" / student, dest / "autograded" / student)
    result = {"student": student, "cells": cells,
              "score": sum(s for s, _ in cells.values() if s is not None),
              "max_score": sum(m for _, m in cells.values()),
              "autograde_seconds": t_auto, "seconds": time.perf_counter() - t0,
              "worker": worker}
    tmp = dest / "results" / f".{student}.json.tmp"
    tmp.write_text(json.dumps(result, indent=1), encoding="utf-8")
    os.replace(tmp, dest / "results" / f"{student}.json")
    return result


def load_results(dest):
    out = {}
    for path in sorted((Path(dest) / "results").glob("*.json")):
        try:
            r = json.loads(path.read_text(encoding="utf-8"))
            out[r["student"]] = r
        except (ValueError, KeyError):
            continue  # unreadable: graded again
    return out


def write_csv(dest, results):
    """``grades.csv``: student_id, score, max_score, then one column per graded cell."""
    columns = sorted({c for r in results.values() for c in r["cells"]})
    path = Path(dest) / "grades.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["student_id", "score", "max_score", *columns])
        for name in sorted(results):
            r = results[name]
            row = [name, f"{r['score']:g}", f"{r['max_score']:g}"]
            for c in columns:
                s = r["cells"].get(c, [None])[0]
                row.append("" if s is None else f"{s:g}")
            out.writerow(row)
    return path


def grade_batch(root, submissions, dest, workers=None, config="", out=print):
    """Grade every student of ``submissions`` not graded yet.

    ``config`` is appended to the workers' ``nbgrader_config.py`` (e.g. a shorter
    ``c.Execute.timeout``). Returns ``({student: result}, {student: why it failed})``.
    """
    workers = max(1, int(workers or os.cpu_count() or 1))
    students = find_submissions(submissions)
    dest = Path(dest).resolve()
    log = dest / "nbgrader.log"
    dest = prepare(root, dest, workers, log, config)
    done = load_results(dest)
    todo = [s for s in students if s not in done]
    out(f"{len(students)} submissions: {len(students) - len(todo)} already graded, "
        f"{len(todo)} to grade with {workers} worker(s)")
    jobs = queue.Queue()
    for s in todo:
        jobs.put(s)
    lock = threading.Lock()
    failures = {}
    count = [len(students) - len(todo)]
    t0 = time.perf_counter()

    def work(k):
        while True:
            try:
                s = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                r = grade_student(dest, k, s, students[s], log)
                line = f"{r['score']:g}/{r['max_score']:g} in {r['seconds']:.0f} s"
            except Exception as exc:  # noqa: BLE001 - one student's failure stops no one else
                failures[s] = str(exc)
                line = f"FAILED ({str(exc).splitlines()[0][:100]})"
            with lock:
                count[0] += 1
                out(f"  [{count[0]}/{len(students)}] {s}: {line} (worker {k})")

    threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out("==> feedback (nbgrader generate_feedback, one run per worker)")
    for k in range(workers):
        w = dest / "workers" / str(k)
        if any((w / "autograded").glob("*")):
            run_nbgrader(["generate_feedback", ASSIGNMENT, "--force"], w, log=log)
            for sub in sorted((w / "feedback").glob("*")):
                _replace_tree(sub, dest / "feedback" / sub.name)
    results = load_results(dest)
    csv_path = write_csv(dest, results)
    out(f"graded {len(todo) - len(failures)} in {time.perf_counter() - t0:.0f} s; "
        f"grades CSV: {csv_path}; feedback: {dest / 'feedback'}")
    if failures:
        out(f"{len(failures)} submission(s) failed; run the same command again to retry: "
            + ", ".join(sorted(failures)))
    return results, failures
