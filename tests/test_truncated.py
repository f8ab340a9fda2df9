"""Notebook 4: truncated BPTT, its checker, the seed-2 program and the cost benchmark."""

import collections
import importlib.util
import io
import re
import sys
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import truncated_refs as R  # noqa: E402

from autograde import check_tbptt_k1k2, check_truncated_bptt  # noqa: E402
from autograde.checks.probes import batched_gradient  # noqa: E402
from autograde.checks.truncated import (  # noqa: E402
    VISIBLE_TBPTT,
    VISIBLE_TRUNCATED,
    tbptt_k1k2_cases,
    truncated_bptt_cases,
)
from autograde.checks.truncated_model import SIGMA_W, softmax_model, tangent_gradient  # noqa: E402
from bptt_helpers import load_notebook_functions, numerical_gradient, rel_error  # noqa: E402
from bptt_helpers.seed_programs2 import SeedRNN2  # noqa: E402
from bptt_helpers.softmax_rnn import (  # noqa: E402
    check_truncation,
    softmax_rnn_loss,
    surrogate_loss,
    tbptt_starts,
    update_times,
    window_starts,
    windowed_loss,
)

ROOT = Path(__file__).resolve().parent.parent
NB4 = ROOT / "solutions" / "bptt" / "04_truncated_bptt.ipynb"
NAMES = ("dU", "dV", "dW")


def run_quiet(check, fn, **kw):
    buf = io.StringIO()
    with redirect_stdout(buf):
        score = check(fn, **kw)
    return score, buf.getvalue()


def worst_error(fn, case):
    """Largest relative error of ``fn`` on ``case`` (inf for a crash or a wrong shape)."""
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in case.args]
    try:
        out = fn(*args)
    except Exception:
        return np.inf
    errs = [rel_error(o, case.reference[n]) if np.shape(o) == case.reference[n].shape else np.inf
            for o, n in zip(out, NAMES, strict=True)]
    if any(not np.array_equal(a, b) for a, b in zip(args, case.args, strict=True)
           if isinstance(a, np.ndarray)):
        return np.inf  # modified its input
    return max(errs)


@pytest.fixture(scope="module")
def solution():
    return load_notebook_functions(NB4, ["truncated_bptt", "tbptt_k1k2"])


# --- the solution and correct versions are accepted -----------------------------------------

@pytest.mark.parametrize("hidden", [False, True])
def test_solution_passes(solution, hidden):
    assert run_quiet(check_truncated_bptt, solution.truncated_bptt, hidden=hidden)[0] == 1.0
    assert run_quiet(check_tbptt_k1k2, solution.tbptt_k1k2, hidden=hidden)[0] == 1.0


@pytest.mark.parametrize("fn", R.CORRECT, ids=lambda f: f.__name__)
def test_correct_versions_pass(fn):
    assert run_quiet(check_truncated_bptt, fn)[0] == 1.0
    assert run_quiet(check_truncated_bptt, fn, hidden=True)[0] == 1.0
    assert run_quiet(check_truncated_bptt, fn, hidden=True, seed=3)[0] == 1.0


@pytest.mark.parametrize("fn", R.TB_CORRECT, ids=lambda f: f.__name__)
def test_correct_tbptt_versions_pass(fn):
    assert run_quiet(check_tbptt_k1k2, fn)[0] == 1.0
    assert run_quiet(check_tbptt_k1k2, fn, hidden=True, seed=5)[0] == 1.0


def test_solution_tbptt_keeps_at_most_k2_plus_1_states(solution, monkeypatch):
    made = []

    class Recording(collections.deque):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(collections, "deque", Recording)
    m = softmax_model(30, 2, 3, 3, seed=1)
    solution.tbptt_k1k2(m["xs"], m["ys"], m["U"], m["V"], m["W"], 3, 5, m["s0"])
    assert made, "the solution should keep its states in a bounded deque"
    assert all(d.maxlen is not None and d.maxlen <= 5 + 1 for d in made)


def test_solution_rejects_bad_k(solution):
    m = softmax_model(4, 2, 3, 2, seed=2)
    args = (m["xs"], m["ys"], m["U"], m["V"], m["W"])
    for bad in (0, -2, 2.0, True, "3"):
        with pytest.raises(ValueError):
            solution.truncated_bptt(*args, bad)
    for k1, k2 in ((0, 2), (3, 2), (2, 2.5)):
        with pytest.raises(ValueError):
            solution.tbptt_k1k2(*args, k1, k2)
    assert check_truncation(np.int64(3)) == 3 and check_truncation(None) is None


