"""The grading sandbox (autograde.grading.sandbox): what learner code can and cannot do in it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograde.grading import sandbox, seccomp

pytestmark = pytest.mark.usefixtures("sandbox_ready")

PROBE = """
import os, subprocess, sys
try:
    os.setsid()
    print("setsid: allowed")
except PermissionError:
    print("setsid: refused")
child = subprocess.run([sys.executable, "-c", "import os; os.setpgid(0, 0); print('child ran')"],
                       capture_output=True, text=True)
print(child.stdout.strip() or child.stderr.strip()[-200:])
print("one session:", os.getsid(0) == os.getsid(os.getppid()))
"""


def test_learner_code_cannot_start_a_session_of_its_own(tmp_path):
    proc = subprocess.run(sandbox.wrap([sys.executable, "-I", "-c", PROBE], tmp_path),
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["setsid: refused", "child ran", "one session: True"]


def test_the_filter_denies_its_calls_on_every_abi_it_names():
    code = seccomp.program()
    assert len(code) % 8 == 0  # struct sock_filter records
    words = [code[i:i + 8] for i in range(0, len(code), 8)]
    for arch, numbers in seccomp.DENIED.items():
        assert any(w == seccomp._op(seccomp.JEQ_K, arch, 0, w[3]) for w in words), hex(arch)
        for nr in numbers:
            assert any(w[:2] == seccomp._op(seccomp.JEQ_K, nr)[:2]
                       and w[4:] == seccomp._op(seccomp.JEQ_K, nr)[4:] for w in words), nr
    assert words[-1] == seccomp._op(seccomp.RET_K, seccomp.ALLOW)
    assert Path(seccomp.filter_file()).read_bytes() == code


# keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, create) and add_key("user", ...) into it:
# the user's keyring, which every sandbox of one uid shares when there is no user namespace
KEYRING = """
import ctypes, os, sys
NR = {"x86_64": (250, 248), "aarch64": (219, 217)}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
for name, args in (("keyctl", (NR[0], 0, -4, 1)),
                   ("add_key", (NR[1], b"user", b"bptt-probe", b"x", 1, -4)))[:len(sys.argv)]:
    r = libc.syscall(*[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    print(name, "refused" if r == -1 and ctypes.get_errno() == 1 else f"allowed ({r})")
"""


@pytest.mark.skipif(os.uname().machine not in ("x86_64", "aarch64"), reason="system call numbers")
def test_learner_code_cannot_use_the_kernel_keyrings(tmp_path):
    inside = subprocess.run(sandbox.wrap([sys.executable, "-I", "-c", KEYRING, "both"], tmp_path),
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert inside.stdout.splitlines() == ["keyctl refused", "add_key refused"], inside.stderr
    outside = subprocess.run([sys.executable, "-I", "-c", KEYRING], capture_output=True, text=True,
                             timeout=60)  # the probe can tell (keyctl only: no key left behind)
    assert outside.stdout.startswith("keyctl allowed"), outside.stdout + outside.stderr


def test_the_kernel_imports_nothing_from_the_learner_s_folder(tmp_path):
    # nbgrader's exchange hands in every file of the learner's folder: an ipykernel_launcher.py
    # there ran before the kernel was up, while its socket folder was still writable (15 F1)
    from nbformat.v4 import new_code_cell, new_notebook

    from autograde.grading.kernel import SandboxedKernelManager
    from autograde.grading.preprocessors import GuardedExecute

    (tmp_path / "ipykernel_launcher.py").write_text(  # marks the kernel, then starts it
        "import builtins, os, runpy, sys\nbuiltins.learner_ran_first = True\n"
        "sys.path[:] = [p for p in sys.path if p not in ('', os.getcwd())]\n"
        "runpy.run_module('ipykernel_launcher', run_name='__main__', alter_sys=True)\n")
    (tmp_path / "helper_of_mine.py").write_text("x = 1\n")
    os.chmod(tmp_path, 0o755)  # readable by the sandbox's user, as a graded submission is
    nb = new_notebook(cells=[new_code_cell("import builtins, sys\nprint('' in sys.path, "
                                           "hasattr(builtins, 'learner_ran_first'))"),
                             new_code_cell("import helper_of_mine")])
    GuardedExecute(kernel_manager_class=SandboxedKernelManager, timeout=60).preprocess(
        nb, {"metadata": {"path": str(tmp_path)}})
    assert nb.cells[0].outputs[0]["text"] == "False False\n"
    assert nb.cells[1].outputs[0]["ename"] == "ModuleNotFoundError"
