r"""Gauge-equivariant normalisation of features of orders 0..L.

Only invariants may enter the statistics: scalars (order 0) and the norms ``|v_n|`` of the order-n
parts. Scalars are centred and scaled as usual; order-n parts are only *scaled* (a mean of vectors
living in different tangent spaces has no meaning), by the root mean square of ``|v_n|``.

* :class:`GaugeBatchNorm` - statistics over the vertices of the batch (running averages in eval).
* :class:`GaugeLayerNorm` - statistics over the channels of each vertex.

**Transformation law.** Both commute with ``x_i -> rho(-alpha_i) rho(s)^{f_i} x_i`` exactly.
"""

from __future__ import annotations

import torch
from torch import nn

from ..groups.so2 import merge_orders, split_orders


class GaugeBatchNorm(nn.Module):
    """Batch norm: scalars as ``BatchNorm1d``; order-n parts divided by their RMS norm."""

    def __init__(self, channels: int, order: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        self.order, self.eps, self.momentum = order, eps, momentum
        self.scalar = nn.BatchNorm1d(channels, eps=eps, momentum=momentum)
        if order:
            self.weight = nn.Parameter(torch.ones(channels, order))
            self.register_buffer("running_sq", torch.ones(channels, order))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s, v = split_orders(x, self.order)
        s = self.scalar(s[..., 0])[..., None]
        if v is not None:
            if self.training:
                mean_sq = (v * v).sum(-1).mean(0)  # (C, L)
                with torch.no_grad():
                    self.running_sq.lerp_(mean_sq.detach().to(self.running_sq.dtype), self.momentum)
            else:
                mean_sq = self.running_sq.to(x.dtype)
            v = v * (self.weight / torch.sqrt(mean_sq + self.eps))[..., None]
        return merge_orders(s, v)


class GaugeLayerNorm(nn.Module):
    """Layer norm per vertex: scalars standardised over channels; order-n parts scaled by the RMS
    of their norms over channels; learned per-channel scales (and shifts on scalars)."""

    def __init__(self, channels: int, order: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.order, self.eps = order, eps
        self.weight = nn.Parameter(torch.ones(channels, order + 1))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s, v = split_orders(x, self.order)
        s = s[..., 0]
        s = (s - s.mean(1, keepdim=True)) / torch.sqrt(
            s.var(1, unbiased=False, keepdim=True) + self.eps
        )
        s = (s * self.weight[:, 0] + self.bias)[..., None]
        if v is not None:
            rms = torch.sqrt((v * v).sum(-1).mean(1, keepdim=True) + self.eps)  # (N, 1, L)
            v = v * (self.weight[:, 1:] / rms)[..., None]
        return merge_orders(s, v)
