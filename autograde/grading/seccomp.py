"""The sandbox's seccomp filter: learner code cannot start a new session (``setsid``).

Linux's scheduler shares the CPU between *sessions* first when autogroup is on (the default of
most distributions' kernels): bubblewrap puts the whole sandbox in one session
(``--new-session``), so it gets one share however many processes it starts. A process that
calls ``setsid`` gets a share of its own: forty busy ones took nearly both cores of a 2-core
grading machine from the other students' sandboxes and the grader (attack 4a in
docs/grading_integrity.md). With this filter ``setsid`` fails with ``EPERM``.

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
SETSID = {  # AUDIT_ARCH_* -> setsid's system call numbers
    0xC000003E: (112, 0x40000000 | 112),  # x86-64, and its x32 ABI
    0x40000003: (66,),  # i386 (also int 0x80 on x86-64)
    0xC00000B7: (157,),  # AArch64
    0x40000028: (66,),  # 32-bit ARM
}


def _op(code, k, jt=0, jf=0):
    return struct.pack("=HBBI", code, jt, jf, k)


def program():
    """The filter's bytes: for each ABI, ``setsid`` -> ``EPERM``; everything else is allowed."""
    ops = []
    for arch, numbers in SETSID.items():
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
    path = os.path.join(folder, "no-setsid.bpf")
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
