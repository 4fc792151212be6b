"""Pooling on the Möbius strip grid.

:class:`MobiusMaxPool` halves both axes with 2 x 2 windows (stride 2):

* scalar and regular channels: max pooling (commutes with rho(s), which is the identity or a
  channel permutation);
* sign-flip channels: the entry of largest absolute value, with its sign (commutes with negation;
  exact ties between ``+v`` and ``-v`` in one window are broken by position, a measure-zero case).

Why only even shifts. Along the length, the windows are columns ``(2j, 2j + 1)``. A shift by an
even ``t`` maps windows onto windows, so ``pool(shift(f, t)) = shift(pool(f), t / 2)``; an odd shift
straddles them and no such identity holds (as for any strided CNN). The pooled field must again be
a field on a Möbius strip, i.e. its double cover of length ``2L' = L`` must carry the relation
``F[l + L'] = rho(s) flip F[l]``: this needs ``L`` even, which is therefore required. Along the width,
the window partition must be mirror symmetric so that the global flip (shift by ``L``) commutes: for
even ``W`` the windows ``(2i, 2i + 1)`` are; for odd ``W`` we average the two pools obtained by
padding one empty row on the top or on the bottom (output width ``(W + 1) / 2``).

A network with ``n`` pooling layers is therefore equivariant to shifts by multiples of ``2^n``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .fields import FieldType, as_field_type


def _max_pool(x: torch.Tensor) -> torch.Tensor:
    return F.max_pool2d(x, kernel_size=2, stride=2)


def _abs_max_pool(x: torch.Tensor) -> torch.Tensor:
    """Per window, the entry of largest magnitude (keeping its sign)."""
    _, idx = F.max_pool2d(x.abs(), kernel_size=2, stride=2, return_indices=True)
    return x.flatten(2).gather(2, idx.flatten(2)).view_as(idx)


def _pool_rows(x: torch.Tensor, pool, fill: float) -> torch.Tensor:
    """Apply a 2x2/stride-2 ``pool``; for odd widths average the top- and bottom-padded pools."""
    if x.shape[2] % 2 == 0:
        return pool(x)
    top = pool(F.pad(x, (0, 0, 1, 0), value=fill))
    bottom = pool(F.pad(x, (0, 0, 0, 1), value=fill))
    return 0.5 * (top + bottom)


class MobiusMaxPool(nn.Module):
    """2 x 2 max pooling of Möbius fields (sign-flip fields by magnitude).

    Shapes: ``(B, C, W, L) -> (B, C, ceil(W / 2), L / 2)``; ``L`` must be even.
    Equivariance: ``pool(shift(f, t)) = shift(pool(f), t / 2)`` for every even ``t``.
    """

    def __init__(self, field_type: FieldType | tuple[int, int, int]) -> None:
        super().__init__()
        self.in_fields = self.out_fields = as_field_type(field_type)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ft = self.in_fields
        ft.check(x)
        if x.shape[3] % 2:
            raise ValueError(
                f"MobiusMaxPool needs an even strip length L, got L={x.shape[3]}: the pooled "
                "field's double cover (length L) must again split into two mirrored halves"
            )
        if x.shape[2] < 2:
            raise ValueError(f"MobiusMaxPool needs a strip width W >= 2, got W={x.shape[2]}")
        parts = []
        if ft.n_scalar:
            parts.append(_pool_rows(x[:, ft.slice("scalar")], _max_pool, float("-inf")))
        if ft.n_sign:
            parts.append(_pool_rows(x[:, ft.slice("sign")], _abs_max_pool, 0.0))
        if ft.n_regular:
            parts.append(_pool_rows(x[:, ft.slice("regular")], _max_pool, float("-inf")))
        return torch.cat(parts, dim=1)

    def extra_repr(self) -> str:
        return f"fields={self.in_fields}"


def global_max_pool(x: torch.Tensor, field_type: FieldType | tuple[int, int, int]) -> torch.Tensor:
    """Max over the whole strip, ``(B, C, W, L) -> (B, C)``: shift- and gauge-invariant.

    Only defined for scalar fields (a max over the strip is not a field operation otherwise).
    """
    field_type = as_field_type(field_type)
    field_type.check(x)
    if not field_type.is_scalar:
        raise ValueError(
            f"global_max_pool needs scalar fields only, got field type {field_type} "
            "(map to scalars with a MobiusConv first)"
        )
    return x.amax(dim=(2, 3))
