"""Taking in one student's files: every problem costs only that notebook, in words, never a crash.

For each notebook of the release, the student's file is copied into nbgrader's ``submitted/``
folder when it is a regular file of reasonable size that holds a valid notebook. Otherwise
the released notebook is graded in its place (0 points for its exercises), with a first cell
that tells the learner why, and the reason goes into the notes of ``grades.csv``. Symbolic
links and other non-regular files are never followed; files the release does not have are
not taken in.
"""

import re
import shutil
import warnings
from pathlib import Path

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
MAX_NOTEBOOK_BYTES = 32 * 1024**2


def _problem(path):
    """Why the file at ``path`` cannot be graded, or ``""``."""
    import nbformat

    if path.is_symlink():
        return "is a symbolic link (not followed)"
    if not path.is_file():
        return "is not a regular file"
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        return f"is larger than {MAX_NOTEBOOK_BYTES // 1024**2} MB"
    try:
        with warnings.catch_warnings():  # e.g. duplicate cell ids: nbformat fixes them itself
            warnings.simplefilter("ignore")
            nb = nbformat.reads(path.read_bytes().decode("utf-8"), as_version=4)
            nbformat.validate(nb)
    except UnicodeDecodeError:
        return "is not text (UTF-8)"
    except Exception as exc:  # noqa: BLE001 - JSON errors, schema errors, ...
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        return f"is not a valid notebook ({type(exc).__name__}: {first})"
    return ""


def _stand_in(released, target, why):
    """The released notebook with a first cell saying why it stands in for the learner's file."""
    import nbformat

    nb = nbformat.read(released, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(
        f"**Your submitted `{released.name}` could not be graded: it {why}.** The notebook as "
        "released was graded in its place, so its exercises score 0. Fix the file (open it in "
        "JupyterLab and save it again) and ask your instructor to grade it again."))
    nbformat.write(nb, target)


def take_in(release_dir, student_dir, target_dir):
    """Copy one student's notebooks into ``target_dir``; the list of notes (problems found)."""
    release_dir, student_dir, target_dir = Path(release_dir), Path(student_dir), Path(target_dir)
    target_dir.mkdir(parents=True)
    notes = []
    for released in sorted(release_dir.glob("*.ipynb")):
        path = student_dir / released.name
        if not path.exists() and not path.is_symlink():
            continue  # not submitted: nbgrader scores its cells 0
        why = _problem(path)
        if why:
            notes.append(f"{released.name} {why}: graded as not answered (0 points)")
            _stand_in(released, target_dir / released.name, why)
        else:
            shutil.copyfile(path, target_dir / released.name, follow_symlinks=False)
    return notes
