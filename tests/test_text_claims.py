"""Claims the notebooks make that code can check."""

import contextlib
import io

import numpy as np

from autograde import check_calc_delta


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
    # notebook 2: with the identity activation both orders agree; some visible case must not
    with contextlib.redirect_stdout(io.StringIO()) as out:
        score = check_calc_delta(calc_delta_written_order)
    assert score < 1.0, out.getvalue()
    assert "FAIL" in out.getvalue()
