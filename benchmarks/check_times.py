"""How long each check takes: on a correct solution, and on an endless loop.

Run: ``python benchmarks/check_times.py``. Prints seconds per check (visible and
hidden cases, case building included), the time of the checker's own reference
per case, and what an endless-loop learner costs per check (cases that run past
their limit are stopped; after ``MAX_TIMEOUTS`` of them the rest are not run).
``long s`` is the correct version's time on the long case alone (built once per
process, so ``build s`` of the hidden row excludes it); ``python
benchmarks/no_backprop.py`` compares it with finite differences.
Compare with the cell timeout of nbgrader_config.py (c.Execute.timeout = 120 s; nbgrader's default is 30 s).
"""

import io
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

from autograde.checks import cases as C
from autograde.checks import judge as checks
from autograde.checks.limits import LIMIT_FACTOR, MAX_TIMEOUTS, MIN_LIMIT, case_limit
from autograde.checks.safe_call import call_safely

# correct versions from the test suite's catalogue (the project ships no solutions in packages)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from variants.correct import cd_vectorised as calc_delta  # noqa: E402
from variants.correct import cg_vectorised as calc_gradient  # noqa: E402
from variants.correct import sj_broadcast as step_jacobian  # noqa: E402


def endless(*args):
    while True:
        pass


CHECKS = [("step_jacobian", checks.check_step_jacobian, step_jacobian, C.step_jacobian_cases),
          ("calc_delta", checks.check_calc_delta, calc_delta, C.calc_delta_cases),
          ("calc_gradient", checks.check_calc_gradient, calc_gradient, C.calc_gradient_cases)]


def timed(check, fn, hidden):
    start = time.perf_counter()
    with redirect_stdout(io.StringIO()):
        score = check(fn, hidden=hidden)
    return time.perf_counter() - start, score


def main():
    print(f"{'check':<24}{'cases':>6}{'build s':>9}{'check s':>9}{'score':>7}"
          f"{'endless s':>11}{'score':>7}{'long s':>8}{'  per-case limit s'}")
    for name, check, fn, build in CHECKS:
        for hidden in (False, True):
            t0 = time.perf_counter()
            cases = build(hidden)
            t_build = time.perf_counter() - t0
            t_ok, s_ok = timed(check, fn, hidden)
            t_loop, s_loop = timed(check, endless, hidden)
            limits = [case_limit(c) for c in cases]
            long = [c for c in cases if c.long_steps]
            t_long = (call_safely(fn, long[0].args, long[0].arg_names, 60).elapsed
                      if long else float("nan"))
            label = f"{name} ({'hidden' if hidden else 'visible'})"
            print(f"{label:<24}", end="")
            print(f"{len(cases):>6}{t_build:>9.3f}{t_ok:>9.3f}{s_ok:>7.2f}{t_loop:>11.2f}"
                  f"{s_loop:>7.2f}{t_long:>8.3f}   {min(limits):.1f}-{max(limits):.1f}")
    print(f"\nMIN_LIMIT = {MIN_LIMIT} s, LIMIT_FACTOR = {LIMIT_FACTOR}, "
          f"MAX_TIMEOUTS = {MAX_TIMEOUTS}: an endless loop costs about "
          f"{MAX_TIMEOUTS * MIN_LIMIT:.0f} s per check (cell timeout: 120 s in nbgrader_config.py)")


if __name__ == "__main__":
    main()
