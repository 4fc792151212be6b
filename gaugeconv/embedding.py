"""Does a gauge graph's embedding (``pos``, ``normal``, ``frame``) agree with itself and with the
intrinsic edge fields? The checks behind :func:`gaugeconv.check_gauge_graph` for embedded graphs
(``docs/design.md``, "Consistency of the embedding").
"""

from __future__ import annotations

import math
import weakref

import torch
from torch_geometric.data import Data


def check_embedding(graph: Data) -> None:
    """``ValueError`` unless ``normal``/``frame`` form right-handed orthonormal frames and ``pos``
    agrees with them and with ``edge_log`` (see :func:`embedding_misalignment`); skipped when the
    same, unmodified tensors passed before."""
    tensors = [graph[k] for k in _EMBEDDING_KEYS if getattr(graph, k, None) is not None]
    if _already_verified(tensors):
        return
    _check_frames(graph)
    if getattr(graph, "pos", None) is not None:
        _check_alignment(graph)
    _remember_verified(tensors)


_EMBEDDING_KEYS = ("pos", "normal", "frame", "edge_index", "edge_log", "batch")
#: id(normal tensor) -> (weak references to the checked tensors, their versions)
_VERIFIED: dict[int, tuple[list[weakref.ref], list[int]]] = {}


def _already_verified(tensors: list[torch.Tensor]) -> bool:
    """Whether exactly these tensors, unmodified, passed the embedding checks before."""
    entry = _VERIFIED.get(id(tensors[0]))
    if entry is None or len(entry[0]) != len(tensors):
        return False
    refs, versions = entry
    return all(r() is t for r, t in zip(refs, tensors)) and versions == [
        t._version for t in tensors
    ]


def _remember_verified(tensors: list[torch.Tensor]) -> None:
    key = id(tensors[0])
    if key not in _VERIFIED:
        weakref.finalize(tensors[0], _VERIFIED.pop, key, None)
    _VERIFIED[key] = ([weakref.ref(t) for t in tensors], [t._version for t in tensors])


#: largest deviation from a right-handed orthonormal frame that :func:`check_gauge_graph` accepts
FRAME_TOLERANCE = 1e-4
#: :func:`check_gauge_graph` accepts a mean ``|pos_j - pos_i| / r`` in ``[1 / s, s]`` for this s
#: (or wider on small, coarse graphs; see :func:`embedding_misalignment`)
SCALE_TOLERANCE = 2.5


def _vertex_list(mask: torch.Tensor, limit: int = 10) -> str:
    idx = torch.nonzero(mask).flatten().tolist()
    more = f" (and {len(idx) - limit} more)" if len(idx) > limit else ""
    return ", ".join(str(i) for i in idx[:limit]) + more


def _check_frames(graph: Data) -> None:
    n = graph.num_nodes
    normal, frame = graph.normal, graph.frame
    pos = getattr(graph, "pos", None)
    for name, value, shape in (
        ("pos", pos, (n, 3)),
        ("normal", normal, (n, 3)),
        ("frame", frame, (n, 2, 3)),
    ):
        if value is None:
            continue
        if tuple(value.shape) != shape:
            raise ValueError(
                f"{name} must have shape {shape} for {n} vertices, got {tuple(value.shape)}"
            )
        bad = ~torch.isfinite(value.reshape(n, -1)).all(1)
        if bad.any():
            raise ValueError(f"non-finite {name} at vertices {_vertex_list(bad)}")
    e1, e2, nrm = frame[:, 0].double(), frame[:, 1].double(), normal.double()
    deviation = torch.stack(
        [
            (e1.norm(dim=1) - 1).abs(),
            (e2.norm(dim=1) - 1).abs(),
            (e1 * e2).sum(1).abs(),
            (torch.linalg.cross(e1, e2) - nrm).norm(dim=1),
        ],
        1,
    ).amax(1)
    bad = deviation > FRAME_TOLERANCE
    if bad.any():
        raise ValueError(
            f"frame is not a right-handed orthonormal basis with e1 x e2 = normal (deviation up to "
            f"{float(deviation.max()):.2g}) at vertices {_vertex_list(bad)}; a transform changed "
            "normal or frame alone: move pos, normal and frame together (gaugeconv.transforms)"
        )


