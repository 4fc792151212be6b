r"""``IcoUNet``: a gauge-equivariant U-Net on the icosahedral atlas.

(B, C, V) per-vertex inputs on the level-r icosphere (vertex order of
:func:`gaugeconv.shapes.icosphere`) -> (B, K, V) per-vertex logits. Scalar inputs enter as scalar
fields; channel pairs named in ``vector_pairs`` are tangent vectors given by (east, north) components
(e.g. winds U, V) and enter as order-1 fields read in the chart gauge, turned into regular fields
(:func:`gaugeconv.ico.vectors.vectors_to_regular`). Inside, all features are regular C6 fields; the
head is a regular -> scalar hexagonal convolution. Every layer is exactly equivariant under the 60
rotations of the icosahedron (scalars move with the vertices, vectors are also rotated).

Architecture (``depth`` = D poolings, ``width`` = w regular fields at the top):
encoder ``block(in -> w)``, then D times ``pool, block(w 2^(k-1) -> w 2^k)``; decoder D times
``unpool, concat skip, block(-> w 2^k)``; head ``IcoConv(w -> K scalars)``. A block is
``(IcoConv, norm, ReLU) x 2``. Pentagon vertices: the network ignores the input there (the two poles
are not in the charts) and outputs the mean of the 5 neighbours' logits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..ico.atlas import get_atlas
from ..ico.conv import IcoConv
from ..ico.fields import FieldType
from ..ico.norm import IcoBatchNorm, IcoLayerNorm
from ..ico.pooling import IcoPool, IcoUnpool
from ..ico.vectors import vectors_to_regular

__all__ = ["IcoUNet", "IcoBlock"]


class IcoBlock(nn.Sequential):
    """``(conv, norm, ReLU) x 2`` from ``in_type`` to ``out_type``; ``conv(in_type, out_type,
    bias=...)`` builds each convolution (default :class:`~gaugeconv.ico.IcoConv`)."""

    def __init__(
        self,
        in_type: FieldType,
        out_type: FieldType,
        norm: str | None = "batch",
        conv: Callable[..., nn.Module] = IcoConv,
    ) -> None:
        layers: list[nn.Module] = []
        for t_in in (in_type, out_type):
            layers.append(conv(t_in, out_type, bias=norm is None))
            if norm == "batch":
                layers.append(IcoBatchNorm(out_type))
            elif norm == "layer":
                layers.append(IcoLayerNorm(out_type))
            elif norm is not None:
                raise ValueError(f"norm must be 'batch', 'layer' or None, got {norm!r}")
            layers.append(nn.ReLU())
        super().__init__(*layers)


def _unet_depth(
    in_channels: int, num_classes: int, level: int, width: int, depth: int | None
) -> int:
    """Validate a U-Net's sizes; the default depth pools down to level ``max(1, level - 3)``."""
    if level < 1:
        raise ValueError(f"level must be >= 1, got {level}")
    if depth is None:
        depth = min(3, level - 1)
    if depth < 0 or level - depth < 1:
        raise ValueError(
            f"depth {depth} pools level {level} below level 1 (need 0 <= depth <= level - 1)"
        )
    if in_channels < 1 or num_classes < 1 or width < 1:
        raise ValueError("in_channels, num_classes and width must be positive")
    return depth


def _build_unet(
    net: nn.Module,
    in_type: FieldType,
    types: list[FieldType],
    norm: str | None,
    pool: str,
    conv: Callable[..., nn.Module] = IcoConv,
) -> None:
    """Encoders ``in_type -> types[0] -> ... -> types[-1]`` with pooling in between, and decoders
    back up, each taking the skip connection concatenated with the unpooled features."""
    net.encoders = nn.ModuleList([IcoBlock(in_type, types[0], norm, conv)])
    net.pools = nn.ModuleList()
    for k in range(1, len(types)):
        net.pools.append(IcoPool(types[k - 1], pool))
        net.encoders.append(IcoBlock(types[k - 1], types[k], norm, conv))
    net.unpools = nn.ModuleList()
    net.decoders = nn.ModuleList()
    for k in reversed(range(len(types) - 1)):
        net.unpools.append(IcoUnpool(types[k + 1]))
        net.decoders.append(IcoBlock(types[k] + types[k + 1], types[k], norm, conv))


def _unet_body(net: nn.Module, h: torch.Tensor) -> torch.Tensor:
    """Encoder (pool, block), then decoder (unpool, concatenate the skip, block) on chart tensors."""
    skips = []
    for k, enc in enumerate(net.encoders):
        if k:
            h = net.pools[k - 1](h)
        h = enc(h)
        skips.append(h)
    skips.pop()
    for unpool, dec in zip(net.unpools, net.decoders):
        h = dec(torch.cat([skips.pop(), unpool(h)], 2))
    return h


class IcoUNet(nn.Module):
    """Gauge-equivariant U-Net: (B, in_channels, V) -> (B, num_classes, V) on the level grid."""

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        level: int,
        *,
        width: int = 8,
        depth: int | None = None,
        vector_pairs: Sequence[tuple[int, int]] = (),
        norm: str | None = "batch",
        pool: str = "max",
    ) -> None:
        super().__init__()
        depth = _unet_depth(in_channels, num_classes, level, width, depth)
        flat = [c for pair in vector_pairs for c in pair]
        if len(set(flat)) != len(flat) or any(not 0 <= c < in_channels for c in flat):
            raise ValueError(
                f"vector_pairs {list(vector_pairs)} must name distinct channels in [0, {in_channels})"
            )
        self.in_channels, self.num_classes, self.level, self.depth = (
            in_channels,
            num_classes,
            level,
            depth,
        )
        self.scalar_channels = [c for c in range(in_channels) if c not in flat]
        self.vector_channels = flat
        in_type = FieldType(len(self.scalar_channels), len(vector_pairs))
        types = [FieldType.regular_fields(width * 2**k) for k in range(depth + 1)]
        _build_unet(self, in_type, types, norm, pool)
        self.head = IcoConv(types[0], FieldType.scalar(num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        atlas = get_atlas(self.level)
        atlas.check_vertex_tensor(x, self.in_channels)
        parts = [x[:, self.scalar_channels]]
        if self.vector_channels:
            parts.append(vectors_to_regular(x[:, self.vector_channels], atlas))
        h = atlas.to_charts(torch.cat(parts, 1))
        return atlas.from_charts(self.head(_unet_body(self, h)), smooth_pentagons=True)
