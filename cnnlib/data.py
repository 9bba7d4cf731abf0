"""Data sets for the course: MNIST and Fashion-MNIST, online or offline.

Every notebook asks this module for its data, so the search for the files lives
in one place.  The first folder that holds the data set wins:

1. ``root=`` given to the function (then only that folder is searched);
2. the folder named by the environment variable ``CNNLIB_DATA``;
3. ``../shared/data`` next to the repository (the course's development setup);
4. the repository's own ``data/`` folder, where ``download=True`` (or
   ``python -m cnnlib.data download``) puts torchvision's normal download;
5. a small subset shipped in ``assets/subsets`` (600 training and 100 test images
   per class), with a warning saying how to get the full set.

A data folder is laid out the way torchvision expects it: ``<root>/MNIST/raw/``
holding the four IDX files (``train-images-idx3-ubyte`` ...).

Two views of the same files:

* ``mnist()`` / ``fashion_mnist()`` return ``torchvision.datasets`` objects for
  the PyTorch parts of the course;
* ``mnist_arrays()`` / ``fashion_mnist_arrays()`` return NumPy arrays, images
  ``(N, 1, 28, 28)`` float32 in [0, 1] and labels ``(N,)`` int64, for the NumPy
  parts.  They need neither torch nor torchvision.
"""
from __future__ import annotations

import gzip
import os
import pathlib
import shutil
import sys
import tempfile
import warnings

import numpy as np

__all__ = [
    "DataNotFoundError",
    "SubsetWarning",
    "MNIST_CLASSES",
    "FASHION_MNIST_CLASSES",
    "find_data_root",
    "data_source",
    "read_idx",
    "write_idx",
    "mnist",
    "fashion_mnist",
    "mnist_arrays",
    "fashion_mnist_arrays",
    "download",
]

REPO = pathlib.Path(__file__).resolve().parent.parent
SUBSETS = REPO / "assets" / "subsets"
SHARED_DATA = REPO.parent / "shared" / "data"
LOCAL_DATA = REPO / "data"
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


class DataNotFoundError(FileNotFoundError):
    """The data set is in none of the places searched; the message says what to do."""


class SubsetWarning(UserWarning):
    """The full data set was not found and the small shipped subset is used instead."""


# --------------------------------------------------------------------------- IDX files
def read_idx(path) -> np.ndarray:
    """Read an IDX file (the MNIST format), plain or gzip-compressed.

    The format is a 4-byte magic number (two zero bytes, a type code, the number
    of dimensions), one big-endian int32 per dimension, then the data in C order.

    Returns
    -------
    ndarray of uint8, shape as stored: ``(N, 28, 28)`` for images, ``(N,)`` for labels.
    """
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = raw[0:2], raw[2], raw[3]
    if zero != b"\x00\x00" or dtype_code != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (magic {raw[:4].hex()})")
    shape = np.frombuffer(raw, dtype=">i4", count=ndim, offset=4)
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path} holds {data.size} bytes of data, its header says {tuple(shape)}")
    return data.reshape(tuple(int(s) for s in shape))


