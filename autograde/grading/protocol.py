"""Messages between the grader and the learner's process: a JSON header and plain numeric arrays.

One frame on a channel (a socket pair, or a pipe)::

    b"BPTT" | header length (8 bytes, big-endian) | data length (8 bytes) | header | data

The header is a JSON object; ``header["arrays"]`` lists ``{"name", "dtype", "shape"}`` of
the arrays whose raw bytes, in that order, make up the data. Nothing is unpickled or
decompressed: the reader checks both lengths against its own bounds *before* reading,
then every array's dtype (little-endian numbers only) and shape against the data length,
so whatever the other side writes costs the reader at most the bounds it set.

Imported by the learner's process: standard library and numpy only.
"""

import json
import math
import os
import select
import struct
import time

import numpy as np

MAGIC = b"BPTT"
_LENGTHS = struct.Struct(">QQ")
MAX_HEADER = 1024**2  # bytes of JSON in one frame
MAX_NDIM = 4
DTYPES = {"<f8", "<f4", "<f2", "<i8", "<i4", "<i2", "|i1", "<u8", "<u4", "<u2", "|u1", "|b1",
          "<c16", "<c8"}


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed frame within the bounds."""


class Timeout(ProtocolError):
    """No complete frame arrived before the deadline."""


def encode(header, arrays=None):
    """The bytes of one frame; ``arrays`` is ``{name: ndarray}`` of numeric arrays."""
    specs, chunks = [], []
    for name, arr in (arrays or {}).items():
        arr = np.ascontiguousarray(arr)
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        specs.append({"name": name, "dtype": arr.dtype.str, "shape": list(arr.shape)})
        chunks.append(arr.tobytes())
    head = json.dumps({**header, "arrays": specs}).encode("utf-8")
    data = b"".join(chunks)
    return MAGIC + _LENGTHS.pack(len(head), len(data)) + head + data


def _await(fd, event, deadline, why):
    """Return once ``fd`` is ready for ``event`` (or has hung up); :class:`Timeout` with ``why``
    at ``deadline`` (a ``time.monotonic()`` value; None: wait as long as it takes).

    ``poll``, not ``select``: ``select`` cannot watch a descriptor numbered 1024 or more.
    """
    wait = None if deadline is None else deadline - time.monotonic()
    if wait is not None and wait <= 0:
        raise Timeout(why)
    poller = select.poll()
    poller.register(fd, event)
    if not poller.poll(None if wait is None else math.ceil(wait * 1000)):
        raise Timeout(why)


def send(fd, header, arrays=None, deadline=None):
    """Write one frame to the file descriptor ``fd``.

    With a ``deadline`` (a ``time.monotonic()`` value) and ``fd`` non-blocking
    (``os.set_blocking(fd, False)``), :class:`Timeout` is raised when the reader has not taken
    the whole frame by then: a process that stops reading (``SIGSTOP``, a busy thread) cannot
    hold the writer once a frame is larger than the channel's buffer.
    """
    view = memoryview(encode(header, arrays))
    while view:
        _await(fd, select.POLLOUT, deadline, "the frame was not read in time")
        try:
            n = os.write(fd, view)
        except BlockingIOError:  # the reader took less than poll promised room for
            continue
        view = view[n:]


def _read_exact(fd, n, deadline, read=os.read):
    parts, left = [], n
    while left:
        _await(fd, select.POLLIN, deadline, "no answer in time")
        try:
            chunk = read(fd, min(left, 1 << 20))
        except BlockingIOError:  # a non-blocking fd: poll's promise taken back meanwhile
            continue
        if not chunk:
            raise ProtocolError("the process closed the channel")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def receive(fd, max_data, deadline=None, read=os.read):
    """One frame from ``fd``: ``(header, {name: ndarray})``.

    Parameters
    ----------
    fd : int
    max_data : int
        Most bytes of array data accepted (checked before anything is read).
    deadline : float, optional
        ``time.monotonic()`` value after which :class:`Timeout` is raised.
    read : callable, optional
        ``read(fd, n) -> bytes`` (default ``os.read``; the grader's socket reads with
        ``recvmsg``, :class:`autograde.grading.learner_process.LearnerProcess`).
    """
    prefix = _read_exact(fd, len(MAGIC) + _LENGTHS.size, deadline, read)
    if prefix[:len(MAGIC)] != MAGIC:
        raise ProtocolError("not a frame")
    n_head, n_data = _LENGTHS.unpack(prefix[len(MAGIC):])
    if n_head > MAX_HEADER or n_data > max_data:
        raise ProtocolError(f"a frame of {n_head + n_data} bytes is larger than allowed")
    try:
        header = json.loads(_read_exact(fd, n_head, deadline, read).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # "[[[[..." nests too deep
        raise ProtocolError("the header is not JSON") from exc
    data = _read_exact(fd, n_data, deadline, read)
    if not isinstance(header, dict):
        raise ProtocolError("the header is not an object")
    return header, decode_arrays(header.get("arrays", []), data)


def decode_arrays(specs, data):
    """Rebuild the arrays a header lists from ``data``; every size checked before use."""
    if not isinstance(specs, list):
        raise ProtocolError("bad array list")
    arrays, offset = {}, 0
    for spec in specs:
        try:
            name, dtype, shape = str(spec["name"]), str(spec["dtype"]), spec["shape"]
        except (TypeError, KeyError) as exc:
            raise ProtocolError("bad array entry") from exc
        if dtype not in DTYPES or not isinstance(shape, list) or len(shape) > MAX_NDIM \
                or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d for d in shape):
            raise ProtocolError(f"array {name[:40]!r}: dtype {dtype[:10]!r}, shape not allowed")
        dt = np.dtype(dtype)
        count = 1
        for d in shape:
            count *= d
        size = count * dt.itemsize
        if offset + size > len(data):
            raise ProtocolError("the arrays are larger than the data sent")
        arrays[name] = np.frombuffer(data, dtype=dt, count=count, offset=offset).reshape(shape).copy()
        offset += size
    if offset != len(data):
        raise ProtocolError("data left over after the arrays")
    return arrays
