"""Gauge-equivariant pointwise nonlinearities for Möbius feature fields.

A pointwise map ``sigma`` is equivariant iff ``sigma(rho(s) v) = rho(s) sigma(v)`` at every cell:

* scalar fields: any ``sigma`` (here ELU);
* regular fields: rho(s) permutes the two channels, so any channel-wise ``sigma`` commutes with it
  (here ELU on each channel);
* sign-flip fields: ``sigma`` must be odd, ``sigma(-v) = -sigma(v)``. We use the gated norm
  nonlinearity ``sigma(v) = sign(v) * ELU(|v| + b)`` with one learnable bias ``b`` per field
  (initialised to 0, where it is the identity). ``sign(0) = 0``, so ``sigma(0) = 0``.

All three commute with shifts (they act cell by cell and commute with rho(s)).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .fields import FieldType, as_field_type


def odd_elu(x: torch.Tensor, bias: torch.Tensor | float = 0.0) -> torch.Tensor:
    """``sign(x) * ELU(|x| + bias)``: odd in ``x`` for any bias."""
    return torch.sign(x) * F.elu(x.abs() + bias)


class MobiusELU(nn.Module):
    """ELU on scalar and regular channels, :func:`odd_elu` with a learned bias on sign-flip fields.

    Shapes: ``(B, C, W, L) -> (B, C, W, L)`` with ``C = field_type.channels``.
    """

    def __init__(self, field_type: FieldType | tuple[int, int, int]) -> None:
        super().__init__()
        self.in_fields = self.out_fields = as_field_type(field_type)
        n_sign = self.in_fields.n_sign
        self.bias_sign = nn.Parameter(torch.zeros(n_sign)) if n_sign else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ft = self.in_fields
        ft.check(x)
        if self.bias_sign is None:
            return F.elu(x)
        signs = odd_elu(x[:, ft.slice("sign")], self.bias_sign[None, :, None, None])
        return torch.cat(
            [F.elu(x[:, ft.slice("scalar")]), signs, F.elu(x[:, ft.slice("regular")])], dim=1
        )

    def extra_repr(self) -> str:
        return f"fields={self.in_fields}"