# --- mistakes are rejected, with the feedback each must produce ----------------------------

@pytest.mark.parametrize("fn", list(R.MISTAKES), ids=lambda f: f.__name__)
def test_mistakes_rejected_with_feedback(fn):
    score, text = run_quiet(check_truncated_bptt, fn)
    assert score < 1.0
    assert R.MISTAKES[fn] in text, text


@pytest.mark.parametrize("fn", list(R.TB_MISTAKES), ids=lambda f: f.__name__)
def test_tbptt_mistakes_rejected_with_feedback(fn):
    score, text = run_quiet(check_tbptt_k1k2, fn)
    assert score < 1.0
    assert R.TB_MISTAKES[fn] in text, text


def test_at_least_ten_mistakes_and_four_correct_versions():
    assert len(R.MISTAKES) >= 10 and len(R.CORRECT) >= 4


@pytest.mark.parametrize("fn", list(R.MISTAKES), ids=lambda f: f.__name__)
def test_every_mistake_reaches_1e4_on_a_visible_case(fn):
    worst = max(worst_error(fn, c) for c in truncated_bptt_cases() if not c.long_steps)
    assert worst >= 1e-4


@pytest.mark.parametrize("fn", list(R.TB_MISTAKES), ids=lambda f: f.__name__)
def test_every_tbptt_mistake_reaches_1e4_on_a_visible_case(fn):
    worst = max(worst_error(lambda *a: fn(*a), c) for c in tbptt_k1k2_cases() if not c.long_steps)
    assert worst >= 1e-4


def test_window_one_step_too_long_is_caught_because_of_sigma():
    """At sigma_max(W) = 1.5 the too-long window nearly vanishes; at the checker's 6 it does not."""
    m = softmax_model(15, 3, 5, 4, seed=11, sigma=SIGMA_W)
    err = rel_error(R.window_too_long(m["xs"], m["ys"], m["U"], m["V"], m["W"], 5, m["s0"])[2],
                    R.correct_nested(m["xs"], m["ys"], m["U"], m["V"], m["W"], 5, m["s0"])[2])
    assert err >= 1e-4


# --- the reference is the surrogate's gradient, not the full gradient ------------------------

def test_reference_is_the_surrogate_gradient_not_the_full_one():
    for case in [c for c in truncated_bptt_cases() if not c.long_steps]:
        m = case.info
        args = (m["xs"], m["ys"], m["U"], m["V"], m["W"])
        truncated = R.correct_nested(*args, m["k"], m["s0"])
        full = R.correct_nested(*args, None, m["s0"])
        for name, a in zip(NAMES, truncated, strict=True):
            assert rel_error(a, case.reference[name]) < 1e-8
        if m["k"] is not None and m["k"] < m["xs"].shape[0] and m["xs"].shape[0] > 1:
            assert max(rel_error(f, case.reference[n])
                       for f, n in zip(full, NAMES, strict=True)) > 1e-3


def test_tangent_model_reproduces_the_reference():
    for case in [c for c in truncated_bptt_cases() + tbptt_k1k2_cases() if not c.long_steps]:
        g = tangent_gradient(case.info, case.info["starts"])
        assert max(rel_error(g[n], case.reference[n]) for n in NAMES) < 1e-7


def test_surrogate_equals_loss_at_current_parameters():
    m = softmax_model(9, 2, 3, 3, seed=4)
    args = (m["xs"], m["ys"], m["U"], m["V"], m["W"])
    loss = softmax_rnn_loss(*args, m["s0"])
    for k in (1, 3, None):
        assert surrogate_loss(*args, k, m["states"]) == pytest.approx(loss, rel=1e-12)
    assert windowed_loss(*args, tbptt_starts(9, 2, 3), m["states"]) == pytest.approx(loss)


def test_batched_references_equal_one_copy_at_a_time():
    """The references evaluate every perturbed copy in one batched windowed_loss call."""
    m = softmax_model(11, 3, 4, 3, seed=5)
    xs, ys, U, V, W, frozen = m["xs"], m["ys"], m["U"], m["V"], m["W"], m["states"]
    starts = tbptt_starts(11, 2, 5)
    Ws = W + 0.1 * np.random.default_rng(0).standard_normal((3, 4, 4))  # (P, H, H)
    losses = windowed_loss(xs, ys, U, V, Ws, starts, frozen)
    assert losses.shape == (3,)
    for P in range(3):
        assert losses[P] == pytest.approx(windowed_loss(xs, ys, U, V, Ws[P], starts, frozen),
                                          rel=1e-13)
    for name, x in (("U", U), ("V", V), ("W", W)):
        def loss(arr, name=name):
            return windowed_loss(**{"xs": xs, "ys": ys, "U": U, "V": V, "W": W, name: arr,
                                    "starts": starts, "frozen": frozen})
        batched = batched_gradient(loss, x)
        assert batched.shape == x.shape
        assert rel_error(batched, numerical_gradient(loss, x)) < 1e-10


