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

from ..ico.atlas import get_atlas
from ..ico.conv import ico_conv
from ..ico.fields import FieldType
from .ico_unet import _build_unet, _unet_body, _unet_depth

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
        return ico_conv(x, self.weight, self.bias, self.in_type)


def _chart_conv(in_type: FieldType, out_type: FieldType, bias: bool) -> ChartConv:
    return ChartConv(in_type.size, out_type.size, bias=bias)


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
        types = [FieldType.scalar(6 * width * 2**k) for k in range(depth + 1)]
        _build_unet(self, FieldType.scalar(in_channels), types, norm, pool, _chart_conv)
        self.head = ChartConv(types[0].size, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        atlas = get_atlas(self.level)
        atlas.check_vertex_tensor(x, self.in_channels)
        h = atlas.to_charts(x)
        return atlas.from_charts(self.head(_unet_body(self, h)), smooth_pentagons=True)
