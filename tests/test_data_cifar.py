"""cnnlib.data's CIFAR-10 reader on a tiny CIFAR-format folder written here.

Oracles: torchvision's own CIFAR10 reader on the same files, the format's
documented layout (1024 red, 1024 green, 1024 blue bytes per row), and
torchvision's published md5 sums. No test touches the network: the download
goes to a closed local port.
"""
import hashlib
import pickle

import numpy as np
import pytest
import torchvision

from cnnlib import data
from cnnlib.data import cifar, store


def write_cifar(root, n_train=4, n_test=3, seed=0):
    """A CIFAR-10 folder in torchvision's layout with random images; returns the arrays."""
    rng = np.random.default_rng(seed)
    folder = root / data.CIFAR10_FOLDER
    folder.mkdir(parents=True)
    out = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        n = n_test if name == "test_batch" else n_train
        images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)    # (N, H, W, RGB)
        labels = rng.integers(0, 10, n).tolist()
        # The format: per row, the red plane, then green, then blue, each row-major.
        rows = np.concatenate([images[..., c].reshape(n, 1024) for c in range(3)], axis=1)
        with open(folder / name, "wb") as f:
            pickle.dump({"batch_label": name, "labels": labels, "data": rows,
                         "filenames": ["x.png"] * n}, f)
        out[name] = images, np.array(labels)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": list(data.CIFAR10_CLASSES)}, f)
    return out


@pytest.fixture
def cifar_folder(tmp_path, monkeypatch):
    """The tiny folder, with its own md5 sums standing in for the published ones."""
    arrays = write_cifar(tmp_path)
    sums = {p.name: hashlib.md5(p.read_bytes()).hexdigest()
            for p in (tmp_path / data.CIFAR10_FOLDER).iterdir()}
    monkeypatch.setattr(cifar, "CIFAR10_MD5", sums)
    return tmp_path, arrays


def test_read_cifar_batch_follows_the_format(cifar_folder):
    root, arrays = cifar_folder
    images, labels = data.read_cifar_batch(root / data.CIFAR10_FOLDER / "data_batch_2")
    expected_images, expected_labels = arrays["data_batch_2"]
    assert images.shape == (4, 3, 32, 32) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, expected_images.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(labels, expected_labels)


def test_arrays_equal_torchvision_reader(cifar_folder, monkeypatch):
    root, _ = cifar_folder
    # torchvision checks its published md5 sums, which random files cannot match.
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "_check_integrity", lambda self: True)
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda *a: True)
    for train in (True, False):
        images, labels = data.cifar10_arrays(train=train, root=root)
        tv = torchvision.datasets.CIFAR10(root, train=train, download=False)
        assert images.shape == (20 if train else 3, 3, 32, 32) and images.dtype == np.float32
        np.testing.assert_array_equal(images, tv.data.transpose(0, 3, 1, 2) / np.float32(255))
        np.testing.assert_array_equal(labels, tv.targets)
        assert tv.classes == list(data.CIFAR10_CLASSES)
        dataset = data.cifar10(train=train, root=root)
        x, y = dataset[1]
        np.testing.assert_allclose(x.numpy(), images[1], atol=1e-7)
        assert y == labels[1]


def test_published_md5_sums_are_torchvision_s():
    cls = torchvision.datasets.CIFAR10
    published = dict(cls.train_list + cls.test_list)
    published[cls.filename] = cls.tgz_md5
    assert data.CIFAR10_MD5 == published
    assert data.CIFAR10_URL == cls.url and data.CIFAR10_FOLDER == cls.base_folder


def test_a_damaged_file_is_refused(cifar_folder):
    root, _ = cifar_folder
    path = root / data.CIFAR10_FOLDER / "test_batch"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(data.DataCorruptError, match="test_batch has md5"):
        data.cifar10_arrays(train=False, root=root)


def test_not_a_batch_file(tmp_path):
    path = tmp_path / "data_batch_1"
    with open(path, "wb") as f:
        pickle.dump({"data": np.zeros((2, 100), np.uint8), "labels": [0, 1]}, f)
    with pytest.raises(data.DataCorruptError, match=r"not \(N, 3072\) bytes"):
        data.read_cifar_batch(path)
    path.write_bytes(b"not a pickle")
    with pytest.raises(data.DataCorruptError, match="is not a CIFAR-10 batch file"):
        data.read_cifar_batch(path)
    with open(path, "wb") as f:
        pickle.dump({"data": np.zeros((2, 3072), np.uint8), "labels": [0, 10]}, f)
    with pytest.raises(data.DataCorruptError, match=r"values must be 0..9"):
        data.read_cifar_batch(path)


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    monkeypatch.delenv("CNNLIB_DATA", raising=False)
    monkeypatch.delenv("CNNLIB_OFFLINE", raising=False)
    monkeypatch.setattr(store, "SHARED_DATA", tmp_path / "no-shared")
    monkeypatch.setattr(store, "LOCAL_DATA", tmp_path / "data")
    monkeypatch.setattr(cifar, "CIFAR10_URL", "http://127.0.0.1:9/cifar-10-python.tar.gz")
    monkeypatch.setattr(store, "CONNECT_SECONDS", 0.5)
    return tmp_path


def test_offline_says_what_to_do(nowhere, monkeypatch):
    monkeypatch.setenv("CNNLIB_OFFLINE", "1")
    with pytest.raises(data.DataNotFoundError, match="CNNLIB_OFFLINE is set.*download=True"):
        data.cifar10_arrays()
    with pytest.raises(data.DataNotFoundError, match="download=False was passed"):
        data.cifar10_arrays(download=False)


def test_no_network_says_what_to_do(nowhere):
    with pytest.raises(data.DataNotFoundError, match="could not be downloaded.*Fashion-MNIST"):
        data.cifar10_arrays()


def test_found_in_the_shared_folder(nowhere, monkeypatch):
    arrays = write_cifar(nowhere / "no-shared")
    monkeypatch.setattr(cifar, "CIFAR10_MD5", {})
    monkeypatch.setenv("CNNLIB_OFFLINE", "1")
    images, labels = data.cifar10_arrays(train=False)
    np.testing.assert_array_equal(labels, arrays["test_batch"][1])


def test_the_download_asks_the_server_for_the_cifar_archive(nowhere, monkeypatch):
    """The probe before a download asks for the archive itself, and a server that has it
    lets the download start (torchvision's downloader is replaced: no network)."""
    import http.server
    import threading

    asked = []

    class Archive(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            asked.append(self.path)
            self.send_response(200 if self.path == "/~kriz/cifar-10-python.tar.gz" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Archive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    monkeypatch.setattr(cifar, "CIFAR10_URL",
                        f"http://127.0.0.1:{port}/~kriz/cifar-10-python.tar.gz")
    monkeypatch.setattr(store, "CONNECT_SECONDS", 2.0)

    class Downloaded(Exception):
        pass

    def fake_cifar10(root, train, download):
        raise Downloaded(f"download into {root}")

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", fake_cifar10)
    try:
        with pytest.raises(data.DataNotFoundError, match="Downloaded: download into"):
            data.cifar10_arrays(download=True)
    finally:
        server.shutdown()
        server.server_close()
    assert asked == ["/~kriz/cifar-10-python.tar.gz"]
