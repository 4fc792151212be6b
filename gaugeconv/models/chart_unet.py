r"""``ChartUNet``: a plain (non-equivariant) CNN on the icosahedral charts, the baseline of
:class:`~gaugeconv.models.IcoUNet`.

Same layout, pooling and channel counts as ``IcoUNet`` (``6 * width * 2**k`` channels at depth k, so
the same ``conv2d`` cost), but every convolution has a free 3 x 3 kernel (all nine taps, no C6
constraint) and every channel is padded across the chart seams as a *scalar* (copied without the
60-degree orientation shift a regular field would need). It is what a "CNN on the unfolded
icosahedron" does: the kernel's orientation is the chart's, which jumps by multiples of 60 degrees
across seams and is not related by any symmetry from one vertex to another, so the network is not
equivariant under the icosahedron's rotations (it can still learn from the data: the charts are a
fixed, consistent layout). Pentagon inputs are ignored and pentagon outputs are the mean of their 5
neighbours, as in ``IcoUNet``. It has about 7.7 times as many parameters per channel pair (9 free
taps against the 42 / 36 of a regular C6 kernel per 6 x 6 block, 7 / 6 for the others).

(B, C, V) per-vertex inputs on the level grid -> (B, K, V) logits.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..ico.atlas import get_atlas, level_of_chart_shape, n_vertices
from ..ico.conv import ico_conv
from ..ico.fields import FieldType
from ..ico.norm import IcoBatchNorm, IcoLayerNorm
from ..ico.pooling import IcoPool, IcoUnpool
from .ico_unet import _unet_body, _unet_depth

__all__ = ["ChartConv", "ChartUNet"]


class ChartConv(nn.Module):
    """Free 3 x 3 convolution on the padded charts (channels padded as scalars)."""

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True) -> None:
        super().__init__()
        if min(in_channels, out_channels) < 1:
            raise ValueError("in_channels and out_channels must be >= 1")
        self.in_type = FieldType.scalar(in_channels)
        self.weight = nn.Parameter(
            torch.randn(out_channels, in_channels, 3, 3) * math.sqrt(2.0 / (9 * in_channels))
        )
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        atlas = get_atlas(level_of_chart_shape(x))
        return ico_conv(x, self.weight, self.bias, self.in_type, atlas)


def _block(c_in: int, c_out: int, norm: str | None) -> nn.Sequential:
    layers: list[nn.Module] = []
    for c in (c_in, c_out):
        layers.append(ChartConv(c, c_out, bias=norm is None))
        if norm == "batch":
            layers.append(IcoBatchNorm(FieldType.scalar(c_out)))
        elif norm == "layer":
            layers.append(IcoLayerNorm(FieldType.scalar(c_out)))
        elif norm is not None:
            raise ValueError(f"norm must be 'batch', 'layer' or None, got {norm!r}")
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class ChartUNet(nn.Module):
    """Non-equivariant U-Net on the charts: (B, in_channels, V) -> (B, num_classes, V)."""

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        level: int,
        *,
        width: int = 8,
        depth: int | None = None,
        norm: str | None = "batch",
        pool: str = "max",
    ) -> None:
        super().__init__()
        depth = _unet_depth(in_channels, num_classes, level, width, depth)
        self.in_channels, self.num_classes, self.level, self.depth = (
            in_channels,
            num_classes,
            level,
            depth,
        )
        ch = [6 * width * 2**k for k in range(depth + 1)]
        scal = FieldType.scalar
        self.encoders = nn.ModuleList([_block(in_channels, ch[0], norm)])
        self.pools = nn.ModuleList()
        for k in range(1, depth + 1):
            self.pools.append(IcoPool(scal(ch[k - 1]), pool))
            self.encoders.append(_block(ch[k - 1], ch[k], norm))
        self.unpools = nn.ModuleList()
        self.decoders = nn.ModuleList()
        for k in reversed(range(depth)):
            self.unpools.append(IcoUnpool(scal(ch[k + 1])))
            self.decoders.append(_block(ch[k] + ch[k + 1], ch[k], norm))
        self.head = ChartConv(ch[0], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"expected input (B, {self.in_channels}, {n_vertices(self.level)}), "
                f"got shape {tuple(x.shape)}"
            )
        atlas = get_atlas(self.level)
        h = atlas.to_charts(x)
        return atlas.from_charts(self.head(_unet_body(self, h)), smooth_pentagons=True)
