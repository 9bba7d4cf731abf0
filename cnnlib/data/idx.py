"""The IDX file format, in which MNIST and Fashion-MNIST are published: read and write.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian int32 per dimension, then the data in C order.  MNIST's
files hold unsigned bytes (type code ``0x08``): images ``(N, 28, 28)``, labels ``(N,)``.
A name ending in ``.gz`` is read and written gzip-compressed, as the files are published.
"""
from __future__ import annotations

import gzip
import pathlib
import zlib

import numpy as np

from .store import DataCorruptError

__all__ = ["read_idx", "write_idx", "REPAIR"]

# What to do about a damaged IDX file: the end of every error message about one.
REPAIR = ("delete it and run `python -m cnnlib.data download` (needs internet), "
          "or copy a good copy of the file in its place")


def read_idx(path) -> np.ndarray:
    """Read an IDX file (the MNIST format), plain or gzip-compressed.

    The format is a 4-byte magic number (two zero bytes, a type code, the number
    of dimensions), one big-endian int32 per dimension, then the data in C order.

    Returns
    -------
    ndarray of uint8, shape as stored: ``(N, 28, 28)`` for images, ``(N,)`` for labels.

    Raises
    ------
    DataCorruptError
        The file is truncated, not gzip when it ends in ``.gz``, or not IDX;
        the message names the file.
    """
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise DataCorruptError(f"{path} is damaged ({err}); {REPAIR}") from None
    if len(raw) < 4:
        raise DataCorruptError(f"{path} holds {len(raw)} bytes, too few for an IDX header; "
                               f"{REPAIR}")
    zero, dtype_code, ndim = raw[0:2], raw[2], raw[3]
    if zero != b"\x00\x00" or dtype_code != 0x08:
        raise DataCorruptError(
            f"{path} is not an IDX file of unsigned bytes (magic {raw[:4].hex()}); {REPAIR}")
    if len(raw) < 4 + 4 * ndim:
        raise DataCorruptError(f"{path} ends inside its header; {REPAIR}")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise DataCorruptError(
            f"{path} holds {data.size:,} bytes of data, its header says {shape} "
            f"({int(np.prod(shape)):,} bytes): the file is truncated or damaged; {REPAIR}")
    return data.reshape(shape)


def write_idx(path, array) -> None:
    """Write an array of bytes as an IDX file; gzip-compressed when ``path`` ends in ``.gz``.

    Parameters
    ----------
    path : path
    array : array_like of integers in 0..255, any shape (images ``(N, 28, 28)``,
        labels ``(N,)``).
    """
    array = np.asarray(array)
    if array.dtype.kind not in "ui":
        raise TypeError(f"array must hold integers 0..255 for an IDX file of bytes, "
                        f"got dtype {array.dtype}")
    if array.size and (array.min() < 0 or array.max() > 255):
        raise ValueError(f"array must hold integers 0..255 for an IDX file of bytes, "
                         f"got values from {array.min()} to {array.max()}")
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">i4").tobytes()
    path = pathlib.Path(path)
    if path.suffix == ".gz":
        # mtime=0 makes the compressed bytes depend on the data alone.
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
            f.write(header + array.tobytes())
    else:
        path.write_bytes(header + array.tobytes())
