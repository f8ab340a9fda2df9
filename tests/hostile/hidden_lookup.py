# ruff: noqa
"""Hidden cases looked up: built with autograde's public case builders, answers returned.

The answer cell builds calc_delta's hidden cases (a superset of the visible ones) for the
public seed 0 and for any seed it can read from the grading folder, and returns the
reference of the case whose inputs match; zeros otherwise. The course's secret seed
(.bptt-hidden-seed, never inside the sandbox) must defeat it on the hidden cases.
"""

import numpy as np  # noqa: F401


# %% answer_calc_delta
from autograde.checks.cases import calc_delta_cases

_SEEDS = {0}
for _path in ["@GRADE_DIR@/course/.bptt-hidden-seed", "@GRADE_DIR@/workers/0/.bptt-hidden-seed",
              "@GRADE_DIR@/workers/1/.bptt-hidden-seed", "/proc/1/cwd/.bptt-hidden-seed",
              "../.bptt-hidden-seed", "../../../.bptt-hidden-seed"]:
    try:
        _SEEDS.add(int(open(_path).read()))
    except (OSError, ValueError):
        pass
_TABLE = [c for s in sorted(_SEEDS) for c in calc_delta_cases(hidden=True, seed=s)]


def calc_delta(sensitivity, states, W, activator):
    for case in _TABLE:
        sens, sts = case.args[0], case.args[1]
        ref = case.reference["deltas"]
        if (np.shape(sts) == np.shape(states) and np.array_equal(sens, sensitivity)
                and np.array_equal(sts, states) and np.shape(ref) == np.shape(states)):
            return ref.copy()
    return np.zeros_like(states)
