"""Data sets for the course: MNIST, Fashion-MNIST and CIFAR-10, online or offline.

Every notebook asks this package for its data, so the search for the files lives
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
6. for MNIST and Fashion-MNIST, the small subsets that travel with the package
   (``cnnlib/subsets``: 600 training and 100 test images per class), with one
   message per data set saying what will differ.  CIFAR-10 has no subset.

Set ``CNNLIB_OFFLINE=1`` to skip step 5 (slow connections; the test suite), and run
``python -m cnnlib.data download`` to fetch MNIST and Fashion-MNIST now.

Two views of the same files:

* ``mnist()`` / ``fashion_mnist()`` / ``cifar10()`` return ``torchvision.datasets``
  objects for the PyTorch parts of the course;
* ``mnist_arrays()`` / ``fashion_mnist_arrays()`` return NumPy arrays, images
  ``(N, 1, 28, 28)`` float32 in [0, 1] and labels ``(N,)`` int64, for the NumPy
  parts (``cifar10_arrays()``: images ``(N, 3, 32, 32)``).  They need neither
  torch nor torchvision (a download does).

One module per idea; every public name is also available here
(``cnnlib.data.mnist_arrays``, ``cnnlib.data.cifar10_arrays``):

* :mod:`cnnlib.data.mnist_family`: MNIST and Fashion-MNIST: the search, the md5 sums,
  the download, the subsets and the loaders;
* :mod:`cnnlib.data.cifar`: CIFAR-10's batch files and loaders;
* :mod:`cnnlib.data.idx`: the IDX file format MNIST is published in;
* :mod:`cnnlib.data.store`: what every data set shares: the folders, the offline
  switch, md5 checks, files written whole, the network probe and timeouts.
"""
from .store import (
    CONNECT_SECONDS, IN_CHECKOUT, LOCAL_DATA, PACKAGE, READ_SECONDS, REPO, SHARED_DATA,
    STALE_PART_SECONDS, DataCorruptError, DataNotFoundError, reachable,
)
from .idx import read_idx, write_idx
from .mnist_family import (
    DATASETS, FASHION_MNIST_CLASSES, KNOWN_MD5, MIRRORS, MNIST_CLASSES, SUBSETS, data_source,
    download, fashion_mnist, fashion_mnist_arrays, find_data_root, has_full, mnist,
    mnist_arrays, using_subset,
)
from .cifar import (
    CIFAR10_CLASSES, CIFAR10_FOLDER, CIFAR10_MD5, CIFAR10_URL, cifar10, cifar10_arrays,
    read_cifar_batch,
)

__all__ = [
    "DataNotFoundError", "DataCorruptError", "MNIST_CLASSES", "FASHION_MNIST_CLASSES",
    "find_data_root", "data_source", "using_subset", "read_idx", "write_idx", "mnist",
    "fashion_mnist", "mnist_arrays", "fashion_mnist_arrays", "download",
    "CIFAR10_CLASSES", "read_cifar_batch", "cifar10", "cifar10_arrays",
]

# The settings imported above (LOCAL_DATA, CONNECT_SECONDS ...) are read where they are
# defined: change them in cnnlib.data.store (or cnnlib.data.mnist_family, cnnlib.data.cifar).
