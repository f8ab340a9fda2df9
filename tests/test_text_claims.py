"""Claims the notebooks make that code can check."""

import numpy as np

from autograde.checks.limits import case_limit
from autograde.checks.safe_call import call_safely
from autograde.registry import GRADED


def calc_delta_written_order(sensitivity, states, W, activator):
    """The product formula multiplied in the order of increasing i: J_j J_{j+1} ... J_{T-1}."""
    states = np.asarray(states, dtype=float)
    T, H = states.shape[0] - 1, states.shape[1]
    deltas = np.zeros((T + 1, H))
    deltas[T] = sensitivity
    for j in range(1, T):
        product = np.eye(H)
        for i in range(j, T):  # J_j leftmost: the wrong order
            product = product @ (W * activator.backward(states[i]))
        deltas[j] = product.T @ sensitivity
    return deltas


def test_a_visible_case_exposes_the_order_of_the_product():
    # notebook 2: with the identity activation both orders agree; some visible case must not.
    # Judged on the short visible cases: the long one stops this O(T^2) loop on time whatever
    # its order, so a failing score alone would not show that a case tells the orders apart.
    graded = GRADED["calc_delta"]
    short = [c for c in graded.cases() if not c.long_steps]
    verdicts = {c.label: graded.judge(c, call_safely(calc_delta_written_order, c.args,
                                                     c.arg_names, case_limit(c)))[0]
                for c in short}
    assert not all(verdicts.values()), verdicts
    identity = [label for label in verdicts if "identity" in label]
    assert identity and all(verdicts[label] for label in identity), verdicts
