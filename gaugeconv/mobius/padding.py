"""Seam padding: the columns a kernel sees beyond the strip's cut, taken from the other side.

Transport padding (gauge-equivariant CNNs) reads the padded columns from the double cover
(see :mod:`.isometry`): columns ``-p .. -1`` are columns ``L - p .. L - 1`` width-reversed with rho(s)
applied, columns ``L .. L + p - 1`` are columns ``0 .. p - 1`` width-reversed with rho(s) applied.
This is the discrete parallel transport of the flat strip's Levi-Civita connection in the grid's
gauge. Naive padding (the CNN baseline) glues the same columns with the width flip but leaves the
channels alone. Neither pads the width: the strip's two edges are zero-padded by the convolution.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .fields import FieldType, as_field_type
from .isometry import cover_columns


def _pad_length(
    x: torch.Tensor, pad: int, flip_columns: Callable[[torch.Tensor], torch.Tensor]
) -> torch.Tensor:
    length = x.shape[3]
    if pad < 0:
        raise ValueError(f"padding must be >= 0, got {pad}")
    if pad == 0:
        return x
    if pad <= length:
        left = flip_columns(x[..., length - pad :])
        right = flip_columns(x[..., :pad])
        return torch.cat([left, x, right], dim=3)
    # a kernel wider than the strip wraps around the double cover more than once
    cover = torch.cat([x, flip_columns(x)], dim=3)
    idx = cover_columns(torch.arange(-pad, length + pad, device=x.device), length)
    return cover[..., idx]


def transport_pad(
    x: torch.Tensor, field_type: FieldType | tuple[int, int, int], pad: int
) -> torch.Tensor:
    """Pad the length axis by ``pad`` columns on each side with parallel-transported columns.

    ``(B, C, W, L) -> (B, C, W, L + 2 pad)``; equals ``double_cover(x)`` read at columns
    ``-pad .. L + pad - 1`` modulo ``2L``.
    """
    field_type = as_field_type(field_type)
    field_type.check(x)
    return _pad_length(x, pad, lambda c: field_type.action(c.flip(2)))


def naive_pad(x: torch.Tensor, pad: int) -> torch.Tensor:
    """Like :func:`transport_pad` but the channels are not transformed across the seam."""
    if x.dim() != 4:
        raise ValueError(f"input must have shape (B, C, W, L), got {tuple(x.shape)}")
    return _pad_length(x, pad, lambda c: c.flip(2))
