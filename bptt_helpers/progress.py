"""A progress bar for notebooks that is plain HTML, not a widget.

A widget (``tqdm.notebook``) is saved with the notebook without its state, so a notebook
reopened later shows "Error displaying widget: model not found" where the bar was. This
bar is an HTML ``<progress>`` element updated in place; it is cleared when the loop ends,
also when the loop raises, so no bar is left standing at 0%. Outside a Jupyter kernel it
shows nothing (and never writes to stderr).
"""

import html
import time


def _in_kernel():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def progress(iterable, total=None, desc="", enabled=True, interval=0.2):
    """Yield from ``iterable`` while showing ``desc``, a bar and ``done/total``.

    Parameters
    ----------
    iterable : iterable
    total : int, optional
        The number of items; ``len(iterable)`` by default.
    desc : str
        The label in front of the bar.
    enabled : bool
        ``False`` shows nothing.
    interval : float
        Seconds between updates of the display.
    """
    if not enabled or not _in_kernel():
        yield from iterable
        return
    from IPython.display import HTML, display

    total = len(iterable) if total is None else total
    label = html.escape(desc)

    def view(done):
        return HTML(f"<div>{label} <progress value='{done}' max='{total}'></progress> "
                    f"{done}/{total}</div>")

    handle = display(view(0), display_id=True)
    last = time.perf_counter()
    try:
        for done, item in enumerate(iterable, 1):
            yield item
            now = time.perf_counter()
            if now - last >= interval:
                handle.update(view(done))
                last = now
    finally:
        handle.update(HTML(""))
