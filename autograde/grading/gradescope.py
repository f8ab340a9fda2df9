"""A Gradescope autograder of the course: ``bptt gradescope`` builds ``autograder.zip``.

Gradescope's autograder spec (gradescope-autograders.readthedocs.io, "Autograder
Specifications"): the zip holds ``setup.sh`` (run once, as root, when Gradescope builds the
Ubuntu image; installs what grading needs) and ``run_autograder`` (run in a fresh container
for every submission, working folder ``/autograder``). The zip is unpacked into
``/autograder/source``; the learner's files are in ``/autograder/submission``; the grades
go into ``/autograder/results/results.json``.

Grading is ``bptt grade``'s, unchanged (:func:`autograde.grading.batch.grade_batch`): the
submission is one student of a batch with one worker, its notebooks taken in one by one,
learner code in the bubblewrap sandbox as an unprivileged user, every score decided by the
trusted step with the course's hidden seed (made when the zip is built, stored in it).
:mod:`.gradescope_results` turns the graded notebooks into ``results.json``.

``BPTT_AUTOGRADER_ROOT`` replaces ``/autograder`` (the tests run a simulated tree);
``BPTT_AUTOGRADER_PYTHON`` replaces the Python that ``setup.sh`` installs.
"""

import io
import json
import os
import secrets
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

from .course import ASSIGNMENT, CONFIG, IGNORED, SOURCE, CourseError, check_root

SEED_FILE = ".bptt-hidden-seed"  # preprocessors.SEED_FILE (not imported: nbgrader is slow to load)

ROOT_ENV = "BPTT_AUTOGRADER_ROOT"
PYTHON_ENV = "BPTT_AUTOGRADER_PYTHON"
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
PACKAGES = ("autograde", "bptt_helpers")
COURSE_FILES = ("pyproject.toml", "README.md", "LICENSE", CONFIG)

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu).
# It installs Python 3.11+, bubblewrap (the sandbox learner code runs in) and util-linux
# (setpriv, prlimit), then the course with the dependencies pinned in requirements.txt.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq bubblewrap util-linux python3-venv python3-pip >/dev/null
PY=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  apt-get install -y -qq python3.11 python3.11-venv >/dev/null || {
    apt-get install -y -qq software-properties-common >/dev/null
    add-apt-repository -y ppa:deadsnakes/ppa && apt-get update -qq
    apt-get install -y -qq python3.11 python3.11-venv >/dev/null; }
  PY=python3.11
fi
SRC=/autograder/source
"$PY" -m venv /autograder/venv
/autograder/venv/bin/pip install -q --upgrade pip
/autograder/venv/bin/pip install -q -r "$SRC/requirements.txt"
/autograder/venv/bin/pip install -q --no-deps "$SRC/course"
chmod 700 "$SRC"   # the learner's processes run as another user: nothing here for them
/autograder/venv/bin/python -m autograde.grading.gradescope prepare
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade /autograder/submission/ with the course's
# grading (bptt grade: sandbox, trusted step) and write /autograder/results/results.json.
set -uo pipefail
ROOT="${BPTT_AUTOGRADER_ROOT:-/autograder}"
PY="${BPTT_AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT"
exec "$PY" -m autograde.grading.gradescope run
"""


def autograder_root():
    """``/autograder``, or the folder ``BPTT_AUTOGRADER_ROOT`` names."""
    return Path(os.environ.get(ROOT_ENV) or "/autograder")


def pinned_requirements(project="bptt-course"):
    """``name==version`` of every installed package the course needs (its closure, no extras)."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins, todo = {}, list(metadata.requires(project) or [])
    while todo:
        req = Requirement(todo.pop())
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # an extra (dev tools) or another platform's dependency
        name = canonicalize_name(req.name)
        if name in pins:
            continue
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            continue  # optional elsewhere, not installed here
        pins[name] = dist.version
        todo += dist.requires or []
    return [f"{n}=={v}" for n, v in sorted(pins.items())]


def _add_tree(zf, folder, arcdir):
    for path in sorted(Path(folder).rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not IGNORED.intersection(rel.parts) \
                and path.suffix not in (".pyc",):
            zf.write(path, f"{arcdir}/{rel.as_posix()}")


def _add_text(zf, name, text, executable=False):
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text)


def settings(hidden_visibility="after_due_date", scores_only=True, student_seconds=600):
    """The autograder's ``config.json`` (checked here, so a typo fails the build, not grading)."""
    if hidden_visibility not in VISIBILITIES:
        raise CourseError(f"hidden visibility must be one of {', '.join(VISIBILITIES)}")
    return {"hidden_visibility": hidden_visibility, "scores_only": bool(scores_only),
            "student_seconds": float(student_seconds)}


