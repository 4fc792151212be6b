r"""Padding of chart tensors from neighbouring charts, with the gauge shift of regular fields.

``pad_charts(x)`` returns the charts (B * 5, C, H + 2, W + 2) with a one-cell ring copied from the
cells it coincides with on the sphere (``IcoAtlas.pad_vertex``). Where the two charts' frames differ
by ``t`` steps of 60 degrees (``IcoAtlas.pad_shift``; direction ``o`` of this chart is direction
``o + t`` of the source chart), a regular field is read as ``src[(o + t) mod 6]``: the padded value is
expressed in the padded chart's gauge. Pentagon cells inside the chart, padding cells whose source is
a pentagon and cells with no source are zero, so every layer built on this ignores pentagon values.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from .atlas import N_CHARTS, N_PENTAGONS, IcoAtlas
from .fields import ORDER, FieldType

__all__ = ["pad_charts", "padding_tables", "zero_pentagons"]


def padding_tables(
    atlas: IcoAtlas, ftype: FieldType
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flat indices, per batch element, for ``pad_charts``: ``(src, dst, zero_pad, zero_in)``.

    ``padded.view(B, -1)[:, dst] = x.view(B, -1)[:, src]`` fills the ring cells that have a source;
    ``zero_pad`` are the other ring cells and the pentagon cells inside the padded charts (set to
    zero), ``zero_in`` the pentagon cells in ``x``."""
    H, W, C = atlas.H, atlas.W, ftype.size  # noqa: N806
    hp, wp = H + 2, W + 2
    pv = atlas.pad_vertex.reshape(N_CHARTS, -1)
    ps = atlas.pad_shift.reshape(N_CHARTS, -1)
    ph, pw = np.divmod(np.arange(hp * wp), wp)
    ring = ~((ph >= 1) & (ph <= H) & (pw >= 1) & (pw <= W))
    chart, cell = np.nonzero(ring[None] & (pv >= N_PENTAGONS))
    src_flat = atlas.vertex_cell[pv[chart, cell]]
    src_chart, src_hw = np.divmod(src_flat, H * W)
    rot = np.stack([ftype.rotated_channels(t) for t in range(ORDER)])  # (6, C)
    ch = np.arange(C)[None]
    dst = (chart[:, None] * C + ch) * (hp * wp) + cell[:, None]
    src = (src_chart[:, None] * C + rot[ps[chart, cell]]) * (H * W) + src_hw[:, None]
    pchart, phw = np.divmod(atlas.pentagon_cells, H * W)
    pcell = (phw // W + 1) * wp + phw % W + 1
    zchart, zcell = np.nonzero(ring[None] & (pv < N_PENTAGONS))  # pentagon or no source
    zchart, zcell = np.concatenate([zchart, pchart]), np.concatenate([zcell, pcell])
    zero_pad = (zchart[:, None] * C + ch) * (hp * wp) + zcell[:, None]
    zero_in = (pchart[:, None] * C + ch) * (H * W) + phw[:, None]
    return tuple(a.reshape(-1) for a in (src, dst, zero_pad, zero_in))


def _tables(atlas: IcoAtlas, ftype: FieldType, device) -> tuple[torch.Tensor, ...]:
    return atlas.cached(
        ("pad", ftype, str(device)),
        lambda: tuple(torch.as_tensor(a, device=device) for a in padding_tables(atlas, ftype)),
    )


class _PadCharts(torch.autograd.Function):
    """Linear map x -> padded charts with a hand-written adjoint (avoids autograd's copies of the
    whole padded gradient for in-place writes into views)."""

    @staticmethod
    def forward(ctx, x, src, dst, zero_pad, zero_in):
        b, n, c, h, w = x.shape
        xp = x.new_empty(b * n, c, h + 2, w + 2)
        xp[:, :, 1:-1, 1:-1] = x.reshape(b * n, c, h, w)
        flat = xp.view(b, -1)
        flat.index_copy_(1, dst, x.reshape(b, -1).index_select(1, src))
        flat.index_fill_(1, zero_pad, 0)
        ctx.save_for_backward(src, dst, zero_in)
        ctx.x_shape = x.shape
        return xp

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        src, dst, zero_in = ctx.saved_tensors
        b = ctx.x_shape[0]
        gx = grad[:, :, 1:-1, 1:-1].contiguous()
        gflat = gx.view(b, -1)
        gflat.index_fill_(1, zero_in, 0)
        gflat.index_add_(1, src, grad.reshape(b, -1).index_select(1, dst))
        return gx.view(ctx.x_shape), None, None, None, None


def pad_charts(x: torch.Tensor, ftype: FieldType, atlas: IcoAtlas) -> torch.Tensor:
    """(B, 5, C, H, W) -> (B * 5, C, H + 2, W + 2), padded across chart boundaries (module doc)."""
    atlas.check_chart_tensor(x)
    ftype.check_channels(x.shape[2])
    return _PadCharts.apply(x, *_tables(atlas, ftype, x.device))


class _ZeroCells(torch.autograd.Function):
    """In-place ``y.view(B, -1)[:, idx] = 0`` with its adjoint."""

    @staticmethod
    def forward(ctx, y, idx):
        y.view(y.shape[0], -1).index_fill_(1, idx, 0)
        ctx.mark_dirty(y)
        ctx.save_for_backward(idx)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (idx,) = ctx.saved_tensors
        g = grad.contiguous()
        if not bool((g.view(g.shape[0], -1).index_select(1, idx) == 0).all()):
            # (the layers of this package ignore pentagon cells, so usually nothing to clear)
            g = g.clone()
            g.view(g.shape[0], -1).index_fill_(1, idx, 0)
        return g, None


def zero_pentagons(y: torch.Tensor, atlas: IcoAtlas) -> torch.Tensor:
    """Chart tensor (B, 5, C, H, W) with its pentagon cells set to zero (in place when possible)."""
    atlas.check_chart_tensor(y)
    c = y.shape[2]

    def make() -> torch.Tensor:
        chart, hw = np.divmod(atlas.pentagon_cells, atlas.H * atlas.W)
        idx = (chart[:, None] * c + np.arange(c)[None]) * (atlas.H * atlas.W) + hw[:, None]
        return torch.as_tensor(idx.reshape(-1), device=y.device)

    cells = atlas.cached(("zero", c, str(y.device)), make)
    if not y.is_contiguous():
        y = y.contiguous()
    return _ZeroCells.apply(y, cells)
