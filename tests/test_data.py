"""cnnlib.data: where the data comes from, what it looks like, and what happens when it is bad.

torchvision's own MNIST reader and its published md5 sums are the oracles for the
files; the subset is checked against the full files it was cut from. No test here
touches the network: downloads go to closed or local ports, or to a stand-in for
``socket.create_connection`` that hangs as a dropped connection does.
"""
import gzip
import hashlib
import os
import pathlib
import socket
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest
import torchvision

from cnnlib import data
from cnnlib.data import mnist_family, store

FULL = pathlib.Path(os.environ.get("CNNLIB_DATA") or data.SHARED_DATA)
needs_full = pytest.mark.skipif(
    not data.has_full(FULL, "MNIST"), reason="the full data is in neither CNNLIB_DATA "
    "nor ../shared/data (a student's offline clone has only the subsets)")


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No CNNLIB_DATA, no ../shared/data, an empty data folder, a fresh process state.

    Downloads are allowed (CNNLIB_OFFLINE unset) but go to a closed local port.
    """
    monkeypatch.delenv("CNNLIB_DATA", raising=False)
    monkeypatch.delenv("CNNLIB_OFFLINE", raising=False)
    monkeypatch.setattr(store, "SHARED_DATA", tmp_path / "no-shared")
    monkeypatch.setattr(store, "LOCAL_DATA", tmp_path / "data")
    monkeypatch.setattr(mnist_family, "_download_failure", None)
    monkeypatch.setattr(mnist_family, "_subset_in_use", set())
    monkeypatch.setattr(mnist_family, "MIRRORS",
                        {name: ["http://127.0.0.1:9/"] for name in data.DATASETS})
    return tmp_path


@pytest.fixture
def unverified(monkeypatch):
    """Random test files carry the originals' names: skip the md5 check of the originals."""
    monkeypatch.setattr(mnist_family, "KNOWN_MD5", {name: {} for name in data.DATASETS})


def fake_dataset(root, name, n_train=50, n_test=20, seed=0, gz=False):
    """Write a small random data set in torchvision's layout; return its arrays."""
    rng = np.random.default_rng(seed)
    raw = pathlib.Path(root) / name / "raw"
    raw.mkdir(parents=True)
    out = {}
    suffix = ".gz" if gz else ""
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        data.write_idx(raw / f"{prefix}-images-idx3-ubyte{suffix}", images)
        data.write_idx(raw / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
        out[prefix] = images, labels
    return out


def notices(text):
    return [line for line in text.splitlines() if line.startswith("cnnlib.data: using")]


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
    with pytest.raises(data.DataCorruptError, match=r"not-idx is not an IDX file"):
        data.read_idx(bad)


@pytest.mark.parametrize("value, error", [(300, ValueError), (-1, ValueError),
                                          (0.5, TypeError)])
def test_write_idx_refuses_values_a_byte_cannot_hold(tmp_path, value, error):
    """300 must not wrap to 44 (300 mod 256) without a word."""
    with pytest.raises(error, match="integers 0..255"):
        data.write_idx(tmp_path / "x", np.array([1, value]))
    assert not (tmp_path / "x").exists()


# ----------------------------------------------------------------- search order
def test_cnnlib_data_variable_is_searched(offline, unverified, monkeypatch, tmp_path, capsys):
    arrays = fake_dataset(tmp_path / "mine", "MNIST")
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path / "mine"))
    x, y = data.mnist_arrays(train=False)
    images, labels = arrays["t10k"]
    assert x.shape == (20, 1, 28, 28) and x.dtype == np.float32
    np.testing.assert_array_equal(np.rint(x[:, 0] * 255).astype(np.uint8), images)
    np.testing.assert_array_equal(y, labels)
    assert "CNNLIB_DATA" in data.data_source("MNIST")
    assert not notices(capsys.readouterr().out) and not data.using_subset("MNIST")


def test_wrong_cnnlib_data_is_an_error_not_a_silent_subset(offline, monkeypatch, tmp_path):
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path / "typo"))
    with pytest.raises(data.DataNotFoundError, match=r"CNNLIB_DATA=.*typo.*without MNIST"):
        data.mnist_arrays()
    with pytest.raises(data.DataNotFoundError, match="CNNLIB_DATA"):
        data.fashion_mnist(train=False)


