r"""Gauge-invariant read-outs: per-vertex invariants and whole-shape pooling over a PyG batch.

A feature of orders 0..L at vertex i, ``x_i`` of shape (C, 2L+1), changes under a gauge
transformation as ``x_i -> rho(-alpha_i) rho(s)^{f_i} x_i`` (``docs/design.md``). Its **invariants**
are the scalars ``x_{i,c,0}``, the norms ``|v_{i,c,n}|`` of the order-n parts and, optionally, the
inner products ``<v_{i,c,n}, (W_n v_{i,n})_c>`` with a learned channel mixing ``W_n`` (real, so the
product is invariant under rotations *and* reflections). Pooling invariants over the vertices of each
graph (mean, max or attention with weights computed from invariants) gives a vector per graph that
does not depend on the gauges, nor on the order of the vertices; with rotation-invariant input
features it does not change when the shape is rotated in 3-D either.

**Transformation law.** ``GaugeInvariants(x')  = GaugeInvariants(x)`` and
``GlobalReadout(x', batch) = GlobalReadout(x, batch)`` exactly for every gauge change (and
``GlobalReadout(x[perm], batch[perm]) = GlobalReadout(x, batch)`` for every vertex permutation).
Norms use ``sqrt(|v|^2 + eps^2)``, a smooth function of the invariant ``|v|^2``.

**Faces and edges** (:func:`face_readout`, :func:`edge_readout`): the value of a face (an edge) is the
mean of its corner (end) vertices' values, ``y_f = (v_a + v_b + v_c) / 3``. Only gauge-*invariant*
vertex values may be averaged (logits of :class:`~gaugeconv.models.GemResNet`, scalars, or
:class:`GaugeInvariants`): each corner's value is then unchanged by a gauge change, and so is the mean.
An order-n part lives in a different gauge at each corner, so its mean would not be invariant; such
features are refused. The predicted class of a face is ``argmax`` of its mean corner logits.
"""

from __future__ import annotations

import torch
from torch import nn

from ..groups.so2 import feature_dim, split_orders

POOLS = ("mean", "max", "attention")


def _element_mean(values: torch.Tensor, elements: torch.Tensor, what: str) -> torch.Tensor:
    if values.dim() == 3:
        if values.shape[-1] != 1:
            raise ValueError(
                f"{what} values must be gauge invariant: got features of orders up to "
                f"{(values.shape[-1] - 1) // 2} (shape {tuple(values.shape)}); pass scalars, "
                "logits or GaugeInvariants(...)(x)"
            )
        values = values[..., 0]
    if values.dim() not in (1, 2):
        raise ValueError(f"values must have shape (N,) or (N, K), got {tuple(values.shape)}")
    if elements.dim() != 2 or elements.dtype not in (torch.int32, torch.int64):
        raise ValueError(
            f"{what} indices must be an integer tensor of shape (k, M), got "
            f"{elements.dtype} {tuple(elements.shape)}"
        )
    if elements.numel() and (int(elements.min()) < 0 or int(elements.max()) >= values.shape[0]):
        raise ValueError(
            f"{what} indices must lie in 0..{values.shape[0] - 1}, got "
            f"{int(elements.min())}..{int(elements.max())}"
        )
    return values[elements].mean(0)


def face_readout(values: torch.Tensor, face: torch.Tensor) -> torch.Tensor:
    """(F, K) mean of the corner values of each face; ``face`` (3, F) as ``graph.face``.

    ``values`` (N, K), (N,) or (N, K, 1) must be gauge invariant (module docstring)."""
    if face.dim() != 2 or face.shape[0] != 3:
        raise ValueError(f"face must have shape (3, F), got {tuple(face.shape)}")
    return _element_mean(values, face, "face")


