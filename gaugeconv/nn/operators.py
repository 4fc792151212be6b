r"""Geometry-only operators of the GEM convolution, derived from the gauge-graph fields.

For every input order n, radial ring rho and kernel term (frequency k, transport multiplier s, see
:mod:`gaugeconv.nn.kernels`) the operator

    U(i) = sum_{j -> i} w_rho(r_ij) / (deg_i + 1) * e^{i (k theta_ij + s g_ij)} * b_ij(z_j)

aggregates the neighbours' order-n features z_j (complex), where ``b_ij(z) = z`` or ``conj(z)``
depending on the term and on whether the edge reflects. These are sparse N x N operators with the
sparsity of the graph. They are stored in **ELL form** (per target node a padded row of neighbours and
coefficients), nodes sorted by degree and cut into chunks so that padding stays small, because a
padded row times the gathered neighbour features is a batched dense product (``bmm``), far faster on
CPUs than general sparse-dense products and just as good on GPUs. In real arithmetic each complex
operator is a 2 x 2D block acting on the gathered (cos, sin) coordinates of the D neighbours:

    Re U = sum w (P x - sigma Q y),  Im U = sum w (Q x + sigma P y),   P + iQ = e^{i(k theta + s g)}

with ``sigma = -1`` where the base is conjugated. The radial profile is a set of hat functions on
``[0, R]`` (``n_rings`` centres ``R * q / (n_rings - 1)``; one ring = constant), where R is a fixed
*per-mesh* scale: the longest edge of the mesh in the graph (per graph of a batch), or a given radius.
Edges longer than a given radius contribute nothing. ``1 / (deg_i + 1)`` averages over the closed
neighbourhood (neighbours and the vertex itself), as the GEM-CNN reference does.

Operators are cached per graph. A cache entry remembers the exact tensor objects and their version
counters (in-place modification bumps them) of every field it was derived from, so it is never used
after a field has been replaced or modified.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import torch

from ..graph import check_gauge_graph
from .kernels import KernelTerm

#: fields whose identity and version key the operator cache
_SOURCE_FIELDS = ("edge_index", "edge_log", "edge_transport", "edge_reflect", "batch")


@dataclass
class Chunk:
    """A contiguous range of (degree-sorted) target vertices and their ELL operators."""

    start: int
    stop: int
    neighbours: torch.Tensor  # (Nc * D,) sorted positions of the sources (padding -> 0, weight 0)
    coeff: list[torch.Tensor]  # per input order n: (Nc, rows_n, D * width_n)


@dataclass
class GemOperators:
    """ELL operators in degree-sorted vertex order: vertex ``order[p]`` sits at position p."""

    chunks: list[Chunk]
    order: torch.Tensor  # (N,) vertex at each sorted position
    inverse_order: torch.Tensor  # (N,) sorted position of each vertex
    inv_deg: torch.Tensor  # (N, 1) 1 / (deg + 1) in sorted order
    n_nodes: int
    has_reflections: bool  # some edge's transport contains a reflection


def radial_weights(
    r: torch.Tensor, scale: torch.Tensor, n_rings: int, cutoff: bool
) -> torch.Tensor:
    """(E, n_rings) hat-function weights of distances ``r`` on ``[0, scale]``."""
    x = r / scale
    if n_rings == 1:
        w = torch.ones_like(x)[:, None]
    else:
        centres = torch.linspace(0, 1, n_rings, dtype=r.dtype, device=r.device)
        w = (1 - (x[:, None] - centres).abs() * (n_rings - 1)).clamp(min=0)
        w[:, -1] = torch.where(x > 1, torch.ones_like(x), w[:, -1])  # flat beyond the last centre
    if cutoff:
        w = w * (x <= 1 + 1e-9)[:, None]
    return w


def _graph_key(graph) -> tuple:
    return tuple(
        (weakref.ref(t), t._version) if isinstance(t, torch.Tensor) else None
        for t in (getattr(graph, f, None) for f in _SOURCE_FIELDS)
    )


def _key_valid(graph, key: tuple) -> bool:
    for f, k in zip(_SOURCE_FIELDS, key):
        t = getattr(graph, f, None)
        if k is None:
            if isinstance(t, torch.Tensor):
                return False
            continue
        ref, version = k
        if ref() is not t or t._version != version:
            return False
    return True


#: id(edge_index tensor) -> (weak reference to it, {config key: (field key, operators)})
_CACHE: dict[int, tuple[weakref.ref, dict]] = {}


def _entries(anchor: torch.Tensor) -> dict:
    slot = _CACHE.get(id(anchor))
    if slot is None or slot[0]() is not anchor:
        slot = (weakref.ref(anchor), {})
        _CACHE[id(anchor)] = slot
        weakref.finalize(anchor, _CACHE.pop, id(anchor), None)
    return slot[1]


def gem_operators(
    graph,
    terms: dict[int, list[tuple[int, KernelTerm]]],
    n_rings: int,
    radius: float | None,
    dtype: torch.dtype,
    chunk_budget: int,
) -> GemOperators:
    """Operators for ``terms`` (per input order n: a list of (ring, term) rows), cached per graph.

    ``chunk_budget`` bounds the padded neighbour slots (nodes x max degree) per chunk.
    """
    check_gauge_graph(graph)
    config_key = (
        tuple((n, tuple(rows)) for n, rows in terms.items()),
        n_rings,
        radius,
        dtype,
        chunk_budget,
    )
    entries = _entries(graph.edge_index)
    hit = entries.get(config_key)
    if hit is not None and _key_valid(graph, hit[0]):
        return hit[1]
    ops = _build(graph, terms, n_rings, radius, dtype, chunk_budget)
    entries[config_key] = (_graph_key(graph), ops)
    return ops


def _build(graph, terms, n_rings, radius, dtype, chunk_budget) -> GemOperators:
    device = graph.edge_index.device
    n_nodes = int(graph.num_nodes)
    src, tgt = graph.edge_index
    r = graph.edge_log[:, 0].to(dtype)
    theta = graph.edge_log[:, 1].to(dtype)
    g = graph.edge_transport.to(dtype)
    refl = graph.edge_reflect.to(torch.bool)
    if src.numel() and (
        int(min(src.min(), tgt.min())) < 0 or int(max(src.max(), tgt.max())) >= n_nodes
    ):
        raise ValueError(f"edge_index refers to vertices outside 0..{n_nodes - 1}")
    if not (torch.isfinite(r).all() and torch.isfinite(theta).all() and torch.isfinite(g).all()):
        raise ValueError("gauge graph has non-finite edge_log or edge_transport values")

    # fixed per-mesh radial scale: the longest edge of each graph of the batch (or the given radius)
    if radius is not None:
        scale = torch.full_like(r, float(radius))
    else:
        batch = getattr(graph, "batch", None)
        if batch is None:
            scale = r.max().expand_as(r) if r.numel() else r
        else:
            graph_of_edge = batch[tgt]
            per_graph = torch.zeros(int(batch.max()) + 1, dtype=dtype, device=device)
            per_graph = per_graph.scatter_reduce(0, graph_of_edge, r, "amax", include_self=True)
            scale = per_graph[graph_of_edge]
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    w_rad = radial_weights(r, scale, n_rings, cutoff=radius is not None)  # (E, R)

    deg = torch.bincount(tgt, minlength=n_nodes)
    # edges grouped by target; position of each edge within its target's row
    order_e = torch.argsort(tgt * n_nodes + src)
    src, tgt = src[order_e], tgt[order_e]
    w_rad, theta, g, refl = w_rad[order_e], theta[order_e], g[order_e], refl[order_e]
    row_start = torch.cumsum(deg, 0) - deg
    slot = torch.arange(src.numel(), device=device) - row_start[tgt]
    inv_deg = 1.0 / (deg.to(dtype) + 1)
    w_edge = w_rad * inv_deg[tgt][:, None]

    # per order n: coefficient columns (x, y) of every row, per edge: (E, rows_n, width_n)
    coeff_e = {}
    for n, rows in terms.items():
        cols = []
        for ring, t in rows:
            phase = t.k * theta + t.s * g
            p, q = torch.cos(phase), torch.sin(phase)
            w = w_edge[:, ring]
            if n == 0:
                cols.append(torch.stack([w * p], -1))  # Re row on x
                if not t.real_input:
                    cols.append(torch.stack([w * q], -1))  # Im row on x
            else:
                sigma = torch.where(refl ^ t.conj, -1.0, 1.0).to(dtype)
                cols.append(torch.stack([w * p, -sigma * w * q], -1))
                cols.append(torch.stack([w * q, sigma * w * p], -1))
        coeff_e[n] = torch.stack(cols, 1)  # (E, rows_n, width_n)

    # vertices sorted by degree; chunks of consecutive sorted vertices, each padded to its own maximal
    # degree and holding at most ``chunk_budget`` padded neighbour slots
    node_order = torch.argsort(deg, stable=True)
    position = torch.empty_like(node_order)
    position[node_order] = torch.arange(n_nodes, device=device)
    degs = deg[node_order].clamp(min=1).tolist()
    src_pos = position[src]
    chunks = []
    start = 0
    while start < n_nodes:
        lo, hi = start + 1, n_nodes
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if (mid - start) * degs[mid - 1] <= chunk_budget:
                lo = mid
            else:
                hi = mid - 1
        nodes = node_order[start:lo]
        chunks.append(
            _chunk(start, lo, nodes, degs[lo - 1], deg, row_start, src_pos, slot, coeff_e)
        )
        start = lo
    return GemOperators(
        chunks, node_order, position, inv_deg[node_order][:, None], n_nodes, bool(refl.any())
    )


def _chunk(start, stop, nodes, dmax, deg, row_start, src_pos, slot, coeff_e) -> Chunk:
    nc = len(nodes)
    device = nodes.device
    d = deg[nodes]
    first = torch.cumsum(d, 0) - d
    local = torch.repeat_interleave(torch.arange(nc, device=device), d)
    edges = (row_start[nodes] - first).repeat_interleave(d) + torch.arange(
        int(d.sum()), device=device
    )
    cell = local * dmax + slot[edges]  # (node, neighbour slot) of every edge
    neighbours = torch.zeros(nc * dmax, dtype=torch.long, device=device)
    neighbours[cell] = src_pos[edges]
    coeff = []
    for ce in coeff_e.values():
        rows, width = ce.shape[1], ce.shape[2]
        c = torch.zeros(nc * dmax, rows * width, dtype=ce.dtype, device=device)
        c.index_copy_(0, cell, ce[edges].reshape(-1, rows * width))
        c = c.view(nc, dmax, rows, width).permute(0, 2, 1, 3).reshape(nc, rows, dmax * width)
        coeff.append(c)
    return Chunk(start, stop, neighbours, coeff)
