"""cnnlib.data: where the data comes from, and what it looks like.

torchvision's own MNIST reader is the oracle for the IDX decoding; the subset is
checked against the full files it was cut from.
"""
import os
import pathlib
import warnings

import numpy as np
import pytest
import torchvision

from cnnlib import data

SHARED = data.SHARED_DATA
needs_full = pytest.mark.skipif(
    not data._has_full(SHARED, "MNIST"), reason="full data not in ../shared/data"
)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No CNNLIB_DATA, no ../shared/data, an empty data/ folder, and no network."""
    monkeypatch.delenv("CNNLIB_DATA", raising=False)
    monkeypatch.setattr(data, "SHARED_DATA", tmp_path / "no-shared")
    monkeypatch.setattr(data, "LOCAL_DATA", tmp_path / "data")
    # Any download attempt goes to a closed local port and fails at once.
    for cls in (torchvision.datasets.MNIST, torchvision.datasets.FashionMNIST):
        monkeypatch.setattr(cls, "mirrors", ["http://127.0.0.1:9/"])
    return tmp_path


def fake_dataset(root, name, n_train=50, n_test=20, seed=0):
    """Write a small random data set in torchvision's layout; return its arrays."""
    rng = np.random.default_rng(seed)
    raw = pathlib.Path(root) / name / "raw"
    raw.mkdir(parents=True)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        data.write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        data.write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
        out[prefix] = images, labels
    return out


# ----------------------------------------------------------------- IDX format
def test_idx_round_trip_is_read_by_torchvision(tmp_path):
    arrays = fake_dataset(tmp_path, "MNIST")
    ds = torchvision.datasets.MNIST(tmp_path, train=True, download=False)
    images, labels = arrays["train"]
    np.testing.assert_array_equal(ds.data.numpy(), images)
    np.testing.assert_array_equal(ds.targets.numpy(), labels)


def test_read_idx_rejects_other_files(tmp_path):
    bad = tmp_path / "not-idx"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(20))
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(bad)


# ----------------------------------------------------------------- search order
def test_cnnlib_data_variable_is_searched(offline, monkeypatch, tmp_path):
    arrays = fake_dataset(tmp_path / "mine", "MNIST")
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path / "mine"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the full set must not warn
        x, y = data.mnist_arrays(train=False)
    images, labels = arrays["t10k"]
    assert x.shape == (20, 1, 28, 28) and x.dtype == np.float32
    np.testing.assert_array_equal(np.rint(x[:, 0] * 255).astype(np.uint8), images)
    np.testing.assert_array_equal(y, labels)
    assert "CNNLIB_DATA" in data.data_source("MNIST")


def test_explicit_root_wins(offline, monkeypatch, tmp_path):
    fake_dataset(tmp_path / "a", "FashionMNIST", n_train=7)
    fake_dataset(tmp_path / "b", "FashionMNIST", n_train=9)
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path / "a"))
    x, _ = data.fashion_mnist_arrays(root=tmp_path / "b")
    assert len(x) == 9


def test_subset_fallback_warns_and_is_usable(offline):
    with pytest.warns(data.SubsetWarning, match="cnnlib.data download"):
        x, y = data.mnist_arrays(train=True)
    assert x.shape == (6000, 1, 28, 28)
    with pytest.warns(data.SubsetWarning):
        ds = data.mnist(train=False)
    assert isinstance(ds, torchvision.datasets.MNIST) and len(ds) == 1000
    image, label = ds[0]
    assert tuple(image.shape) == (1, 28, 28) and 0 <= label <= 9
    assert "subset" in data.data_source("MNIST")


def test_empty_root_without_network_says_what_to_do(offline, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(data.DataNotFoundError, match="download=True"):
        data.mnist_arrays(root=empty)
    with pytest.raises(data.DataNotFoundError, match="could not download MNIST"):
        data.mnist_arrays(root=empty, download=True)


def test_unknown_name_is_rejected():
    with pytest.raises(ValueError, match="name must be one of"):
        data.find_data_root("CIFAR10")


# ----------------------------------------------------------------- the subset itself
@pytest.mark.parametrize("loader", [data.mnist_arrays, data.fashion_mnist_arrays])
def test_subset_is_balanced_and_in_range(offline, loader):
    with pytest.warns(data.SubsetWarning):
        x_train, y_train = loader(train=True)
        x_test, y_test = loader(train=False)
    assert np.bincount(y_train, minlength=10).tolist() == [600] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [100] * 10
    for x in (x_train, x_test):
        assert x.dtype == np.float32 and x.min() >= 0.0 and x.max() <= 1.0
        assert x.max() == 1.0  # the images use the whole byte range


@needs_full
@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST"])
def test_subset_is_the_first_examples_of_each_class(name):
    """Each subset image is the image at its claimed place in the full set."""
    for split in ("train", "t10k"):
        full_x = data.read_idx(SHARED / name / "raw" / f"{split}-images-idx3-ubyte")
        full_y = data.read_idx(SHARED / name / "raw" / f"{split}-labels-idx1-ubyte")
        sub_x = data.read_idx(data.SUBSETS / name / "raw" / f"{split}-images-idx3-ubyte.gz")
        sub_y = data.read_idx(data.SUBSETS / name / "raw" / f"{split}-labels-idx1-ubyte.gz")
        per_class = len(sub_y) // 10
        keep = np.sort(np.concatenate(
            [np.flatnonzero(full_y == c)[:per_class] for c in range(10)]))
        np.testing.assert_array_equal(sub_x, full_x[keep])
        np.testing.assert_array_equal(sub_y, full_y[keep])


# ----------------------------------------------------------------- the full data
@needs_full
def test_full_mnist_matches_torchvision(monkeypatch):
    monkeypatch.setenv("CNNLIB_DATA", str(SHARED))
    x, y = data.mnist_arrays(train=False)
    ds = torchvision.datasets.MNIST(SHARED, train=False, download=False)
    assert x.shape == (10000, 1, 28, 28) and y.dtype == np.int64
    np.testing.assert_array_equal(np.rint(x[:, 0] * 255).astype(np.uint8), ds.data.numpy())
    np.testing.assert_array_equal(y, ds.targets.numpy())
    # Published statistics of the MNIST training set (mean 0.1307, std 0.3081).
    x_train, y_train = data.mnist_arrays(train=True)
    assert len(x_train) == 60000
    assert abs(float(x_train.mean()) - 0.1307) < 5e-4
    assert abs(float(x_train.std()) - 0.3081) < 5e-4
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842,
                                             5421, 5918, 6265, 5851, 5949]


@needs_full
def test_full_fashion_mnist_dataset(monkeypatch):
    monkeypatch.setenv("CNNLIB_DATA", str(SHARED))
    ds = data.fashion_mnist(train=True)
    assert isinstance(ds, torchvision.datasets.FashionMNIST) and len(ds) == 60000
    assert ds.classes[9] == data.FASHION_MNIST_CLASSES[9] == "Ankle boot"
