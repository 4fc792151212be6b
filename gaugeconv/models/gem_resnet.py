r"""GEM-CNN ResNet-style models for per-vertex prediction (segmentation, correspondence).

``GemResNet``: input features of orders 0..L_in -> a stack of :class:`GemResBlock` at a hidden order
-> a last block down to scalars -> a per-vertex MLP head on the scalar features. Because the head
only sees scalars, the logits are gauge *invariant* (and, with rotation-invariant input features,
invariant to rotating the mesh in 3-D).
"""

from __future__ import annotations

import torch
from torch import nn

from ..nn.blocks import GemResBlock


class GemResNet(nn.Module):
    """Gauge-invariant per-vertex classifier.

    Parameters
    ----------
    in_channels, in_order: input features (N, in_channels, 2 in_order + 1).
    num_classes: outputs per vertex.
    width: hidden channels; ``order``: hidden maximal order; ``n_blocks``: residual blocks.
    group, n_rings, band_limit, nonlinearity, num_samples, norm: passed to the blocks.
    head: hidden sizes of the per-vertex MLP on scalars (``()`` for a linear read-out).
    dropout: dropout in the head.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        *,
        in_order: int = 0,
        width: int = 32,
        order: int = 2,
        n_blocks: int = 3,
        group: str = "SO2",
        n_rings: int = 2,
        band_limit: int | None = None,
        nonlinearity: str = "norm",
        num_samples: int = 7,
        norm: str | None = "batch",
        head: tuple[int, ...] = (128,),
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if n_blocks < 1:
            raise ValueError("n_blocks must be >= 1")
        kw = {
            "group": group,
            "n_rings": n_rings,
            "band_limit": band_limit,
            "nonlinearity": nonlinearity,
            "num_samples": num_samples,
            "norm": norm,
        }
        blocks = []
        c, o = in_channels, in_order
        for b in range(n_blocks):
            out_order = 0 if b == n_blocks - 1 else order
            blocks.append(GemResBlock(c, width, o, out_order, **kw))
            c, o = width, out_order
        self.blocks = nn.ModuleList(blocks)
        layers: list[nn.Module] = []
        for h in head:
            layers += [nn.Linear(c, h), nn.ReLU(), nn.Dropout(dropout)]
            c = h
        layers.append(nn.Linear(c, num_classes))
        self.head = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, graph) -> torch.Tensor:
        for block in self.blocks:
            x = block(x, graph)
        return self.head(x[:, :, 0])


def faust_gem_resnet(num_classes: int = 6890, **overrides) -> GemResNet:
    """The GEM-CNN paper's FAUST network (the reference's ``experiments/faust_direct.py``).

    XYZ coordinates as 3 scalar inputs; three residual blocks of width 16 with orders
    0 -> 2 -> 2 -> 0, 2 radial rings and the sampled regular nonlinearity (7 samples); a
    16 -> 256 -> ``num_classes`` head with dropout. ``overrides`` replace any of these settings
    (e.g. ``nonlinearity="norm"`` for an exactly equivariant variant).
    """
    settings = dict(
        in_order=0,
        width=16,
        order=2,
        n_blocks=3,
        n_rings=2,
        nonlinearity="regular",
        num_samples=7,
        norm=None,
        head=(256,),
        dropout=0.5,
    )
    settings.update(overrides)
    return GemResNet(3, num_classes, **settings)
