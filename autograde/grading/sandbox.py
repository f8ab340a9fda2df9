"""The sandbox every piece of learner code runs in while a course is graded: bubblewrap.

Inside (see docs/grading_integrity.md for the threat model):

- the system (``/usr``), this Python and its environment, and the course's two packages
  (``autograde``, ``bptt_helpers``), read-only; nothing else of the grader's file system:
  no course folder, no ``solutions/``, no gradebook, no other submission, no home or
  temporary folder of the grader;
- the notebooks of the learner being graded, read-only, as the working folder;
- a private, empty, writable ``/tmp`` (a tmpfs of at most :data:`TMP_BYTES` that disappears
  with the sandbox);
- no network (its own network namespace), its own PID, IPC and UTS namespaces; when the
  sandbox's first process ends or is killed, every process in it dies (no daemon survives);
- an unprivileged user: as root, a real unprivileged uid (``setpriv`` after the mounts); as
  another user, that user's own rights, mapped to an unprivileged uid in a user namespace;
- a scrubbed environment and resource limits (address space, processes, file size, CPU);
- no new session (:mod:`.seccomp`): all its processes share one slice of the CPU.

:func:`wrap` turns a command into the sandboxed command. :func:`require` says whether
grading may go on: without bubblewrap it refuses, unless the instructor set the loudly
named opt-out (``BPTT_UNSAFE_NO_SANDBOX=1`` or ``bptt grade --unsafe-no-sandbox``).
"""

import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from . import seccomp

UNSAFE_ENV = "BPTT_UNSAFE_NO_SANDBOX"
UID_ENV = "BPTT_SANDBOX_UID"  # the uid learner code runs as (as root); one per batch worker
WORKDIR = "/home/learner/work"  # where the learner's notebooks appear inside
SANDBOX_UID = 60999  # a uid of its own (nobody's processes would count against its process limit)
MEMORY_BYTES = 2 * 1024**3  # address space of each learner process
MAX_PROCESSES = 64  # processes and threads of the sandbox's uid
FILE_BYTES = 64 * 1024**2  # largest file a learner process may write (in its /tmp)
TMP_BYTES = 256 * 1024**2  # all of the sandbox's /tmp (a tmpfs: memory), where bwrap can bound it
SHM_BYTES = 64 * 1024**2  # all of its /dev/shm
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; "
                "Fedora: `sudo dnf install bubblewrap`), on Linux with user namespaces enabled")


class SandboxUnavailable(RuntimeError):
    """Grading was asked for while learner code cannot be sandboxed on this machine."""


def unsafe_opt_out():
    """True when the instructor explicitly chose to grade without a sandbox."""
    return os.environ.get(UNSAFE_ENV, "") == "1"


def _bwrap():
    return shutil.which("bwrap")


