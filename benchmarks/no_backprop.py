"""No grade without backpropagation: each gradient check's long case, honest code and attacks.

Run: ``python benchmarks/no_backprop.py [--cap N]``. For each gradient check it builds
the long case (:mod:`autograde.checks.large`) and prints its time limit, then the time
of the course's solution, of the slowest honest variants of the test suite, and of each
finite-difference attack (``tests/variants/attacks.py``), as seconds and as multiples of
the checker's forward pass and of the limit. Attacks are stopped at ``N`` times the limit
(default 1): "stopped" means at least that long.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import truncated_refs as R  # noqa: E402
from variants import attacks as A  # noqa: E402
from variants import correct  # noqa: E402

from autograde.checks.limits import case_limit  # noqa: E402
from autograde.checks.safe_call import call_safely  # noqa: E402
from autograde.registry import GRADED  # noqa: E402
from bptt_helpers import load_notebook_functions  # noqa: E402

NB = ROOT / "solutions" / "bptt"


def solutions():
    s2 = load_notebook_functions(NB / "02_delta_recursion.ipynb", ["calc_delta"])
    s3 = load_notebook_functions(NB / "03_weight_gradients.ipynb", ["calc_gradient"])
    s4 = load_notebook_functions(NB / "04_truncated_bptt.ipynb", ["truncated_bptt", "tbptt_k1k2"])
    return {"calc_delta": s2.calc_delta, "calc_gradient": s3.calc_gradient,
            "truncated_bptt": s4.truncated_bptt, "tbptt_k1k2": s4.tbptt_k1k2}


HONEST = {"calc_delta": [correct.cd_loops, correct.cd_jacobian_accumulated],
          "calc_gradient": [correct.cg_scalar_loops, correct.cg_seed_layout],
          "truncated_bptt": [R.correct_nested, R.correct_columns],
          "tbptt_k1k2": [R.tbptt_by_windows]}
ATTACKS = {"calc_delta": A.CALC_DELTA_FD, "calc_gradient": A.CALC_GRADIENT_FD,
           "truncated_bptt": A.TRUNCATED_FD, "tbptt_k1k2": A.TBPTT_FD}


def row(kind, fn, case, cap):
    limit = case_limit(case)
    out = call_safely(fn, case.args, case.arg_names, cap * limit)
    graded = GRADED_NOW["fn"]
    passed = graded.judge(case, out)[0] if not out.timed_out else False
    when = (f"stopped at {out.elapsed:7.2f}" if out.timed_out else f"{out.elapsed:18.3f}")
    print(f"  {kind:<8}{fn.__name__:<26}{when} s {out.elapsed / case.ref_seconds:9.0f}x fwd "
          f"{out.elapsed / limit:7.3f}x limit{'  (passes)' if passed else '  (fails)'}")


GRADED_NOW = {}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=1.0,
                        help="stop attacks at this many times the limit")
    args = parser.parse_args()
    sol = solutions()
    for name in ("calc_delta", "calc_gradient", "truncated_bptt", "tbptt_k1k2"):
        GRADED_NOW["fn"] = GRADED[name]
        case = next(c for c in GRADED[name].cases(False, 0) if c.long_steps)
        print(f"{name}: {case.label}\n  checker's forward pass {case.ref_seconds * 1e3:.1f} ms, "
              f"limit {case_limit(case):.1f} s ({case.limit_factor:.0f}x, at least 2 s)")
        row("solution", sol[name], case, 1.0)
        for fn in HONEST[name]:
            row("honest", fn, case, 1.0)
        for fn in ATTACKS[name]:
            row("attack", fn, case, args.cap)


if __name__ == "__main__":
    main()
