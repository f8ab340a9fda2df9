# ruff: noqa
"""Right code, with noise and stalls: costs no points, and only bounded time.

The answer cell of calc_delta prints 3 MB and writes to stderr; four cells the learner
added (tests/test_hostile.py, NOTEBOOK_EDITS) each sleep just under the cell timeout. The
notebook's kernel budget (GuardedExecute.notebook_seconds) stops the kernel before the
last of them; the trusted step never runs cells the learner added.
"""

import numpy as np  # noqa: F401


# %% answer_calc_delta
# @RIGHT_calc_delta@ (the instructor's code, put in by tests/test_hostile.py)


import sys

print("x" * 3_000_000)
sys.stderr.write("some noise on stderr\n")