def embedding_misalignment(graph: Data) -> dict[str, torch.Tensor]:
    r"""How far ``pos`` disagrees with ``frame`` and the log maps, per graph of a batch.

    Each edge j -> i predicts the direction of ``d = pos_j - pos_i`` from the intrinsic data alone:
    ``t = cos(theta) e1_i + sin(theta) e2_i``. On any gauge graph built from its geometry the
    offsets and the ``t`` agree up to curvature and discretisation; after a transform that moved
    ``pos`` alone they differ by that transform. Per graph, the rotation ``R`` (possibly improper)
    that best maps ``t`` to ``d/|d|`` (orthogonal Procrustes over the edges, pulled slightly towards
    the identity where the edges span fewer than three directions) is found, and returned are

    * ``rotation``: ``R`` per graph, (B, 3, 3), with ``d/|d| ~ R t``;
    * ``angle``: its angle in degrees, ``2 asin(||R - I||_F / sqrt 8)`` (a mirror image counts as
      at least 90 degrees);
    * ``threshold``: ``max(1 degree, 4 sigma / sqrt(N))`` with ``sigma`` the RMS of the residuals
      ``|d/|d| - R t|`` and N the graph's vertex count: the misalignment must be significant, not
      curvature noise. Measured on the shipped and generated meshes with 1-ring, k-ring, radius
      and projected graphs, every hierarchy level and the icosahedral hex graphs: ``angle /
      threshold`` at most 0.7; rotating ``pos`` of spot by 1 degree, or of the 65-vertex cone by
      5 degrees, exceeds it;
    * ``scale``: the geometric mean of ``|d| / r`` (clipped to [1/8, 8]): 1 on 1-ring graphs;
      measured 0.72-2.16 on k-ring, radius and coarse graphs (the extremes on levels of 2-5
      vertices), and ``scale_limit``: ``max(SCALE_TOLERANCE, exp(4 s / sqrt(N)))`` with ``s`` the
      spread of ``log(|d| / r)``; a scale outside ``[1 / scale_limit, scale_limit]`` is an error.
    """
    j, i = graph.edge_index
    dtype = torch.promote_types(graph.pos.dtype, torch.float32)
    r = graph.edge_log[:, 0].to(dtype)
    theta = graph.edge_log[:, 1].to(dtype)
    d = (graph.pos[j] - graph.pos[i]).to(dtype)
    big = d.abs().amax(dim=1).clamp(min=torch.finfo(dtype).tiny)  # no overflow in |d|^2
    length = big * (d / big[:, None]).norm(dim=1)
    keep = ((length > 0) & (r > 0)).to(dtype)
    d_hat = d * (keep / length.clamp(min=torch.finfo(dtype).tiny))[:, None]
    n = graph.num_nodes
    # sum over edges of t d^T = sum over vertices of e1 A^T + e2 B^T (no per-edge frame gather)
    a = torch.zeros(n, 3, dtype=dtype, device=d.device).index_add_(
        0, i, torch.cos(theta)[:, None] * d_hat
    )
    b = torch.zeros(n, 3, dtype=dtype, device=d.device).index_add_(
        0, i, torch.sin(theta)[:, None] * d_hat
    )
    frame = graph.frame.to(dtype)
    per_vertex = frame[:, 0, :, None] * a[:, None, :] + frame[:, 1, :, None] * b[:, None, :]
    log_ratio = torch.log((length / r.clamp(min=torch.finfo(dtype).tiny)).clamp(1 / 8, 8)) * keep
    per_vertex_log = torch.zeros(n, 2, dtype=dtype, device=d.device)
    per_vertex_log.index_add_(0, i, torch.stack([log_ratio, log_ratio.square()], 1))
    per_vertex_count = torch.zeros(n, dtype=dtype, device=d.device).index_add_(0, i, keep)
    batch = getattr(graph, "batch", None)
    if batch is None:
        batch = torch.zeros(n, dtype=torch.long, device=d.device)
    n_graphs = int(batch.max()) + 1 if n else 0
    cov = torch.zeros(n_graphs, 9, dtype=torch.float64, device=d.device)
    cov = cov.index_add_(0, batch, per_vertex.flatten(1).double()).reshape(n_graphs, 3, 3)
    count = torch.zeros(n_graphs, dtype=torch.float64, device=d.device)
    count = count.index_add_(0, batch, per_vertex_count.double())
    eye = torch.eye(3, dtype=torch.float64, device=d.device)
    u, _, vh = torch.linalg.svd(cov + 1e-3 * count[:, None, None] * eye)
    rot = vh.transpose(1, 2) @ u.transpose(1, 2)  # d/|d| ~ R t
    dist = (rot - eye).flatten(1).norm(dim=1) / math.sqrt(8)
    angle = torch.rad2deg(2 * torch.asin(dist.clamp(max=1.0)))
    # sum |d/|d| - R t|^2 = 2 count - 2 trace(R cov), as |t| = |d/|d|| = 1
    fit = (rot * cov.transpose(1, 2)).sum((1, 2))
    sigma = ((2 * count - 2 * fit).clamp(min=0) / count.clamp(min=1)).sqrt()
    n_vertices = torch.bincount(batch, minlength=n_graphs).clamp(min=1).double()
    threshold = torch.rad2deg(4 * sigma / n_vertices.sqrt()).clamp(min=1.0)
    logs = torch.zeros(n_graphs, 2, dtype=torch.float64, device=d.device)
    logs = logs.index_add_(0, batch, per_vertex_log.double()) / count.clamp(min=1)[:, None]
    spread = (logs[:, 1] - logs[:, 0].square()).clamp(min=0).sqrt()
    scale_limit = torch.exp((4 * spread / n_vertices.sqrt()).clamp(min=math.log(SCALE_TOLERANCE)))
    return {
        "rotation": rot,
        "angle": angle,
        "threshold": threshold,
        "scale": torch.exp(logs[:, 0]),
        "scale_limit": scale_limit,
    }


