"""Digits on the Möbius strip: the "centered" and "shifted" data sets of the Möbius MNIST experiment.

An ``H x W`` grey-value image becomes one scalar field on a strip of width ``H`` and length ``W``:
image row ``r`` is strip width index ``w = r``, image column ``c`` is strip column ``l = c``.
"Centered" digits sit all at the same place and orientation; "shifted" digits are moved by a
uniformly random isometry shift ``t in {0, ..., 2L - 1}`` (:func:`~gaugeconv.mobius.shift`), so the
part of a digit that crosses the seam arrives mirrored, and digits shifted by ``L`` or more are
mirrored as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..data.mnist import load_embedded_digits, load_mnist
from .fields import FieldType
from .isometry import shift

SCALAR = FieldType(1, 0, 0)


def strip_digits(images: np.ndarray | torch.Tensor, seed: int) -> tuple[torch.Tensor, ...]:
    """``(N, H, W)`` images -> ``(centered, shifted, shifts)``: two ``(N, 1, H, W)`` float32
    scalar fields on the strip and the ``(N,)`` shifts drawn uniformly from ``0 .. 2W - 1``."""
    images = torch.as_tensor(np.asarray(images), dtype=torch.float32)
    if images.dim() != 3:
        raise ValueError(f"images must have shape (N, H, W), got {tuple(images.shape)}")
    centered = images[:, None].contiguous()
    rng = np.random.default_rng(seed)
    shifts = torch.from_numpy(rng.integers(0, 2 * images.shape[2], size=images.shape[0]))
    return centered, shift(centered, shifts, SCALAR), shifts


@dataclass
class MobiusDigits:
    """Train and test sets on the strip; ``*_centered``/``*_shifted`` are ``(N, 1, W, L)``."""

    source: str
    train_centered: torch.Tensor
    train_shifted: torch.Tensor
    train_labels: torch.Tensor
    test_centered: torch.Tensor
    test_shifted: torch.Tensor
    test_labels: torch.Tensor

    def inputs(self, split: str, placement: str) -> torch.Tensor:
        if split not in ("train", "test") or placement not in ("centered", "shifted"):
            raise ValueError(f"unknown data set {split}/{placement}")
        return getattr(self, f"{split}_{placement}")

    def describe(self) -> dict:
        return {
            "source": self.source,
            "n_train": int(self.train_labels.shape[0]),
            "n_test": int(self.test_labels.shape[0]),
            "width": int(self.train_centered.shape[2]),
            "length": int(self.train_centered.shape[3]),
        }


def load_mobius_digits(
    data: str | Path | None = None,
    *,
    n_train: int | None = None,
    n_test: int | None = None,
    size: int = 28,
    digit_size: int | None = None,
    jitter: int = 2,
    seed: int = 0,
) -> MobiusDigits:
    """The digits on the strip.

    ``data=None``: scikit-learn's embedded 8x8 digits, upsampled to ``digit_size`` (default
    ``round(20 size / 28)``, MNIST's proportion) in a ``size x size`` frame with up to ``jitter``
    pixels of random offset (MNIST-like position variation; see
    :func:`~gaugeconv.data.mnist.load_embedded_digits`), split at random (``seed``) into 2/3 train,
    1/3 test. ``data=<folder>``: the IDX files of MNIST or Fashion-MNIST (same file names,
    :func:`~gaugeconv.data.mnist.load_mnist`) from that folder; the
    first ``n_train`` (paper: 12,000) training and ``n_test`` test images. ``n_train``/``n_test``
    cap the set sizes. Shifts are drawn with ``seed`` (train) and ``seed + 1`` (test).
    """
    for name, n in (("n_train", n_train), ("n_test", n_test)):
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise ValueError(f"{name} must be a positive int or None, got {n!r}")
    if data is None:
        digit_size = round(20 * size / 28) if digit_size is None else digit_size
        images, labels = load_embedded_digits(size, digit_size=digit_size, jitter=jitter, seed=seed)
        order = np.random.default_rng(seed).permutation(len(labels))
        cut = (2 * len(labels)) // 3
        train_idx, test_idx = order[:cut], order[cut:]
        x_train, y_train = images[train_idx], labels[train_idx]
        x_test, y_test = images[test_idx], labels[test_idx]
        source = f"scikit-learn digits 8x8 -> {digit_size}x{digit_size} in {size}x{size}, jitter {jitter}"
    else:
        x_train, y_train = load_mnist(data, "train")
        x_test, y_test = load_mnist(data, "test")
        x_train = x_train.astype(np.float32) / 255.0
        x_test = x_test.astype(np.float32) / 255.0
        n_train = 12_000 if n_train is None else n_train
        source = f"IDX files (MNIST layout) in {data}"
    x_train, y_train = x_train[:n_train], y_train[:n_train]
    x_test, y_test = x_test[:n_test], y_test[:n_test]
    train_c, train_s, _ = strip_digits(x_train, seed)
    test_c, test_s, _ = strip_digits(x_test, seed + 1)
    return MobiusDigits(
        source,
        train_c,
        train_s,
        torch.as_tensor(y_train, dtype=torch.long),
        test_c,
        test_s,
        torch.as_tensor(y_test, dtype=torch.long),
    )
