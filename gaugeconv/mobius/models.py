"""The model zoo of the Möbius digits experiment (Weiler et al. 2021, "Coordinate Independent
Convolutional Networks", section 5, tables of models and results).

Every model: six 5 x 5 conv blocks (conv + nonlinearity; the last conv has none) with two 2 x 2
poolings, a global max pool over the strip, and an MLP head
``BN(64) - ELU - Dropout(0.3) - Linear(64, 32) - BN(32) - ELU - Dropout(0.3) - Linear(32, classes)``.

Gauge CNNs (:class:`MobiusGaugeCNN`) differ only in the field multiplicities of the conv blocks;
each "unit" uses 4 channels. With ``width = 4`` (the paper) the blocks have ``4, 8, 16, 32, 64``
units, then 64 scalar fields:

============  =================================  ========================
mode          unit (n_scalar, n_sign, n_regular)  conv blocks (paper)
============  =================================  ========================
``scalar``    (4, 0, 0)                          (16,0,0) ... (256,0,0)
``signflip``  (0, 4, 0)                          (0,16,0) ... (0,256,0)
``regular``   (0, 0, 2)                          (0,0,8) ... (0,0,128)
``irreps``    (2, 2, 0)                          (8,8,0) ... (128,128,0)
``mixed``     (1, 1, 1)                          (4,4,4) ... (64,64,64)
============  =================================  ========================

(The paper's table prints (4,4,2) ... (64,64,32) for the mixed model; that has 12 channels, not
the 16 of every other model, and does not give the published 752k parameters. The public
reference code builds (4,4,4) ... (64,64,64), which has 16 channels and exactly 752,038.)

The CNN baselines (:class:`MobiusCNN`) use naive seam padding and ``floor(c / sqrt(alpha))``
channels: ``alpha = 1`` keeps the channels (``cnn_channels``, more parameters), ``alpha = 2`` about
the parameter count of the gauge CNNs (``cnn_params``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from .conv import MobiusConv, NaiveMobiusConv
from .fields import FieldType, as_field_type
from .nonlinearity import MobiusELU
from .pooling import MobiusMaxPool, global_max_pool

#: field multiplicities of one 4-channel unit of each gauge CNN
GAUGE_UNITS: dict[str, FieldType] = {
    "scalar": FieldType(4, 0, 0),
    "signflip": FieldType(0, 4, 0),
    "regular": FieldType(0, 0, 2),
    "irreps": FieldType(2, 2, 0),
    "mixed": FieldType(1, 1, 1),
}

#: all models of the paper, in the order of its table
ZOO: tuple[str, ...] = (
    "cnn_channels",
    "cnn_params",
    "scalar",
    "signflip",
    "regular",
    "irreps",
    "mixed",
)

#: the exact parameter counts of the published models (MobiusCNNs reference, rounded in the paper's
#: table to 1501k, 832k, 902k, 820k, 752k, 752k, 752k)
PUBLISHED_PARAMS: dict[str, int] = {
    "cnn_channels": 1_501_162,
    "cnn_params": 832_190,
    "scalar": 901_962,
    "signflip": 819_962,
    "regular": 751_914,
    "irreps": 752_162,
    "mixed": 752_038,
}

#: published test errors (%) on Möbius MNIST, mean of 32 runs: (train shifted, train centered),
#: both tested on shifted digits
PUBLISHED_ERRORS: dict[str, dict[str, float]] = {
    "cnn_channels": {"train_shifted": 1.97, "train_centered": 42.99},
    "cnn_params": {"train_shifted": 2.08, "train_centered": 43.68},
    "scalar": {"train_shifted": 1.60, "train_centered": 1.60},
    "signflip": {"train_shifted": 4.27, "train_centered": 4.89},
    "regular": {"train_shifted": 1.24, "train_centered": 1.23},
    "irreps": {"train_shifted": 1.65, "train_centered": 1.64},
    "mixed": {"train_shifted": 1.43, "train_centered": 1.42},
}

#: units per conv block, relative to ``width`` (the paper: width 4 -> 4, 8, 16, 32, 64 units)
_BLOCK_SCALE = (1, 2, 4, 8, 16)
_POOL_AFTER = (1, 3)  # pool after the second and the fourth conv block


def _head(features: int, classes: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.BatchNorm1d(features),
        nn.ELU(),
        nn.Dropout(dropout),
        nn.Linear(features, 32),
        nn.BatchNorm1d(32),
        nn.ELU(),
        nn.Dropout(dropout),
        nn.Linear(32, classes),
    )


class _StripClassifier(nn.Module):
    """Conv blocks (conv, nonlinearity; 2 x 2 max pooling after the blocks in ``_POOL_AFTER``), a last
    conv to ``head`` scalar fields, global max pooling over the strip and the MLP head."""

    def __init__(
        self,
        in_fields: FieldType | tuple[int, int, int] | int,
        blocks: list[FieldType],
        conv: Callable[[FieldType, FieldType, int], nn.Module],
        act: Callable[[FieldType], nn.Module],
        kernel_size: int,
        head: int,
        classes: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.in_fields = as_field_type(in_fields)
        self.out_fields = FieldType(head, 0, 0)
        layers: list[nn.Module] = []
        fields = self.in_fields
        for i, out in enumerate(blocks):
            layers += [conv(fields, out, kernel_size), act(out)]
            if i in _POOL_AFTER:
                layers.append(MobiusMaxPool(out))
            fields = out
        layers.append(conv(fields, self.out_fields, kernel_size))
        self.features = nn.Sequential(*layers)
        self.classifier = _head(head, classes, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.in_fields)
        return self.classifier(global_max_pool(self.features(x), self.out_fields))


class MobiusGaugeCNN(_StripClassifier):
    """Orientation-independent (gauge-equivariant) CNN on the Möbius strip.

    Args:
        mode: one of ``GAUGE_UNITS`` ("scalar", "signflip", "regular", "irreps", "mixed").
        in_fields: input field type (default one scalar field: a grey-value image).
        classes: number of classes.
        kernel_size: odd conv kernel size (paper: 5).
        width: units in the first conv block (paper: 4); block ``i`` has ``width * 2^i`` units.
        head: number of scalar fields of the last conv (paper: 64).
        dropout: dropout of the MLP head (paper: 0.3).

    Input ``(B, C_in, W, L)`` with ``L`` divisible by 4; output logits ``(B, classes)``, invariant
    under every shift by a multiple of 4 (two poolings), which includes the global flip ``t = L``.
    """

    def __init__(
        self,
        mode: str = "regular",
        in_fields: FieldType | tuple[int, int, int] | int = 1,
        classes: int = 10,
        kernel_size: int = 5,
        width: int = 4,
        head: int = 64,
        dropout: float = 0.3,
    ) -> None:
        if mode not in GAUGE_UNITS:
            raise ValueError(
                f"unknown gauge CNN mode {mode!r}; expected one of {list(GAUGE_UNITS)}"
            )
        if width < 1:
            raise ValueError(f"width must be >= 1, got {width}")
        unit = GAUGE_UNITS[mode]
        blocks = [unit * (width * scale) for scale in _BLOCK_SCALE]
        super().__init__(
            in_fields, blocks, MobiusConv, MobiusELU, kernel_size, head, classes, dropout
        )
        self.mode = mode


class MobiusCNN(_StripClassifier):
    """Conventional CNN baseline with naive seam padding (not gauge equivariant).

    Same topology, pooling and head as :class:`MobiusGaugeCNN`; conv block ``i`` has
    ``floor(4 * width * 2^i / sqrt(alpha))`` channels. ``alpha = 1``: same channels as the gauge
    CNNs; ``alpha = 2``: about their parameter count.
    """

    def __init__(
        self,
        alpha: float = 1.0,
        in_fields: FieldType | tuple[int, int, int] | int = 1,
        classes: int = 10,
        kernel_size: int = 5,
        width: int = 4,
        head: int = 64,
        dropout: float = 0.3,
    ) -> None:
        if alpha <= 0:
            raise ValueError(f"alpha must be positive, got {alpha}")
        if width < 1:
            raise ValueError(f"width must be >= 1, got {width}")
        blocks = [
            FieldType(int((4 * width * scale) // math.sqrt(alpha)), 0, 0) for scale in _BLOCK_SCALE
        ]
        super().__init__(
            in_fields,
            blocks,
            NaiveMobiusConv,
            lambda _: nn.ELU(),
            kernel_size,
            head,
            classes,
            dropout,
        )


def _check_input(x: torch.Tensor, fields: FieldType) -> None:
    fields.check(x)
    if x.shape[3] % 4:
        raise ValueError(
            f"the strip length L must be divisible by 4 (two 2x2 poolings), got L={x.shape[3]}"
        )


def build_model(name: str, **kwargs) -> MobiusGaugeCNN | MobiusCNN:
    """A model of the zoo by name (see ``ZOO``); ``kwargs`` go to the model's constructor."""
    if name == "cnn_channels":
        return MobiusCNN(alpha=1.0, **kwargs)
    if name == "cnn_params":
        return MobiusCNN(alpha=2.0, **kwargs)
    if name in GAUGE_UNITS:
        return MobiusGaugeCNN(mode=name, **kwargs)
    raise ValueError(f"unknown model {name!r}; expected one of {list(ZOO)}")


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
