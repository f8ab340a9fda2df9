#!/usr/bin/env bash
# Install the course into .venv (if needed) and run every check of the project:
# lint, "are the student notebooks what nbgrader generates from solutions/", and the test suite.
source "$(dirname "$0")/_env.sh"
echo "==> ruff (code and notebooks)"
ruff check .
echo "==> notebooks/ regenerated from solutions/ must match what is committed"
bptt release --check
echo "==> pytest"
python -m pytest "$@"