@lru_cache(maxsize=1)
def _sizes_tmpfs():
    """Whether this bubblewrap bounds a tmpfs (``--size``, bubblewrap 0.7 and later)."""
    try:
        out = subprocess.run([_bwrap(), "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--size" in out.stdout + out.stderr


def _tmpfs(path, size):
    """A private, world-writable tmpfs at ``path``, of at most ``size`` bytes when bwrap can say so.

    Unbounded, a tmpfs may grow to half the machine's memory: one learner could fill it.
    """
    return ["--perms", "1777", *(["--size", str(size)] if _sizes_tmpfs() else []),
            "--tmpfs", path]


def python_paths():
    """Folders the learner's Python needs, read-only: this environment and the course's packages."""
    import autograde
    import bptt_helpers

    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
             Path(os.path.realpath(sys.executable)).parent.parent,
             Path(autograde.__file__).resolve().parent,
             Path(bptt_helpers.__file__).resolve().parent}
    return sorted({p for p in paths if not str(p).startswith("/usr")}, key=str)


def _system_binds():
    args = []
    for name in ("bin", "lib", "lib32", "lib64", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    args += ["--ro-bind", "/usr", "/usr"]
    for etc in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "fonts", "localtime",
                "alternatives", "mime.types"):
        if Path("/etc", etc).exists():
            args += ["--ro-bind", f"/etc/{etc}", f"/etc/{etc}"]
    return args


@lru_cache(maxsize=1)
def _font_cache():
    """The grader's matplotlib font cache files (built once here), so no sandbox rebuilds it."""
    try:
        import matplotlib
        from matplotlib import font_manager  # noqa: F401 - builds the cache when missing
    except Exception:  # noqa: BLE001 - no matplotlib: the learner's code will say so itself
        return ()
    return tuple(sorted(Path(matplotlib.get_cachedir()).glob("fontlist-*.json")))


def _font_binds():
    args = ["--perms", "0777", "--dir", "/tmp/.mpl"]
    for path in _font_cache():
        args += ["--ro-bind", str(path), f"/tmp/.mpl/{path.name}"]
    return args


def _parents(path):
    """``--dir`` for every parent of ``path`` (mode 0755), so an unprivileged uid can walk to it."""
    out = []
    for parent in reversed(Path(path).parents):
        if str(parent) != "/":
            out += ["--perms", "0755", "--dir", str(parent)]
    return out


def sandbox_uid():
    try:
        return int(os.environ.get(UID_ENV, SANDBOX_UID))
    except ValueError:
        return SANDBOX_UID


def environment(extra=None):
    """The scrubbed environment learner code sees (inside the sandbox)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp/home", "LANG": "C.UTF-8", "TMPDIR": "/tmp",
           "MPLCONFIGDIR": "/tmp/.mpl", "IPYTHONDIR": "/tmp/.ipython",
           "JUPYTER_CONFIG_DIR": "/tmp/.jupyter", "JUPYTER_DATA_DIR": "/tmp/.jupyter-data",
           "JUPYTER_RUNTIME_DIR": "/tmp/.jupyter-runtime", "PYTHONDONTWRITEBYTECODE": "1",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "BPTT_GRADING": "1"}
    env.update(extra or {})
    return env


def wrap(argv, workdir, *, env=None, rw_dirs=(), memory=MEMORY_BYTES, cpu_seconds=None):
    """The sandboxed form of ``argv``.

    Parameters
    ----------
    argv : list of str
        The command to run inside, e.g. ``[sys.executable, "-I", "-m", "autograde.grading.child"]``.
    workdir : Path
        The learner's notebooks: read-only at :data:`WORKDIR`, which is the working folder.
    env : dict, optional
        Added to :func:`environment`.
    rw_dirs : sequence of Path
        Folders bound writable at their own path (a kernel's private socket folder).
    memory : int
        Address space of each process, in bytes.
    cpu_seconds : int, optional
        CPU time of each process.
    """
    bwrap = _bwrap()
    if bwrap is None:
        raise SandboxUnavailable(f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}")
    args = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
            *_system_binds(), "--dev", "/dev", "--proc", "/proc",
            *_tmpfs("/tmp", TMP_BYTES), *_tmpfs("/dev/shm", SHM_BYTES), *_font_binds()]
    root = os.geteuid() == 0
    if not root:
        args += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
    for path in python_paths():
        args += [*_parents(path), "--ro-bind", str(path), str(path)]
    args += [*_parents(WORKDIR), "--ro-bind", str(Path(workdir).resolve()), WORKDIR]
    for path in rw_dirs:
        args += [*_parents(path), "--bind", str(path), str(path)]
    for key, value in sorted(environment(env).items()):
        args += ["--setenv", key, value]
    args += ["--chdir", WORKDIR]
    if root:  # the mounts are made; from here on a real unprivileged uid with no capabilities
        uid = str(sandbox_uid())
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--", "/usr/bin/setpriv",
                 f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all"]
    limits = [f"--as={memory}", f"--nproc={MAX_PROCESSES}", f"--fsize={FILE_BYTES}", "--core=0"]
    if cpu_seconds:
        limits.append(f"--cpu={int(cpu_seconds)}")
    return seccomp.with_filter([*args, "--", "/usr/bin/prlimit", *limits, "--", *argv])


@lru_cache(maxsize=1)
def probe():
    """``""`` when a sandboxed Python starts here, else why not (cached per process)."""
    if _bwrap() is None:
        return f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}"
    try:
        proc = subprocess.run(wrap([sys.executable, "-I", "-c", "import autograde"], Path("/")),
                              capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not start a sandbox ({exc})"
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no message"]
        return (f"bubblewrap is installed but could not start a sandbox ({tail[0][:200]}); user "
                "namespaces may be disabled (kernel.unprivileged_userns_clone, or a container "
                "without them): grade as root, or on a machine where `bwrap --unshare-all "
                "--ro-bind / / true` works")
    return ""


def require():
    """True when learner code will be sandboxed; False with the explicit opt-out; else raise.

    Raises
    ------
    SandboxUnavailable
        With the reason and what to do.
    """
    if unsafe_opt_out():
        return False
    why = probe()
    if why:
        raise SandboxUnavailable(
            f"refusing to grade: learner code must run in a sandbox, and {why}. To grade anyway "
            f"with learner code running with YOUR rights (it can read and change your files), "
            f"set {UNSAFE_ENV}=1 or pass --unsafe-no-sandbox to `bptt grade`.")
    return True
