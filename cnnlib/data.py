"""Data sets for the course: MNIST and Fashion-MNIST, online or offline.

Every notebook asks this module for its data, so the search for the files lives
in one place.  The first place that holds the full data set wins:

1. ``root=`` given to the function (then only that folder is searched);
2. the folder named by the environment variable ``CNNLIB_DATA`` (an error if the
   data set is not there: a wrong path is never ignored silently);
3. ``../shared/data`` next to the repository (the course's development setup);
4. the data folder (``data/`` in the repository, or ``~/.cache/cnnlib`` when
   cnnlib is installed as a package), where downloads go;
5. a download into that folder with torchvision's own downloader (md5-checked,
   with a progress bar), tried once per process and given up within a few
   seconds when there is no network;
6. the small subsets that travel with the package (``cnnlib/subsets``: 600
   training and 100 test images per class), with one message per data set
   saying what will differ.

Set ``CNNLIB_OFFLINE=1`` to skip step 5 (slow connections; the test suite).

A data folder is laid out the way torchvision expects it: ``<root>/MNIST/raw/``
holding the four IDX files (``train-images-idx3-ubyte`` ..., plain or ``.gz``).
Every file read is checked against the md5 sum published for it (torchvision's
for the originals, ``cnnlib/subsets/MD5SUMS`` for the subsets) the first time it
is used; the result is remembered by file size and modification time.

Two views of the same files:

* ``mnist()`` / ``fashion_mnist()`` return ``torchvision.datasets`` objects for
  the PyTorch parts of the course;
* ``mnist_arrays()`` / ``fashion_mnist_arrays()`` return NumPy arrays, images
  ``(N, 1, 28, 28)`` float32 in [0, 1] and labels ``(N,)`` int64, for the NumPy
  parts.  They need neither torch nor torchvision.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import pathlib
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.parse
import zlib

import numpy as np

__all__ = [
    "DataNotFoundError",
    "DataCorruptError",
    "MNIST_CLASSES",
    "FASHION_MNIST_CLASSES",
    "find_data_root",
    "data_source",
    "using_subset",
    "read_idx",
    "write_idx",
    "mnist",
    "fashion_mnist",
    "mnist_arrays",
    "fashion_mnist_arrays",
    "download",
]

PACKAGE = pathlib.Path(__file__).resolve().parent
SUBSETS = PACKAGE / "subsets"
REPO = PACKAGE.parent
# A source checkout (a clone, Binder) keeps its data beside the code; an installed
# package (pip install, Colab) keeps it in the user's cache folder.
IN_CHECKOUT = (REPO / "pyproject.toml").exists()
SHARED_DATA = REPO.parent / "shared" / "data"
LOCAL_DATA = (REPO / "data" if IN_CHECKOUT else
              pathlib.Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "cnnlib")
DATASETS = ("MNIST", "FashionMNIST")

MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# md5 sums of the original files. The .gz sums are the ones torchvision publishes
# in `torchvision.datasets.MNIST.resources` / `FashionMNIST.resources` (a test checks
# they agree); the plain sums are those of the same files unpacked.
KNOWN_MD5 = {
    "MNIST": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    "FashionMNIST": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}

# Where torchvision downloads each data set from (its `MNIST.mirrors` and
# `FashionMNIST.mirrors`; a test checks they agree). Known here so that a computer
# without a network finds out before it spends seconds importing torchvision.
MIRRORS = {
    "MNIST": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
              "http://yann.lecun.com/exdb/mnist/"],
    "FashionMNIST": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
}

# How long a download may wait for the first answer of a server (an HTTP answer, not
# just a connection). Without a network, or with a server that accepts connections and
# never answers, the fallback to the subset takes at most this long, once per process.
CONNECT_SECONDS = 5.0
READ_SECONDS = 30.0


class DataNotFoundError(FileNotFoundError):
    """The data set is in none of the places searched; the message says what to do."""


class DataCorruptError(ValueError):
    """A data file is damaged or is not the file it claims to be; the message names it."""


# --------------------------------------------------------------------------- IDX files
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
        raise DataCorruptError(f"{path} is damaged ({err}); {_REPAIR}") from None
    if len(raw) < 4:
        raise DataCorruptError(f"{path} holds {len(raw)} bytes, too few for an IDX header; "
                               f"{_REPAIR}")
    zero, dtype_code, ndim = raw[0:2], raw[2], raw[3]
    if zero != b"\x00\x00" or dtype_code != 0x08:
        raise DataCorruptError(
            f"{path} is not an IDX file of unsigned bytes (magic {raw[:4].hex()}); {_REPAIR}")
    if len(raw) < 4 + 4 * ndim:
        raise DataCorruptError(f"{path} ends inside its header; {_REPAIR}")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise DataCorruptError(
            f"{path} holds {data.size:,} bytes of data, its header says {shape} "
            f"({int(np.prod(shape)):,} bytes): the file is truncated or damaged; {_REPAIR}")
    return data.reshape(shape)


_REPAIR = ("delete it and run `python -m cnnlib.data download` (needs internet), "
           "or copy a good copy of the file in its place")


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


# --------------------------------------------------------------------------- checking files
def _file(raw: pathlib.Path, stem: str) -> pathlib.Path | None:
    """The plain IDX file if present, else its ``.gz``, else None."""
    for path in (raw / stem, raw / (stem + ".gz")):
        if path.exists():
            return path
    return None


def _has_full(root: pathlib.Path, name: str) -> bool:
    raw = pathlib.Path(root) / name / "raw"
    return all(_file(raw, f) is not None for files in _FILES.values() for f in files)


def _md5(path: pathlib.Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _expected_md5(path: pathlib.Path, name: str) -> str | None:
    if path.parent == SUBSETS / name / "raw":
        return _subset_md5().get(f"{name}/raw/{path.name}")
    return KNOWN_MD5[name].get(path.name)


def _subset_md5() -> dict:
    sums = {}
    listing = SUBSETS / "MD5SUMS"
    if listing.exists():
        for line in listing.read_text().splitlines():
            digest, _, rel = line.strip().partition("  ")
            sums[rel] = digest
    return sums


def _verified_cache() -> pathlib.Path:
    return LOCAL_DATA / "verified-md5.json"


def _verify(path: pathlib.Path, name: str) -> None:
    """Check ``path`` against its published md5 sum, once per size and mtime."""
    expected = _expected_md5(path, name)
    if expected is None:
        return
    stat = path.stat()
    key, stamp = str(path.resolve()), [stat.st_size, stat.st_mtime_ns, expected]
    cache_file = _verified_cache()
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    if cache.get(key) == stamp:
        return
    actual = _md5(path)
    if actual != expected:
        raise DataCorruptError(
            f"{path} has md5 {actual}, but the published file has {expected}: it is damaged, "
            f"incomplete, or another file under the same name; {_REPAIR}")
    cache[key] = stamp
    try:
        _atomic_write(cache_file, json.dumps(cache, indent=1).encode())
    except OSError:
        pass  # a read-only data folder: verify again next time


def _atomic_write(path: pathlib.Path, content: bytes) -> None:
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


# --------------------------------------------------------------------------- finding data
def _check_name(name: str) -> str:
    if name not in DATASETS:
        raise ValueError(f"name must be one of {DATASETS}, got {name!r}")
    return name


def _env_root(name: str) -> pathlib.Path | None:
    """The folder in ``CNNLIB_DATA``, which must hold ``name`` when it is set."""
    env = os.environ.get("CNNLIB_DATA")
    if not env:
        return None
    folder = pathlib.Path(env).expanduser()
    if not _has_full(folder, name):
        raise DataNotFoundError(
            f"the environment variable CNNLIB_DATA={env!r} names a folder without {name}: "
            f"expected its four IDX files in {folder / name / 'raw'}. Correct the path, or "
            f"unset CNNLIB_DATA to let the course find or download the data itself.")
    return folder


def _local_folders():
    """The folders searched after ``CNNLIB_DATA``, in order, with a label."""
    if IN_CHECKOUT:
        yield SHARED_DATA, "../shared/data"
    yield LOCAL_DATA, "the data folder" if not IN_CHECKOUT else "the repository's data/ folder"


def find_data_root(name: str = "MNIST", root=None) -> pathlib.Path:
    """The folder holding the full data set ``name`` on this computer.

    Looks in ``root`` only when given, else in ``CNNLIB_DATA``, ``../shared/data``
    and the data folder. Never downloads.

    Parameters
    ----------
    name : "MNIST" or "FashionMNIST"
    root : path, optional
        Search only here.

    Raises
    ------
    DataNotFoundError
        With what to do.
    """
    _check_name(name)
    if root is not None:
        root = pathlib.Path(root).expanduser()
        if _has_full(root, name):
            return root
        raise DataNotFoundError(
            f"{name} is not in root={str(root)!r}: expected the four IDX files in "
            f"{root / name / 'raw'}. Pass download=True to fetch it there (needs internet), "
            f"copy the files there, or leave root unset to use the course's search order.")
    env = _env_root(name)
    if env is not None:
        return env
    for folder, _ in _local_folders():
        if _has_full(folder, name):
            return folder
    raise DataNotFoundError(
        f"{name} was not found in ../shared/data or {LOCAL_DATA}. Run "
        f"`python -m cnnlib.data download` once (needs internet) or set CNNLIB_DATA to a "
        f"folder that holds {name}/raw/.")


# What this process has learnt: why a download failed (it is not tried again), and
# which subsets are in use (each is announced once).
_download_failure: str | None = None
_subset_in_use: set = set()


def _subset_reason(download) -> str | None:
    """Why the subset is used when the full set is not on this computer; None: try to download."""
    if download is False:
        return "download=False was passed"
    if os.environ.get("CNNLIB_OFFLINE", "").strip() not in ("", "0"):
        return "CNNLIB_OFFLINE is set"
    return _download_failure


def _locate(name: str, root, download) -> tuple[pathlib.Path, bool]:
    """``(folder, is_subset)`` for the data set, downloading into the data folder if needed.

    ``download`` is True (must download if missing), False (never) or None (try once,
    fall back to the subset).
    """
    global _download_failure
    if root is not None:
        root = pathlib.Path(root).expanduser()
        if download and not _has_full(root, name):
            _download(name, root)
        return find_data_root(name, root), False
    try:
        return find_data_root(name), False
    except DataNotFoundError:
        if os.environ.get("CNNLIB_DATA"):
            raise
    reason = None if download else _subset_reason(download)
    if reason is None:
        try:
            _download(name, LOCAL_DATA)
            return LOCAL_DATA, False
        except DataNotFoundError:
            if download:
                raise
            reason = "the full set is not on this computer and could not be downloaded"
            _download_failure = reason
    _announce_subset(name, reason)
    return SUBSETS, True


def _announce_subset(name: str, reason: str) -> None:
    """Say once per process and data set that the subset is in use, and what that changes."""
    if name in _subset_in_use:
        return
    _subset_in_use.add(name)
    print(f"cnnlib.data: using the small {name} subset that comes with the course (6,000 "
          f"training and 1,000 test images instead of 60,000 and 10,000) because {reason}. "
          f"Everything runs, faster; accuracies come out a few points lower than the text "
          f"quotes for the full set. With internet, `python -m cnnlib.data download` "
          f"fetches the full set once.", flush=True)


def using_subset(name: str = "MNIST") -> bool:
    """True when this process reads the shipped subset of ``name`` (after its first use)."""
    return _check_name(name) in _subset_in_use


def data_source(name: str = "MNIST", root=None) -> str:
    """Say in words where ``name`` is read from (shown in the welcome notebook).

    Finds the data as the loaders do, so it may download it or fall back to the subset.
    """
    _check_name(name)
    if root is not None:
        return f"root={root}"
    folder, is_subset = _locate(name, None, None)
    if is_subset:
        return "the subset that comes with cnnlib (600 train + 100 test images per class)"
    if os.environ.get("CNNLIB_DATA"):
        return "the folder in CNNLIB_DATA"
    return dict((f, label) for f, label in _local_folders()).get(folder, str(folder))


# --------------------------------------------------------------------------- downloading
def _reachable(urls, seconds: float) -> list:
    """The mirrors that answer an HTTP request within ``seconds``, in the given order.

    A TCP connection is not enough: a server (or a captive portal, or a firewall) may
    accept it and never answer, and the download would then wait for its read timeout
    on every file.  So each mirror is asked for the head of the first file the download
    fetches, and counts only if an HTTP answer (2xx or 3xx) arrives before the deadline.
    All mirrors are tried at once, each in a thread, so that a name lookup that hangs
    (lookups ignore socket timeouts) cannot hold the caller longer than ``seconds``.
    """
    answered = set()
    deadline = time.monotonic() + seconds

    def attempt(url):
        parts = urllib.parse.urlsplit(url)
        secure = parts.scheme == "https"
        kind = http.client.HTTPSConnection if secure else http.client.HTTPConnection
        connection = kind(parts.hostname, parts.port, timeout=seconds)
        try:
            connection.request("HEAD", parts.path + _FILES[True][0] + ".gz")
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


def _download(name: str, root: pathlib.Path) -> None:
    """Fetch ``name`` into ``root`` with torchvision, giving up quickly without a network."""
    mirrors = _reachable(MIRRORS[name], CONNECT_SECONDS)
    if not mirrors:
        hosts = ", ".join(urllib.parse.urlsplit(m).hostname for m in MIRRORS[name])
        raise DataNotFoundError(
            f"{name} is not on this computer and could not be downloaded (no answer from "
            f"{hosts} within {CONNECT_SECONDS:.0f} s). Check the internet connection and run "
            f"`python -m cnnlib.data download`, or copy the four IDX files of {name} into "
            f"{root / name / 'raw'}, or set CNNLIB_DATA to a folder holding them.")
    from torchvision import datasets

    cls = getattr(datasets, name)
    root.mkdir(parents=True, exist_ok=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(READ_SECONDS)   # urllib waits forever on a stalled transfer
    try:
        original = cls.mirrors
        cls.mirrors = mirrors
        try:
            for train in (True, False):
                cls(root, train=train, download=True)
        finally:
            cls.mirrors = original
    except Exception as err:  # urllib, socket, http and md5 errors differ by platform
        raise DataNotFoundError(
            f"{name} is not on this computer and could not be downloaded "
            f"({type(err).__name__}: {err}). Check the internet connection and run "
            f"`python -m cnnlib.data download`, or copy the four IDX files of {name} into "
            f"{root / name / 'raw'}, or set CNNLIB_DATA to a folder holding them.") from None
    finally:
        socket.setdefaulttimeout(previous)


def download(root=None) -> pathlib.Path:
    """Download MNIST and Fashion-MNIST with torchvision (into the data folder by default).

    Returns the folder. Raises ``DataNotFoundError`` when there is no network.
    """
    root = pathlib.Path(root).expanduser() if root is not None else LOCAL_DATA
    for name in DATASETS:
        if not _has_full(root, name):
            _download(name, root)
    return root


# --------------------------------------------------------------------------- reading
def _files_in_use(folder: pathlib.Path, name: str, train) -> list[pathlib.Path]:
    """The image and label files of one split (plain or .gz), each checked against its md5."""
    raw = folder / name / "raw"
    splits = _FILES.values() if train is None else [_FILES[bool(train)]]
    paths = [_file(raw, f) for files in splits for f in files]
    for path in paths:
        _verify(path, name)
    return paths


# A .part file untouched this long belongs to an unpack that was killed (an unpack
# writes a few MB in well under a second); a younger one may be another process's.
STALE_PART_SECONDS = 60.0


def _remove_stale_parts(folder: pathlib.Path) -> None:
    """Delete the ``.part`` files a killed unpack left in ``folder``."""
    now = time.time()
    for part in folder.glob("*.part"):
        try:
            if now - part.stat().st_mtime > STALE_PART_SECONDS:
                part.unlink()
        except OSError:
            pass    # gone already, or not ours to delete: the unpack goes on either way


def _unpacked_root(folder: pathlib.Path, name: str) -> pathlib.Path:
    """A root whose ``<name>/raw`` holds all four plain IDX files, which torchvision needs.

    A folder that holds only ``.gz`` files (the subset) is unpacked once into the data
    folder (or the temporary folder when that is read-only). The copy is keyed by the
    source folder and its files' sizes and times, so two sources never share a copy,
    and each file appears under its final name only once complete.
    """
    paths = _files_in_use(folder, name, None)
    if all(p.suffix != ".gz" for p in paths):
        return folder
    stamp = hashlib.sha1(repr([(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns)
                               for p in paths]).encode()).hexdigest()[:12]
    errors = []
    for cache in (LOCAL_DATA / "unpacked", pathlib.Path(tempfile.gettempdir()) / "cnnlib-data"):
        out = cache / f"{name}-{stamp}"
        try:
            raw_out = out / name / "raw"
            raw_out.mkdir(parents=True, exist_ok=True)
            _remove_stale_parts(raw_out)
            for src in paths:
                target = raw_out / src.name.removesuffix(".gz")
                if target.exists():
                    continue
                opener = gzip.open if src.suffix == ".gz" else open
                fd, tmp = tempfile.mkstemp(dir=raw_out, prefix=target.name + ".", suffix=".part")
                try:
                    with opener(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
                        shutil.copyfileobj(fin, fout)
                    os.replace(tmp, target)
                finally:
                    pathlib.Path(tmp).unlink(missing_ok=True)
            return out
        except OSError as err:
            errors.append(f"{cache}: {err}")
    raise OSError(f"cannot unpack {name}: no writable folder ({'; '.join(errors)})")


def _dataset(name, train, root, transform, target_transform, download):
    from torchvision import datasets, transforms

    folder, _ = _locate(name, root, download)
    if transform is None:
        transform = transforms.ToTensor()
    return getattr(datasets, name)(
        _unpacked_root(folder, name), train=train, download=False,
        transform=transform, target_transform=target_transform,
    )


def mnist(train: bool = True, root=None, transform=None, target_transform=None,
          download: bool | None = None):
    """MNIST as a ``torchvision.datasets.MNIST``.

    Parameters
    ----------
    train : bool
        The training split (60,000 images; 6,000 in the subset), else the test split
        (10,000; 1,000 in the subset).
    root : path, optional
        Read only from this folder (see the module docstring for the search order).
    transform : callable, optional
        Applied to each PIL image; default ``ToTensor()``, giving ``(1, 28, 28)``
        float32 tensors in [0, 1].
    download : bool or None
        None (default): download into the data folder when the data set is nowhere on
        this computer, and use the shipped subset if that fails. True: download or
        raise. False: never download.

    Returns
    -------
    torchvision.datasets.MNIST, items ``(image (1, 28, 28), label int)``.
    """
    return _dataset("MNIST", train, root, transform, target_transform, download)


def fashion_mnist(train: bool = True, root=None, transform=None, target_transform=None,
                  download: bool | None = None):
    """Fashion-MNIST as a ``torchvision.datasets.FashionMNIST``; arguments as in :func:`mnist`."""
    return _dataset("FashionMNIST", train, root, transform, target_transform, download)


def _arrays(name, train, root, download):
    folder, _ = _locate(name, root, download)
    image_file, label_file = _files_in_use(folder, name, train)
    images, labels = read_idx(image_file), read_idx(label_file)
    if len(images) != len(labels):
        raise DataCorruptError(f"{image_file} holds {len(images)} images but {label_file} "
                               f"{len(labels)} labels")
    images = images.astype(np.float32)[:, None, :, :]
    images /= 255.0  # in place: one float copy of the data set, not two
    return images, labels.astype(np.int64)


def mnist_arrays(train: bool = True, root=None, download: bool | None = None):
    """MNIST as NumPy arrays; the search for the data as in :func:`mnist`.

    Returns
    -------
    images : ndarray, shape (N, 1, 28, 28), float32 in [0, 1]
    labels : ndarray, shape (N,), int64 in 0..9

    Examples
    --------
    >>> x, y = mnist_arrays(train=False)   # doctest: +SKIP
    >>> x.shape, y.shape                    # doctest: +SKIP
    ((10000, 1, 28, 28), (10000,))
    """
    return _arrays("MNIST", train, root, download)


def fashion_mnist_arrays(train: bool = True, root=None, download: bool | None = None):
    """Fashion-MNIST as NumPy arrays; shapes and types as in :func:`mnist_arrays`."""
    return _arrays("FashionMNIST", train, root, download)


# --------------------------------------------------------------------------- CIFAR-10
# Colour photographs, 32x32, 10 classes (Krizhevsky 2009): 50,000 training and 10,000
# test images. Read only when on this computer or downloadable: no subset is shipped,
# so the offline lessons use Fashion-MNIST instead and say so.
__all__ += ["CIFAR10_CLASSES", "read_cifar_batch", "cifar10", "cifar10_arrays"]

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
CIFAR10_FOLDER = "cifar-10-batches-py"      # torchvision's layout: <root>/cifar-10-batches-py/
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
# The sums torchvision publishes (`torchvision.datasets.CIFAR10.train_list`, `test_list`,
# `tgz_md5`; a test checks they agree).
CIFAR10_MD5 = {
    "cifar-10-python.tar.gz": "c58f30108f718f92721af3b95e74349a",
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
}
_CIFAR10_FILES = {True: tuple(f"data_batch_{i}" for i in range(1, 6)), False: ("test_batch",)}


def read_cifar_batch(path):
    """Read one batch file of CIFAR-10's Python version (a pickled dict).

    Each file holds ``"data"``, a ``(N, 3072)`` array of bytes, one row per image:
    1024 red values, then 1024 green, then 1024 blue, each a 32x32 image in row-major
    order, and ``"labels"``, a list of ``N`` ints in 0..9. The files were written by
    Python 2, whose strings Python 3 reads with ``encoding="latin1"``.

    Unpickling runs code stored in the file: read only files whose md5 sum is the
    published one (:func:`cifar10_arrays` checks it first).

    Returns
    -------
    images : ndarray, ``(N, 3, 32, 32)`` uint8
    labels : ndarray, ``(N,)`` int64

    Raises
    ------
    DataCorruptError
        The file is not a CIFAR batch; the message names it.
    """
    import pickle

    path = pathlib.Path(path)
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="latin1")
        data, labels = np.asarray(batch["data"]), np.asarray(batch["labels"], dtype=np.int64)
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as err:
        raise DataCorruptError(f"{path} is not a CIFAR-10 batch file ({type(err).__name__}: "
                               f"{err}); {_CIFAR_REPAIR}") from None
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise DataCorruptError(f"{path} holds data of shape {data.shape} and dtype {data.dtype}, "
                               f"not (N, 3072) bytes; {_CIFAR_REPAIR}")
    if labels.shape != (len(data),) or (labels.size and (labels.min() < 0 or labels.max() > 9)):
        raise DataCorruptError(f"{path} holds {len(data)} images but labels of shape "
                               f"{labels.shape} (values must be 0..9); {_CIFAR_REPAIR}")
    return data.reshape(-1, 3, 32, 32), labels


_CIFAR_REPAIR = ("delete the folder and download CIFAR-10 again with cnnlib.cifar10_arrays("
                 "download=True) (needs internet)")


def _has_cifar10(root) -> bool:
    folder = pathlib.Path(root) / CIFAR10_FOLDER
    return all((folder / f).exists() for files in _CIFAR10_FILES.values() for f in files)


def _cifar10_root(root, download) -> pathlib.Path:
    """The folder holding ``cifar-10-batches-py/``, downloading it when allowed and needed."""
    if root is not None:
        folders = [pathlib.Path(root).expanduser()]
    elif os.environ.get("CNNLIB_DATA"):
        folders = [pathlib.Path(os.environ["CNNLIB_DATA"]).expanduser()]
    else:
        folders = [folder for folder, _ in _local_folders()]
    for folder in folders:
        if _has_cifar10(folder):
            return folder
    target = folders[0] if root is not None or os.environ.get("CNNLIB_DATA") else LOCAL_DATA
    offline = os.environ.get("CNNLIB_OFFLINE", "").strip() not in ("", "0")
    where = " or ".join(str(f / CIFAR10_FOLDER) for f in folders)
    if download is False or (offline and not download):
        why = "download=False was passed" if download is False else "CNNLIB_OFFLINE is set"
        raise DataNotFoundError(
            f"CIFAR-10 is not in {where}, and {why}. With internet, call "
            f"cifar10_arrays(download=True) once (170 MB), or unpack cifar-10-python.tar.gz "
            f"into one of those folders. The offline lessons use Fashion-MNIST instead.")
    _download_cifar10(target)
    return target


def _download_cifar10(root: pathlib.Path) -> None:
    """Fetch and unpack CIFAR-10 into ``root`` with torchvision (it checks the archive's md5)."""
    host = urllib.parse.urlsplit(CIFAR10_URL).hostname
    if not _reachable([CIFAR10_URL], CONNECT_SECONDS):
        raise DataNotFoundError(
            f"CIFAR-10 is not on this computer and could not be downloaded (no connection to "
            f"{host} within {CONNECT_SECONDS:.0f} s). Check the internet connection, or unpack "
            f"cifar-10-python.tar.gz into {root}. The offline lessons use Fashion-MNIST instead.")
    from torchvision import datasets

    root.mkdir(parents=True, exist_ok=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(READ_SECONDS)
    try:
        datasets.CIFAR10(root, train=True, download=True)
    except Exception as err:  # urllib, socket, http and md5 errors differ by platform
        raise DataNotFoundError(
            f"CIFAR-10 could not be downloaded ({type(err).__name__}: {err}). Check the "
            f"internet connection, or unpack cifar-10-python.tar.gz into {root}.") from None
    finally:
        socket.setdefaulttimeout(previous)


def _cifar10_files(root: pathlib.Path, train: bool) -> list:
    """The batch files of one split, each checked against its published md5 sum."""
    paths = [root / CIFAR10_FOLDER / f for f in _CIFAR10_FILES[bool(train)]]
    for path in paths:
        expected, actual = CIFAR10_MD5.get(path.name), _md5(path)
        if expected is not None and actual != expected:
            raise DataCorruptError(f"{path} has md5 {actual}, but the published file has "
                                   f"{expected}: it is damaged or incomplete; {_CIFAR_REPAIR}")
    return paths


def cifar10_arrays(train: bool = True, root=None, download: bool | None = None):
    """CIFAR-10 as NumPy arrays: 32x32 colour photographs of 10 classes.

    Searched in ``root`` when given, else in ``CNNLIB_DATA``, ``../shared/data`` and the
    data folder (each holding ``cifar-10-batches-py/``, torchvision's layout), then
    downloaded with torchvision's downloader (170 MB, md5-checked) unless
    ``download=False`` or ``CNNLIB_OFFLINE`` is set. There is no offline subset.

    Parameters
    ----------
    train : bool
        The 50,000 training images, else the 10,000 test images.
    root : path, optional
    download : bool or None
        None: download when missing, unless ``CNNLIB_OFFLINE`` is set. True: download
        when missing even then. False: never.

    Returns
    -------
    images : ndarray, ``(N, 3, 32, 32)`` float32 in [0, 1], channels red, green, blue
    labels : ndarray, ``(N,)`` int64 in 0..9 (names in ``CIFAR10_CLASSES``)

    Raises
    ------
    DataNotFoundError
        Not on this computer and not downloadable; the message says what to do.
    DataCorruptError
        A file's md5 sum is not the published one.
    """
    folder = _cifar10_root(root, download)
    parts = [read_cifar_batch(p) for p in _cifar10_files(folder, train)]
    images = np.concatenate([p[0] for p in parts]).astype(np.float32)
    images /= 255.0
    return images, np.concatenate([p[1] for p in parts])


def cifar10(train: bool = True, root=None, transform=None, target_transform=None,
            download: bool | None = None):
    """CIFAR-10 as a ``torchvision.datasets.CIFAR10``; the search as in :func:`cifar10_arrays`.

    Items are ``(image (3, 32, 32) float32 in [0, 1], label int)`` with the default
    ``transform`` (``ToTensor()``).
    """
    from torchvision import datasets, transforms

    folder = _cifar10_root(root, download)
    _cifar10_files(folder, train)
    return datasets.CIFAR10(folder, train=train, download=False,
                            transform=transform or transforms.ToTensor(),
                            target_transform=target_transform)


if __name__ == "__main__":
    if sys.argv[1:] != ["download"]:
        sys.exit("usage: python -m cnnlib.data download")
    try:
        print(f"MNIST and Fashion-MNIST are in {download()}")
    except DataNotFoundError as err:
        sys.exit(f"error: {err}")
