r"""Residual blocks of gauge-equivariant layers.

``GemResBlock``: ``y = act(norm(conv2(act(norm(conv1(x))))) + skip(x))`` where ``skip`` is the
identity or an :class:`~gaugeconv.nn.linear.EquivariantLinear` map (bias on scalars only). Every
piece commutes with gauge transformations, so the block does (exactly with norm/gated
nonlinearities, approximately with the sampled regular one).
"""

from __future__ import annotations

from torch import nn

from .gem_conv import GemConv
from .linear import EquivariantLinear
from .nonlinearities import GatedNonlinearity, NormNonlinearity, RegularNonlinearity
from .norms import GaugeBatchNorm, GaugeLayerNorm

NONLINEARITIES = ("regular", "norm", "gated")
NORMS = ("batch", "layer", None)


def make_nonlinearity(kind: str, channels: int, order: int, num_samples: int = 7) -> nn.Module:
    if kind == "regular":
        return RegularNonlinearity(order, num_samples)
    if kind == "norm":
        return NormNonlinearity(channels, order)
    if kind == "gated":
        return GatedNonlinearity(channels, order)
    raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {kind!r}")


def make_norm(kind: str | None, channels: int, order: int) -> nn.Module:
    if kind is None:
        return nn.Identity()
    if kind == "batch":
        return GaugeBatchNorm(channels, order)
    if kind == "layer":
        return GaugeLayerNorm(channels, order)
    raise ValueError(f"norm must be one of {NORMS}, got {kind!r}")


class GemResBlock(nn.Module):
    """Two GEM convolutions with norms and nonlinearities, plus an equivariant skip connection.

    Orders: ``in_order -> max(in_order, out_order) -> out_order`` (as in the GEM-CNN paper).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        in_order: int,
        out_order: int,
        *,
        group: str = "SO2",
        n_rings: int = 2,
        band_limit: int | None = None,
        nonlinearity: str = "norm",
        num_samples: int = 7,
        norm: str | None = "batch",
    ) -> None:
        super().__init__()
        mid = max(in_order, out_order)
        conv = {"group": group, "n_rings": n_rings, "band_limit": band_limit}
        self.conv1 = GemConv(in_channels, out_channels, in_order, mid, **conv)
        self.norm1 = make_norm(norm, out_channels, mid)
        self.act1 = make_nonlinearity(nonlinearity, out_channels, mid, num_samples)
        self.conv2 = GemConv(out_channels, out_channels, mid, out_order, **conv)
        self.norm2 = make_norm(norm, out_channels, out_order)
        same = in_channels == out_channels and in_order == out_order
        self.skip = (
            nn.Identity()
            if same
            else EquivariantLinear(in_channels, out_channels, in_order, out_order, group=group)
        )
        self.act2 = make_nonlinearity(nonlinearity, out_channels, out_order, num_samples)

    def forward(self, x, graph):
        y = self.act1(self.norm1(self.conv1(x, graph)))
        y = self.norm2(self.conv2(y, graph))
        return self.act2(y + self.skip(x))
