"""The grid of the flat Möbius strip, its orientation double cover and its isometries (shifts).

Grid conventions
----------------
A feature tensor has shape ``(B, C, W, L)``: width (the reflected axis) first, then length (the
periodic axis with the twist). Cell ``(w, l)`` sits at the point of the flat strip
``[0, L) x [-(W-1)/2, (W-1)/2] / ((L, y) ~ (0, -y))`` with coordinates

    length ``x = l``,   width ``y = w - (W - 1) / 2``        (units: one grid cell)

so the reflection of the width, ``y -> -y``, is ``w -> W - 1 - w``. This is the vertex grid of
``gaugeconv.shapes.mobius_strip(n_length=L, n_width=W, flat=True)`` (up to the scale of each axis:
the mesh spaces columns by ``2 pi R / L`` and rows by ``2 half_width / (W - 1)``): cell ``(w, l)``
is its vertex ``l * W + w`` at ``(u, v) = (2 pi R l / L, -half_width + 2 half_width w / (W - 1))``
(see :func:`grid_to_vertices`), and the mesh's seam joins vertex ``(L - 1, w)`` to ``(0, W - 1 - w)``
exactly as here.

The grid's gauge is the frame ``e1 = d/dx`` (along the length, increasing ``l``), ``e2 = d/dy``
(increasing ``w``); compare mesh features in this frame. It is smooth everywhere except across the
*seam* between column ``L - 1`` and column ``0``, where the frames of the two sides differ by the
reflection ``s`` (``e2 -> -e2``). Parallel transport across the seam therefore applies rho(s) to
the features and reverses the width. In O(2) terms (``docs/design.md``, "Features"): a scalar is order 0, a
sign-flip field is a pseudo-scalar, and a regular field ``(a, b)`` is ``a + b`` (scalar) plus
``a - b`` (sign-flip).

Double cover
------------
Unrolling the strip twice gives its orientation double cover, a cylinder of circumference ``2L``.
A field ``f`` on the strip lifts to ``F`` on the cylinder with ``F[l] = f[l]`` and
``F[l + L] = rho(s) flip_w(f[l])`` (:func:`double_cover`). Every operation of this package is a
translation-equivariant operation on ``F`` that preserves this relation.

Isometries
----------
The shift by ``t`` columns moves column ``i`` to ``i + t``; columns crossing the seam arrive
width-reversed and with rho(s) applied. On the double cover it is the translation by ``t``:

    ``shift(f, t)[l] = F[(l - t) mod 2L]``.

Shifting by ``L`` is the global flip (width reversed and rho(s) on every column, :func:`global_flip`),
shifting by ``2L`` is the identity, and ``shift(shift(f, a), b) = shift(f, a + b)``.
"""

from __future__ import annotations

import operator

import torch

from .fields import FieldType, as_field_type


def global_flip(x: torch.Tensor, field_type: FieldType | tuple[int, int, int]) -> torch.Tensor:
    """The isometry ``shift(x, L)``: reverse the width axis and apply rho(s) to every cell."""
    field_type = as_field_type(field_type)
    field_type.check(x)
    return field_type.action(x.flip(2))


def double_cover(x: torch.Tensor, field_type: FieldType | tuple[int, int, int]) -> torch.Tensor:
    """Lift ``(B, C, W, L)`` to the double cover ``(B, C, W, 2L)``: ``[x | global_flip(x)]``."""
    return torch.cat([x, global_flip(x, field_type)], dim=3)


def naive_double_cover(x: torch.Tensor) -> torch.Tensor:
    """``[x | flip_w(x)]``: the seam is glued with the width flip but channels are NOT transformed.

    This is what a conventional CNN on the strip sees (a coordinate-dependent gluing); it is the
    lift of :func:`double_cover` for an all-scalar field type and wrong for any other.
    """
    if x.dim() != 4:
        raise ValueError(f"input must have shape (B, C, W, L), got {tuple(x.shape)}")
    return torch.cat([x, x.flip(2)], dim=3)


def cover_columns(columns: torch.Tensor, length: int) -> torch.Tensor:
    """Column indices of the double cover for strip columns ``columns`` (any integers)."""
    return torch.remainder(columns, 2 * length)


def shift(
    x: torch.Tensor,
    t: int | torch.Tensor,
    field_type: FieldType | tuple[int, int, int],
) -> torch.Tensor:
    """Shift the strip by ``t`` columns (column ``i`` goes to ``i + t``).

    ``t`` is an int (any sign; only ``t mod 2L`` matters) or a ``(B,)`` integer tensor giving one
    shift per batch element. Columns that cross the seam arrive width-reversed with rho(s) applied.
    """
    field_type = as_field_type(field_type)
    field_type.check(x)
    length = x.shape[3]
    cover = double_cover(x, field_type)
    target = torch.arange(length, device=x.device)
    if isinstance(t, torch.Tensor) and t.dim() > 0:
        if t.dim() != 1 or t.shape[0] != x.shape[0] or t.dtype.is_floating_point:
            raise ValueError(
                f"per-sample shifts must be an integer tensor of shape ({x.shape[0]},), "
                f"got dtype {t.dtype} and shape {tuple(t.shape)}"
            )
        idx = cover_columns(target[None, :] - t.to(x.device)[:, None], length)  # (B, L)
        idx = idx[:, None, None, :].expand(-1, x.shape[1], x.shape[2], -1)
        return torch.gather(cover, 3, idx)
    try:
        t = operator.index(t.item() if isinstance(t, torch.Tensor) else t)
    except TypeError:
        raise ValueError(f"shift t must be an integer, got {t!r}") from None
    return cover[..., cover_columns(target - t, length)]


def grid_to_vertices(x: torch.Tensor) -> torch.Tensor:
    """``(B, C, W, L)`` grid features -> ``(B, L * W, C)`` features on the vertices of
    ``gaugeconv.shapes.mobius_strip(n_length=L, n_width=W, flat=True)`` (vertex ``l * W + w``)."""
    if x.dim() != 4:
        raise ValueError(f"input must have shape (B, C, W, L), got {tuple(x.shape)}")
    return x.permute(0, 3, 2, 1).flatten(1, 2)


def vertices_to_grid(f: torch.Tensor, width: int, length: int) -> torch.Tensor:
    """Inverse of :func:`grid_to_vertices`: ``(B, L * W, C)`` -> ``(B, C, W, L)``."""
    if f.dim() != 3 or f.shape[1] != width * length:
        raise ValueError(
            f"vertex features must have shape (B, L*W={length * width}, C), got {tuple(f.shape)}"
        )
    return f.unflatten(1, (length, width)).permute(0, 3, 2, 1)
