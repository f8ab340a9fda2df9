"""The learner-facing helpers: numerical gradients, activators, forward pass, validation, import."""

import nbformat
import numpy as np
import pytest

from bptt_helpers import (
    ACTIVATORS,
    RecurrentLayer,
    get_activator,
    gradient_report,
    load_notebook_functions,
    numerical_gradient,
    numerical_jacobian,
    random_rnn,
    rel_error,
    rnn_forward,
    scale_to_sigma_max,
)
from bptt_helpers.numgrad import H_STEP
from bptt_helpers.validate import as_array

# --- numerical gradients ---------------------------------------------------------------------


def test_step_is_1e_5():
    assert H_STEP == 1e-5


def test_numerical_gradient_of_known_functions():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    A = rng.standard_normal((3, 4))
    cases = [
        (lambda v: np.sum(v**2), 2 * x),
        (lambda v: np.sum(A * v), A),
        (lambda v: np.sum(np.sin(v)), np.cos(x)),
        (lambda v: np.sum(np.tanh(v)), 1 - np.tanh(x) ** 2),
    ]
    for f, exact in cases:
        x_before = x.copy()
        g = numerical_gradient(f, x)
        assert g.dtype == np.float64 and g.shape == x.shape
        assert rel_error(g, exact) < 1e-8
        assert np.array_equal(x, x_before)  # never modified


def test_numerical_gradient_of_int_input_is_float64():
    g = numerical_gradient(lambda v: float(v @ v), np.array([1, 2, 3]))
    assert g.dtype == np.float64 and rel_error(g, [2.0, 4.0, 6.0]) < 1e-9


def test_numerical_gradient_hands_f_copies():
    x = np.ones(3)
    seen = []

    def f(v):
        seen.append(v)
        v[:] = 100.0  # a careless f that writes into its argument
        return 0.0

    numerical_gradient(f, x)
    assert np.array_equal(x, np.ones(3)) and len(seen) == 6


def test_numerical_jacobian_of_a_linear_and_a_nonlinear_map():
    rng = np.random.default_rng(1)
    M = rng.standard_normal((2, 3))
    x = rng.standard_normal(3)
    x_before = x.copy()
    assert rel_error(numerical_jacobian(lambda v: M @ v, x), M) < 1e-9
    J = numerical_jacobian(lambda v: M @ np.tanh(v), x)
    assert J.shape == (2, 3) and J.dtype == np.float64
    assert rel_error(J, M * (1 - np.tanh(x) ** 2)) < 1e-8
    assert np.array_equal(x, x_before)


# --- rel_error -------------------------------------------------------------------------------

def test_rel_error_edge_cases():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.zeros(3), np.ones(3)) == 1.0
    assert rel_error(np.ones(3), -np.ones(3)) == 2.0
    assert rel_error(np.ones((2, 2)), np.ones((2, 2))) == 0.0
    assert rel_error(3.0, 3.0) == 0.0
    assert isinstance(rel_error([1.0, 2.0], [1.0, 2.0 + 1e-9]), float)
    # norm-wise: a tiny entry that is relatively far off does not fail a good tensor
    a, n = np.array([1.0, 1e-12]), np.array([1.0, 2e-12])
    assert rel_error(a, n) < 1e-11
    # below the 1e-12 floor both count as zero-sized: no division by zero
    assert rel_error(np.full(2, 1e-14), np.zeros(2)) < 1e-1


@pytest.mark.parametrize("shapes", [((3,), (3, 1)), ((2, 3), (3, 2)), ((4,), (5,))])
def test_rel_error_refuses_mismatched_shapes(shapes):
    a, b = shapes
    with pytest.raises(ValueError, match=r"shapes .* and .*"):
        rel_error(np.zeros(a), np.zeros(b))


def test_gradient_report():
    text = gradient_report({"dU": (np.ones(2), np.ones(2)), "dW": (np.ones(2), np.zeros(2))})
    lines = text.splitlines()
    assert lines[1].startswith("dU") and lines[1].endswith("ok")
    assert lines[2].startswith("dW") and lines[2].endswith("WRONG")


# --- activators ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["identity", "tanh", "sigmoid", "relu"])
def test_backward_is_the_derivative_of_forward(name):
    f = ACTIVATORS[name]
    rng = np.random.default_rng(2)
    net = rng.choice([-1.0, 1.0], 7) * rng.uniform(0.05, 3.0, 7)  # away from ReLU's kink
    s = f.forward(net)
    num = np.array([numerical_gradient(lambda v: float(f.forward(v)[0]), np.array([x]))[0]
                    for x in net])
    back = f.backward(s)
    assert back.dtype == np.float64 and s.dtype == np.float64 and back.shape == net.shape
    assert rel_error(back, num) < 1e-8
    assert np.array_equal(s, f.forward(net))  # backward did not change the output in place


