"""CIFAR-10: colour photographs, 32x32, of 10 classes (Krizhevsky, 2009).

50,000 training and 10,000 test images, read from the Python version of the data set
(``cifar-10-batches-py/``, torchvision's layout) when it is on this computer, else
downloaded with torchvision's downloader (170 MB, md5-checked). No subset is shipped,
so the offline lessons use Fashion-MNIST instead and say so.
"""
from __future__ import annotations

import os
import pathlib
import urllib.parse

import numpy as np

from . import store
from .store import DataCorruptError, DataNotFoundError
__all__ = ["CIFAR10_CLASSES", "CIFAR10_FOLDER", "CIFAR10_URL", "CIFAR10_MD5", "read_cifar_batch",
           "cifar10", "cifar10_arrays"]

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
        folders = [folder for folder, _ in store.local_folders()]
    for folder in folders:
        if _has_cifar10(folder):
            return folder
    target = folders[0] if root is not None or os.environ.get("CNNLIB_DATA") else store.LOCAL_DATA
    offline = store.offline()
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
    folder, archive = CIFAR10_URL.rsplit("/", 1)
    if not store.reachable([folder + "/"], store.CONNECT_SECONDS, archive):
        raise DataNotFoundError(
            f"CIFAR-10 is not on this computer and could not be downloaded (no connection to "
            f"{host} within {store.CONNECT_SECONDS:.0f} s). Check the internet connection, or "
            f"unpack cifar-10-python.tar.gz into {root}. The offline lessons use Fashion-MNIST "
            f"instead.")
    from torchvision import datasets

    root.mkdir(parents=True, exist_ok=True)
    try:
        with store.read_timeout(store.READ_SECONDS):
            datasets.CIFAR10(root, train=True, download=True)
    except Exception as err:  # urllib, socket, http and md5 errors differ by platform
        raise DataNotFoundError(
            f"CIFAR-10 could not be downloaded ({type(err).__name__}: {err}). Check the "
            f"internet connection, or unpack cifar-10-python.tar.gz into {root}.") from None


def _cifar10_files(root: pathlib.Path, train: bool) -> list:
    """The batch files of one split, each checked against its published md5 sum."""
    paths = [root / CIFAR10_FOLDER / f for f in _CIFAR10_FILES[bool(train)]]
    for path in paths:
        expected, actual = CIFAR10_MD5.get(path.name), store.md5(path)
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

