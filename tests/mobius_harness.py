"""Shared equivariance harness for the Möbius tests: shift the input, compare with the shifted output."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
import torch
from torch import nn

from gaugeconv.mobius import FieldType, shift


@pytest.fixture
def single_thread():
    """Run a test with one torch thread (restored afterwards).

    Correctness does not depend on it; speed does: on a 2-core machine shared with other processes,
    a second intra-op thread made these small convolutions 10-100x slower in our measurements.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def randomize_(module: nn.Module, scale: float = 0.5, seed: int = 0) -> nn.Module:
    """Random values for every bias-like parameter (1-d) and BatchNorm statistic, in place."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            if p.dim() <= 1:
                p.copy_(scale * torch.randn(p.shape, generator=gen, dtype=p.dtype))
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=gen))
    return module


def random_fields(
    ft: FieldType, width: int, length: int, *, batch: int = 2, dtype=torch.float64, seed: int = 0
):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, ft.channels, width, length, generator=gen, dtype=dtype)


def equivariance_error(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    in_fields: FieldType,
    out_fields: FieldType | None,
    shifts: Iterable[int],
    out_shift: Callable[[int], int] = lambda t: t,
) -> float:
    """max over shifts of ``|f(shift(x, t)) - shift(f(x), t')| / max|f(x)|``.

    ``out_fields=None`` means an invariant output (logits): compared without shifting.
    All shifted inputs go through ``f`` in one batch.
    """
    shifts = list(shifts)
    with torch.no_grad():
        y = f(x)
        xs = torch.cat([shift(x, t, in_fields) for t in shifts])
        ys = f(xs).split(x.shape[0])
        err = 0.0
        for t, y_t in zip(shifts, ys):
            expected = y if out_fields is None else shift(y, out_shift(t), out_fields)
            err = max(err, float((y_t - expected).abs().max()))
    return err / float(y.abs().max())
