"""One batch worker: ``python -m autograde.grading.worker COURSE``, nbgrader's API in-process.

``bptt grade`` (:mod:`autograde.grading.batch`) starts one per worker, each with its own
course folder and gradebook (nbgrader's ``autograde`` is serial, nbgrader #174), and sends it
one JSON request per line on stdin; it answers one JSON line per request on stdout:

- ``{"op": "autograde", "student": S, "notebooks": FOLDER}`` -> ``{"ok", "cells":
  {"<nb>:<grade_id>": [score, max]}, "notes", "log"}``: takes the student's notebooks in from
  ``FOLDER`` (:mod:`autograde.grading.intake`, here, so that it counts in the student's budget),
  then runs nbgrader's autograde
- ``{"op": "feedback", "student": S}`` -> ``{"ok", "log"}``
- ``{"op": "ping", "student": "-"}`` -> ``{"ok": true}`` (started and ready)

Every reply also holds ``max_rss_kib``, this process's peak resident memory so far
(``ru_maxrss``; the sandboxed kernels and learner processes are not counted).

nbgrader starts once per worker instead of once per student. Learner code never runs in this
process: the kernel and the trusted step's process run in the sandbox.
"""

import json
import logging
import os
import resource
import sys
from pathlib import Path

from autograde.startup import skip_iri_grammar

ASSIGNMENT = "bptt"


def make_api(course):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    api.log.setLevel(logging.INFO)
    return api


def student_cells(course, student):
    """``{"<notebook>:<grade_id>": [score or None, max_score]}`` of one student, from the gradebook."""
    from nbgrader.api import Gradebook

    cells = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        sub = gb.find_submission(ASSIGNMENT, student)
        for nbsub in sub.notebooks:
            for g in nbsub.grades:
                waiting = g.manual_score is None and g.auto_score is None  # a written answer
                cells[f"{nbsub.name}:{g.name}"] = [None if waiting else float(g.score),
                                                   float(g.max_score)]
    return cells


def take_in_student(course, student, notebooks):
    """The student's notebooks into ``submitted/<student>/bptt/``; the intake's notes."""
    import shutil

    from .course import RELEASE
    from .intake import take_in

    if notebooks is None:  # already in place
        return []
    submitted = Path(course) / "submitted" / student
    shutil.rmtree(submitted, ignore_errors=True)
    return take_in(Path(course) / RELEASE / ASSIGNMENT, notebooks, submitted / ASSIGNMENT)


def main(course):
    course = Path(course).resolve()
    os.chdir(course)
    reply_fd = os.dup(1)
    os.dup2(2, 1)  # whatever nbgrader prints goes to stderr, never into the replies
    api = make_api(course)
    for line in sys.stdin:
        req = json.loads(line)
        student = req["student"]
        if req["op"] == "ping":  # started and ready
            reply = {"ok": True}
        elif req["op"] == "autograde":
            notes = take_in_student(course, student, req.get("notebooks"))
            r = api.autograde(ASSIGNMENT, student, force=True, create=True)
            reply = {"ok": bool(r.get("success")), "log": r.get("log", "")[-20000:],
                     "notes": notes}
            if reply["ok"]:
                reply["cells"] = student_cells(course, student)
        else:
            r = api.generate_feedback(ASSIGNMENT, student, force=True)
            reply = {"ok": bool(r.get("success")), "log": r.get("log", "")[-20000:]}
        if not reply.get("ok"):
            reply["error"] = str(r.get("error", ""))[-4000:]
        reply["max_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        os.write(reply_fd, (json.dumps(reply) + "\n").encode("utf-8"))


if __name__ == "__main__":
    skip_iri_grammar()
    main(sys.argv[1])
