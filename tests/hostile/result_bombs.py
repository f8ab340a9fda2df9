# ruff: noqa
"""Bombs on the result channel: huge returned values, raw frames written to its pipes.

calc_delta finds the pipes in /proc/self/fd (the channel to the grader) and writes into
them a frame whose JSON header nests 300 000 levels deep (T=1) or a frame that claims
2^62 bytes of data (T=2); it returns a 10^5 x 10^5 array of zeros that needs no memory
until copied (T=3), and otherwise a list of 64 arrays of 18 MB each (stacked: more than 1 GiB). The grader must bound all of
it before reading: no memory, no crash, one case lost at a time.
"""

import numpy as np  # noqa: F401


# %% answer_calc_delta
import os
import stat
import struct


def _to_pipes(frame):
    for name in os.listdir("/proc/self/fd"):
        try:
            fd = int(name)
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, frame)
        except OSError:
            pass


def calc_delta(sensitivity, states, W, activator):
    T = len(states) - 1
    if T == 1:
        head = b"[" * 300_000
        _to_pipes(b"BPTT" + struct.pack(">QQ", len(head), 0) + head)
    elif T == 2:
        _to_pipes(b"BPTT" + struct.pack(">QQ", 10, 2**62) + b"{}")
    elif T == 3:
        return np.broadcast_to(np.float64(0.0), (10**5, 10**5))
    big = np.zeros((1500, 1500))
    return [big] * 64
