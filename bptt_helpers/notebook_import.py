"""Use functions a learner wrote in an earlier notebook.

``load_notebook_functions("02_delta_recursion.ipynb", ["calc_delta"])`` runs that
notebook's locked set-up cells and its answer cells, in order, in a fresh
namespace, and returns the named functions. Test cells, plots and cells a learner
added are not run.
"""

import io
import json
import types
from contextlib import redirect_stdout
from pathlib import Path


def answer_and_setup_cells(nb):
    """The code cells to run: nbgrader set-up cells (locked, not tests) and answer cells."""
    cells = []
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("solution"):
            cells.append(cell)
        elif meta.get("locked") and not meta.get("grade"):
            cells.append(cell)
    return cells


def load_notebook_functions(path, names):
    """Run a notebook's set-up and answer cells and return some of what they define.

    Parameters
    ----------
    path : str or Path
        The notebook, e.g. ``"02_delta_recursion.ipynb"`` next to the current one.
    names : list of str
        What to return, e.g. ``["step_jacobian", "calc_delta"]``.

    Returns
    -------
    types.SimpleNamespace
        One attribute per name.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: keep your notebooks together in one folder "
            "(later notebooks use the functions you wrote in earlier ones)"
        )
    nb = json.loads(path.read_text(encoding="utf-8"))  # plain JSON: nbformat costs seconds to import
    namespace = {"__name__": f"notebook_{path.stem}"}
    with redirect_stdout(io.StringIO()):
        for cell in answer_and_setup_cells(nb):
            source = strip_magics(_text(cell.get("source", "")))
            try:
                exec(compile(source, f"<{path.name}>", "exec"), namespace)
            except Exception as exc:
                raise RuntimeError(
                    f"running a cell of {path.name} failed ({type(exc).__name__}: {exc}); "
                    f"fix that notebook first. The cell starts with: {source.strip()[:80]!r}"
                ) from exc
    missing = [n for n in names if n not in namespace]
    if missing:
        raise NameError(f"{path.name} does not define {', '.join(missing)}")
    return types.SimpleNamespace(**{n: namespace[n] for n in names})


def _text(source):
    """A cell's source as one string (notebook files may store it as a list of lines)."""
    return "".join(source) if isinstance(source, list) else str(source)


def strip_magics(source):
    """Drop IPython-only lines (``%matplotlib``, ``!pip``) that plain Python cannot run."""
    keep = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    return "\n".join(keep)