def test_relu_derivative_is_one_or_zero_and_sigmoid_is_stable():
    relu = ACTIVATORS["relu"]
    assert list(relu.backward(relu.forward(np.array([-2.0, 0.0, 3.0])))) == [0.0, 0.0, 1.0]
    sig = ACTIVATORS["sigmoid"]
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = sig.forward(np.array([-1000.0, 0.0, 1000.0]))
    assert list(out) == [0.0, 0.5, 1.0]
    assert ACTIVATORS["identity"].backward(np.array([1, 2])).dtype == np.float64


def test_get_activator():
    assert get_activator("tanh") is ACTIVATORS["tanh"]
    assert get_activator(ACTIVATORS["relu"]) is ACTIVATORS["relu"]
    with pytest.raises(ValueError, match="unknown activator 'tan'.*tanh"):
        get_activator("tan")
    with pytest.raises(ValueError, match="forward.*backward.*int"):
        get_activator(3)


# --- forward pass ----------------------------------------------------------------------------

@pytest.mark.parametrize("act", ["identity", "tanh", "sigmoid", "relu"])
def test_rnn_forward_and_recurrent_layer_agree(act):
    T, D, H = 6, 3, 4
    s0 = np.linspace(-0.5, 0.5, H) if act != "sigmoid" else np.linspace(0.1, 0.9, H)
    layer = RecurrentLayer(D, H, act, seed=3, s0=s0)
    xs = np.random.default_rng(4).standard_normal((T, D))
    for x in xs:
        layer.forward(x)
    states = rnn_forward(xs, layer.U, layer.W, act, s0=s0)
    assert states.shape == (T + 1, H) and states.dtype == np.float64
    assert np.array_equal(states[0], s0)
    assert np.allclose(states, layer.states, rtol=0, atol=1e-15)
    assert np.array_equal(layer.xs, xs)
    # the definition, step by step
    f = ACTIVATORS[act]
    for t in range(1, T + 1):
        assert np.allclose(states[t], f.forward(layer.U @ xs[t - 1] + layer.W @ states[t - 1]))
    layer.reset()
    assert layer.times == 0 and np.array_equal(layer.states, s0[None, :])


def test_rnn_forward_does_not_modify_its_inputs():
    m = random_rnn(5, 2, 3, "tanh", seed=1)
    copies = {k: m[k].copy() for k in ("xs", "U", "W", "s0")}
    rnn_forward(m["xs"], m["U"], m["W"], m["activator"], m["s0"])
    for k, v in copies.items():
        assert np.array_equal(m[k], v)


def test_net_shift_measures_deltas():
    """Shifting net_t changes s_t by f'(net_t) * shift: the basis of the numerical deltas."""
    m = random_rnn(3, 2, 3, "tanh", seed=5)
    base = rnn_forward(m["xs"], m["U"], m["W"], "tanh", m["s0"])
    shift = np.zeros((4, 3))
    shift[2, 1] = 1e-6
    moved = rnn_forward(m["xs"], m["U"], m["W"], "tanh", m["s0"], net_shift=shift)
    assert np.array_equal(moved[:2], base[:2])
    assert abs((moved[2, 1] - base[2, 1]) / 1e-6 - (1 - base[2, 1] ** 2)) < 1e-5


def test_recurrent_layer_backward_calls_the_given_functions():
    layer = RecurrentLayer(2, 3, "tanh", seed=0)
    for x in np.eye(2):
        layer.forward(x)
    seen = {}

    def calc_delta(sensitivity, states, W, activator):
        seen["states"] = states.shape
        return np.zeros_like(states)

    def calc_gradient(deltas, states, xs):
        seen["xs"] = xs.shape
        return np.zeros((3, 2)), np.zeros((3, 3))

    dU, dW = layer.backward(np.ones(3), calc_delta, calc_gradient)
    assert seen == {"states": (3, 3), "xs": (2, 2)} and dU.shape == (3, 2)


def test_random_rnn_scaling():
    for act, want in [("tanh", 1.2), ("sigmoid", 4.8)]:
        m = random_rnn(4, 2, 5, act, seed=2)
        assert abs(np.linalg.norm(m["W"], 2) - want) < 1e-12
    W = scale_to_sigma_max(np.diag([3.0, 1.0]), 1.5)
    assert np.allclose(W, np.diag([1.5, 0.5]))
    assert np.all(random_rnn(3, 2, 4, "sigmoid", seed=0)["s0"] >= 0)


