"""The ``autograde`` version a notebook was released with, and the learner's warning when it differs.

Imported by the learner's kernel (``import autograde``): standard library only.
"""

import json
import os
from pathlib import Path

VERSION_KEY = "bptt"  # notebook metadata: {"bptt": {"autograde_version": "0.1.0"}}


def installed_version():
    """The version of the ``autograde`` package this Python imports."""
    from . import __version__

    return __version__


def recorded_version(nb):
    """The ``autograde`` version a notebook (dict or NotebookNode) was released with, or None."""
    meta = (nb.get("metadata") or {}).get(VERSION_KEY) or {}
    version = meta.get("autograde_version") if isinstance(meta, dict) else None
    return str(version) if version else None


def version_warning(recorded, installed=None):
    """A warning for a learner whose installed ``autograde`` is not the released one, or ''."""
    installed = installed or installed_version()
    if not recorded or recorded == installed:
        return ""
    return (f"warning: this notebook was released with autograde {recorded}, but autograde "
            f"{installed} is installed: your feedback may disagree with your instructor's "
            f"grading (which always uses the instructor's autograde). Install autograde "
            f"{recorded} to see the same checks.")


def warn_in_notebook(out=print):
    """In a Jupyter kernel: warn (on stdout) when the running notebook recorded another version.

    The notebook's path comes from ``JPY_SESSION_NAME`` (set by Jupyter Server) or IPython's
    ``__session__``; outside a notebook, or when the file cannot be read, nothing happens.
    """
    path = os.environ.get("JPY_SESSION_NAME")
    if not path:
        try:
            path = get_ipython().user_ns.get("__session__")  # noqa: F821
        except NameError:
            return ""
    if not path or not str(path).endswith(".ipynb") or not Path(path).is_file():
        return ""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    text = version_warning(recorded_version(nb))
    if text:
        out(text)
    return text
