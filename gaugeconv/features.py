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

**Units and range.** The features are in the mesh's own units (lengths; curvature in 1/length),
not normalised: a network sees the scale its meshes have, so train and predict on meshes of
comparable size (rescale them consistently, e.g. to unit area, if they come in other units). The
features are computed in the graph's dtype, with exact power-of-two rescaling where squares would
leave its range, so they are finite for every mesh whose gauge graph exists in that dtype (e.g.
coordinates of 1e20 in float32, 1e160 in float64); values are bit for bit those of the direct
formulas for ordinary meshes. Both functions raise ``ValueError`` if a feature is not finite (a
graph with NaN geometry). The layers themselves do not check their inputs for NaN (that would cost
a synchronisation per layer on GPUs): non-finite inputs propagate to the output.

**Tangent vectors.** Features have shape (N, C, 2L+1): index 0 is the scalar (order-0) part and
indices (2n-1, 2n) the (cos, sin) coordinates of the order-n part, in the gauge (frame) of the
vertex (``docs/design.md``, "Features"). The order-1 part (indices 1, 2) *is* a tangent vector in
coordinates: :func:`to_tangent_vectors` turns it into the 3-D vector ``x1 e1 + x2 e2`` and
:func:`from_tangent_vectors` projects 3-D vectors onto the tangent plane and back to
coordinates. The 3-D vectors do not depend on the gauge: rotating the frame at a vertex by alpha
maps the coefficients to ``R(-alpha) (x1, x2)`` and the basis to ``R(alpha)`` of it (flips negate
``x2`` and ``e2`` together), so ``x1 e1 + x2 e2`` is unchanged. Rotating the mesh in 3-D rotates the
frames with it, so an equivariant model's order-1 output, mapped to 3-D, rotates with the mesh.
"""

from __future__ import annotations

import torch

from ._scatter import scatter_mean

#: tensors whose largest magnitude per row lies in [2**-_LIMIT, 2**_LIMIT] are not rescaled
_LIMIT = 60


def _row_exponents(x: torch.Tensor) -> torch.Tensor:
    """(n, 1) binary exponent per row of (n, d) ``x`` bringing its largest magnitude into [0.5, 1),
    0 where that magnitude already lies in [2**-_LIMIT, 2**_LIMIT] (or is 0 or not finite)."""
    m = x.abs().amax(dim=1, keepdim=True)
    inside = ((m >= 2.0**-_LIMIT) & (m <= 2.0**_LIMIT)) | (m == 0) | ~torch.isfinite(m)
    return torch.where(inside, 0, torch.frexp(m).exponent)


def _norm(x: torch.Tensor) -> torch.Tensor:
    """Row norms of (n, d) ``x`` without overflow or underflow (exact rescaling)."""
    k = _row_exponents(x)
    return torch.ldexp(torch.ldexp(x, -k).norm(dim=1), k[:, 0]).to(x.dtype)


def _finite(x: torch.Tensor, what: str) -> torch.Tensor:
    if not bool(torch.isfinite(x).all()):
        bad = torch.nonzero(~torch.isfinite(x.reshape(len(x), -1)).all(1)).flatten()[:10]
        raise ValueError(
            f"{what} are not finite at vertices {bad.tolist()}: the graph's geometry holds "
            "NaN or inf values"
        )
    return x


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
    e = _row_exponents(dp)
    dp = torch.ldexp(dp, -e).to(dp.dtype)  # exact; (dn . dp) / |dp|^2 scales by 2**-e
    k = torch.ldexp((dn * dp).sum(1) / (dp * dp).sum(1).clamp(min=1e-30), -e[:, 0]).to(dp.dtype)
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
    x[:, 1, 0] = _norm(d)
    x[:, 2, 0] = curvature(graph)
    return _finite(x, "invariant features")


def xyz_features(graph) -> torch.Tensor:
    """(N, 3, 1) raw coordinates as scalars (not rotation invariant)."""
    if getattr(graph, "pos", None) is None:
        raise ValueError("graph has no 'pos': XYZ input needs an embedded mesh")
    return _finite(graph.pos[:, :, None].clone(), "XYZ features")


def _require_frames(graph) -> torch.Tensor:
    frame = getattr(graph, "frame", None)
    if frame is None:
        raise ValueError(
            "graph has no 'frame': 3-D tangent vectors need an embedded mesh (an intrinsic mesh "
            "has tangent-vector coordinates only)"
        )
    return frame


def to_tangent_vectors(x: torch.Tensor, graph) -> torch.Tensor:
    """(N, ..., 2L+1) features with L >= 1 -> (N, ..., 3) tangent vectors ``x1 e1 + x2 e2``.

    Only the order-1 part (indices 1, 2) enters; the result is gauge invariant (module docstring).
    """
    frame = _require_frames(graph)
    if x.dim() < 2 or x.shape[-1] < 3 or x.shape[-1] % 2 == 0:
        raise ValueError(
            f"x must have shape (N, ..., 2L+1) with L >= 1 (an order-1 part), got {tuple(x.shape)}"
        )
    if x.shape[0] != frame.shape[0]:
        raise ValueError(f"x has {x.shape[0]} rows, the graph has {frame.shape[0]} vertices")
    shape = (frame.shape[0],) + (1,) * (x.dim() - 2) + (3,)
    e1 = frame[:, 0].to(x.dtype).reshape(shape)
    e2 = frame[:, 1].to(x.dtype).reshape(shape)
    return x[..., 1:2] * e1 + x[..., 2:3] * e2


def from_tangent_vectors(v: torch.Tensor, graph) -> torch.Tensor:
    """(N, ..., 3) vectors in 3-D -> (N, ..., 3) features of orders 0..1: scalar part 0, order-1
    part ``(v . e1, v . e2)`` (the tangential projection in the vertex's gauge; the normal
    component ``v . n`` is dropped). ``to_tangent_vectors(from_tangent_vectors(v, g), g)`` is the
    projection of ``v`` onto the tangent planes."""
    frame = _require_frames(graph)
    if v.dim() < 2 or v.shape[-1] != 3:
        raise ValueError(f"v must have shape (N, ..., 3), got {tuple(v.shape)}")
    if v.shape[0] != frame.shape[0]:
        raise ValueError(f"v has {v.shape[0]} rows, the graph has {frame.shape[0]} vertices")
    shape = (frame.shape[0],) + (1,) * (v.dim() - 2) + (3,)
    e1 = frame[:, 0].to(v.dtype).reshape(shape)
    e2 = frame[:, 1].to(v.dtype).reshape(shape)
    return torch.stack([torch.zeros_like(v[..., 0]), (v * e1).sum(-1), (v * e2).sum(-1)], -1)
