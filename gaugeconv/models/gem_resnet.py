r"""GEM-CNN ResNet-style models: per-vertex (:class:`GemResNet`) and whole-shape
(:class:`GemClassifier`) prediction, sharing one residual body.

**Body** (:func:`residual_body`): input features of orders 0..L_in -> ``n_blocks``
:class:`~gaugeconv.nn.GemResBlock` at a hidden order -> the last block down to ``last_order``. Every
block is gauge equivariant: a gauge change ``x_i -> rho(-alpha_i) x_i`` of the input (with flips for
O(2)) changes the body's output the same way.

**Heads.** ``GemResNet`` ends the body at order 0 and applies an MLP to each vertex's scalars: the
logits are gauge *invariant* per vertex. ``GemClassifier`` pools gauge invariants of the body's output
(scalars, and norms of order-n parts; :class:`~gaugeconv.nn.GlobalReadout`) over the vertices of each
graph of a PyG batch and applies an MLP: one output vector per graph, invariant to gauge changes and
to vertex permutations. With rotation-invariant input features
(:func:`~gaugeconv.features.invariant_features`) both are invariant to rotating the mesh in 3-D: the
rotated mesh has rotated frames, i.e. the same intrinsic graph up to a gauge change.
"""

from __future__ import annotations

import torch
from torch import nn

from ..nn.blocks import GemResBlock
from ..nn.readout import GlobalReadout


def residual_body(
    in_channels: int,
    in_order: int,
    *,
    width: int,
    order: int,
    n_blocks: int,
    last_order: int,
    **block_options,
) -> nn.ModuleList:
    """``n_blocks`` GEM residual blocks: orders ``in_order -> order -> ... -> order -> last_order``."""
    if n_blocks < 1:
        raise ValueError("n_blocks must be >= 1")
    blocks = []
    c, o = in_channels, in_order
    for b in range(n_blocks):
        out_order = last_order if b == n_blocks - 1 else order
        blocks.append(GemResBlock(c, width, o, out_order, **block_options))
        c, o = width, out_order
    return nn.ModuleList(blocks)


def mlp_head(in_features: int, hidden: tuple[int, ...], out_features: int, dropout: float):
    """``Linear -> ReLU -> Dropout`` per hidden size, then a linear output layer."""
    layers: list[nn.Module] = []
    c = in_features
    for h in hidden:
        layers += [nn.Linear(c, h), nn.ReLU(), nn.Dropout(dropout)]
        c = h
    layers.append(nn.Linear(c, out_features))
    return nn.Sequential(*layers)


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
        self.blocks = residual_body(
            in_channels,
            in_order,
            width=width,
            order=order,
            n_blocks=n_blocks,
            last_order=0,
            group=group,
            n_rings=n_rings,
            band_limit=band_limit,
            nonlinearity=nonlinearity,
            num_samples=num_samples,
            norm=norm,
        )
        self.head = mlp_head(width, head, num_classes, dropout)

    def forward(self, x: torch.Tensor, graph) -> torch.Tensor:
        for block in self.blocks:
            x = block(x, graph)
        return self.head(x[:, :, 0])


class GemClassifier(nn.Module):
    r"""Whole-shape classifier (or regressor): GEM residual body, global invariant read-out, MLP.

    .. math:: y_b = \mathrm{MLP}\Big(\mathrm{LayerNorm}\big(\operatorname{pool}_{i \in b}\,
        \iota(\mathrm{body}(x)_i)\big)\Big)

    with :math:`\iota` the per-vertex invariants of :class:`~gaugeconv.nn.GaugeInvariants` and the
    pooling over the vertices of graph ``b`` (``graph.batch`` of a PyG batch; a single graph is one
    shape). The layer norm acts on each shape's pooled vector alone (no batch statistics); it keeps
    the head's inputs centred and of unit scale whatever the input features' scale (without it, raw
    XYZ inputs drove every ReLU of the head dead within two epochs). **Transformation law:** ``y`` is unchanged by any gauge change of ``x`` and ``graph``
    (exactly, with the norm/gated nonlinearities), by any permutation of the vertices, and, with
    rotation-invariant inputs, by rotating the mesh in 3-D. ``forward`` returns
    ``(num_graphs, num_outputs)`` raw scores: logits for classification (cross-entropy), values for
    regression.

    Parameters
    ----------
    in_channels, in_order: input features (N, in_channels, 2 in_order + 1).
    num_outputs: classes (or regression targets) per shape.
    width, order, n_blocks, group, n_rings, band_limit, nonlinearity, num_samples, norm: the body,
    as for :class:`GemResNet`; its last block keeps ``last_order`` (default ``order``: the read-out
    sees the norms of every order).
    pool: ``"mean"``, ``"max"``, ``"attention"`` or a tuple of them (concatenated).
    products: add the learned invariant products of :class:`~gaugeconv.nn.GaugeInvariants`.
    head: hidden sizes of the MLP on the pooled invariants; dropout: dropout in it.
    """

    def __init__(
        self,
        in_channels: int,
        num_outputs: int,
        *,
        in_order: int = 0,
        width: int = 32,
        order: int = 2,
        n_blocks: int = 3,
        last_order: int | None = None,
        group: str = "SO2",
        n_rings: int = 2,
        band_limit: int | None = None,
        nonlinearity: str = "norm",
        num_samples: int = 7,
        norm: str | None = "batch",
        pool: str | tuple[str, ...] = ("mean", "max"),
        products: bool = False,
        head: tuple[int, ...] = (128,),
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        last_order = order if last_order is None else last_order
        self.blocks = residual_body(
            in_channels,
            in_order,
            width=width,
            order=order,
            n_blocks=n_blocks,
            last_order=last_order,
            group=group,
            n_rings=n_rings,
            band_limit=band_limit,
            nonlinearity=nonlinearity,
            num_samples=num_samples,
            norm=norm,
        )
        self.readout = GlobalReadout(width, last_order, pool=pool, products=products)
        self.norm = nn.LayerNorm(self.readout.out_features)
        self.head = mlp_head(self.readout.out_features, head, num_outputs, dropout)

    def forward(self, x: torch.Tensor, graph) -> torch.Tensor:
        for block in self.blocks:
            x = block(x, graph)
        batch = getattr(graph, "batch", None)
        num_graphs = int(graph.num_graphs) if batch is not None else 1
        return self.head(self.norm(self.readout(x, batch, num_graphs)))


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
