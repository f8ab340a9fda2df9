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
with ``O_NOFOLLOW``); links and special files are skipped with a warning; the bytes copied count
against nbgrader's size limit as they are copied (a file grown after nbgrader's look at its
size filled the instructor's disk: 16 F3); nbgrader's own copy (its size limit, include and
ignore patterns, group sharing) then takes that copy.
"""

import os
import re
import stat
import tempfile
from datetime import datetime

from nbgrader.exchange.default.collect import ExchangeCollect

from .tree import remove_tree

MAX_DEPTH = 16  # folders deeper than this in a submission are not collected
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?( UTC)?")  # nbgrader's
TIMESTAMP_BYTES = 64
MAX_FILES = 10_000  # a submission with more files and folders than this is not collected


class TooLarge(Exception):
    """A submission past the size or file limits while it was copied."""


def copy_without_links(src, dest, warn, max_bytes):
    """Copy the regular files and folders under ``src`` to ``dest``; ``warn(text)`` for the rest.

    Nothing is followed: a link, a FIFO or a device anywhere (``src`` itself included) is
    skipped, whatever it points to, also if it was swapped in while this runs. Folders deeper
    than :data:`MAX_DEPTH` are skipped. The bytes actually copied are counted: past
    ``max_bytes`` (or :data:`MAX_FILES` files) it raises :class:`TooLarge`, however the files
    grew after any earlier look at their sizes (16 F3).
    """
    os.makedirs(dest, exist_ok=True)
    if os.path.islink(src):
        warn(f"{src} is a symbolic link, not a folder: nothing collected from it")
        return
    copied, count = 0, 0
    for folder, dirs, files, dir_fd in os.fwalk(src, follow_symlinks=False):
        rel = os.path.relpath(folder, src)
        here = os.path.join(dest, rel)
        os.makedirs(here, exist_ok=True)
        links = [d for d in dirs if _is_link(d, dir_fd)]  # (links are not walked)
        count += len(dirs)  # folders count too: empty ones cost the copies as much (16 F6)
        if count > MAX_FILES:
            raise TooLarge(f"more than {MAX_FILES} files and folders")
        if rel.count(os.sep) + 1 >= MAX_DEPTH and dirs:
            warn(f"skipped the folders in {folder}: more than {MAX_DEPTH} levels deep")
            dirs.clear()  # not walked either: the walk recurses once per level
        for name in files + links:
            count += 1
            if count > MAX_FILES:
                raise TooLarge(f"more than {MAX_FILES} files")
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
                    while chunk := source.read(1 << 20):
                        copied += len(chunk)
                        if copied > max_bytes:
                            raise TooLarge(f"larger than {max_bytes} bytes")
                        target.write(chunk)


def _is_link(name, dir_fd):
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:  # gone meanwhile: nothing to copy
        return False


class LinklessCollect(ExchangeCollect):
    """``nbgrader collect`` that takes no symbolic link out of a learner's submission.

    One submission is one failure domain: one that cannot be copied (past the size limit while
    it is copied, or anything else) is left out with an error in collect's log, and the others
    are collected (nbgrader's own size check raised, and collect stopped for the rest: 16 F4).
    """

    def do_copy(self, src, dest, log=None):
        try:
            with tempfile.TemporaryDirectory(prefix="bptt-collect-") as tmp:
                clean = os.path.join(tmp, "submission")
                copy_without_links(src, clean, self.log.warning,
                                   max_bytes=1000 * self.coursedir.max_dir_size)
                _keep_a_readable_timestamp(clean, self.log.warning)
                super().do_copy(clean, dest, log)
        except Exception as exc:  # noqa: BLE001 - the rest of the class is still collected
            self.log.error("%s was not collected: %s", src, exc)
            remove_tree(dest)


def _keep_a_readable_timestamp(folder, warn):
    """Keep ``timestamp.txt`` only as a plain time nbgrader writes, rewritten; else drop it.

    A later ``collect --update`` (and ``autograde``) stopped for the whole class on text that
    is no time, a folder of that name (16 F7), a time with junk after what a short read saw, or
    a time zone naming a file (nbgrader hands the zone to ``dateutil.tz.gettz``, which opens an
    absolute path: a zone file the learner swaps later, or ``/proc/kmsg``, which blocks).
    """
    path = os.path.join(folder, "timestamp.txt")
    if not os.path.lexists(path):
        return
    try:
        with open(path, "rb") as fh:
            text = fh.read(TIMESTAMP_BYTES + 1).decode("ascii").strip()
        if len(text) > TIMESTAMP_BYTES or not TIMESTAMP.fullmatch(text):
            raise ValueError(f"{text[:40]!r}")
        datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S")  # a real date and time
        with open(path, "w", encoding="ascii") as fh:
            fh.write(text)
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        warn(f"dropped {path}: not a time as nbgrader writes one ({exc}); the submission has "
             "no time")
        remove_tree(path)
