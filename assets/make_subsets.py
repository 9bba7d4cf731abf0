"""Rebuild the small MNIST and Fashion-MNIST subsets shipped in ``cnnlib/subsets``.

The course runs offline on the subsets when the full data sets are not on the
machine.  Each subset keeps the first 600 training and the first 100 test images
of every class, in their original order, and is written in the same IDX format
(gzip-compressed) and file names as the originals, so torchvision reads it too.
The subsets live inside the package so that an installed cnnlib (a wheel, Colab)
has them; ``cnnlib/subsets/MD5SUMS`` lists their md5 sums, which cnnlib.data checks.

Usage (from the repository root, with the full data in ``../shared/data`` or in
the folder named by ``CNNLIB_DATA``)::

    python assets/make_subsets.py
"""
import hashlib
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from cnnlib.data import SUBSETS, find_data_root, read_idx, write_idx  # noqa: E402

PER_CLASS = {"train": 600, "t10k": 100}


def stratified_first(labels, per_class):
    """Indices of the first ``per_class`` examples of each class, in file order."""
    keep = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)])
    return np.sort(keep)


def main():
    sums = []
    for name in ("MNIST", "FashionMNIST"):
        src = find_data_root(name) / name / "raw"
        dst = SUBSETS / name / "raw"
        dst.mkdir(parents=True, exist_ok=True)
        for split, per_class in PER_CLASS.items():
            images = read_idx(src / f"{split}-images-idx3-ubyte")
            labels = read_idx(src / f"{split}-labels-idx1-ubyte")
            keep = stratified_first(labels, per_class)
            # mtime=0 keeps the .gz bytes reproducible from run to run.
            write_idx(dst / f"{split}-images-idx3-ubyte.gz", images[keep])
            write_idx(dst / f"{split}-labels-idx1-ubyte.gz", labels[keep])
            print(f"{name} {split}: {len(keep)} images")
        for path in sorted(dst.glob("*.gz")):
            digest = hashlib.md5(path.read_bytes()).hexdigest()
            sums.append(f"{digest}  {path.relative_to(SUBSETS)}")
    (SUBSETS / "MD5SUMS").write_text("\n".join(sums) + "\n")


if __name__ == "__main__":
    main()
