#!/usr/bin/env bash
# Install the course into .venv (if needed) and run every check of the project:
# lint, "are the student notebooks what nbgrader generates from solutions/", and the test suite.
source "$(dirname "$0")/_env.sh"
echo "==> ruff (code and notebooks)"
ruff check .
echo "==> notebooks/ regenerated from solutions/ must match what is committed"
bptt release --check
# A test module per worker at a time (module fixtures such as the graded demo course run once),
# one worker more than there are cores: many tests wait on kernels, sandboxes and time limits,
# and the extra worker keeps the cores busy meanwhile (on 2 cores: 2 workers 594-642 s, 3 workers
# 413-482 s, 4 workers 412 s; in one process the suite keeps the machine busy for 742 CPU s).
# Modules are handed out in conftest.py's order (LONGEST_FIRST), not by their number of tests.
# BPTT_TEST_WORKERS=0 runs them in this one process.
echo "==> pytest"
python -m pytest -n "${BPTT_TEST_WORKERS:-$(( $(nproc) + 1 ))}" --dist loadscope --no-loadscope-reorder "$@"