def _explained_disagreement(graph: Data, rotation: torch.Tensor) -> torch.Tensor:
    """Per vertex, how much of the disagreement ``|d/|d| - t|^2`` over its incoming edges the
    fitted misalignment ``R`` of its graph explains (large where ``pos`` moved alone)."""
    j, i = graph.edge_index
    theta = graph.edge_log[:, 1].double()
    frame = graph.frame.double()
    t = torch.cos(theta)[:, None] * frame[i, 0] + torch.sin(theta)[:, None] * frame[i, 1]
    d = (graph.pos[j] - graph.pos[i]).double()
    d = d / d.norm(dim=1, keepdim=True).clamp(min=1e-300)
    batch = getattr(graph, "batch", None)
    rot = rotation[batch[i]] if batch is not None else rotation[0].expand(len(i), 3, 3)
    gain = (d - t).square().sum(1) - (d - (rot @ t[:, :, None])[:, :, 0]).square().sum(1)
    n = graph.num_nodes
    total = torch.zeros(n, dtype=torch.float64, device=gain.device).index_add_(0, i, gain)
    return total / torch.bincount(i, minlength=n).clamp(min=1)


def _check_alignment(graph: Data) -> None:
    m = embedding_misalignment(graph)
    turned = m["angle"] > m["threshold"]
    scaled = (m["scale"] < 1 / m["scale_limit"]) | (m["scale"] > m["scale_limit"])
    if not (turned.any() or scaled.any()):
        return
    batch = getattr(graph, "batch", None)
    b = int(torch.nonzero(turned | scaled)[0])
    where = "" if batch is None else f" in graph {b} of the batch (its own vertex numbering)"
    if turned[b]:
        err = _explained_disagreement(graph, m["rotation"])
        if batch is not None:
            in_graph = torch.nonzero(batch == b).flatten()
            err = err[in_graph]
        worst = torch.argsort(err, descending=True)[:10]
        raise ValueError(
            f"pos does not agree with normal/frame{where}: the offsets pos[j] - pos[i] are turned "
            f"by {float(m['angle'][b]):.1f} degrees against their log-map directions "
            f"(significance threshold {float(m['threshold'][b]):.1f}); vertices that disagree "
            f"most: {', '.join(str(int(v)) for v in worst)}. A transform moved pos "
            "alone (e.g. PyG's RandomRotate, RandomFlip, NormalizeRotation): use "
            "gaugeconv.transforms.RandomRotate3d, or rebuild the graph with gaugeconv.gauge_graph"
        )
    raise ValueError(
        f"pos does not agree with edge_log{where}: the geometric mean of |pos[j] - pos[i]| / r is "
        f"{float(m['scale'][b]):.3g}, not about 1 (accepted: up to {float(m['scale_limit'][b]):.3g} "
        "either way). A transform scaled pos alone (e.g. PyG's "
        "NormalizeScale, RandomScale): use gaugeconv.transforms.RandomScale, or rebuild the graph "
        "with gaugeconv.gauge_graph"
    )