def build(root, out, seed=None, notebooks=None, **options):
    """Write ``autograder.zip`` for the course at ``root``; returns its path.

    Holds ``setup.sh``, ``run_autograder``, ``requirements.txt`` (pins of this environment),
    ``config.json`` (:func:`settings`) and ``course/``: the packages, ``nbgrader_config.py``,
    the instructor's notebooks (those whose names start with one of ``notebooks``, e.g.
    ``["02", "03"]`` for a Gradescope assignment of two notebooks; default all) and the
    hidden seed (``seed``, else a new random one). The zip holds the solutions: upload it to
    Gradescope only, never hand it out.
    """
    root = check_root(root)
    chosen = [nb for nb in sorted((root / SOURCE / ASSIGNMENT).glob("*.ipynb"))
              if not notebooks or nb.name.startswith(tuple(notebooks))]
    if not chosen:
        raise CourseError(f"no notebook of {root / SOURCE / ASSIGNMENT} starts with "
                          + " or ".join(notebooks or []))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        _add_text(zf, "setup.sh", SETUP_SH, executable=True)
        _add_text(zf, "run_autograder", RUN_AUTOGRADER, executable=True)
        _add_text(zf, "requirements.txt", "\n".join(pinned_requirements()) + "\n")
        _add_text(zf, "config.json", json.dumps(settings(**options), indent=1) + "\n")
        for name in COURSE_FILES:
            if (root / name).is_file():
                zf.write(root / name, f"course/{name}")
        for pkg in PACKAGES:
            _add_tree(zf, root / pkg, f"course/{pkg}")
        for nb in chosen:
            zf.write(nb, f"course/{SOURCE}/{ASSIGNMENT}/{nb.name}")
        _add_text(zf, f"course/{SEED_FILE}", f"{seed}\n")
    out.write_bytes(buf.getvalue())
    return out


# --- inside the container -------------------------------------------------------------------

def _paths(prefix):
    source = prefix / "source"
    return {"source": source, "course": source / "course", "grading": source / "grading",
            "config": source / "config.json", "submission": prefix / "submission",
            "results": prefix / "results"}


def _seed(course):
    return int((course / SEED_FILE).read_text(encoding="utf-8").strip())


def prepare(prefix=None, out=print):
    """Release the course into ``source/grading`` once (``setup.sh``), so each run only grades."""
    from .batch import prepare as prepare_folder

    p = _paths(prefix or autograder_root())
    cfg = json.loads(p["config"].read_text(encoding="utf-8"))
    prepare_folder(p["course"], p["grading"], 1, p["grading"].parent / "nbgrader.log",
                   cfg["scores_only"], seed=_seed(p["course"]))
    out(f"released the course into {p['grading']}")


def collect_submission(folder, names, dest):
    """Copy the learner's notebooks named like the release's into ``dest``.

    Gradescope keeps the uploaded files (and folders); each released name is looked for
    anywhere under ``folder``, the least deep copy first; symbolic links are not followed
    (the intake refuses them anyway). Returns ``(found names, ignored relative paths)``.
    """
    found, ignored = {}, []
    folder, dest = Path(folder), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    walked = [Path(d, n) for d, dirs, files in os.walk(folder)  # links to folders: not entered
              for n in files + [x for x in dirs if Path(d, x).is_symlink()]]
    entries = sorted(walked, key=lambda p: (len(p.relative_to(folder).parts), str(p)))
    for path in entries:
        rel = path.relative_to(folder).as_posix()
        if path.name in names and path.name not in found and not path.is_symlink():
            shutil.copyfile(path, dest / path.name, follow_symlinks=False)
            found[path.name] = rel
        else:
            ignored.append(rel)
    return found, ignored


def run(prefix=None, out=print):
    """Grade ``submission/``; write ``results/results.json``; the results as a dict."""
    from . import gradescope_results as gr

    prefix = Path(prefix or autograder_root())
    p = _paths(prefix)
    p["results"].mkdir(parents=True, exist_ok=True)
    cfg = json.loads(p["config"].read_text(encoding="utf-8"))
    source_nbs = sorted((p["course"] / SOURCE / ASSIGNMENT).glob("*.ipynb"))
    names = [nb.name for nb in source_nbs]
    with tempfile.TemporaryDirectory(prefix="bptt-gradescope-") as tmp:
        subs = Path(tmp) / "submissions"
        found, ignored = collect_submission(p["submission"], set(names),
                                            subs / gr.STUDENT / ASSIGNMENT)
        for stale in (p["grading"] / "results" / f"{gr.STUDENT}.json",
                      p["grading"] / "autograded" / gr.STUDENT):  # a container is used once,
            shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() \
                else stale.unlink(missing_ok=True)  # but a rerun must grade again
        try:
            if not found:
                raise CourseError("none")
            from .batch import grade_batch  # (nbgrader and nbformat take seconds to load)

            results, failures = grade_batch(
                p["course"], subs, p["grading"], workers=1, out=out,
                scores_only=cfg["scores_only"], student_seconds=cfg["student_seconds"],
                seed=_seed(p["course"]), make_feedback=False)
            if failures:
                raise CourseError(failures[gr.STUDENT])
            report = gr.results(source_nbs, found, ignored, results[gr.STUDENT],
                                p["grading"] / "autograded" / gr.STUDENT / ASSIGNMENT,
                                cfg["hidden_visibility"])
        except Exception as exc:  # noqa: BLE001 - the learner always gets a readable result
            report = gr.failed(names, found, ignored, exc)
    path = p["results"] / "results.json"
    tmp = path.with_name(".results.json.tmp")
    tmp.write_text(json.dumps(report, indent=1), encoding="utf-8")
    tmp.replace(path)
    out(f"wrote {path}: {report['score']:g} points")
    return report


def main(argv=None):
    import sys

    from ..startup import skip_iri_grammar
    from .course import keep_out_of_home

    skip_iri_grammar()  # before grading imports nbformat: each submission's run starts 2-3 s sooner
    argv = sys.argv[1:] if argv is None else argv
    keep_out_of_home()
    if argv[:1] == ["prepare"]:
        prepare()
    elif argv[:1] == ["run"]:
        run()
    else:
        print("usage: python -m autograde.grading.gradescope prepare|run", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
