r"""Input features computed from a gauge graph's geometry.

* :func:`invariant_features` - invariant to rotating the whole mesh in 3-D (and to translating it):
  with ``d = pos - centroid`` of the vertex's mesh,

  ======== ===================================== ============================================
  channel  scalar part                           order-1 part
  ======== ===================================== ============================================
  0        ``d . n`` (normal component)          ``(d . e1, d . e2)``: the tangential offset,
                                                 a tangent vector in the vertex's gauge
  1        ``|d|``                               0
  2        curvature ``kappa`` (below)           0
  ======== ===================================== ============================================

  ``kappa_i = mean_j (n_i - n_j) . (p_i - p_j) / |p_i - p_j|^2`` over the graph's edges (1/R on a
  sphere of radius R with outward normals). ``d . n`` and ``kappa`` change sign with the normal: on
  a non-orientable surface they are pseudo-scalars (sign flips under the frame flips of O(2)); use
  them there only with care.
* :func:`xyz_features` - raw coordinates as three scalars (the GEM-CNN paper's FAUST input). **Not**
  rotation invariant.
"""

from __future__ import annotations

import torch

from ._scatter import scatter_mean


def _centroids(graph) -> torch.Tensor:
    pos = graph.pos
    batch = getattr(graph, "batch", None)
    if batch is None:
        return pos.mean(0, keepdim=True).expand_as(pos)
    return scatter_mean(pos, batch, int(batch.max()) + 1)[batch]


def _require_embedding(graph) -> None:
    for field in ("pos", "normal", "frame"):
        if getattr(graph, field, None) is None:
            raise ValueError(
                f"graph has no {field!r}: extrinsic input features need an embedded mesh"
            )


def curvature(graph) -> torch.Tensor:
    """(N,) normal-variation curvature estimate (see module docstring)."""
    _require_embedding(graph)
    j, i = graph.edge_index
    dp = graph.pos[i] - graph.pos[j]
    dn = graph.normal[i] - graph.normal[j]
    k = (dn * dp).sum(1) / (dp * dp).sum(1).clamp(min=1e-30)
    return scatter_mean(k, i, graph.pos.shape[0])


def invariant_features(graph) -> torch.Tensor:
    """(N, 3, 3) rotation-invariant features of orders 0..1 (see the module docstring)."""
    _require_embedding(graph)
    d = graph.pos - _centroids(graph)
    e1, e2 = graph.frame[:, 0], graph.frame[:, 1]
    x = d.new_zeros(d.shape[0], 3, 3)
    x[:, 0, 0] = (d * graph.normal).sum(1)
    x[:, 0, 1] = (d * e1).sum(1)
    x[:, 0, 2] = (d * e2).sum(1)
    x[:, 1, 0] = d.norm(dim=1)
    x[:, 2, 0] = curvature(graph)
    return x


def xyz_features(graph) -> torch.Tensor:
    """(N, 3, 1) raw coordinates as scalars (not rotation invariant)."""
    if getattr(graph, "pos", None) is None:
        raise ValueError("graph has no 'pos': XYZ input needs an embedded mesh")
    return graph.pos[:, :, None].clone()
