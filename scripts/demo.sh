#!/usr/bin/env bash
# Install the course into .venv (if needed), release it with nbgrader, grade the example
# submissions in examples/, and print the grade table and where the feedback is.
source "$(dirname "$0")/_env.sh"
bptt demo "$@"