def test_explicit_root_wins(offline, unverified, monkeypatch, tmp_path):
    fake_dataset(tmp_path / "a", "FashionMNIST", n_train=7)
    fake_dataset(tmp_path / "b", "FashionMNIST", n_train=9)
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path / "a"))
    x, _ = data.fashion_mnist_arrays(root=tmp_path / "b")
    assert len(x) == 9


def test_empty_root_says_what_to_do(offline, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(data.DataNotFoundError, match="download=True"):
        data.mnist_arrays(root=empty)
    with pytest.raises(data.DataNotFoundError, match="could not be downloaded"):
        data.mnist_arrays(root=empty, download=True)


def test_unknown_name_is_rejected():
    with pytest.raises(ValueError, match="name must be one of"):
        data.find_data_root("CIFAR10")


# ----------------------------------------------------------------- the subset fallback
def test_subset_fallback_is_usable_and_announced_once_per_data_set(offline, capsys):
    x, y = data.mnist_arrays(train=True)
    assert x.shape == (6000, 1, 28, 28)
    ds = data.mnist(train=False)
    assert isinstance(ds, torchvision.datasets.MNIST) and len(ds) == 1000
    image, label = ds[0]
    assert tuple(image.shape) == (1, 28, 28) and 0 <= label <= 9
    assert "subset" in data.data_source("MNIST") and data.using_subset("MNIST")
    data.fashion_mnist_arrays(train=False)
    captured = capsys.readouterr()
    lines = notices(captured.out)
    assert len(lines) == 2 and "MNIST subset" in lines[0] and "FashionMNIST" in lines[1]
    assert "could not be downloaded" in lines[0] and "cnnlib.data download" in lines[0]
    assert captured.err == ""   # no warning block on stderr


def test_offline_switch_never_tries_to_download(offline, monkeypatch, capsys):
    monkeypatch.setenv("CNNLIB_OFFLINE", "1")

    def no_download(*args):
        raise AssertionError("CNNLIB_OFFLINE=1 must not download")

    monkeypatch.setattr(mnist_family, "_download", no_download)
    x, _ = data.fashion_mnist_arrays(train=False)
    assert len(x) == 1000
    assert "CNNLIB_OFFLINE is set" in notices(capsys.readouterr().out)[0]


def test_without_network_the_fallback_takes_seconds(offline, monkeypatch, capsys):
    """A connection whose packets are dropped hangs; the first access must not."""
    released = threading.Event()

    def dropped(*args, **kwargs):
        released.wait(60)
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", dropped)
    try:
        start = time.monotonic()
        x, _ = data.mnist_arrays(train=False)
        first = time.monotonic() - start
        start = time.monotonic()
        data.fashion_mnist_arrays(train=False)   # the failure is remembered: no second wait
        second = time.monotonic() - start
    finally:
        released.set()   # let the abandoned connection attempts end
    assert len(x) == 1000
    assert first < 10 and first < store.CONNECT_SECONDS + 2
    assert second < 1
    assert len(notices(capsys.readouterr().out)) == 2


def test_a_stalled_transfer_falls_back_too(offline, monkeypatch, capsys):
    """A server that accepts the connection and then sends nothing (loopback only)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    monkeypatch.setitem(mnist_family.MIRRORS, "MNIST", [f"http://127.0.0.1:{server.getsockname()[1]}/"])
    monkeypatch.setattr(store, "READ_SECONDS", 1.0)
    try:
        start = time.monotonic()
        x, _ = data.mnist_arrays(train=False)
        assert time.monotonic() - start < 10 and len(x) == 1000
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()
    assert socket.getdefaulttimeout() is None   # the process-wide timeout is restored
    assert len(notices(capsys.readouterr().out)) == 1


def test_explicit_download_raises_instead_of_falling_back(offline):
    with pytest.raises(data.DataNotFoundError, match="could not be downloaded"):
        data.mnist_arrays(download=True)


@pytest.mark.parametrize("loader", [data.mnist_arrays, data.fashion_mnist_arrays])
def test_subset_is_balanced_and_in_range(offline, loader):
    x_train, y_train = loader(train=True)
    x_test, y_test = loader(train=False)
    assert np.bincount(y_train, minlength=10).tolist() == [600] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [100] * 10
    for x in (x_train, x_test):
        assert x.dtype == np.float32 and x.min() >= 0.0 and x.max() <= 1.0
        assert x.max() == 1.0  # the images use the whole byte range


def test_subsets_travel_with_an_installed_package(tmp_path):
    """Built as a wheel and imported from it (as on Colab), cnnlib still finds its subsets."""
    pytest.importorskip("setuptools")
    repo = pathlib.Path(__file__).resolve().parent.parent
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "wheel"), str(repo)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheel").glob("cnnlib-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for name in data.DATASETS:
        for stem in ("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
            assert f"cnnlib/subsets/{name}/raw/{stem}.gz" in names
    assert "cnnlib/subsets/MD5SUMS" in names
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    env = {k: v for k, v in os.environ.items() if k not in ("CNNLIB_DATA", "PYTHONPATH")}
    env.update(PYTHONPATH=str(tmp_path / "site"), CNNLIB_OFFLINE="1",
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    run = subprocess.run(
        [sys.executable, "-c", "import cnnlib, cnnlib.data as d; x, y = d.mnist_arrays(False);"
         "print(cnnlib.__file__, x.shape, d.LOCAL_DATA)"],
        cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert str(tmp_path / "site") in run.stdout and "(1000, 1, 28, 28)" in run.stdout
    assert str(tmp_path / "cache" / "cnnlib") in run.stdout


# ----------------------------------------------------------------- bad data
def test_unpacked_copies_are_kept_apart_by_source(offline, unverified, tmp_path):
    """mnist(root=B) after mnist(root=A) must return B's images, not A's cached copy."""
    fake_dataset(tmp_path / "a", "MNIST", n_test=7, gz=True)
    b = fake_dataset(tmp_path / "b", "MNIST", n_test=9, gz=True, seed=1)
    assert len(data.mnist(train=False, root=tmp_path / "a")) == 7
    ds = data.mnist(train=False, root=tmp_path / "b")
    assert len(ds) == 9
    np.testing.assert_array_equal(ds.data.numpy(), b["t10k"][0])


def test_an_interrupted_unpack_leaves_nothing_half_written(offline, unverified, monkeypatch,
                                                           tmp_path):
    arrays = fake_dataset(tmp_path / "src", "MNIST", gz=True)
    real_copy = mnist_family.shutil.copyfileobj

    def interrupted(src, dst, *args):
        dst.write(src.read(100))
        raise KeyboardInterrupt   # the student pressed stop, or the kernel died

    monkeypatch.setattr(mnist_family.shutil, "copyfileobj", interrupted)
    with pytest.raises(KeyboardInterrupt):
        data.mnist(train=True, root=tmp_path / "src")
    left = [p for p in (store.LOCAL_DATA / "unpacked").rglob("*") if p.is_file()]
    assert left == []
    monkeypatch.setattr(mnist_family.shutil, "copyfileobj", real_copy)
    ds = data.mnist(train=True, root=tmp_path / "src")
    np.testing.assert_array_equal(ds.data.numpy(), arrays["train"][0])


@pytest.mark.parametrize("damage", ["truncate-gz", "truncate-plain", "not-gzip"])
def test_damaged_files_are_named_with_what_to_do(offline, unverified, tmp_path, damage):
    gz = damage != "truncate-plain"
    fake_dataset(tmp_path / "d", "MNIST", gz=gz)
    path = tmp_path / "d" / "MNIST" / "raw" / ("t10k-images-idx3-ubyte" + (".gz" if gz else ""))
    content = path.read_bytes()
    path.write_bytes(b"plain text, not gzip" if damage == "not-gzip" else content[:-500])
    with pytest.raises(data.DataCorruptError) as info:
        data.mnist_arrays(train=False, root=tmp_path / "d")
    assert str(path) in str(info.value) and "delete it" in str(info.value)


def test_files_are_checked_against_their_md5_once(offline, monkeypatch, tmp_path):
    fake_dataset(tmp_path / "m", "MNIST")
    raw = tmp_path / "m" / "MNIST" / "raw"
    sums = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in raw.iterdir()}
    monkeypatch.setattr(mnist_family, "KNOWN_MD5", {"MNIST": sums, "FashionMNIST": {}})
    counted = []
    real_md5 = store.md5
    monkeypatch.setattr(store, "md5", lambda p: counted.append(p.name) or real_md5(p))
    data.mnist_arrays(train=False, root=tmp_path / "m")
    assert sorted(counted) == ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    data.mnist_arrays(train=False, root=tmp_path / "m")
    assert len(counted) == 2          # same size and mtime: not read again
    labels = raw / "t10k-labels-idx1-ubyte"
    damaged = bytearray(labels.read_bytes())
    damaged[-1] ^= 1                  # one flipped bit, same size
    labels.write_bytes(bytes(damaged))
    with pytest.raises(data.DataCorruptError, match=r"t10k-labels-idx1-ubyte has md5 .* "
                                                    r"published file has"):
        data.mnist_arrays(train=False, root=tmp_path / "m")


def test_mirrors_are_torchvisions():
    for name in data.DATASETS:
        assert data.MIRRORS[name] == getattr(torchvision.datasets, name).mirrors


def test_known_md5_sums_are_torchvisions():
    for name in data.DATASETS:
        published = dict(getattr(torchvision.datasets, name).resources)
        ours = {k: v for k, v in data.KNOWN_MD5[name].items() if k.endswith(".gz")}
        assert ours == published


def test_shipped_subsets_match_their_md5sums():
    listed = mnist_family._subset_md5()
    assert len(listed) == 8
    for rel, digest in listed.items():
        assert hashlib.md5((data.SUBSETS / rel).read_bytes()).hexdigest() == digest


# ----------------------------------------------------------------- the full data
@needs_full
@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST"])
def test_plain_md5_sums_are_those_of_the_published_gz_files_unpacked(name):
    raw = FULL / name / "raw"
    for stem, expected in data.KNOWN_MD5[name].items():
        if stem.endswith(".gz"):
            assert hashlib.md5((raw / stem).read_bytes()).hexdigest() == expected
            unpacked = gzip.decompress((raw / stem).read_bytes())
            assert hashlib.md5(unpacked).hexdigest() == data.KNOWN_MD5[name][stem[:-3]]


@needs_full
@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST"])
def test_subset_is_the_first_examples_of_each_class(name):
    """Each subset image is the image at its claimed place in the full set."""
    for split in ("train", "t10k"):
        full_x = data.read_idx(FULL / name / "raw" / f"{split}-images-idx3-ubyte")
        full_y = data.read_idx(FULL / name / "raw" / f"{split}-labels-idx1-ubyte")
        sub_x = data.read_idx(data.SUBSETS / name / "raw" / f"{split}-images-idx3-ubyte.gz")
        sub_y = data.read_idx(data.SUBSETS / name / "raw" / f"{split}-labels-idx1-ubyte.gz")
        per_class = len(sub_y) // 10
        keep = np.sort(np.concatenate(
            [np.flatnonzero(full_y == c)[:per_class] for c in range(10)]))
        np.testing.assert_array_equal(sub_x, full_x[keep])
        np.testing.assert_array_equal(sub_y, full_y[keep])


@needs_full
def test_full_mnist_matches_torchvision(monkeypatch):
    monkeypatch.setenv("CNNLIB_DATA", str(FULL))
    x, y = data.mnist_arrays(train=False)
    ds = torchvision.datasets.MNIST(FULL, train=False, download=False)
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
    monkeypatch.setenv("CNNLIB_DATA", str(FULL))
    ds = data.fashion_mnist(train=True)
    assert isinstance(ds, torchvision.datasets.FashionMNIST) and len(ds) == 60000
    assert ds.classes[9] == data.FASHION_MNIST_CLASSES[9] == "Ankle boot"


class SilentServer:
    """A loopback server that accepts every connection and never answers.

    It stops by itself after ``lifetime`` seconds at the latest, so a failing test
    cannot leave it running.
    """

    def __init__(self, lifetime=30.0):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.socket.settimeout(0.2)
        self.held, self.stop = [], threading.Event()
        self.end = time.monotonic() + lifetime
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set() and time.monotonic() < self.end:
            try:
                self.held.append(self.socket.accept()[0])     # accepted, never answered
            except OSError:
                pass

    @property
    def url(self):
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}/"

    def close(self):
        self.stop.set()
        self.thread.join()
        for connection in self.held:
            connection.close()
        self.socket.close()


def test_a_mirror_that_accepts_and_never_answers_costs_only_the_promised_seconds(
        offline, monkeypatch, capsys):
    """The probe waits for an HTTP answer, not a connection: the first access takes seconds."""
    server = SilentServer()
    monkeypatch.setitem(mnist_family.MIRRORS, "MNIST", [server.url])
    monkeypatch.setattr(store, "CONNECT_SECONDS", 1.5)
    assert store.READ_SECONDS == 30.0              # the download's own timeout is not shortened
    try:
        start = time.monotonic()
        x, _ = data.mnist_arrays(train=False)
        elapsed = time.monotonic() - start
    finally:
        server.close()
    assert len(x) == 1000 and server.held          # the subset, after a real connection
    assert elapsed < store.CONNECT_SECONDS + 2
    assert len(notices(capsys.readouterr().out)) == 1


def test_the_probe_counts_a_mirror_that_answers_http(monkeypatch):
    import http.server

    class Head(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            self.send_response(200 if self.path.endswith("train-images-idx3-ubyte.gz") else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    answering = http.server.HTTPServer(("127.0.0.1", 0), Head)
    threading.Thread(target=answering.serve_forever, daemon=True).start()
    silent = SilentServer()
    good = f"http://127.0.0.1:{answering.server_address[1]}/mnist/"
    try:
        probe = [silent.url, good, "http://127.0.0.1:9/"]
        assert data.reachable(probe, 1.5, "train-images-idx3-ubyte.gz") == [good]
        assert data.reachable(probe, 1.5, "cifar-10-python.tar.gz") == []     # a 404
    finally:
        answering.shutdown()
        answering.server_close()
        silent.close()


def test_part_files_left_by_a_killed_unpack_are_cleaned_on_the_next_call(offline, unverified,
                                                                         tmp_path):
    fake_dataset(tmp_path / "src", "MNIST", gz=True)
    data.mnist(train=True, root=tmp_path / "src")
    raw = next((store.LOCAL_DATA / "unpacked").glob("MNIST-*")) / "MNIST" / "raw"
    # What a killed unpack leaves: a half-written .part file (its process gone long ago),
    # and one being written right now by another process (young: it must be left alone).
    old = raw / "train-images-idx3-ubyte.abc123.part"
    young = raw / "t10k-images-idx3-ubyte.def456.part"
    for part in (old, young):
        part.write_bytes(b"\0" * 100)
    long_ago = time.time() - store.STALE_PART_SECONDS - 5
    os.utime(old, (long_ago, long_ago))
    data.mnist(train=True, root=tmp_path / "src")
    assert not old.exists() and young.exists()


# ----------------------------------------------------------------- the package's face
# Every public name of cnnlib.data when it was one file (data.py, before it became a
# package of one module per idea), read from that file; and the two helpers that scripts
# outside the library use (.ci/run, tests/test_binder.py), public since the split.
FORMER_NAMES = [
    "PACKAGE", "SUBSETS", "REPO", "IN_CHECKOUT", "SHARED_DATA", "LOCAL_DATA", "DATASETS",
    "MNIST_CLASSES", "FASHION_MNIST_CLASSES", "KNOWN_MD5", "MIRRORS", "CONNECT_SECONDS",
    "READ_SECONDS", "DataNotFoundError", "DataCorruptError", "read_idx", "write_idx",
    "find_data_root", "using_subset", "data_source", "download", "STALE_PART_SECONDS", "mnist",
    "fashion_mnist", "mnist_arrays", "fashion_mnist_arrays", "CIFAR10_CLASSES", "CIFAR10_FOLDER",
    "CIFAR10_URL", "CIFAR10_MD5", "read_cifar_batch", "cifar10_arrays", "cifar10",
    "has_full", "reachable",
]


def test_every_name_of_the_former_module_is_still_there():
    missing = [name for name in FORMER_NAMES if not hasattr(data, name)]
    assert not missing
    assert data.PACKAGE == pathlib.Path(data.__file__).resolve().parent.parent   # cnnlib/
    assert (data.SUBSETS / "MD5SUMS").is_file()
    assert callable(data.mnist) and callable(data.download)   # functions, not modules


def test_the_face_lists_the_same_public_names_as_before():
    assert set(data.__all__) == {
        "DataNotFoundError", "DataCorruptError", "MNIST_CLASSES", "FASHION_MNIST_CLASSES",
        "find_data_root", "data_source", "using_subset", "read_idx", "write_idx", "mnist",
        "fashion_mnist", "mnist_arrays", "fashion_mnist_arrays", "download", "CIFAR10_CLASSES",
        "read_cifar_batch", "cifar10", "cifar10_arrays"}


def test_the_download_command_says_how_it_is_used():
    run = subprocess.run([sys.executable, "-m", "cnnlib.data", "upload"],
                         capture_output=True, text=True)
    assert run.returncode == 1 and "usage: python -m cnnlib.data download" in run.stderr


def test_the_download_command_reports_a_failure(offline, monkeypatch, capsys):
    from cnnlib.data.__main__ import main
    with pytest.raises(SystemExit) as info:
        main(["download"])
    assert "could not be downloaded" in str(info.value)
