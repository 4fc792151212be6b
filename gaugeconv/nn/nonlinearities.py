r"""Nonlinearities for features of orders 0..L.

=========================  ========================================================================
``RegularNonlinearity``    sample the Fourier series ``f(phi) = x_0 + sum_n x_cn cos n phi + x_sn
                           sin n phi`` at N angles, apply a pointwise function, project back to
                           orders 0..L. Exactly equivariant to rotations by multiples of 2 pi / N and
                           to reflections; only *approximately* to other rotations (the error falls
                           as N grows: see :func:`regular_nonlinearity_error`).
``NormNonlinearity``       scalars through a pointwise function; every order-n part v (n > 0) scaled
                           by ``relu(|v| + b) / |v|`` (learned bias b): exactly equivariant.
``GatedNonlinearity``      scalars through a pointwise function; order-n parts multiplied by sigmoid
                           gates computed from the scalars by a learned linear map: exactly
                           equivariant.
=========================  ========================================================================

All act per vertex and commute with ``x -> rho(-alpha) rho(s)^f x`` (exactly, or as stated).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from ..groups.so2 import feature_dim, merge_orders, split_orders


def fourier_sampling_matrix(order: int, num_samples: int, dtype=torch.float64) -> torch.Tensor:
    """(2L+1, N) matrix A with ``samples = x @ A``: basis functions 1, cos n phi_k, sin n phi_k."""
    phi = 2 * math.pi * torch.arange(num_samples, dtype=dtype) / num_samples
    rows = [torch.ones_like(phi)]
    for n in range(1, order + 1):
        rows += [torch.cos(n * phi), torch.sin(n * phi)]
    return torch.stack(rows)


class RegularNonlinearity(nn.Module):
    r"""Pointwise nonlinearity on the regular representation, by sampling (GEM-CNN's choice).

    ``y = P(fn(x A))`` with A the sampling matrix at ``num_samples`` equally spaced angles and P the
    least-squares projection back to orders 0..L (``P = A^T (A A^T)^{-1}``; exact inverse on
    band-limited signals when ``num_samples > 2L``). Equivariance is exact for rotations by
    multiples of 2 pi / num_samples and for reflections, approximate otherwise.
    """

    def __init__(self, order: int, num_samples: int = 7, fn: Callable | None = None) -> None:
        super().__init__()
        if num_samples <= 2 * order:
            raise ValueError(
                f"num_samples must exceed 2 * order = {2 * order} to resolve orders 0..{order}"
            )
        self.order, self.num_samples = order, num_samples
        self.fn = fn if fn is not None else nn.ReLU()
        a = fourier_sampling_matrix(order, num_samples)
        self.register_buffer("sample", a, persistent=False)
        self.register_buffer("project", torch.linalg.pinv(a), persistent=False)

    def extra_repr(self) -> str:
        return f"order={self.order}, num_samples={self.num_samples}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != feature_dim(self.order):
            raise ValueError(f"expected {feature_dim(self.order)} components, got {x.shape[-1]}")
        samples = x @ self.sample.to(x.dtype)
        return self.fn(samples) @ self.project.to(x.dtype)


class NormNonlinearity(nn.Module):
    r"""``x_0 -> fn(x_0)``; ``v_n -> relu(|v_n| + b_{c,n}) v_n / |v_n|`` for n > 0 (exact).

    ``|v|`` is computed as ``sqrt(|v|^2 + eps^2)``, still a function of the invariant norm, so the
    map stays exactly equivariant and smooth at the origin.
    """

    def __init__(self, channels: int, order: int, fn: Callable | None = None, eps: float = 1e-6):
        super().__init__()
        self.order, self.eps = order, eps
        self.fn = fn if fn is not None else nn.ReLU()
        self.bias = nn.Parameter(torch.zeros(channels, order)) if order else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scalars, v = split_orders(x, self.order)
        if v is not None:
            norm = torch.sqrt((v * v).sum(-1) + self.eps**2)
            v = v * (torch.relu(norm + self.bias) / norm)[..., None]
        return merge_orders(self.fn(scalars), v)


class GatedNonlinearity(nn.Module):
    r"""``x_0 -> fn(x_0)``; ``v_n -> sigmoid(G x_0)_{c,n} v_n`` with a learned linear gate map G.

    Gates are computed from the (invariant) scalar parts of all channels, so the map is exactly
    equivariant.
    """

    def __init__(self, channels: int, order: int, fn: Callable | None = None) -> None:
        super().__init__()
        self.channels, self.order = channels, order
        self.fn = fn if fn is not None else nn.ReLU()
        self.gate = nn.Linear(channels, channels * order) if order else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scalars, v = split_orders(x, self.order)
        if v is not None:
            gates = torch.sigmoid(self.gate(scalars[..., 0]))
            v = v * gates.view(x.shape[0], self.channels, self.order, 1)
        return merge_orders(self.fn(scalars), v)


def regular_nonlinearity_error(
    order: int, num_samples: int, channels: int = 64, trials: int = 256, seed: int = 0
) -> float:
    """Relative equivariance error of :class:`RegularNonlinearity` (ReLU) under random rotations."""
    from ..groups.so2 import rotate

    gen = torch.Generator().manual_seed(seed)
    nl = RegularNonlinearity(order, num_samples).double()
    x = torch.randn(trials, channels, feature_dim(order), generator=gen, dtype=torch.float64)
    alpha = torch.rand(trials, generator=gen, dtype=torch.float64) * 2 * math.pi
    lhs = nl(rotate(x, alpha))
    rhs = rotate(nl(x), alpha)
    return float((lhs - rhs).norm() / rhs.norm())
