# Shared by scripts/demo.sh and scripts/test.sh: a project virtual environment, and Jupyter,
# IPython and matplotlib state kept out of the home folder.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${BPTT_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating the virtual environment $VENV"
  "$PY" -m venv "$VENV"
fi
echo "==> installing the course and its dependencies (pip install -e '.[dev]')"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]"
export PATH="$VENV/bin:$PATH"
STATE="$(mktemp -d "${TMPDIR:-/tmp}/bptt-state-XXXXXX")"
export JUPYTER_CONFIG_DIR="$STATE/jupyter-config" JUPYTER_DATA_DIR="$STATE/jupyter-data"
export JUPYTER_RUNTIME_DIR="$STATE/jupyter-runtime" IPYTHONDIR="$STATE/ipython"
export MPLCONFIGDIR="$STATE/matplotlib" MPLBACKEND=Agg
mkdir -p "$JUPYTER_CONFIG_DIR" "$JUPYTER_DATA_DIR" "$JUPYTER_RUNTIME_DIR" "$IPYTHONDIR" "$MPLCONFIGDIR"
trap 'rm -rf "$STATE"' EXIT
