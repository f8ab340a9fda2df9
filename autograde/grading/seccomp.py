"""The sandbox's seccomp filter: no new session (``setsid``), no kernel keyrings.

Linux's scheduler shares the CPU between *sessions* first when autogroup is on (the default of
most distributions' kernels): bubblewrap puts the whole sandbox in one session
(``--new-session``), so it gets one share however many processes it starts. A process that
calls ``setsid`` gets a share of its own: forty busy ones took nearly both cores of a 2-core
grading machine from the other students' sandboxes and the grader (attack 4a in
docs/grading_integrity.md). With this filter ``setsid`` fails with ``EPERM``.

It also denies the kernel's keyrings (``add_key``, ``request_key``, ``keyctl``), as Docker's
default profile does: they are not namespaced, so without a user namespace (grading as root)
every sandbox of one worker's user shares that user's keyrings, until reboot: a channel from
one student's process to a later student's, and a quota of 200 keys one student could fill
(the twenty-ninth helper's attack 4).

The filter is a classic BPF program, as bubblewrap's ``--seccomp FD`` reads it
(``seccomp_export_bpf``'s format: ``struct sock_filter`` records); it denies ``setsid`` of
every ABI the machines we know can run (x86-64, x32, i386, AArch64, 32-bit ARM) and allows
every other system call.
"""

import atexit
import os
import shutil
import struct
import tempfile
from functools import lru_cache

LD_W_ABS, JEQ_K, RET_K = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
ALLOW, ERRNO, EPERM = 0x7FFF0000, 0x00050000, 1
NR, ARCH = 0, 4  # offsets in struct seccomp_data
X32 = 0x40000000  # x32 system calls: x86-64's numbers with this bit set
DENIED = {  # AUDIT_ARCH_* -> numbers of setsid, add_key, request_key, keyctl
    0xC000003E: (112, 248, 249, 250, X32 | 112, X32 | 248, X32 | 249, X32 | 250),  # x86-64, x32
    0x40000003: (66, 286, 287, 288),  # i386 (also int 0x80 on x86-64)
    0xC00000B7: (157, 217, 218, 219),  # AArch64
    0x40000028: (66, 309, 310, 311),  # 32-bit ARM
}


def _op(code, k, jt=0, jf=0):
    return struct.pack("=HBBI", code, jt, jf, k)


def program():
    """The filter's bytes: for each ABI, :data:`DENIED` -> ``EPERM``; everything else is allowed."""
    ops = []
    for arch, numbers in DENIED.items():
        block = [_op(LD_W_ABS, NR)]
        for i, nr in enumerate(numbers):  # on a match jump to this block's EPERM
            block.append(_op(JEQ_K, nr, jt=len(numbers) - i, jf=0))
        block += [_op(RET_K, ALLOW), _op(RET_K, ERRNO | EPERM)]
        # another ABI: skip this block (jf counts the instructions after the test)
        ops += [_op(LD_W_ABS, ARCH), _op(JEQ_K, arch, jt=0, jf=len(block))] + block
    ops.append(_op(RET_K, ALLOW))
    return b"".join(ops)


@lru_cache(maxsize=1)
def filter_file():
    """A private file holding :func:`program` (written once per process, removed at exit)."""
    folder = tempfile.mkdtemp(prefix="bptt-seccomp-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = os.path.join(folder, "sandbox.bpf")
    with open(path, "wb") as f:
        f.write(program())
    os.chmod(path, 0o444)
    return path


def with_filter(bwrap_argv, fd=9):
    """``bwrap_argv`` (``[bwrap, options...]``) run with the filter: a shell opens the file on
    ``fd`` and becomes bubblewrap (``exec``), which loads it just before the sandboxed command."""
    bwrap, *options = bwrap_argv
    return ["/bin/sh", "-c", f'exec "$@" {fd}<"$0"', filter_file(), bwrap, "--seccomp", str(fd),
            *options]
