"""Parallel transport around closed loops of vertices (holonomy)."""

from __future__ import annotations

import numpy as np

from .intrinsic import wrap_angle


def edge_lookup(edge_index: np.ndarray, n_vertices: int, sources, targets) -> np.ndarray:
    """Positions in ``edge_index`` of the edges ``sources -> targets``; ``ValueError`` if absent."""
    n = np.int64(n_vertices)
    keys = np.asarray(edge_index[1], dtype=np.int64) * n + np.asarray(edge_index[0], dtype=np.int64)
    order = np.argsort(keys)
    want = np.asarray(targets, dtype=np.int64) * n + np.asarray(sources, dtype=np.int64)
    pos = np.searchsorted(keys[order], want)
    pos = np.minimum(pos, len(keys) - 1)
    found = keys[order][pos] == want
    if not found.all():
        raise ValueError("loop uses a pair of vertices that is not an edge of the graph")
    return order[pos]


def loop_holonomy(
    edge_index: np.ndarray,
    edge_transport: np.ndarray,
    edge_reflect: np.ndarray,
    loops: np.ndarray,
    n_vertices: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Holonomy of closed loops ``loops[m] = (v0, v1, ..., v_{L-1})`` (back to v0 at the end).

    Returns ``(angle, reflect)``: a tangent vector at v0 with angle phi comes back as
    ``(-phi if reflect else phi) + angle``. On an orientable surface ``reflect`` is always False and
    ``angle`` is the rotation, which for a small counter-clockwise loop is the enclosed curvature.
    """
    loops = np.atleast_2d(np.asarray(loops, dtype=np.int64))
    n = int(edge_index.max()) + 1 if n_vertices is None else n_vertices
    g = np.zeros(len(loops))
    refl = np.zeros(len(loops), dtype=bool)
    steps = np.concatenate([loops, loops[:, :1]], axis=1)
    for s in range(loops.shape[1]):
        e = edge_lookup(edge_index, n, steps[:, s], steps[:, s + 1])
        b = np.asarray(edge_reflect)[e].astype(bool)
        g = np.where(b, -g, g) + np.asarray(edge_transport)[e]
        refl ^= b
    return wrap_angle(g), refl
