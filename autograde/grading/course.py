"""The course as an nbgrader course: find it, run nbgrader on it, release the student notebooks.

nbgrader always runs in a course folder of its own (a temporary one for ``bptt release``),
holding a copy of the repository's ``nbgrader_config.py`` and ``solutions/bptt/``, so its
working files (``gradebook.db``, ``submitted/``, ...) never land in the repository.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..version import VERSION_KEY, installed_version

ASSIGNMENT = "bptt"
CONFIG = "nbgrader_config.py"
SOURCE = "solutions"  # c.CourseDirectory.source_directory
RELEASE = "notebooks"  # c.CourseDirectory.release_directory
IGNORED = {".ipynb_checkpoints", "__pycache__", ".DS_Store"}
_ENV_DIRS = [("JUPYTER_CONFIG_DIR", "jupyter-config"), ("JUPYTER_DATA_DIR", "jupyter-data"),
             ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"), ("IPYTHONDIR", "ipython"),
             ("MPLCONFIGDIR", "matplotlib")]


class CourseError(Exception):
    """A problem the user can fix; the command line prints its message without a traceback."""


def private_state_dir():
    """A per-user folder under the system's temporary folder for Jupyter's and matplotlib's files.

    It is kept between runs (matplotlib's font cache is built once), never in the home folder.
    A folder of that name that someone else owns or can write to is not used (IPython would
    run start-up files planted there): a fresh temporary folder is used instead.
    """
    uid = os.getuid() if hasattr(os, "getuid") else None
    base = Path(tempfile.gettempdir()) / f"bptt-course-{uid if uid is not None else 'user'}"
    try:
        base.mkdir(mode=0o700, exist_ok=True)
        info = base.lstat()
        if (not base.is_symlink() and (uid is None or info.st_uid == uid)
                and not info.st_mode & 0o022):
            return base
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="bptt-course-"))


def keep_out_of_home(environ=None):
    """Point Jupyter, IPython and matplotlib at private folders unless the user chose some.

    Parameters
    ----------
    environ : dict, optional
        Changed in place; ``os.environ`` by default (so kernels started later inherit it).

    Returns
    -------
    dict
        The same mapping.
    """
    environ = os.environ if environ is None else environ
    base = None
    for var, sub in _ENV_DIRS:
        if not environ.get(var):
            base = base or private_state_dir()
            path = base / sub
            path.mkdir(parents=True, exist_ok=True)
            environ[var] = str(path)
    environ.setdefault("MPLBACKEND", "Agg")
    return environ


def find_root(start=None):
    """The course's root folder: holds ``nbgrader_config.py`` and ``solutions/bptt/``.

    Searches ``start`` (default: the current folder) and its parents, then the folder this
    package was installed from (an editable install of the repository).
    """
    start = Path(start or Path.cwd()).resolve()
    candidates = [start, *start.parents, Path(__file__).resolve().parents[2]]
    for folder in candidates:
        if (folder / CONFIG).is_file() and (folder / SOURCE / ASSIGNMENT).is_dir():
            return folder
    raise CourseError(f"no course found: run this inside the course repository (a folder with "
                      f"{CONFIG} and {SOURCE}/{ASSIGNMENT}/), or pass --root")


def check_root(root):
    """``root`` as a resolved Path, or :class:`CourseError` when it is not a course."""
    root = Path(root).resolve()
    if not (root / CONFIG).is_file() or not (root / SOURCE / ASSIGNMENT).is_dir():
        raise CourseError(f"{root} is not a course folder (it needs {CONFIG} and "
                          f"{SOURCE}/{ASSIGNMENT}/)")
    return root


def source_notebooks(root):
    """The instructor notebooks, ``solutions/bptt/*.ipynb``, sorted."""
    return sorted((Path(root) / SOURCE / ASSIGNMENT).glob("*.ipynb"))


def _ignore(folder, names):
    return [n for n in names if n in IGNORED]


def make_course(root, dest):
    """Fill the folder ``dest`` with a course: the config and a copy of ``solutions/bptt/``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(Path(root) / CONFIG, dest / CONFIG)
    shutil.copytree(Path(root) / SOURCE / ASSIGNMENT, dest / SOURCE / ASSIGNMENT, ignore=_ignore)
    return dest


def run_nbgrader(args, course, log=None):
    """Run ``nbgrader ARGS`` in the course folder ``course`` with this Python.

    Parameters
    ----------
    args : list of str
        E.g. ``["autograde", "bptt"]``.
    course : Path
        The course folder (nbgrader reads its ``nbgrader_config.py``).
    log : Path, optional
        Appends nbgrader's output there.

    Returns
    -------
    str
        nbgrader's output (stdout and stderr).

    Raises
    ------
    CourseError
        When nbgrader exits with an error; the message holds the end of its output.
    """
    env = keep_out_of_home(dict(os.environ))
    # nbgrader starts `alembic` (the database migrator) by name: this Python's scripts first.
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    proc = subprocess.run([sys.executable, "-m", "autograde.grading.nbgrader_cli", *args],
                          cwd=course, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if log is not None:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"$ nbgrader {' '.join(args)}\n{proc.stdout}\n")
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.strip().splitlines()[-25:])
        raise CourseError(f"`nbgrader {' '.join(args)}` failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout


def _files(folder):
    """``{relative posix path: bytes}`` of every file under ``folder`` (ignoring checkpoints)."""
    folder = Path(folder)
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not IGNORED.intersection(rel.parts):
            out[rel.as_posix()] = path.read_bytes()
    return out


def stamp_version(data, version=None):
    """A released notebook's bytes with the ``autograde`` version recorded in its metadata."""
    import nbformat

    nb = nbformat.reads(data.decode("utf-8"), as_version=nbformat.NO_CONVERT)
    nb.metadata[VERSION_KEY] = {"autograde_version": version or installed_version()}
    text = nbformat.writes(nb)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def generate(root):
    """Run ``nbgrader generate_assignment`` on ``root``'s solutions in a temporary course folder.

    Returns
    -------
    dict of str -> bytes
        The released files, by path relative to ``notebooks/bptt/``; each notebook records
        the installed ``autograde`` version in ``metadata.bptt.autograde_version``.
    """
    root = check_root(root)
    if not source_notebooks(root):
        raise CourseError(f"{root / SOURCE / ASSIGNMENT} holds no notebooks")
    with tempfile.TemporaryDirectory(prefix="bptt-release-") as tmp:
        course = make_course(root, Path(tmp) / "course")
        # --no-db: no gradebook is needed for the files, and the output is the same (measured).
        run_nbgrader(["generate_assignment", ASSIGNMENT, "--force", "--no-db"], course)
        files = _files(course / RELEASE / ASSIGNMENT)
        # the version of autograde the notebooks were released with (bptt check warns)
        return {p: stamp_version(b) if p.endswith(".ipynb") else b for p, b in files.items()}


def release_differences(root, generated):
    """Paths (relative to the repository) where ``notebooks/bptt/`` differs from ``generated``."""
    target = Path(root) / RELEASE / ASSIGNMENT
    current = _files(target) if target.is_dir() else {}
    prefix = f"{RELEASE}/{ASSIGNMENT}/"
    changed = [prefix + p for p in sorted(set(generated) | set(current))
               if generated.get(p) != current.get(p)]
    return changed


def only_unstamped(root, changed, generated):
    """The paths in ``changed`` that differ only by a missing ``autograde`` version.

    That is what nbgrader's own ``generate_assignment`` (and Formgrader's Generate button)
    leaves in ``notebooks/bptt/``: the same notebooks, without ``metadata.bptt``.
    """
    import nbformat

    from ..version import recorded_version

    found = []
    for rel in changed:
        name, path = rel.split("/", 2)[2], Path(root) / rel
        if not name.endswith(".ipynb") or name not in generated or not path.is_file():
            continue
        try:
            nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=nbformat.NO_CONVERT)
        except Exception:  # noqa: BLE001 - an unreadable file is simply not "only unstamped"
            continue
        if recorded_version(nb) is None and stamp_version(path.read_bytes()) == generated[name]:
            found.append(rel)
    return found


def release(root, check=False, out=print):
    """Regenerate ``notebooks/bptt/`` from ``solutions/bptt/``, or only compare (``check``).

    Returns
    -------
    list of str
        The files that differed (and, unless ``check``, were rewritten or removed).
    """
    root = check_root(root)
    generated = generate(root)
    changed = release_differences(root, generated)
    if check:
        unstamped = set(only_unstamped(root, changed, generated))
        if unstamped:
            out("These notebooks are the release but lack the autograde version that `bptt release` "
                "records (nbgrader generate_assignment, or Formgrader's Generate button, wrote them; "
                "`bptt check` uses the version to warn learners with another autograde):")
            for rel in sorted(unstamped):
                out(f"  {rel}")
            out("Run `bptt release` after nbgrader's generate_assignment, then commit.")
        return changed
    target = root / RELEASE / ASSIGNMENT
    for rel in changed:
        path = root / rel
        name = rel.split("/", 2)[2]
        if name in generated:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(generated[name])
            out(f"wrote   {rel}")
        else:
            path.unlink()
            out(f"removed {rel} (no source in {SOURCE}/{ASSIGNMENT}/)")
    if not changed:
        out(f"{target.relative_to(root)}/ is up to date ({len(generated)} files)")
    return changed
