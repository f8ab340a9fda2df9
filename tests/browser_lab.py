"""A JupyterLab server and a headless Chromium for tests/test_browser.py.

Everything lives in one temporary folder: the notebooks' copy, Jupyter's state, Chromium's
profile and the screenshots. Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright
with ``executable_path``: the test never downloads a browser.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("BPTT_CHROMIUM", "/usr/bin/chromium")
# Without these Chromium stalls on a machine with no outside network (updates, sync, QUIC probes).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOW_TO_INSTALL = "install Debian's chromium (apt-get install chromium) and `pip install playwright`"


def missing_browser():
    """Why the browser test cannot run here, or None when it can."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed"
    return None


def private_env(home):
    """os.environ with HOME, XDG and Jupyter/IPython/matplotlib state inside ``home``."""
    env = dict(os.environ)
    for var, sub in [("HOME", "home"), ("XDG_CONFIG_HOME", "home/.config"),
                     ("XDG_CACHE_HOME", "home/.cache"), ("JUPYTER_CONFIG_DIR", "jupyter-config"),
                     ("JUPYTER_DATA_DIR", "jupyter-data"), ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"),
                     ("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "matplotlib")]:
        env[var] = str(home / sub)
        (home / sub).mkdir(parents=True, exist_ok=True)
    env["MPLBACKEND"] = "Agg"
    return env


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Lab:
    """``jupyter lab`` on 127.0.0.1, a free port and a token, serving ``notebooks``."""

    def __init__(self, notebooks, state):
        self.notebooks, self.state = notebooks, state
        self.env = private_env(state)
        # A learner answers the "notified about Jupyter news?" toast once; here it would cover cells.
        settings = (Path(self.env["JUPYTER_CONFIG_DIR"]) / "lab" / "user-settings" / "@jupyterlab"
                    / "apputils-extension" / "notification.jupyterlab-settings")
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(json.dumps({"fetchNews": "false"}))
        self.token = os.urandom(16).hex()
        self.port = _free_port()
        self.log = state / "jupyter-lab.log"
        self.proc = None

    def start(self):
        """Start the server; ``wait_ready`` waits for it (start Chromium in between)."""
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
               "--ip=127.0.0.1", f"--port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.notebooks}"]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.notebooks, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_ready(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{self.log_tail()}")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"

    def log_tail(self, lines=30):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def copy_release(root, dest):
    """The released notebooks, as a learner gets them."""
    shutil.copytree(root / "notebooks" / "bptt", dest)
    return dest


# --- what a learner does and sees, in the notebook of the active tab --------------------------

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
# The active notebook has a kernel at rest and no cell waiting or running ("[*]:").
_SETTLED = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return false;
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const prompts = [...panel.querySelectorAll('.jp-InputPrompt')].map(p => p.textContent);
  return indicator && indicator.dataset.status === 'idle' && !prompts.some(p => p.includes('*'));
}"""


def cell(page, source_text):
    """The cell of the active notebook whose source contains ``source_text``."""
    cells = page.locator(f"{NOTEBOOK} .jp-Cell")
    return cells.filter(has=page.locator(".jp-InputArea-editor", has_text=source_text))


def wait_kernel_idle(page):
    """Wait until the status bar says the notebook's kernel is started and idle."""
    page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$")).wait_for()
    page.wait_for_function(_SETTLED)


def type_into(page, target, code):
    """Replace the source of cell ``target`` with ``code``, the way a learner pastes it."""
    target.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(code)  # no auto-indent or bracket closing, unlike key presses


def run_and_wait(page, action, last_cell):
    """Do ``action()`` (which runs cells) and wait until ``last_cell`` has run and all is idle."""
    prompt = last_cell.locator(".jp-InputPrompt")
    before = prompt.text_content()
    action()
    page.wait_for_function(
        "([el, before]) => /\\[\\d+\\]/.test(el.textContent) && el.textContent !== before",
        arg=[prompt.element_handle(), before])
    page.wait_for_function(_SETTLED)


def menu(page, top, item):
    """Click menu ``top`` in the menu bar, then its entry ``item``."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def outputs_text(target, mime):
    """Texts of the outputs of ``target`` with this MIME type ("stdout", "stderr", ...)."""
    sel = f'.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.{mime}"]'
    return target.locator(sel).all_text_contents()  # also in cells scrolled out of view