def write_idx(path, array) -> None:
    """Write a uint8 array as an IDX file; gzip-compressed when ``path`` ends in ``.gz``."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">i4").tobytes()
    path = pathlib.Path(path)
    if path.suffix == ".gz":
        # mtime=0 makes the compressed bytes depend on the data alone.
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
            f.write(header + array.tobytes())
    else:
        path.write_bytes(header + array.tobytes())


# --------------------------------------------------------------------------- finding data
def _has_full(root: pathlib.Path, name: str) -> bool:
    raw = root / name / "raw"
    return all((raw / f).exists() or (raw / (f + ".gz")).exists()
               for files in _FILES.values() for f in files)


def _candidates():
    """The folders searched when no ``root=`` is given, in order, with a label."""
    env = os.environ.get("CNNLIB_DATA")
    if env:
        yield pathlib.Path(env).expanduser(), "CNNLIB_DATA"
    yield SHARED_DATA, "../shared/data"
    yield LOCAL_DATA, "the repository's data/ folder"


def _check_name(name: str) -> str:
    if name not in DATASETS:
        raise ValueError(f"name must be one of {DATASETS}, got {name!r}")
    return name


def find_data_root(name: str = "MNIST", root=None) -> pathlib.Path:
    """The folder holding the full data set ``name``, or raise ``DataNotFoundError``.

    Parameters
    ----------
    name : "MNIST" or "FashionMNIST"
    root : path, optional
        Search only here.
    """
    _check_name(name)
    if root is not None:
        root = pathlib.Path(root).expanduser()
        if _has_full(root, name):
            return root
        raise DataNotFoundError(
            f"{name} is not in root={str(root)!r}: expected the four IDX files in "
            f"{root / name / 'raw'}. Pass download=True to fetch it there (needs internet), "
            f"copy the files there, or leave root unset to use the course's search order."
        )
    for folder, _ in _candidates():
        if _has_full(folder, name):
            return folder
    raise DataNotFoundError(
        f"{name} was not found in CNNLIB_DATA, ../shared/data or the repository's data/ folder. "
        f"Run `python -m cnnlib.data download` once (needs internet) or set CNNLIB_DATA to a "
        f"folder that holds {name}/raw/."
    )


def data_source(name: str = "MNIST", root=None) -> str:
    """Say in words where ``name`` will be read from (shown in the welcome notebook)."""
    _check_name(name)
    if root is not None:
        return f"root={root}"
    for folder, label in _candidates():
        if _has_full(folder, name):
            return f"CNNLIB_DATA={folder}" if label == "CNNLIB_DATA" else label
    return "the shipped subset in assets/subsets (600 train + 100 test images per class)"


def _locate(name: str, root, download: bool) -> tuple[pathlib.Path, bool]:
    """``(folder, is_subset)`` for the data set, downloading into data/ if asked."""
    if root is not None:
        root = pathlib.Path(root).expanduser()
        if download and not _has_full(root, name):
            _download(name, root)
        return find_data_root(name, root), False
    try:
        return find_data_root(name), False
    except DataNotFoundError:
        if download:
            _download(name, LOCAL_DATA)
            return LOCAL_DATA, False
    warnings.warn(
        f"Using the small {name} subset shipped with the course (6,000 training and 1,000 test "
        f"images, 600 and 100 per class): the full data set was not found. For the full "
        f"60,000/10,000 images run `python -m cnnlib.data download` once (needs internet), "
        f"or set CNNLIB_DATA to a folder holding {name}/raw/.",
        SubsetWarning,
        stacklevel=4,
    )
    return SUBSETS, True


def _download(name: str, root: pathlib.Path) -> None:
    """Fetch ``name`` into ``root`` with torchvision, turning network failures into advice."""
    from torchvision import datasets

    root.mkdir(parents=True, exist_ok=True)
    try:
        for train in (True, False):
            getattr(datasets, name)(root, train=train, download=True)
    except Exception as err:  # urllib, socket and http errors differ by platform
        raise DataNotFoundError(
            f"could not download {name} into {root} ({type(err).__name__}: {err}). "
            f"Check the internet connection, or copy the four IDX files of {name} into "
            f"{root / name / 'raw'} by hand, or set CNNLIB_DATA to a folder holding them."
        ) from None


def _torchvision_root(folder: pathlib.Path, name: str, is_subset: bool) -> pathlib.Path:
    """A root torchvision can read.

    torchvision reads only the uncompressed IDX files, while the shipped subset
    is stored compressed; it is unpacked once into ``data/subsets`` (or a
    temporary folder when the repository is read-only).
    """
    raw = folder / name / "raw"
    if all((raw / f).exists() for files in _FILES.values() for f in files):
        return folder
    for cache in (LOCAL_DATA / ("subsets" if is_subset else "unpacked"),
                  pathlib.Path(tempfile.gettempdir()) / "cnnlib-data"):
        try:
            out = cache / name / "raw"
            out.mkdir(parents=True, exist_ok=True)
            for files in _FILES.values():
                for f in files:
                    if not (out / f).exists():
                        src = raw / f if (raw / f).exists() else raw / (f + ".gz")
                        opener = gzip.open if src.suffix == ".gz" else open
                        with opener(src, "rb") as fin, open(out / f, "wb") as fout:
                            shutil.copyfileobj(fin, fout)
            return cache
        except OSError:
            continue
    raise OSError(f"cannot unpack {name}: neither the repository nor the temp folder is writable")


# --------------------------------------------------------------------------- public loaders
def _dataset(name, train, root, transform, target_transform, download):
    from torchvision import datasets, transforms

    folder, is_subset = _locate(name, root, download)
    if transform is None:
        transform = transforms.ToTensor()
    return getattr(datasets, name)(
        _torchvision_root(folder, name, is_subset), train=train, download=False,
        transform=transform, target_transform=target_transform,
    )


def mnist(train: bool = True, root=None, transform=None, target_transform=None,
          download: bool = False):
    """MNIST as a ``torchvision.datasets.MNIST``.

    Parameters
    ----------
    train : bool
        The 60,000-image training split, else the 10,000-image test split.
    root : path, optional
        Read only from this folder (see the module docstring for the search order).
    transform : callable, optional
        Applied to each PIL image; default ``ToTensor()``, giving ``(1, 28, 28)``
        float32 tensors in [0, 1].
    download : bool
        Fetch the data with torchvision if it is not found (needs internet).

    Returns
    -------
    torchvision.datasets.MNIST, items ``(image (1, 28, 28), label int)``.
    """
    return _dataset("MNIST", train, root, transform, target_transform, download)


def fashion_mnist(train: bool = True, root=None, transform=None, target_transform=None,
                  download: bool = False):
    """Fashion-MNIST as a ``torchvision.datasets.FashionMNIST``; arguments as in :func:`mnist`."""
    return _dataset("FashionMNIST", train, root, transform, target_transform, download)


def _arrays(name, train, root, download):
    folder, _ = _locate(name, root, download)
    raw = folder / name / "raw"
    out = []
    for f in _FILES[bool(train)]:
        path = raw / f if (raw / f).exists() else raw / (f + ".gz")
        out.append(read_idx(path))
    images, labels = out
    if len(images) != len(labels):
        raise ValueError(f"{raw} holds {len(images)} images but {len(labels)} labels")
    images = images.astype(np.float32)[:, None, :, :]
    images /= 255.0  # in place: one float copy of the data set, not two
    return images, labels.astype(np.int64)


def mnist_arrays(train: bool = True, root=None, download: bool = False):
    """MNIST as NumPy arrays.

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


def fashion_mnist_arrays(train: bool = True, root=None, download: bool = False):
    """Fashion-MNIST as NumPy arrays; shapes and types as in :func:`mnist_arrays`."""
    return _arrays("FashionMNIST", train, root, download)


def download(root=None) -> pathlib.Path:
    """Download MNIST and Fashion-MNIST with torchvision (into ``data/`` by default)."""
    root = pathlib.Path(root).expanduser() if root is not None else LOCAL_DATA
    for name in DATASETS:
        if not _has_full(root, name):
            _download(name, root)
    return root


if __name__ == "__main__":
    if sys.argv[1:] != ["download"]:
        sys.exit("usage: python -m cnnlib.data download")
    print(f"MNIST and Fashion-MNIST are in {download()}")
