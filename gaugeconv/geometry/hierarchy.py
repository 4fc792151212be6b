r"""Nested coarse vertex sets with their own gauge geometry, for multi-scale pooling.

Level 0 is the mesh's 1-ring graph. Level l (radius ``r_l = r_0 * 2^l``, ``r_0`` the mean edge
length) is built from level l - 1:

1. the radius-``r_l`` neighbourhoods of the level-(l-1) vertices are grown along level-(l-1) edges
   by affine-local composition (:func:`~gaugeconv.geometry.neighbourhoods.grow_neighbourhoods`), which
   gives log maps and transports between vertices up to ``r_l`` apart;
2. the coarse vertices are a maximal independent set (Luby's algorithm, seeded) of the graph of
   pairs closer than ``r_l / 2``: they are at least ``r_l / 2`` apart and every level-(l-1) vertex
   lies within ``r_l / 2`` of one;
3. the coarse graph keeps the pairs of coarse vertices within ``r_l``; each fine vertex is pooled to
   its nearest coarse vertex, with the transport fine -> coarse taken from the grown
   neighbourhoods (unpooling uses its inverse).

Coarse vertices are vertices of the mesh, so they keep their frames: a gauge transformation of the
mesh acts on every level consistently, and pooling by transported averages is exactly equivariant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .intrinsic import EdgeGeometry
from .neighbourhoods import grow_neighbourhoods


@dataclass(frozen=True)
class Level:
    """One coarse level, in the vertex numbering of the *original* mesh."""

    vertices: np.ndarray  # (N_l,) original indices of the level's vertices (subset of the previous)
    edges: EdgeGeometry  # gauge graph among them (original indices)
    pool_source: np.ndarray  # (N_{l-1},) each previous-level vertex (original index) ...
    pool_target: np.ndarray  # ... and the coarse vertex it pools to (original index)
    pool_transport: np.ndarray  # transport fine -> coarse (unpooling uses its inverse)
    pool_reflect: np.ndarray


def luby_independent_set(n: int, src: np.ndarray, tgt: np.ndarray, seed: int = 0) -> np.ndarray:
    """Boolean mask of a maximal independent set of the (symmetric) graph with edges src-tgt."""
    rng = np.random.default_rng(seed)
    priority = rng.permutation(n).astype(np.int64)
    selected = np.zeros(n, dtype=bool)
    undecided = np.ones(n, dtype=bool)
    while undecided.any():
        live = undecided[src] & undecided[tgt]
        best = np.full(n, -1, dtype=np.int64)
        np.maximum.at(best, tgt[live], priority[src[live]])
        winners = undecided & (priority > best)
        selected |= winners
        undecided &= ~winners
        covered = np.zeros(n, dtype=bool)
        covered[tgt[winners[src]]] = True
        undecided &= ~covered
    return selected


def _subgraph(edges: EdgeGeometry, keep: np.ndarray) -> EdgeGeometry:
    return EdgeGeometry(*(getattr(edges, f)[keep] for f in EdgeGeometry.__dataclass_fields__))


def build_levels(
    ring: EdgeGeometry, n_vertices: int, n_levels: int, base_radius: float, seed: int = 0
) -> list[Level]:
    """Coarse levels 1..n_levels above the base graph ``ring`` (see the module docstring)."""
    levels: list[Level] = []
    vertices = np.arange(n_vertices)
    graph = ring
    for level in range(1, n_levels + 1):
        radius = base_radius * 2**level
        near = grow_neighbourhoods(graph, n_vertices, radius=radius)
        close = near.length < radius / 2
        in_set = np.zeros(n_vertices, dtype=bool)
        in_set[vertices] = True
        chosen = luby_independent_set(
            n_vertices, near.source[close], near.target[close], seed + level
        )
        chosen &= in_set
        coarse = np.flatnonzero(chosen)
        if len(coarse) == len(vertices):
            raise ValueError(f"level {level}: the radius {radius:.3g} is too small to coarsen")
        keep = chosen[near.source] & chosen[near.target]
        coarse_edges = _subgraph(near, keep)
        # pooling: every previous-level vertex to its nearest coarse vertex (itself if chosen)
        to_coarse = chosen[near.target] & in_set[near.source] & ~chosen[near.source]
        cand = _subgraph(near, to_coarse)
        order = np.lexsort((cand.length, cand.source))
        first = np.ones(len(order), dtype=bool)
        first[1:] = cand.source[order][1:] != cand.source[order][:-1]
        pick = order[first]
        fine = np.concatenate([coarse, cand.source[pick]])
        target = np.concatenate([coarse, cand.target[pick]])
        pool_t = np.concatenate([np.zeros(len(coarse)), cand.transport[pick]])
        pool_b = np.concatenate([np.zeros(len(coarse), dtype=bool), cand.reflect[pick]])
        missing = np.setdiff1d(vertices, fine)
        if len(missing):
            # grown neighbourhoods need not be symmetric: a vertex may be reached from a coarse
            # vertex (c -> v) without the edge v -> c; pool it along the reversed edge, whose
            # transport is the inverse (rho(g) rho(s)^b)^-1 = rho((-1)^(b+1) g) rho(s)^b
            back = np.isin(near.target, missing) & chosen[near.source]
            rev = _subgraph(near, back)
            order = np.lexsort((rev.length, rev.target))
            first = np.ones(len(order), dtype=bool)
            first[1:] = rev.target[order][1:] != rev.target[order][:-1]
            pick = order[first]
            inverse = np.where(rev.reflect[pick], rev.transport[pick], -rev.transport[pick])
            fine = np.concatenate([fine, rev.target[pick]])
            target = np.concatenate([target, rev.source[pick]])
            pool_t = np.concatenate([pool_t, inverse])
            pool_b = np.concatenate([pool_b, rev.reflect[pick]])
            missing = np.setdiff1d(vertices, fine)
        if len(missing):
            raise ValueError(
                f"level {level}: vertices {missing[:10].tolist()} found no coarse vertex"
            )
        o = np.argsort(fine)
        levels.append(Level(coarse, coarse_edges, fine[o], target[o], pool_t[o], pool_b[o]))
        vertices, graph = coarse, coarse_edges
    return levels
