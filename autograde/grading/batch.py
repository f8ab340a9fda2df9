"""``bptt grade SUBMISSIONS``: grade a class with nbgrader, the sandbox and the trusted step.

``SUBMISSIONS`` holds one folder per student, ``<student>/bptt/*.ipynb`` (nbgrader's
``submitted/`` layout) or ``<student>/*.ipynb``. The output folder (``--dir``) gets:

- ``course/``: the course, released there once with ``nbgrader generate_assignment``, and
  its secret seed for hidden cases (``.bptt-hidden-seed``);
- ``workers/<k>/``: one nbgrader course folder (own ``gradebook.db``) per worker process
  (:mod:`autograde.grading.worker`, nbgrader's API in-process);
- ``autograded/<student>/``, ``feedback/<student>/``: copied from the worker that graded them;
- ``results/<student>.json``: the student's grades, written last and atomically: a student
  with a results file is done; a rerun grades only the rest;
- ``grades.csv``: one row per student (total, maximum, every graded cell, notes).

One student is one failure domain: their files are taken in one by one (:mod:`.intake`),
their grading has a wall-clock budget, and their feedback is made after ``grades.csv`` is
written, with errors caught. The budget covers everything done for the student: intake (in
the worker), nbgrader's autograde, and their feedback, which gets what grading left of it.
"""

import csv
import json
import os
import queue
import shutil
import tempfile
import threading
import time
from pathlib import Path

from . import sandbox
from .course import ASSIGNMENT, RELEASE, CourseError, make_course, run_nbgrader
from .intake import STUDENT_ID
from .preprocessors import SEED_FILE, course_seed
from .workers import Worker, WorkerError, WorkerTimeout, blas_threads

MARKER = ".bptt-grade-folder"
STUDENT_SECONDS = 600  # wall clock for one student's intake, autograde and feedback, at most
# (honest whole course: about 1 min)


QUIET = {".git", ".ipynb_checkpoints", ".DS_Store"}  # entries skipped without a word


