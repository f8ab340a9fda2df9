#!/usr/bin/env bash
# Install the course into .venv (if needed) and run every check of the project:
# lint, "are the student notebooks what nbgrader generates from solutions/", and the test suite.
source "$(dirname "$0")/_env.sh"
echo "==> ruff (code and notebooks)"
ruff check .
echo "==> notebooks/ regenerated from solutions/ must match what is committed"
bptt release --check
# On every core, a test module per worker at a time (module fixtures such as the graded demo
# course run once); BPTT_TEST_WORKERS=0 runs them in this one process.
echo "==> pytest"
python -m pytest -n "${BPTT_TEST_WORKERS:-auto}" --dist loadscope "$@"
