r"""Equivariant pooling and unpooling between nested grids (level r <-> r - 1).

The level r-1 grid is a prefix of the level r grid and sits at the even cells:
coarse ``(i, h, w)`` = fine ``(i, 2h, 2w)``.

**Pooling** (``IcoPool``, stride 2, hexagonal window): coarse ``(i, h, w)`` takes the maximum (or the
mean) over the fine cell ``(2h, 2w)`` and its six hexagonal neighbours, read through the padding in
the centre's gauge (regular channels shifted where chart frames differ). A rotation maps a fine
hexagon onto a fine hexagon around the image point and rolls the regular channels of all seven cells
by the centre's shift, so channel-wise max / mean commute with it. (Per-chart 2 x 2 pooling does not:
its window is not symmetric and ignores the chart seams.) Pentagon cells (zero) take part as zeros;
the coarse pentagons are set to zero.

**Unpooling** (``IcoUnpool``): linear interpolation along the edges of the coarse triangulation. A
fine cell at a coarse point copies it; a fine cell at the midpoint of a coarse edge gets the mean of
the edge's two ends, read in its gauge (the edges are the hexagonal directions ``b``, ``d`` and
``b + d``, so the midpoint of ``(h, w)`` and ``(h + 1, w + 1)`` is averaged but never the other
diagonal). Where one end is a pentagon (no value), the other end is copied. Rotations map coarse
edges and their midpoints onto coarse edges and midpoints, so this is exactly equivariant; per-chart
bilinear upsampling is not (it mixes the non-edge diagonal and ignores seams and frame shifts).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .atlas import N_CHARTS, N_PENTAGONS, OFFSETS, IcoAtlas, get_atlas, level_of_chart_shape
from .fields import FieldType
from .padding import pad_charts, zero_pentagons

__all__ = ["IcoPool", "IcoUnpool", "ico_pool", "ico_unpool"]

_WINDOW = [(0, 0), *[tuple(o) for o in OFFSETS.tolist()]]


def ico_pool(x: torch.Tensor, ftype: FieldType, mode: str = "max") -> torch.Tensor:
    """(B, 5, C, H, W) at level r >= 1 -> (B, 5, C, H/2, W/2) at level r - 1."""
    level = level_of_chart_shape(x)
    if level < 1:
        raise ValueError("cannot pool below level 0")
    if mode not in ("max", "mean"):
        raise ValueError(f"mode must be 'max' or 'mean', got {mode!r}")
    fine = get_atlas(level)
    b, _, c, h, w = x.shape
    xp = pad_charts(x, ftype, fine)
    out = None
    for dh, dw in _WINDOW:
        tap = xp[:, :, 1 + dh : 1 + dh + h : 2, 1 + dw : 1 + dw + w : 2]
        if out is None:
            out = tap
        elif mode == "max":
            out = torch.maximum(out, tap)
        else:
            out = out + tap
    if mode == "mean":
        out = out / len(_WINDOW)
    out = out.reshape(b, N_CHARTS, c, h // 2, w // 2)
    return zero_pentagons(out, get_atlas(level - 1))


def _unpool_weights(coarse: IcoAtlas) -> np.ndarray:
    """(5, 1, 2 Hc, 2 Wc) weight of the sum of a fine cell's coarse ends: 1 / (number of
    non-pentagon ends), 0 at fine pentagons."""
    hc, wc = coarse.H, coarse.W
    ok = (coarse.pad_vertex >= N_PENTAGONS).astype(float)  # padded coarse cells with values
    ends = {
        (0, 0): [(0, 0)],
        (1, 0): [(0, 0), (1, 0)],
        (0, 1): [(0, 0), (0, 1)],
        (1, 1): [(0, 0), (1, 1)],
    }
    wgt = np.zeros((N_CHARTS, 2 * hc, 2 * wc))
    for (ph, pw), pairs in ends.items():
        count = sum(ok[:, 1 + dh : 1 + dh + hc, 1 + dw : 1 + dw + wc] for dh, dw in pairs)
        wgt[:, ph::2, pw::2] = np.divide(1.0, count, out=np.zeros_like(count), where=count > 0)
    return wgt[:, None]


def ico_unpool(x: torch.Tensor, ftype: FieldType) -> torch.Tensor:
    """(B, 5, C, Hc, Wc) at level r - 1 -> (B, 5, C, 2 Hc, 2 Wc) at level r."""
    coarse = get_atlas(level_of_chart_shape(x))
    b, _, c, hc, wc = x.shape
    xp = pad_charts(x, ftype, coarse)
    c00 = xp[:, :, 1 : hc + 1, 1 : wc + 1]
    c10 = xp[:, :, 2 : hc + 2, 1 : wc + 1]
    c01 = xp[:, :, 1 : hc + 1, 2 : wc + 2]
    c11 = xp[:, :, 2 : hc + 2, 2 : wc + 2]
    even_h = torch.stack([c00, c00 + c01], -1)  # fine (2h, 2w), (2h, 2w + 1)
    odd_h = torch.stack([c00 + c10, c00 + c11], -1)  # fine (2h + 1, 2w), (2h + 1, 2w + 1)
    fine = torch.stack([even_h, odd_h], -3).reshape(b, N_CHARTS, c, 2 * hc, 2 * wc)
    weights = coarse.cached(
        ("unpool", str(x.device), x.dtype),
        lambda: torch.as_tensor(_unpool_weights(coarse), dtype=x.dtype, device=x.device),
    )
    return fine * weights


class IcoPool(nn.Module):
    """Hexagonal stride-2 pooling (``mode`` = 'max' or 'mean') onto the next coarser grid."""

    def __init__(self, ftype: FieldType, mode: str = "max") -> None:
        super().__init__()
        if mode not in ("max", "mean"):
            raise ValueError(f"mode must be 'max' or 'mean', got {mode!r}")
        self.ftype, self.mode = ftype, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ico_pool(x, self.ftype, self.mode)

    def extra_repr(self) -> str:
        return f"{self.ftype}, mode={self.mode!r}"


class IcoUnpool(nn.Module):
    """Edge-midpoint interpolation onto the next finer grid."""

    def __init__(self, ftype: FieldType) -> None:
        super().__init__()
        self.ftype = ftype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ico_unpool(x, self.ftype)

    def extra_repr(self) -> str:
        return f"{self.ftype}"