# --- validation ------------------------------------------------------------------------------

def _message(call):
    with pytest.raises(ValueError) as info:
        call()
    return str(info.value)


def test_transposed_xs_is_named_with_a_hint():
    U, W = np.zeros((4, 5)), np.zeros((4, 4))
    msg = _message(lambda: rnn_forward(np.zeros((5, 7)), U, W, "tanh"))
    assert msg.startswith("xs must have shape (T, D)")
    assert "got shape (5, 7)" in msg and "D = 5" in msg and "xs.T" in msg


@pytest.mark.parametrize("bad, name, expected, given", [
    (dict(U=np.zeros(20)), "U", "(H, D)", "(20,)"),
    (dict(W=np.zeros((4, 3))), "W", "(H, H)", "(4, 3)"),
    (dict(W=np.zeros(16)), "W", "(H, H)", "(16,)"),
    (dict(s0=np.zeros(3)), "s0", "(H,)", "(3,)"),
    (dict(xs=np.zeros(7)), "xs", "(T, D)", "(7,)"),
    (dict(net_shift=np.zeros((7, 4))), "net_shift", "(T+1, H)", "(7, 4)"),
])
def test_wrong_shapes_name_argument_expected_and_given(bad, name, expected, given):
    args = dict(xs=np.zeros((7, 5)), U=np.zeros((4, 5)), W=np.zeros((4, 4)), s0=None,
                net_shift=None)
    args.update(bad)
    msg = _message(lambda: rnn_forward(args["xs"], args["U"], args["W"], "tanh",
                                       s0=args["s0"], net_shift=args["net_shift"]))
    assert msg.startswith(f"{name} must have shape {expected}")
    assert f"got shape {given}" in msg


@pytest.mark.parametrize("value, words", [
    (np.array([["a", "b"]]), ["xs", "numbers", "<U1"]),
    (np.zeros((2, 5), dtype=complex), ["xs", "real", "complex"]),
    (None, ["xs is None", "(T, D)"]),
    ([[1.0, 2.0], [3.0]], ["xs", "(T, D)"]),
])
def test_wrong_dtypes_are_named(value, words):
    msg = _message(lambda: rnn_forward(value, np.zeros((4, 5)), np.zeros((4, 4)), "tanh"))
    for w in words:
        assert w in msg


def test_as_array_converts_to_float64_and_records_sizes():
    sizes = {}
    arr = as_array("xs", [[1, 2, 3]], ("T", "D"), sizes)
    assert arr.dtype == np.float64 and sizes == {"T": 1, "D": 3}
    # a failed check leaves the known sizes untouched
    with pytest.raises(ValueError):
        as_array("U", np.zeros((2, 4)), ("H", "D"), sizes)
    assert sizes == {"T": 1, "D": 3}


def test_recurrent_layer_checks_each_input():
    layer = RecurrentLayer(3, 2)
    msg = _message(lambda: layer.forward(np.zeros(4)))
    assert msg.startswith("x must have shape (D,)") and "got shape (4,)" in msg


# --- load_notebook_functions -----------------------------------------------------------------

def _cell(source, **nbgrader):
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = dict(schema_version=3, **nbgrader)
    return cell


def _write_notebook(path, answer="def double(x):\n    return SCALE * x\n"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A tiny notebook"),
        _cell("%matplotlib inline\nSCALE = 2\nprint('set-up prints')",
              grade_id="setup", locked=True, grade=False, solution=False),
        _cell(answer, grade_id="answer_double", solution=True, grade=False, locked=False),
        _cell("raise AssertionError('a test cell must not run')",
              grade_id="test_double", grade=True, locked=True, solution=False, points=1),
        _cell("raise RuntimeError('a cell the learner added must not run')"),
    ]
    nbformat.write(nb, path)


def test_load_notebook_functions(tmp_path, capsys):
    path = tmp_path / "02_tiny.ipynb"
    _write_notebook(path)
    ns = load_notebook_functions(path, ["double", "SCALE"])
    assert ns.double(3) == 6 and ns.SCALE == 2
    assert capsys.readouterr() == ("", "")  # the set-up cell's print is swallowed


def test_load_notebook_functions_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="keep your notebooks together"):
        load_notebook_functions(tmp_path / "missing.ipynb", ["f"])
    path = tmp_path / "nb.ipynb"
    _write_notebook(path)
    with pytest.raises(NameError, match="does not define triple"):
        load_notebook_functions(path, ["double", "triple"])
    _write_notebook(path, answer="def double(x):\n    return x\nundefined_name")
    with pytest.raises(RuntimeError, match="NameError.*fix that notebook first"):
        load_notebook_functions(path, ["double"])
