"""Keep Jupyter, IPython, nbgrader and matplotlib out of the home folder during tests."""

import os

# One BLAS thread per test process, set before numpy is first imported: the suite runs a process
# more than there are cores (scripts/test.sh), and OpenBLAS's default, a spinning thread per core
# in every process, only competes with the other tests (bptt grade's workers share the cores out
# the same way, autograde.grading.workers.blas_threads). The suite's own total did not move
# measurably (742 CPU s), its arrays being small.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from autograde.startup import skip_iri_grammar  # noqa: E402

skip_iri_grammar()  # as the course's own processes do: each test process starts 2-3 s sooner

ROOT = Path(__file__).resolve().parent.parent

_home = Path(tempfile.mkdtemp(prefix="bptt-tests-home-"))
atexit.register(shutil.rmtree, _home, ignore_errors=True)
for var, sub in [("JUPYTER_CONFIG_DIR", "jupyter-config"), ("JUPYTER_DATA_DIR", "jupyter-data"),
                 ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"), ("IPYTHONDIR", "ipython"),
                 ("MPLCONFIGDIR", "matplotlib")]:
    os.environ[var] = str(_home / sub)
    (_home / sub).mkdir(parents=True, exist_ok=True)
os.environ.setdefault("MPLBACKEND", "Agg")

# The suite runs in parallel workers (pytest-xdist, scripts/test.sh): each gives the learner
# processes it sandboxes uids of its own, since the sandbox's process limit counts every process
# of a uid on the machine (set before autograde.grading.workers reads them).
_k = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
os.environ["BPTT_SANDBOX_UID"] = str(60999 - _k)
os.environ["BPTT_FIRST_WORKER_UID"] = str(61000 + 100 * _k)


# The longest modules first (wall time in a 3-worker run): pytest-xdist hands out whole modules in
# collection order (scripts/test.sh turns off its own reordering, by number of tests), so the short
# ones then fill the end of the run instead of one long module running alone.
# test_browser.py waits until the graded demo and the hostile batch are done: beside them (load
# 8 on 2 cores) its reopened notebook 5 once showed no explorer within 60 s.
LONGEST_FIRST = ["test_nbgrader_e2e.py", "test_hostile.py", "test_trusted.py", "test_training.py",
                 "test_selfcheck.py", "test_selfcheck_kernel.py", "test_gradescope.py",
                 "test_truncated.py", "test_no_backprop.py", "test_checks.py", "test_release.py",
                 "test_browser.py", "test_exchange.py", "test_layer.py", "test_gated.py",
                 "test_cli.py"]


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: else as collected


@pytest.fixture(scope="session")
def root():
    """The repository's root folder."""
    return ROOT


@pytest.fixture(scope="session")
def sandbox_ready():
    """Grading's sandbox works here; CI (CI=true, root) must have it, elsewhere the test is skipped."""
    from autograde.grading import sandbox

    why = sandbox.probe()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"the grading sandbox must run in CI: {why}")
        pytest.skip(f"grading sandbox unavailable here: {why}")
    return True
