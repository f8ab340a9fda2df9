"""nbgrader's ``collect``, taking only files and folders out of the exchange, never a link.

``c.ExchangeFactory.collect`` in ``nbgrader_config.py``. nbgrader copies each submission out of
the exchange's ``inbound/`` with ``shutil.copytree``, which follows symbolic links, with the
instructor's rights, in the course folder. A learner owns their submission folder there after
``nbgrader submit`` and can add links to it: ``-> /proc/self/cwd/solutions`` copied the
instructor's notebooks, hidden tests included, and ``gradebook.db`` into the submission, where
the learner's own kernel printed them into the feedback; a link to ``/proc/self/cwd`` copied the
course into itself until paths grew too long, and collect stopped for the rest of the class (16
F1, 16 F2 in docs/grading_integrity.md). Here the submission's regular files and folders are
copied first, into a private folder, without following any link (``os.fwalk``, files opened
with ``O_NOFOLLOW``); links and special files are skipped with a warning; nbgrader's own copy
(its size limit, include and ignore patterns, group sharing) then takes that copy.
"""

import os
import shutil
import stat
import tempfile

from nbgrader.exchange.default.collect import ExchangeCollect


def copy_without_links(src, dest, warn):
    """Copy the regular files and folders under ``src`` to ``dest``; ``warn(text)`` for the rest.

    Nothing is followed: a link, a FIFO or a device anywhere (``src`` itself included) is
    skipped, whatever it points to, also if it was swapped in while this runs.
    """
    os.makedirs(dest, exist_ok=True)
    if os.path.islink(src):
        warn(f"{src} is a symbolic link, not a folder: nothing collected from it")
        return
    for folder, dirs, files, dir_fd in os.fwalk(src, follow_symlinks=False):
        here = os.path.join(dest, os.path.relpath(folder, src))
        os.makedirs(here, exist_ok=True)
        for name in files + [d for d in dirs if _is_link(d, dir_fd)]:  # (links are not walked)
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
            except OSError:  # ELOOP: a link; or unreadable
                warn(f"skipped {os.path.join(folder, name)}: a symbolic link or unreadable")
                continue
            with os.fdopen(fd, "rb") as source:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    warn(f"skipped {os.path.join(folder, name)}: not a regular file")
                    continue
                with open(os.path.join(here, name), "wb") as target:
                    shutil.copyfileobj(source, target)


def _is_link(name, dir_fd):
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:  # gone meanwhile: nothing to copy
        return False


class LinklessCollect(ExchangeCollect):
    """``nbgrader collect`` that takes no symbolic link out of a learner's submission."""

    def do_copy(self, src, dest, log=None):
        limit = 1000 * self.coursedir.max_dir_size  # nbgrader's own check, before copying
        if self.get_size(src) > limit:
            raise RuntimeError(f"Directory size is too big. Maximum size is {limit}")
        with tempfile.TemporaryDirectory(prefix="bptt-collect-") as tmp:
            clean = os.path.join(tmp, "submission")
            copy_without_links(src, clean, self.log.warning)
            super().do_copy(clean, dest, log)
