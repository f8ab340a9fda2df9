"""The learner's Jupyter kernel, in the sandbox, for nbgrader's ``Execute`` during grading.

``c.Execute.kernel_manager_class = "autograde.grading.kernel.SandboxedKernelManager"``
(``nbgrader_config.py``). The kernel command from the kernelspec
(``python -m ipykernel_launcher -f {connection_file}``) runs inside
:func:`autograde.grading.sandbox.wrap`; the notebook's folder (the learner's submission) is
its read-only working folder, from which nothing is imported. The sandbox has no network, so
the kernel talks ZMQ over IPC sockets in a private folder made for this kernel alone and bound
into its sandbox (the connection file lives there too). Every socket of the grader's kernel
client refuses a ZMQ frame larger than ``MAX_MESSAGE_BYTES``. The kernel's own stdout and
stderr go nowhere: what it prints reaches the grader only as Jupyter messages. With the
instructor's explicit opt-out (``BPTT_UNSAFE_NO_SANDBOX=1``) it is Jupyter's ordinary kernel
manager.
"""

import os
import subprocess
import tempfile
from pathlib import Path

import zmq
from jupyter_client.manager import AsyncKernelManager

from . import sandbox
from .tree import remove_tree

MAX_MESSAGE_BYTES = 32 * 1024 * 1024  # one ZMQ frame from the kernel; larger: the connection drops


class SandboxedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernel runs in the grading sandbox."""

    _private = None  # the kernel's own folder: connection file and IPC sockets

    async def _async_pre_start_kernel(self, **kw):
        if not sandbox.require():
            return await super()._async_pre_start_kernel(**kw)
        workdir = Path(kw.get("cwd") or os.getcwd())
        base = Path(tempfile.mkdtemp(prefix="bptt-kernel-"))  # 0700: only the grader walks in
        self._private = base
        folder = base / "k"
        folder.mkdir()
        os.chmod(folder, 0o777)  # the sandbox's unprivileged uid creates its sockets here
        self.transport = "ipc"
        self.ip = str(folder / "ipc")
        self.connection_file = str(folder / "kernel.json")
        cmd, kw = await super()._async_pre_start_kernel(**kw)
        os.chmod(self.connection_file, 0o644)  # readable by the kernel, inside the folder only
        kw = dict(kw, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                  stderr=subprocess.DEVNULL)
        kw.pop("env", None)  # the sandbox sets its own, scrubbed environment
        # PYTHONSAFEPATH: nothing is imported from the working folder, the learner's own, which
        # nbgrader's exchange fills with whatever they handed in. Else an ipykernel_launcher.py
        # there ran before the kernel was up and its folder sealed (15 F1), and IPython would add
        # the folder to sys.path ahead of site-packages (it leaves it out under safe_path).
        return sandbox.wrap(cmd, workdir, rw_dirs=[folder], env={"PYTHONSAFEPATH": "1"}), kw

    pre_start_kernel = _async_pre_start_kernel

    def client(self, **kw):
        """The grader's client: its sockets refuse a frame over ``MAX_MESSAGE_BYTES`` (nbclient
        would read a whole message into the grader's memory before any output hook sees it)."""
        kc = super().client(**kw)
        kc.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)  # default of its new sockets
        return kc

    def seal(self):
        """Once the kernel has made its sockets: its folder is no longer writable from inside.

        (As root the sandbox's uid is not the folder's owner, so learner code can then fill
        only the sandbox's own size-limited /tmp, not the grader's disk.)
        """
        if self._private is not None:
            os.chmod(self._private / "k", 0o555)

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if self._private is not None and not restart:
            remove_tree(self._private)
            self._private = None

    cleanup_resources = _async_cleanup_resources
