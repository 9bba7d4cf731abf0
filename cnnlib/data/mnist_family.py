"""MNIST and Fashion-MNIST: found, downloaded, md5-checked, or the shipped subsets.

Every notebook asks for its data here, so the search for the files lives in one
place.  The first place that holds the full data set wins:

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

A data folder is laid out the way torchvision expects it: ``<root>/MNIST/raw/``
holding the four IDX files (``train-images-idx3-ubyte`` ..., plain or ``.gz``; the
format is read in :mod:`cnnlib.data.idx`).  Every file read is checked against the
md5 sum published for it (torchvision's for the originals, ``cnnlib/subsets/MD5SUMS``
for the subsets) the first time it is used.  The folders, the md5 check and the
network timeouts are shared with the other data sets (:mod:`cnnlib.data.store`).
"""
from __future__ import annotations

import gzip
import hashlib
import os
import pathlib
import shutil
import tempfile
import urllib.parse

import numpy as np

from . import store
from .idx import REPAIR, read_idx
from .store import DataCorruptError, DataNotFoundError

__all__ = [
    "MNIST_CLASSES", "FASHION_MNIST_CLASSES", "DATASETS", "SUBSETS", "KNOWN_MD5", "MIRRORS",
    "find_data_root", "has_full", "data_source", "using_subset", "download",
    "mnist", "fashion_mnist", "mnist_arrays", "fashion_mnist_arrays",
]

SUBSETS = store.PACKAGE / "subsets"
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


# --------------------------------------------------------------------------- checking files
def _file(raw: pathlib.Path, stem: str) -> pathlib.Path | None:
    """The plain IDX file if present, else its ``.gz``, else None."""
    for path in (raw / stem, raw / (stem + ".gz")):
        if path.exists():
            return path
    return None


def has_full(root, name: str) -> bool:
    """True when ``root`` holds the four IDX files of the full data set ``name``."""
    raw = pathlib.Path(root) / name / "raw"
    return all(_file(raw, f) is not None for files in _FILES.values() for f in files)


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


def _verify(path: pathlib.Path, name: str) -> None:
    """Check ``path`` against its published md5 sum, once per size and mtime."""
    store.check_md5_once(path, _expected_md5(path, name), REPAIR)


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
    if not has_full(folder, name):
        raise DataNotFoundError(
            f"the environment variable CNNLIB_DATA={env!r} names a folder without {name}: "
            f"expected its four IDX files in {folder / name / 'raw'}. Correct the path, or "
            f"unset CNNLIB_DATA to let the course find or download the data itself.")
    return folder


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
        if has_full(root, name):
            return root
        raise DataNotFoundError(
            f"{name} is not in root={str(root)!r}: expected the four IDX files in "
            f"{root / name / 'raw'}. Pass download=True to fetch it there (needs internet), "
            f"copy the files there, or leave root unset to use the course's search order.")
    env = _env_root(name)
    if env is not None:
        return env
    for folder, _ in store.local_folders():
        if has_full(folder, name):
            return folder
    raise DataNotFoundError(
        f"{name} was not found in ../shared/data or {store.LOCAL_DATA}. Run "
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
    if store.offline():
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
        if download and not has_full(root, name):
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
            _download(name, store.LOCAL_DATA)
            return store.LOCAL_DATA, False
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
    return dict((f, label) for f, label in store.local_folders()).get(folder, str(folder))


# --------------------------------------------------------------------------- downloading
def _download(name: str, root: pathlib.Path) -> None:
    """Fetch ``name`` into ``root`` with torchvision, giving up quickly without a network."""
    mirrors = store.reachable(MIRRORS[name], store.CONNECT_SECONDS, _FILES[True][0] + ".gz")
    if not mirrors:
        hosts = ", ".join(urllib.parse.urlsplit(m).hostname for m in MIRRORS[name])
        raise DataNotFoundError(
            f"{name} is not on this computer and could not be downloaded (no answer from "
            f"{hosts} within {store.CONNECT_SECONDS:.0f} s). Check the internet connection and run "
            f"`python -m cnnlib.data download`, or copy the four IDX files of {name} into "
            f"{root / name / 'raw'}, or set CNNLIB_DATA to a folder holding them.")
    from torchvision import datasets

    cls = getattr(datasets, name)
    root.mkdir(parents=True, exist_ok=True)
    try:
        with store.read_timeout(store.READ_SECONDS):
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


def download(root=None) -> pathlib.Path:
    """Download MNIST and Fashion-MNIST with torchvision (into the data folder by default).

    Returns the folder. Raises ``DataNotFoundError`` when there is no network.
    """
    root = pathlib.Path(root).expanduser() if root is not None else store.LOCAL_DATA
    for name in DATASETS:
        if not has_full(root, name):
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
    caches = (store.LOCAL_DATA / "unpacked", pathlib.Path(tempfile.gettempdir()) / "cnnlib-data")
    for cache in caches:
        out = cache / f"{name}-{stamp}"
        try:
            raw_out = out / name / "raw"
            raw_out.mkdir(parents=True, exist_ok=True)
            store.remove_stale_parts(raw_out)
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