def test_tbptt_schedule_follows_the_spec():
    assert update_times(10, 4) == [4, 8, 10]
    assert update_times(8, 4) == [4, 8]
    assert update_times(3, 5) == [3]
    # T = 10, k1 = 4, k2 = 6: tau = 4 -> start 0; tau = 8 -> start 2; tau = 10 -> start 4
    assert tbptt_starts(10, 4, 6).tolist() == [0] * 4 + [2] * 4 + [4] * 2
    assert window_starts(5, 2).tolist() == [0, 0, 1, 2, 3]
    with pytest.raises(ValueError):
        tbptt_starts(10, 4, 3)


# --- the cases cover the regime the spec asks for -------------------------------------------

def test_visible_cases_cover_the_regime():
    Ts = [p[0] for p in VISIBLE_TRUNCATED]
    ks = [p[4] for p in VISIBLE_TRUNCATED]
    assert 1 in Ts and 1 in ks and None in ks
    assert any(k is not None and k <= 6 and k < T for T, k in zip(Ts, ks, strict=True) if k != 1)
    assert any(k == T for T, k in zip(Ts, ks, strict=True))
    assert any(k is not None and k > T for T, k in zip(Ts, ks, strict=True))
    assert any(p[5] for p in VISIBLE_TRUNCATED) and not all(p[5] for p in VISIBLE_TRUNCATED)
    assert any(p[1] != p[2] for p in VISIBLE_TRUNCATED)
    assert any(p[3] >= 3 for p in VISIBLE_TRUNCATED)
    assert any(p[0] % p[4] for p in VISIBLE_TBPTT)  # a final update at T
    for case in [c for c in truncated_bptt_cases() + tbptt_k1k2_cases() if not c.long_steps]:
        assert 4 <= np.linalg.norm(case.info["W"], 2) <= 8
        ys = case.info["ys"]
        assert np.all(ys.sum(axis=1) == 1) and set(np.unique(ys)) <= {0.0, 1.0}


def test_hidden_cases_are_a_superset():
    vis = [c.label for c in truncated_bptt_cases()]
    hid = [c.label for c in truncated_bptt_cases(hidden=True)]
    assert hid[:len(vis)] == vis and len(hid) > len(vis)
    vis = [c.label for c in tbptt_k1k2_cases()]
    hid = [c.label for c in tbptt_k1k2_cases(hidden=True)]
    assert hid[:len(vis)] == vis and len(hid) > len(vis)


def test_check_returns_builtin_float_and_writes_no_stderr(capfd):
    score = check_truncated_bptt(R.crashes_on_none)  # right on the long case: partial credit
    assert type(score) is float and 0 < score < 1
    score = check_truncated_bptt(R.window_too_long)  # wrong on the long case too: nothing
    assert type(score) is float and score == 0.0
    score = check_truncated_bptt(lambda *a: None)
    assert type(score) is float and score == 0.0
    assert capfd.readouterr().err == ""


# --- the seed-2 program ----------------------------------------------------------------------

def test_seed2_gradient_belongs_to_categorical_ce_not_to_its_printed_loss():
    m = softmax_model(6, 3, 4, 3, seed=8, nonzero_s0=False)
    xs, ys, U, V, W = m["xs"], m["ys"], m["U"], m["V"], m["W"]
    grads = SeedRNN2(U, V, W).bptt(xs, ys)

    def num(loss):
        return (numerical_gradient(lambda u: loss(u, V, W), U),
                numerical_gradient(lambda v: loss(U, v, W), V),
                numerical_gradient(lambda w: loss(U, V, w), W))

    printed = num(lambda u, v, w: SeedRNN2(u, v, w).loss(xs, ys))
    categorical = num(lambda u, v, w: softmax_rnn_loss(xs, ys, u, v, w))
    assert min(rel_error(a, b) for a, b in zip(grads, printed, strict=True)) > 1e-2
    assert max(rel_error(a, b) for a, b in zip(grads, categorical, strict=True)) < 1e-6


