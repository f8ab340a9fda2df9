# Shared by scripts/demo.sh and scripts/test.sh: a project virtual environment, and Jupyter,
# IPython and matplotlib state kept out of the home folder.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${BPTT_VENV:-$ROOT/.venv}"
# Grading runs learner code in a bubblewrap sandbox. As root with apt (CI, a fresh grading
# machine) install it; otherwise say how, once (grading refuses to run without it).
if ! command -v bwrap >/dev/null 2>&1 && [ -z "${BPTT_NO_APT:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing bubblewrap (the grading sandbox)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
  else
    echo "note: bubblewrap is not installed; grading will refuse to run until it is" \
         "(Debian/Ubuntu: sudo apt-get install bubblewrap)"
  fi
fi
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating the virtual environment $VENV"
  "$PY" -m venv "$VENV"
fi
# An editable install follows code changes by itself: pip runs again (12 s even when there is
# nothing to do) only when this folder's pyproject.toml, which lists the dependencies, is not
# the one installed into this environment (a stamp in it: this folder, then that file).
STAMP="$VENV/.bptt-installed-from"
WANT="$ROOT"$'\n'"$(cat pyproject.toml)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "==> installing the course and its dependencies (pip install -e '.[dev]')"
  # A current pip installs these ~120 packages much faster than Python 3.11's bundled one
  # (measured here: pip 23.2 81 s, pip 26.3 59 s); offline, the bundled one does the job.
  # pip byte-compiles the ~5,400 installed modules one at a time (27 s of that); compileall
  # does the same on every core. Compiled here, not on first import: the grading sandbox
  # cannot write into the venv, so its kernels would compile IPython on every start.
  "$VENV/bin/python" -m pip install -qq --disable-pip-version-check --upgrade pip \
    || echo "note: could not upgrade pip; installing with the one the venv has"
  "$VENV/bin/python" -m pip install -qq --disable-pip-version-check --no-compile -e ".[dev]"
  "$VENV/bin/python" -m compileall -q -j 0 "$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" >/dev/null \
    || echo "note: some installed modules could not be byte-compiled; Python compiles them on import"
  printf '%s\n' "$WANT" > "$STAMP"
fi
# An editable install skips data files: put JupyterLab's course settings where a wheel puts them.
install -D -m 644 share/jupyter-lab-settings/bptt-course.json \
  "$VENV/share/jupyter/lab/settings/overrides.d/bptt-course.json"
export PATH="$VENV/bin:$PATH"
STATE="$(mktemp -d "${TMPDIR:-/tmp}/bptt-state-XXXXXX")"
export JUPYTER_CONFIG_DIR="$STATE/jupyter-config" JUPYTER_DATA_DIR="$STATE/jupyter-data"
export JUPYTER_RUNTIME_DIR="$STATE/jupyter-runtime" IPYTHONDIR="$STATE/ipython"
export MPLCONFIGDIR="$STATE/matplotlib" MPLBACKEND=Agg
mkdir -p "$JUPYTER_CONFIG_DIR" "$JUPYTER_DATA_DIR" "$JUPYTER_RUNTIME_DIR" "$IPYTHONDIR" "$MPLCONFIGDIR"
trap 'rm -rf "$STATE"' EXIT
