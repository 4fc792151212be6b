"""MNIST in its IDX format (from a user-given folder) and scikit-learn's bundled 8x8 digits.

IDX format (LeCun et al.): a 4-byte magic ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian
uint32 dimensions, then the data in C order, big-endian. MNIST uses type ``0x08`` (uint8):
``train-images-idx3-ubyte`` is ``(60000, 28, 28)``, ``train-labels-idx1-ubyte`` is ``(60000,)``,
and ``t10k-*`` the 10,000 test samples. Files may be gzip-compressed (``.gz``); the loader sniffs
the gzip magic rather than trusting the suffix. Nothing is downloaded.

Fashion-MNIST (Xiao, Rasul & Vollgraf 2017; MIT licence, Zalando SE) uses the same four file names
and layout; Debian ships it as ``dataset-fashion-mnist`` (``apt-get install dataset-fashion-mnist``
puts the four ``.gz`` files into ``/usr/share/datasets/fashion-mnist``), so :func:`load_mnist` reads
that folder as it is. For MNIST itself we found no Debian or PyPI package that ships the IDX files
under a stated licence: pass the folder of your own copy.

The embedded default data set is scikit-learn's ``load_digits`` (1,797 8x8 images with values
0..16, shipped inside scikit-learn), upsampled bilinearly to ``size x size`` in [0, 1].
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

#: IDX type byte -> numpy dtype (big-endian)
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

#: file stems of the four MNIST files, and the variants with a dot found in some mirrors
MNIST_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path}: corrupt gzip stream ({exc})") from None
    return raw


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (optionally gzip-compressed) into a native-endian numpy array."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no IDX file at {path}")
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or type_code not in IDX_DTYPES:
        raise ValueError(
            f"{path}: not an IDX file (magic bytes {data[:4].hex()}; expected 0000 followed by a "
            f"type byte in {[hex(c) for c in IDX_DTYPES]} and the number of dimensions)"
        )
    if ndim == 0:
        raise ValueError(f"{path}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header ({ndim} dimensions declared)")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"{path}: IDX header declares shape {shape} ({expected} data bytes) but the file "
            f"holds {len(data) - header} data bytes"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzip-compressed if ``path`` ends in ``.gz``)."""
    path = Path(path)
    array = np.asarray(array)
    codes = {dt.newbyteorder("=").str: code for code, dt in IDX_DTYPES.items()}
    key = array.dtype.newbyteorder("=").str
    if key not in codes or array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"cannot write dtype {array.dtype} / ndim {array.ndim} as IDX")
    code = codes[key]
    payload = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    payload += np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)


def _find(root: Path, stem: str) -> Path:
    dotted = stem.replace("-idx", ".idx")  # train-images.idx3-ubyte (some mirrors)
    for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
        if (root / name).is_file():
            return root / name
    raise FileNotFoundError(f"no {stem}[.gz] in {root}")


def load_mnist(root: str | Path, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """MNIST from the IDX files in folder ``root``.

    Returns ``(images, labels)``: ``uint8 (N, H, W)`` (28 x 28 for MNIST) and ``int64 (N,)``.
    """
    if split not in MNIST_FILES:
        raise ValueError(f"split must be one of {list(MNIST_FILES)}, got {split!r}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"MNIST folder {root} does not exist")
    image_stem, label_stem = MNIST_FILES[split]
    images = read_idx(_find(root, image_stem))
    labels = read_idx(_find(root, label_stem))
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"{image_stem}: expected uint8 images (N, H, W), got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1:
        raise ValueError(f"{label_stem}: expected labels (N,), got shape {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{split}: {len(images)} images but {len(labels)} labels")
    return images, labels.astype(np.int64)


def load_embedded_digits(
    size: int = 16, *, digit_size: int | None = None, jitter: int = 0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits as ``size x size`` grey-value images in [0, 1].

    Each 8x8 digit is upsampled bilinearly to ``digit_size x digit_size`` (default ``size``) and
    pasted into an empty ``size x size`` canvas, centred and then moved by a uniform random offset
    in ``-jitter .. jitter`` pixels along each axis (clipped to stay inside), drawn with ``seed``.
    ``digit_size = 20 * size / 28`` with a few pixels of jitter mimics MNIST, whose 20 x 20 digits
    sit in 28 x 28 frames at positions that vary by a few pixels (centre-of-mass centring).

    Returns ``(images float32 (1797, size, size), labels int64 (1797,))``. Needs scikit-learn
    (reads its bundled file; no download).
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 8:
        raise ValueError(f"size must be an int >= 8, got {size!r}")
    digit_size = size if digit_size is None else digit_size
    if not 1 <= digit_size <= size:
        raise ValueError(f"digit_size must be in 1..size={size}, got {digit_size}")
    if jitter < 0:
        raise ValueError(f"jitter must be >= 0, got {jitter}")
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the embedded digits need scikit-learn (pip install scikit-learn), "
            "or pass the path of an MNIST folder"
        ) from exc
    import torch
    import torch.nn.functional as F

    digits = load_digits()
    small = torch.from_numpy(digits.images.astype(np.float32) / 16.0)[:, None]
    if digit_size != 8:
        small = F.interpolate(
            small, size=(digit_size, digit_size), mode="bilinear", align_corners=False
        )
    small = small[:, 0].clamp_(0.0, 1.0).numpy()
    n = len(small)
    images = np.zeros((n, size, size), dtype=np.float32)
    start = (size - digit_size) // 2
    offsets = np.random.default_rng(seed).integers(-jitter, jitter + 1, size=(n, 2))
    offsets = np.clip(start + offsets, 0, size - digit_size)
    for i, (r, c) in enumerate(offsets):
        images[i, r : r + digit_size, c : c + digit_size] = small[i]
    return images, digits.target.astype(np.int64)