def test_seed2_lookback_is_look_back_10_and_reads_the_last_row_as_s0():
    m = softmax_model(16, 2, 3, 3, seed=9)
    xs, ys, U, V, W, s0 = m["xs"], m["ys"], m["U"], m["V"], m["W"], m["s0"]
    seed = SeedRNN2(U, V, W)
    zero_s0 = R.correct_nested(xs, ys, U, V, W, 10, None)
    assert max(rel_error(a, b) for a, b in zip(seed.bptt(xs, ys), zero_s0, strict=True)) < 1e-12
    seed.rows = np.vstack([m["states"][1:], s0])  # the seed's layout with s_0 stored last
    with_s0 = R.correct_nested(xs, ys, U, V, W, 10, s0)
    got = seed.bptt(xs, ys, rerun=False)
    assert max(rel_error(a, b) for a, b in zip(got, with_s0, strict=True)) < 1e-12


def test_seed2_lookback_cannot_be_set_to_answer_the_exercise():
    # Attack review F1: with a `LOOKBACK` attribute set to k, the seed program answered
    # truncated_bptt (and, on slices, tbptt_k1k2) for full marks without a line of BPTT.
    m = softmax_model(30, 2, 3, 3, seed=9)
    xs, ys, U, V, W = m["xs"], m["ys"], m["U"], m["V"], m["W"]
    seed = SeedRNN2(U, V, W)
    assert not hasattr(SeedRNN2, "LOOKBACK")
    seed.LOOKBACK = 3
    still_10 = R.correct_nested(xs, ys, U, V, W, 10, None)
    assert max(rel_error(a, b) for a, b in zip(seed.bptt(xs, ys), still_10, strict=True)) < 1e-12


# --- notebook 4 -------------------------------------------------------------------------------

def test_notebook_cells_and_points():
    nb = nbformat.read(NB4, as_version=4)
    ids = [c.id for c in nb.cells]
    assert len(set(ids)) == len(ids) and all(i.startswith("nb4-") for i in ids)
    meta = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}
    points = {"test_truncated_bptt": 2, "hidden_truncated_bptt": 4,
              "test_tbptt_k1k2": 1, "hidden_tbptt_k1k2": 2}
    for gid, p in points.items():
        cell = meta[gid]
        nbg = cell.metadata["nbgrader"]
        assert nbg["grade"] and nbg["locked"] and not nbg["solution"] and nbg["points"] == p
        if gid.startswith("hidden_"):
            last = cell.source.strip().splitlines()[-2]
            assert re.fullmatch(rf"float\({p} \* check_\w+\(\w+, hidden=True\)\)", last), last
    for gid in ("answer_truncated_bptt", "answer_tbptt_k1k2"):
        nbg = meta[gid].metadata["nbgrader"]
        assert nbg["solution"] and not nbg["grade"] and not nbg["locked"]
        assert "### BEGIN SOLUTION" in meta[gid].source
    assert meta["setup"].metadata["nbgrader"]["locked"]
    assert nb.cells[[c.cell_type for c in nb.cells].index("code")].id == "nb4-setup"
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert "bonus" in nb.cells[0].source.lower()
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert text.count("<details>") >= 4


def test_benchmark_runs_and_agrees():
    spec = importlib.util.spec_from_file_location("truncation_cost",
                                                  ROOT / "benchmarks" / "truncation_cost.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    buf = io.StringIO()
    with redirect_stdout(buf):
        times = bench.main(["--T", "120", "--H", "8", "--k", "7", "--repeats", "1"])
    out = buf.getvalue()
    assert set(times) >= {"full", "naive", "seed-style", "lag-batched"}
    agree = float(re.search(r"largest relative difference ([0-9.e+-]+)", out).group(1))
    assert agree < 1e-12
    assert "naive/full" in out and "lag-batched/full" in out


def test_notebook_runs_without_errors_or_stderr(tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(NB4, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NB4.parent)}}).execute()
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", (cell.id, out.get("evalue"))
            assert not (out.output_type == "stream" and out.name == "stderr"), (cell.id, out.text)
    results = {c.metadata["nbgrader"]["grade_id"]: c.outputs for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("hidden_")}
    assert results["hidden_truncated_bptt"][-1]["data"]["text/plain"] == "4.0"
    assert results["hidden_tbptt_k1k2"][-1]["data"]["text/plain"] == "2.0"