def find_submissions(folder):
    """``({student: folder holding their notebooks}, {entry: why it was skipped})``, sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CourseError(f"{folder} is not a folder of submissions")
    found, skipped = {}, {}
    for sub in sorted(folder.iterdir()):
        if sub.name in QUIET:
            continue
        if sub.name.startswith("."):
            skipped[sub.name] = ("a hidden entry (its name starts with a dot): rename it if it "
                                 "is a student's")
        elif sub.is_symlink() or not sub.is_dir():
            skipped[sub.name] = "not a folder (symbolic links are not followed)"
        elif not STUDENT_ID.match(sub.name):
            skipped[sub.name] = "not a usable student id (letters, digits, . _ @ + - only)"
        else:
            nbs = sub / ASSIGNMENT if (sub / ASSIGNMENT).is_dir() \
                and not (sub / ASSIGNMENT).is_symlink() else sub
            found[sub.name] = nbs
    if not found:
        raise CourseError(f"no submissions in {folder} (expected <student>/{ASSIGNMENT}/*.ipynb)")
    return found, skipped


def take_share(students, k, n):
    """The ``k``-th of ``n`` shares (k from 1) of ``{student: folder}``: every n-th by sorted id."""
    return {s: p for i, (s, p) in enumerate(sorted(students.items())) if i % n == k - 1}


def _config_lines(scores_only, config=""):
    return "\n# added by bptt grade\n" + (
        "c.GuardedExecute.run_notebook = False\n" if scores_only else "") + config + "\n"


def prepare(root, dest, workers, log, scores_only=False, config="", seed=None):
    """The output folder with a released course and one course folder per worker.

    ``seed`` (an int) is the hidden cases' secret seed to grade with (several machines
    grading shares of one class must share it); a folder made with another seed is refused.
    """
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
    if seed is not None:
        if (course / SEED_FILE).is_file() and course_seed(course) != int(seed):
            raise CourseError(f"{dest} was graded with another hidden seed than the one given; "
                              "grade into a new folder")
        (course / SEED_FILE).touch(mode=0o600)
        (course / SEED_FILE).write_text(f"{int(seed)}\n", encoding="utf-8")
    course_seed(course)
    for k in range(workers):
        w = dest / "workers" / str(k)
        if not (w / "gradebook.db").is_file():
            shutil.rmtree(w, ignore_errors=True)
            shutil.copytree(course, w, ignore=shutil.ignore_patterns("submitted", "autograded",
                                                                     "feedback"))
        base = (course / "nbgrader_config.py").read_text(encoding="utf-8")
        (w / "nbgrader_config.py").write_text(base + _config_lines(scores_only, config), "utf-8")
    for sub in ("results", "autograded", "feedback"):
        (dest / sub).mkdir(exist_ok=True)
    return dest


def _replace_tree(src, dst):
    """Replace folder ``dst`` with a copy of ``src`` (nothing when ``src`` is missing).

    The copy is made in a fresh folder of its own (``mkdtemp``), never under a name derived from
    ``dst``: another student's folder may well be called ``<dst>.tmp``.
    """
    if not src.is_dir():
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".replacing-", dir=dst.parent))
    try:
        shutil.copytree(src, scratch / "tree", symlinks=True)
        shutil.rmtree(dst, ignore_errors=True)
        os.replace(scratch / "tree", dst)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def grade_student(dest, worker, student, notebooks, seconds=STUDENT_SECONDS):
    """Grade one student in the worker's course folder; write ``results/<student>.json`` last.

    The worker takes the student's files in (intake) and grades them within ``seconds``.
    """
    w = worker.course
    t0 = time.perf_counter()
    try:
        reply = worker.ask({"op": "autograde", "student": student,
                            "notebooks": str(Path(notebooks).absolute())}, seconds)
    except WorkerTimeout:  # stalling: 0 with the reason, never a hold-up for the class
        reply = {"ok": True, "cells": {}, "stopped": True}
    notes = [str(n) for n in reply.get("notes", [])]
    if reply.get("stopped"):
        notes.append(f"grading stopped after {seconds:.0f} s (the per-student budget): "
                     "0 points; ask your instructor")
    if not reply.get("ok"):
        raise WorkerError("nbgrader autograde failed: "
                          + (reply.get("error") or reply.get("log", ""))[-300:])
    if not reply.get("stopped"):
        _replace_tree(w / "autograded" / student, dest / "autograded" / student)
    cells = reply["cells"]
    result = {"student": student, "cells": cells, "notes": notes,
              "score": sum(s for s, _ in cells.values() if s is not None),
              "max_score": sum(m for _, m in cells.values()) or release_max(w),
              "stopped": bool(reply.get("stopped")),
              "seconds": time.perf_counter() - t0, "worker": worker.index,
              "grader_max_rss_mib": round(reply.get("max_rss_kib", 0) / 1024, 1)}
    tmp = dest / "results" / f".{student}.json.tmp"
    tmp.write_text(json.dumps(result, indent=1), encoding="utf-8")
    os.replace(tmp, dest / "results" / f"{student}.json")
    return result


def release_max(course):
    """The points of every graded cell of the release (a stopped student's maximum)."""
    total = 0.0
    for path in (Path(course) / RELEASE / ASSIGNMENT).glob("*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            m = cell.get("metadata", {}).get("nbgrader", {})
            total += float(m.get("points") or 0) if m.get("grade") else 0.0
    return total


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
    """``grades.csv``: student_id, score, max_score, one column per graded cell, notes."""
    columns = sorted({c for r in results.values() for c in r["cells"]})
    path = Path(dest) / "grades.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["student_id", "score", "max_score", *columns, "notes"])
        for name in sorted(results):
            r = results[name]
            row = [name, f"{r['score']:g}", f"{r['max_score']:g}"]
            for c in columns:
                s = r["cells"].get(c, [None])[0]
                row.append("" if s is None else f"{s:g}")
            out.writerow([*row, " | ".join(r.get("notes", []))])
    return path


def _run_pool(pool, todo, job, out, count, total):
    """Run ``job(worker, student)`` for every student of ``todo`` on the pool; failures by student."""
    jobs, lock, failures = queue.Queue(), threading.Lock(), {}
    for s in todo:
        jobs.put(s)

    def work(worker):
        while True:
            try:
                s = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                line = job(worker, s)
            except Exception as exc:  # noqa: BLE001 - one student's failure stops no one else
                failures[s] = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                line = f"FAILED ({failures[s]})"
            with lock:
                count[0] += 1
                if out is not None:
                    out(f"  [{count[0]}/{total}] {s}: {line} (worker {worker.index})")

    threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in pool]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures


def grade_batch(root, submissions, dest, workers=None, out=print, scores_only=False,
                student_seconds=STUDENT_SECONDS, config="", seed=None, share=None,
                make_feedback=True):
    """Grade every student of ``submissions`` not graded yet; then grades.csv, then feedback.

    ``config`` is appended to the workers' ``nbgrader_config.py`` (e.g. a shorter
    ``c.Execute.timeout``). ``seed``: see :func:`prepare`. ``share`` ``(k, n)``: grade only
    the k-th of n shares of the students (sorted by id; k from 1), one machine's part of a
    class (:mod:`autograde.grading.merge` joins the parts). ``make_feedback=False``: no
    feedback HTML (grades only).

    Returns ``({student: result}, {student: why it failed})``.
    """
    workers = max(1, int(workers or os.cpu_count() or 1))
    if sandbox.require() is False:
        out(f"WARNING: {sandbox.UNSAFE_ENV}=1: learner code runs WITHOUT a sandbox, with your "
            "rights (it can read and change your files)")
    students, skipped = find_submissions(submissions)
    for name, why in skipped.items():
        out(f"  skipped {name}: {why}")
    if share is not None:
        students = take_share(students, *share)
        out(f"share {share[0]} of {share[1]}: {len(students)} student(s)")
    dest = Path(dest).resolve()
    log = dest / "nbgrader.log"
    dest = prepare(root, dest, workers, log, scores_only, config, seed)
    done = load_results(dest)
    todo = [s for s in students if s not in done]
    out(f"{len(students)} submissions: {len(students) - len(todo)} already graded, "
        f"{len(todo)} to grade with {workers} worker(s)"
        + (" (scores only: no kernels, no figures)" if scores_only else ""))
    t0 = time.perf_counter()
    n = min(workers, len(todo)) or 1
    pool = [Worker(dest / "workers" / str(k), k, log, blas_threads(n)) for k in range(n)]
    try:
        results, lock = dict(done), threading.Lock()

        def autograde(worker, s):
            r = grade_student(dest, worker, s, students[s], student_seconds)
            with lock:  # grades.csv is always the class so far: one stalling student holds none
                results[s] = r
                write_csv(dest, results)
            return f"{r['score']:g}/{r['max_score']:g} in {r['seconds']:.0f} s" + (
                " (stopped: budget)" if r.get("stopped") else "")

        failures = _run_pool(pool, todo, autograde, out, [len(students) - len(todo)],
                             len(students))
        results = load_results(dest)
        csv_path = write_csv(dest, results)  # grades first: feedback can fail, grades stand
        need = [s for s in todo if s in results and not results[s].get("stopped")
                and make_feedback]
        if need:
            out("==> feedback (nbgrader generate_feedback, one student at a time)")

        def feedback(worker, s):  # within what intake and grading left of the budget
            left = student_seconds - results[s].get("seconds", 0.0)
            if left < 1:
                raise WorkerError(f"the per-student budget ({student_seconds:.0f} s) was used "
                                  "up by grading")
            reply = worker.ask({"op": "feedback", "student": s}, left)
            if not reply.get("ok"):
                raise WorkerError("generate_feedback failed")
            _replace_tree(worker.course / "feedback" / s, dest / "feedback" / s)
            return "feedback written"

        no_feedback = {}  # each worker's gradebook holds its own students: one thread each
        threads = [threading.Thread(target=lambda w=w: no_feedback.update(_run_pool(
            [w], [s for s in need if results[s]["worker"] == w.index], feedback, None, [0], 0)))
            for w in pool]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for w in pool:
            w.close()
    out(f"graded {len(todo) - len(failures)} in {time.perf_counter() - t0:.0f} s; "
        f"grades CSV: {csv_path}; feedback: {dest / 'feedback'}")
    if no_feedback:
        out(f"no feedback for {len(no_feedback)} student(s) (their grades stand): "
            + ", ".join(f"{s} ({why})" for s, why in sorted(no_feedback.items())))
    if failures:
        out(f"{len(failures)} submission(s) failed; run the same command again to retry: "
            + ", ".join(sorted(failures)))
    return results, failures