def edge_readout(values: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
    """(E, K) mean of the two end values of each edge; ``edges`` (2, E) vertex pairs.

    ``values`` (N, K), (N,) or (N, K, 1) must be gauge invariant (module docstring)."""
    if edges.dim() != 2 or edges.shape[0] != 2:
        raise ValueError(f"edges must have shape (2, E), got {tuple(edges.shape)}")
    return _element_mean(values, edges, "edge")


class GaugeInvariants(nn.Module):
    r"""Per-vertex invariants of features of orders 0..L: (N, C, 2L+1) -> (N, out_features).

    ``out_features = C (L + 1)`` (scalars and one norm per order), ``+ C L`` with ``products=True``
    (``<v_{c,n}, (W_n v_n)_c>`` for a learned real ``C x C`` matrix ``W_n`` per order).
    """

    def __init__(
        self, channels: int, order: int, *, products: bool = False, eps: float = 1e-6
    ) -> None:
        super().__init__()
        if channels < 1 or order < 0:
            raise ValueError(f"need channels >= 1 and order >= 0, got {channels}, {order}")
        self.channels, self.order, self.eps = channels, order, eps
        self.mix = (
            nn.Parameter(torch.eye(channels).repeat(order, 1, 1)) if products and order else None
        )
        self.out_features = channels * (order + 1) + (
            channels * order if self.mix is not None else 0
        )

    def extra_repr(self) -> str:
        return f"{self.channels}, order={self.order}, products={self.mix is not None}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[1:] != (self.channels, feature_dim(self.order)):
            raise ValueError(
                f"x must have shape (N, {self.channels}, {feature_dim(self.order)}), "
                f"got {tuple(x.shape)}"
            )
        scalars, v = split_orders(x, self.order)
        parts = [scalars[..., 0]]
        if v is not None:  # (N, C, L, 2)
            parts.append(torch.sqrt((v * v).sum(-1) + self.eps**2).flatten(1))
            if self.mix is not None:
                mixed = torch.einsum("nclk,lcd->ndlk", v, self.mix.to(v.dtype))
                parts.append((v * mixed).sum(-1).flatten(1))
        return torch.cat(parts, 1)


class GlobalReadout(nn.Module):
    r"""Whole-shape read-out: pool per-vertex invariants over each graph of a batch.

    .. math::
        h_b = \operatorname{pool}_{i \in b}\, \iota(x_i), \qquad
        \text{attention: } h_b = \sum_{i \in b} \operatorname{softmax}_{i \in b}(a^\top \iota(x_i))\,
        \iota(x_i)

    with :math:`\iota` the :class:`GaugeInvariants`. ``pool`` is ``"mean"``, ``"max"``,
    ``"attention"`` or a tuple of them (concatenated). ``forward(x, batch=None)`` returns
    ``(num_graphs, out_features)``; ``batch`` is PyG's vertex-to-graph vector (``None``: one graph).
    """

    def __init__(
        self,
        channels: int,
        order: int,
        *,
        pool: str | tuple[str, ...] = ("mean", "max"),
        products: bool = False,
    ) -> None:
        super().__init__()
        pools = (pool,) if isinstance(pool, str) else tuple(pool)
        bad = [p for p in pools if p not in POOLS]
        if bad or not pools:
            raise ValueError(f"pool must be one or more of {POOLS}, got {pool!r}")
        self.pools = pools
        self.invariants = GaugeInvariants(channels, order, products=products)
        k = self.invariants.out_features
        self.score = nn.Linear(k, 1) if "attention" in pools else None
        self.out_features = k * len(pools)

    def extra_repr(self) -> str:
        return f"pool={self.pools}"

    def forward(
        self, x: torch.Tensor, batch: torch.Tensor | None = None, num_graphs: int | None = None
    ) -> torch.Tensor:
        inv = self.invariants(x)
        if batch is None:
            batch = torch.zeros(inv.shape[0], dtype=torch.long, device=inv.device)
        if batch.shape != (inv.shape[0],):
            raise ValueError(f"batch must have shape ({inv.shape[0]},), got {tuple(batch.shape)}")
        if num_graphs is None:
            num_graphs = int(batch.max()) + 1 if batch.numel() else 0
        count = torch.bincount(batch, minlength=num_graphs)
        if bool((count == 0).any()):
            empty = torch.nonzero(count == 0).flatten().tolist()
            raise ValueError(f"graph(s) {empty} of the batch have no vertices")
        index = batch[:, None].expand_as(inv)
        out = []
        for pool in self.pools:
            if pool == "mean":
                s = inv.new_zeros(num_graphs, inv.shape[1]).index_add_(0, batch, inv)
                out.append(s / count[:, None].to(inv.dtype))
            elif pool == "max":
                m = inv.new_full((num_graphs, inv.shape[1]), float("-inf"))
                out.append(m.scatter_reduce(0, index, inv, "amax", include_self=True))
            else:
                logit = self.score(inv)[:, 0]
                top = logit.new_full((num_graphs,), float("-inf"))
                top = top.scatter_reduce(0, batch, logit.detach(), "amax", include_self=True)
                w = torch.exp(logit - top[batch])
                total = w.new_zeros(num_graphs).index_add_(0, batch, w)
                w = w / total[batch]
                out.append(
                    inv.new_zeros(num_graphs, inv.shape[1]).index_add_(0, batch, w[:, None] * inv)
                )
        return torch.cat(out, 1)
