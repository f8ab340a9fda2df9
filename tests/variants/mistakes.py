"""A catalogue of plausible mistakes, each with what its feedback must say.

Every entry is a :class:`Mistake`: the graded function it imitates, a short
name, the mistaken code, substrings the printed feedback must contain, and
whether it returns an array of the right shape (then its relative error against
the reference must reach ``1e-4`` on at least one visible case).
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Mistake:
    """One mistaken version of a graded function and the feedback it must get."""

    function: str  # "step_jacobian", "calc_delta" or "calc_gradient"
    name: str
    fn: object
    expect: list  # substrings of the printed feedback
    comparable: bool = True  # returns a numeric array of the right shape
    expect_absent: list = field(default_factory=list)  # substrings that must not appear


CATALOGUE = []


def mistake(function, expect, comparable=True, expect_absent=()):
    """Register the decorated function as a catalogued mistake."""
    def wrap(fn):
        CATALOGUE.append(Mistake(function, fn.__name__, fn, list(expect), comparable,
                                 list(expect_absent)))
        return fn
    return wrap


# --- step_jacobian ---------------------------------------------------------------------------

@mistake("step_jacobian", ["You returned the transpose", "f' scales the columns"])
def sj_transposed(W, state, activator):
    return (W * activator.backward(state)).T


@mistake("step_jacobian", ["multiplies the rows of W", "W diag(f'(net_j))"])
def sj_rows_scaled(W, state, activator):
    return activator.backward(state)[:, None] * W


@mistake("step_jacobian", ["state s_j itself", "activator.backward(state)"])
def sj_value_not_derivative(W, state, activator):
    return W * state


@mistake("step_jacobian", ["derivative f'(net_j) is missing"])
def sj_no_derivative(W, state, activator):
    return W.copy()


@mistake("step_jacobian", ["tanh derivative", "activator.backward(state)"])
def sj_tanh_hard_coded(W, state, activator):
    return W * (1 - state**2)


@mistake("step_jacobian", ["You used W^\\top"])
def sj_W_transposed(W, state, activator):
    return W.T * activator.backward(state)


@mistake("step_jacobian", ["jacobian has shape (3,), expected (3, 3) (H, H)"], comparable=False)
def sj_vector(W, state, activator):
    return W @ activator.backward(state)


# --- calc_delta ------------------------------------------------------------------------------

def _recursion(sensitivity, states, W, step, stop=0):
    """deltas with deltas[T] = sensitivity and deltas[t] = step(t, deltas[t+1]) for t > stop."""
    T = states.shape[0] - 1
    deltas = np.zeros(states.shape)
    deltas[T] = sensitivity
    for t in range(T - 1, stop, -1):
        deltas[t] = step(t, deltas[t + 1])
    return deltas


@mistake("calc_delta", ["takes f' from s_", "activator.backward(states[t])"])
def cd_wrong_step(sensitivity, states, W, activator):
    return _recursion(sensitivity, states, W,
                      lambda t, d: activator.backward(states[t + 1]) * (W.T @ d))


@mistake("calc_delta", ["takes f' from s_", "activator.backward(states[t])"])
def cd_previous_step(sensitivity, states, W, activator):
    return _recursion(sensitivity, states, W,
                      lambda t, d: activator.backward(states[t - 1]) * (W.T @ d))


@mistake("calc_delta", ["multiplied by s_", "not by its derivative"])
def cd_value_not_derivative(sensitivity, states, W, activator):
    return _recursion(sensitivity, states, W, lambda t, d: states[t] * (W.T @ d))


@mistake("calc_delta", ["uses W where it needs W^\\top"])
def cd_W_not_transposed(sensitivity, states, W, activator):
    return _recursion(sensitivity, states, W,
                      lambda t, d: activator.backward(states[t]) * (W @ d))


@mistake("calc_delta", ["factor f'(net_t) is missing"])
def cd_no_derivative(sensitivity, states, W, activator):
    return _recursion(sensitivity, states, W, lambda t, d: W.T @ d)


@mistake("calc_delta", ["f'(net_t) is applied twice"])
def cd_derivative_twice(sensitivity, states, W, activator):
    return _recursion(sensitivity, states, W,
                      lambda t, d: activator.backward(states[t])**2 * (W.T @ d))


@mistake("calc_delta", ["delta_1 is missing", "range(T - 1, 0, -1)"])
def cd_missing_delta_1(sensitivity, states, W, activator):
    return _recursion(sensitivity, states, W,
                      lambda t, d: activator.backward(states[t]) * (W.T @ d), stop=1)


@mistake("calc_delta", ["tanh derivative", "activator.backward"])
def cd_tanh_hard_coded(sensitivity, states, W, activator):
    return _recursion(sensitivity, states, W, lambda t, d: (1 - states[t]**2) * (W.T @ d))


@mistake("calc_delta", ["deltas[T] is the sensitivity multiplied by f'"])
def cd_sensitivity_times_fprime(sensitivity, states, W, activator):
    T = states.shape[0] - 1
    return _recursion(activator.backward(states[T]) * sensitivity, states, W,
                      lambda t, d: activator.backward(states[t]) * (W.T @ d))


@mistake("calc_delta", ["deltas[0] must be 0", "no net_0"])
def cd_delta_zero_filled(sensitivity, states, W, activator):
    return _recursion(sensitivity, states, W,
                      lambda t, d: activator.backward(states[t]) * (W.T @ d), stop=-1)


@mistake("calc_delta", ["run backwards in time"])
def cd_reversed_in_time(sensitivity, states, W, activator):
    # appends delta_T, delta_{T-1}, ..., delta_1 and then the zero row
    rows = [np.asarray(sensitivity, dtype=float)]
    for t in range(states.shape[0] - 2, 0, -1):
        rows.append(activator.backward(states[t]) * (W.T @ rows[-1]))
    rows.append(np.zeros(states.shape[1]))
    return np.array(rows)


@mistake("calc_delta", ["transpose", "(T+1, H)", "rows and columns are swapped"])
def cd_transposed(sensitivity, states, W, activator):
    return _recursion(sensitivity, states, W,
                      lambda t, d: activator.backward(states[t]) * (W.T @ d)).T


@mistake("calc_delta", ["changes its input states in place", "read-only",
                        "line", "states[t] = activator.backward(states[t])"], comparable=False)
def cd_seed_in_place(sensitivity, states, W, activator):
    # the seed program's defect: overwrite the stored states with their derivative
    T = states.shape[0] - 1
    deltas = np.zeros(states.shape)
    deltas[T] = sensitivity
    for t in range(T - 1, 0, -1):
        states[t] = activator.backward(states[t])
        deltas[t] = states[t] * (W.T @ deltas[t + 1])
    return deltas


@mistake("calc_delta", ["modified its input states", ".copy()"], comparable=False)
def cd_unlocks_and_modifies(sensitivity, states, W, activator):
    states.setflags(write=True)  # a copy that owns its data can be made writable again
    states[0] = 0.0
    return _recursion(sensitivity, states, W,
                      lambda t, d: activator.backward(states[t]) * (W.T @ d))


@mistake("calc_delta", ["returned None", "return deltas"], comparable=False)
def cd_returns_none(sensitivity, states, W, activator):
    _recursion(sensitivity, states, W, lambda t, d: activator.backward(states[t]) * (W.T @ d))


@mistake("calc_delta", ["T rows", "(T+1, H)", "one short", "deltas[0] = 0"],
         comparable=False)
def cd_T_rows(sensitivity, states, W, activator):
    return _recursion(sensitivity, states, W,
                      lambda t, d: activator.backward(states[t]) * (W.T @ d))[1:]


@mistake("calc_delta", ["contains NaN", "0/0"], comparable=False)
def cd_nan(sensitivity, states, W, activator):
    deltas = _recursion(sensitivity, states, W,
                        lambda t, d: activator.backward(states[t]) * (W.T @ d))
    return deltas / np.linalg.norm(deltas[0])  # 0/0 in row 0


@mistake("calc_delta", ["IndexError", "line", "states[T + 1]"], comparable=False)
def cd_raises(sensitivity, states, W, activator):
    T = states.shape[0] - 1
    deltas = np.zeros(states.shape)
    deltas[T] = sensitivity * activator.backward(states[T + 1])
    return deltas


@mistake("calc_delta", ["endless loop"], comparable=False)
def cd_endless_loop(sensitivity, states, W, activator):
    T = states.shape[0] - 1
    deltas = np.zeros(states.shape)
    deltas[T] = sensitivity
    t = T - 1
    while t > 0:
        deltas[t] = activator.backward(states[t]) * (W.T @ deltas[t + 1])
        # forgot t -= 1
    return deltas


@mistake("calc_delta", ["your function printed", "debugging: T =",
                        "raised a warning: UserWarning: this warning must be captured",
                        "takes f' from s_"])
def cd_prints_and_warns(sensitivity, states, W, activator):
    print("debugging: T =", states.shape[0] - 1)
    warnings.warn("this warning must be captured", stacklevel=1)
    np.log(np.zeros(1))  # a numpy floating-point warning
    return cd_wrong_step(sensitivity, states, W, activator)


@mistake("calc_delta", ["should be an array of numbers"], comparable=False)
def cd_returns_dict(sensitivity, states, W, activator):
    return {"deltas": np.zeros(states.shape)}


@mistake("calc_delta", ["SystemExit"], comparable=False)
def cd_exits(sensitivity, states, W, activator):
    raise SystemExit(1)


# --- calc_gradient ---------------------------------------------------------------------------

@mistake("calc_gradient", ["pairs delta_t with s_t", "states[t-1]"])
def cg_state_t(deltas, states, xs):
    return deltas[1:].T @ xs, deltas[1:].T @ states[1:]


@mistake("calc_gradient", ["only the last step", "sums delta_t"])
def cg_last_step_only(deltas, states, xs):
    T = xs.shape[0]
    return np.outer(deltas[T], xs[T - 1]), np.outer(deltas[T], states[T - 1])


@mistake("calc_gradient", ["misses t = 1"])
def cg_misses_first(deltas, states, xs):
    return deltas[2:].T @ xs[1:], deltas[2:].T @ states[1:-1]


@mistake("calc_gradient", ["swapped", "return (dU, dW)"], comparable=False)
def cg_swapped(deltas, states, xs):
    return deltas[1:].T @ states[:-1], deltas[1:].T @ xs


@mistake("calc_gradient", ["transpose"])
def cg_transposed(deltas, states, xs):
    return (deltas[1:].T @ xs).T, (deltas[1:].T @ states[:-1]).T


@mistake("calc_gradient", ["x_{t+1} = xs[t]"])
def cg_x_next(deltas, states, xs):
    T, D = xs.shape
    xs_next = np.vstack([xs[1:], np.zeros((1, D))])  # xs_next[t-1] = x_{t+1}
    return deltas[1:].T @ xs_next, deltas[1:].T @ states[:-1]


@mistake("calc_gradient", ["times", "extra or missing factor"])
def cg_mean(deltas, states, xs):
    T = xs.shape[0]
    return deltas[1:].T @ xs / T, deltas[1:].T @ states[:-1] / T


@mistake("calc_gradient", ["return dU, dW", "got one ndarray"], comparable=False)
def cg_only_dW(deltas, states, xs):
    return deltas[1:].T @ states[:-1]


@mistake("calc_gradient", ["returned None", "return dU, dW"], comparable=False)
def cg_returns_none(deltas, states, xs):
    deltas[1:].T @ xs


@mistake("calc_gradient", ["changes its input deltas in place", "read-only"], comparable=False)
def cg_in_place(deltas, states, xs):
    deltas[0] = 0.0  # a harmless-looking write is still a write into the caller's array
    return deltas[1:].T @ xs, deltas[1:].T @ states[:-1]


@mistake("calc_gradient", ["dU has shape"], comparable=False)
def cg_dU_from_states(deltas, states, xs):
    return deltas[1:].T @ states[1:], deltas[1:].T @ states[:-1]


@mistake("calc_gradient", ["endless loop"], comparable=False)
def cg_slow_forever(deltas, states, xs):
    while True:
        time.sleep(0.01)


BY_FUNCTION = {}
for _m in CATALOGUE:
    BY_FUNCTION.setdefault(_m.function, []).append(_m)
