"""MNIST IDX loader (miniature files written here), the embedded digits, digits on the strip."""

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from gaugeconv.data.mnist import load_embedded_digits, load_mnist, read_idx, write_idx
from gaugeconv.mobius import shift
from gaugeconv.mobius.digits import load_mobius_digits, strip_digits

from .mobius_harness import single_thread

pytestmark = pytest.mark.usefixtures(single_thread.__name__)


def _mini_mnist(folder, n_train=6, n_test=4, gz=True, dotted=False, size=28):
    rng = np.random.default_rng(0)
    data = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, size, size), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        sep = "." if dotted else "-"
        suffix = ".gz" if gz else ""
        write_idx(folder / f"{split}-images{sep}idx3-ubyte{suffix}", images)
        write_idx(folder / f"{split}-labels{sep}idx1-ubyte{suffix}", labels)
        data[split] = (images, labels)
    return data


@pytest.mark.parametrize("gz,dotted", [(True, False), (False, False), (False, True)])
def test_mnist_round_trip(tmp_path, gz, dotted):
    written = _mini_mnist(tmp_path, gz=gz, dotted=dotted)
    for split, key in (("train", "train"), ("test", "t10k")):
        images, labels = load_mnist(tmp_path, split)
        assert images.dtype == np.uint8 and labels.dtype == np.int64
        np.testing.assert_array_equal(images, written[key][0])
        np.testing.assert_array_equal(labels, written[key][1])


#: the file names in Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist), which are
#: also those of the MNIST and Fashion-MNIST releases
DEBIAN_FASHION_MNIST = (
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
)
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")


def test_loader_finds_the_debian_file_names(tmp_path):
    rng = np.random.default_rng(2)
    written = {}
    for name in DEBIAN_FASHION_MNIST:
        n = 3 if name.startswith("t10k") else 5
        shape = (n, 28, 28) if "images" in name else (n,)
        written[name] = rng.integers(0, 256, size=shape, dtype=np.uint8)
        write_idx(tmp_path / name, written[name])
    assert sorted(p.name for p in tmp_path.iterdir()) == list(DEBIAN_FASHION_MNIST)
    assert (tmp_path / DEBIAN_FASHION_MNIST[0]).read_bytes()[:2] == b"\x1f\x8b"  # gzip
    images, labels = load_mnist(tmp_path, "test")
    np.testing.assert_array_equal(images, written["t10k-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(labels, written["t10k-labels-idx1-ubyte.gz"])
    images, _ = load_mnist(tmp_path, "train")
    assert images.shape == (5, 28, 28)


def test_loader_refuses_non_image_idx_files(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 4, 4), np.float32))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="expected uint8 images"):
        load_mnist(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 4, 4), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros((3, 2), np.uint8))
    with pytest.raises(ValueError, match="expected labels"):
        load_mnist(tmp_path)


@pytest.mark.skipif(
    not (FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist is not installed",
)
def test_real_fashion_mnist_from_debian():
    """The real files (apt-get install dataset-fashion-mnist; MIT licence, Zalando SE)."""
    for split, n in (("train", 60_000), ("test", 10_000)):
        images, labels = load_mnist(FASHION_MNIST_DIR, split)
        assert images.shape == (n, 28, 28) and images.dtype == np.uint8
        np.testing.assert_array_equal(np.bincount(labels), [n // 10] * 10)  # balanced classes
        assert images.max() == 255 and 0.2 < images.mean() / 255 < 0.4


def test_idx_header_is_the_documented_format(tmp_path):
    write_idx(tmp_path / "a-idx1-ubyte", np.arange(3, dtype=np.uint8))
    raw = (tmp_path / "a-idx1-ubyte").read_bytes()
    assert raw == bytes([0, 0, 8, 1, 0, 0, 0, 3, 0, 1, 2])
    # gzip is detected from the content, not the name
    (tmp_path / "b").write_bytes(gzip.compress(raw))
    np.testing.assert_array_equal(read_idx(tmp_path / "b"), [0, 1, 2])


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_dtypes_round_trip(tmp_path, dtype):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == np.uint8:
        a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "x.gz", a)
    b = read_idx(tmp_path / "x.gz")
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


def test_bad_idx_files_raise(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x08\x03\x00\x00abcd")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(bad)
    write_idx(tmp_path / "ok", np.zeros((2, 3), dtype=np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "ok").read_bytes()[:-1])
    with pytest.raises(ValueError, match="declares shape"):
        read_idx(tmp_path / "short")
    (tmp_path / "tiny").write_bytes(b"\x00")
    with pytest.raises(ValueError, match="too short"):
        read_idx(tmp_path / "tiny")
    (tmp_path / "broken.gz").write_bytes(b"\x1f\x8b" + b"garbage")
    with pytest.raises(ValueError, match="gzip"):
        read_idx(tmp_path / "broken.gz")
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "missing")


def test_mnist_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_mnist(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="train-images"):
        load_mnist(tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_mnist(tmp_path, "validation")
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 4, 4), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        load_mnist(tmp_path)


def test_embedded_digits():
    pytest.importorskip("sklearn")
    images, labels = load_embedded_digits(16)
    assert images.shape == (1797, 16, 16) and images.dtype == np.float32
    assert labels.shape == (1797,) and set(labels.tolist()) == set(range(10))
    assert 0.0 <= images.min() and images.max() <= 1.0 and images.max() > 0.9
    small, _ = load_embedded_digits(16, digit_size=10, jitter=0)
    assert not small[:, :3].any() and not small[:, 13:].any()  # centred with margins
    assert not small[..., :3].any() and not small[..., 13:].any()
    moved, _ = load_embedded_digits(16, digit_size=10, jitter=2)
    assert not np.array_equal(moved, small)
    with pytest.raises(ValueError):
        load_embedded_digits(16, digit_size=17)


def test_digits_on_the_strip(tmp_path):
    images = np.random.default_rng(1).random((5, 8, 12)).astype(np.float32)
    centered, shifted, shifts = strip_digits(images, seed=3)
    assert centered.shape == shifted.shape == (5, 1, 8, 12)
    assert int(shifts.min()) >= 0 and int(shifts.max()) < 24
    for i in range(5):
        assert torch.equal(
            shifted[i : i + 1], shift(centered[i : i + 1], int(shifts[i]), (1, 0, 0))
        )

    _mini_mnist(tmp_path, n_train=6, n_test=4)
    digits = load_mobius_digits(tmp_path, n_train=5)
    assert digits.train_centered.shape == (5, 1, 28, 28) and digits.test_shifted.shape == (
        4,
        1,
        28,
        28,
    )
    assert float(digits.train_centered.max()) <= 1.0
    assert digits.describe()["n_train"] == 5

    pytest.importorskip("sklearn")
    emb = load_mobius_digits(None, size=16, n_train=100, n_test=50)
    assert emb.train_centered.shape == (100, 1, 16, 16) and emb.test_labels.shape == (50,)
