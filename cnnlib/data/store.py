"""The files behind every data set: where they live, how they are fetched and trusted.

What the readers of :mod:`cnnlib.data` share (MNIST and Fashion-MNIST in
:mod:`cnnlib.data.mnist_family`, CIFAR-10 in :mod:`cnnlib.data.cifar`):

* the folders searched after ``root=`` and ``CNNLIB_DATA``: ``../shared/data`` beside a
  source checkout, then the data folder (``data/`` in the repository, or
  ``~/.cache/cnnlib`` when cnnlib is installed as a package), where downloads go;
* the switch ``CNNLIB_OFFLINE=1``, which forbids downloads;
* md5 sums: a file is hashed the first time it is used, and the result is remembered
  by file size and modification time;
* files written whole or not at all: a file appears under its name only when complete,
  and the ``.part`` files a killed writer leaves behind are removed later;
* the network: a probe that waits for an HTTP answer, not just a connection, for a few
  seconds at most, and a read timeout around each download, so that a computer without
  a network, or a server that accepts and never answers, costs seconds, not minutes.

The readers look these settings up here at each call (``store.LOCAL_DATA``,
``store.CONNECT_SECONDS``), so a change made here holds for every data set.
"""
from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import pathlib
import socket
import tempfile
import threading
import time
import urllib.parse

__all__ = [
    "DataNotFoundError", "DataCorruptError",
    "PACKAGE", "REPO", "IN_CHECKOUT", "SHARED_DATA", "LOCAL_DATA",
    "CONNECT_SECONDS", "READ_SECONDS", "STALE_PART_SECONDS",
    "offline", "local_folders", "md5", "check_md5_once", "atomic_write", "remove_stale_parts",
    "reachable", "read_timeout",
]

PACKAGE = pathlib.Path(__file__).resolve().parent.parent     # the folder cnnlib/
REPO = PACKAGE.parent
# A source checkout (a clone, Binder) keeps its data beside the code; an installed
# package (pip install, Colab) keeps it in the user's cache folder.
IN_CHECKOUT = (REPO / "pyproject.toml").exists()
SHARED_DATA = REPO.parent / "shared" / "data"
LOCAL_DATA = (REPO / "data" if IN_CHECKOUT else
              pathlib.Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "cnnlib")

# How long a download may wait for the first answer of a server (an HTTP answer, not
# just a connection). Without a network, or with a server that accepts connections and
# never answers, the fallback to the subset takes at most this long, once per process.
CONNECT_SECONDS = 5.0
READ_SECONDS = 30.0

# A .part file untouched this long belongs to an unpack that was killed (an unpack
# writes a few MB in well under a second); a younger one may be another process's.
STALE_PART_SECONDS = 60.0


class DataNotFoundError(FileNotFoundError):
    """The data set is in none of the places searched; the message says what to do."""


class DataCorruptError(ValueError):
    """A data file is damaged or is not the file it claims to be; the message names it."""


# --------------------------------------------------------------------------- where data lives
def offline() -> bool:
    """True when ``CNNLIB_OFFLINE`` is set (to anything but ``0``): never download."""
    return os.environ.get("CNNLIB_OFFLINE", "").strip() not in ("", "0")


def local_folders():
    """The folders searched after ``CNNLIB_DATA``, in order, each with a label for messages.

    Yields
    ------
    (folder, label) : (pathlib.Path, str)
    """
    if IN_CHECKOUT:
        yield SHARED_DATA, "../shared/data"
    yield LOCAL_DATA, "the data folder" if not IN_CHECKOUT else "the repository's data/ folder"


# --------------------------------------------------------------------------- checking files
def md5(path: pathlib.Path) -> str:
    """The md5 sum of the file ``path``, as 32 hexadecimal digits, read 1 MB at a time."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_md5_once(path: pathlib.Path, expected: str | None, repair: str) -> None:
    """Check ``path`` against its published md5 sum, once per size and mtime.

    Parameters
    ----------
    path : pathlib.Path
    expected : str or None
        The published sum; None: nothing to check.
    repair : str
        What to do about a damaged file, the end of the error message.

    Raises
    ------
    DataCorruptError
        The file's md5 sum is not ``expected``; the message names the file.
    """
    if expected is None:
        return
    stat = path.stat()
    key, stamp = str(path.resolve()), [stat.st_size, stat.st_mtime_ns, expected]
    cache_file = LOCAL_DATA / "verified-md5.json"
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    if cache.get(key) == stamp:
        return
    actual = md5(path)
    if actual != expected:
        raise DataCorruptError(
            f"{path} has md5 {actual}, but the published file has {expected}: it is damaged, "
            f"incomplete, or another file under the same name; {repair}")
    cache[key] = stamp
    try:
        atomic_write(cache_file, json.dumps(cache, indent=1).encode())
    except OSError:
        pass  # a read-only data folder: verify again next time


# --------------------------------------------------------------------------- writing files
def atomic_write(path: pathlib.Path, content: bytes) -> None:
    """Write a file so that readers see either the old or the whole new content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise


def remove_stale_parts(folder: pathlib.Path) -> None:
    """Delete the ``.part`` files a killed unpack left in ``folder``."""
    now = time.time()
    for part in folder.glob("*.part"):
        try:
            if now - part.stat().st_mtime > STALE_PART_SECONDS:
                part.unlink()
        except OSError:
            pass    # gone already, or not ours to delete: the unpack goes on either way


# --------------------------------------------------------------------------- the network
def reachable(urls, seconds: float, file: str = "") -> list:
    """The mirrors that answer an HTTP request within ``seconds``, in the given order.

    A TCP connection is not enough: a server (or a captive portal, or a firewall) may
    accept it and never answer, and the download would then wait for its read timeout
    on every file.  So each mirror (a folder URL) is asked for the head of ``file``
    in it (by default the folder URL itself), and counts only if an HTTP
    answer (2xx or 3xx) arrives before the deadline.  All mirrors are tried at once,
    each in a thread, so that a name lookup that hangs (lookups ignore socket
    timeouts) cannot hold the caller longer than ``seconds``.
    """
    answered = set()
    deadline = time.monotonic() + seconds

    def attempt(url):
        parts = urllib.parse.urlsplit(url)
        secure = parts.scheme == "https"
        kind = http.client.HTTPSConnection if secure else http.client.HTTPConnection
        connection = kind(parts.hostname, parts.port, timeout=seconds)
        try:
            connection.request("HEAD", parts.path + file)
            if connection.getresponse().status < 400 and time.monotonic() < deadline:
                answered.add(url)
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection.close()

    workers = [threading.Thread(target=attempt, args=(u,), daemon=True) for u in urls]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    return [u for u in urls if u in answered]


@contextlib.contextmanager
def read_timeout(seconds: float):
    """Within the block, a socket waits at most ``seconds`` for data; restored after.

    The timeout is process-wide because torchvision's downloader opens its own
    connections, and urllib waits forever on a stalled transfer.
    """
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)
