r"""Gauge-equivariant pointwise (1 x 1) linear maps between features of orders 0..L."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..groups.so2 import feature_dim, get_group
from .kernels import self_interaction_params


class EquivariantLinear(nn.Module):
    r"""Channel mixing that commutes with the structure group at every vertex.

    .. math::  y_{i, m} = S_m\, x_{i, m} \;(+\, \beta \text{ if } m = 0)

    acting on each order m separately: for m = 0 a real ``C_in x C_out`` matrix; for m > 0 a complex
    one (``z -> S z``, i.e. ``a I + b J`` per channel pair) for SO(2), a real one for O(2) (it must
    commute with the reflection too). Orders present only in the output are zero; orders present
    only in the input are dropped. The bias acts on scalars only: a bias on a non-scalar part
    would break equivariance (the GEM-CNN reference's residual layers do that).

    **Transformation law.** ``y(rho(-alpha) rho(s)^f x) = rho(-alpha) rho(s)^f y(x)`` per vertex.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        in_order: int,
        out_order: int,
        *,
        group: str = "SO2",
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.in_order, self.out_order = in_order, out_order
        self.group = get_group(group)
        self.n_common = min(in_order, out_order)
        per_order = [self_interaction_params(m, m, self.group) for m in range(self.n_common + 1)]
        self.weight = nn.ParameterList(
            [nn.Parameter(torch.empty(k, in_channels, out_channels)) for k in per_order]
        )
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = math.sqrt(3.0 / self.in_channels)
        for w in self.weight:
            nn.init.uniform_(w, -bound, bound)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, in_order={self.in_order}, "
            f"out_order={self.out_order}, group={self.group}"
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (
            x.dim() != 3
            or x.shape[1] != self.in_channels
            or x.shape[2] != feature_dim(self.in_order)
        ):
            raise ValueError(
                f"x must have shape (N, {self.in_channels}, {feature_dim(self.in_order)}), "
                f"got {tuple(x.shape)}"
            )
        parts = [torch.einsum("nc,cd->nd", x[:, :, 0], self.weight[0][0])[:, :, None]]
        if self.bias is not None:
            parts[0] = parts[0] + self.bias[:, None]
        for m in range(1, self.n_common + 1):
            w = self.weight[m]
            xc, xs = x[:, :, 2 * m - 1], x[:, :, 2 * m]
            yc, ys = xc @ w[0], xs @ w[0]
            if w.shape[0] == 2:  # complex: (a + i b)(xc + i xs)
                yc, ys = yc - xs @ w[1], ys + xc @ w[1]
            parts += [yc[:, :, None], ys[:, :, None]]
        missing = feature_dim(self.out_order) - 1 - 2 * self.n_common
        if missing:
            parts.append(x.new_zeros(x.shape[0], self.out_channels, missing))
        return torch.cat(parts, 2)
