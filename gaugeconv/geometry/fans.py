"""The fan walk: corner angles and angle coordinates of the edges around every vertex.

See :mod:`gaugeconv.geometry.intrinsic` for the conventions. Kept free of :class:`Mesh` so that mesh
validation can run the walk (a corner the walk cannot reach reveals a bow-tie vertex).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._scale import row_exponents
from .topology import Halfedges


def corner_angles(edge_lengths: np.ndarray) -> np.ndarray:
    """(F, 3) interior angle at corner ``faces[f, k]`` from the lengths ``l[f, k] = |f_k f_{k+1}|``
    (each face rescaled by a power of two where needed, :mod:`._scale`: angles are scale-free)."""
    la = np.ldexp(edge_lengths, -row_exponents(edge_lengths, 1))  # a-edge: leaves the corner
    lb = np.roll(la, 1, axis=1)  # edge arriving at the corner (b-edge)
    lc = np.roll(la, -1, axis=1)  # opposite edge
    s = (la + lb + lc) / 2
    four_area = 4 * np.sqrt(np.maximum(s * (s - la) * (s - lb) * (s - lc), 0.0))
    return np.arctan2(four_area, la**2 + lb**2 - lc**2)


@dataclass(frozen=True)
class VertexFans:
    """Result of the fan walk.

    ``he_angle[h]`` is the (rescaled) angle coordinate, at the origin vertex of halfedge h, of the edge
    of h, wherever that edge's direction *from the origin* is known. Every halfedge of a corner is
    seen from both of its endpoints, so two arrays are kept: ``angle_a[c]`` = coordinate at corner c's
    vertex of its a-edge, ``angle_b[c]`` = coordinate of its b-edge.
    """

    angle_a: np.ndarray  # (3F,) angle coordinate of the a-edge at the corner's vertex (rescaled)
    angle_b: np.ndarray  # (3F,) angle coordinate of the b-edge at the corner's vertex (rescaled)
    sigma: np.ndarray  # (3F,) +1 where the walk traverses the corner's face forward, -1 reversed
    angle_sum: np.ndarray  # (N,) total corner angle at every vertex
    scale: np.ndarray  # (N,) rescaling factor applied (2 pi / Theta or pi / Theta)
    start_corner: np.ndarray  # (N,) corner whose entering edge has coordinate 0


def walk_fans(he: Halfedges, n_vertices: int, edge_lengths: np.ndarray) -> VertexFans | None:
    """Walk around every vertex at once (vectorised over vertices, one step per fan position).

    Returns ``None`` if some corner is not reached from its vertex's start corner: the vertex is a
    "bow-tie" where several fans touch (the caller splits it).
    """
    n, n_c = n_vertices, len(he.origin)
    corner_vertex = he.origin
    angles = corner_angles(edge_lengths).reshape(-1)
    corners = np.arange(n_c)
    b_of = 3 * (corners // 3) + (corners % 3 + 2) % 3
    a_boundary = he.twin == -1  # the a-edge of corner c is halfedge c
    b_boundary = he.twin[b_of] == -1

    # start corner: lowest-numbered corner; at boundary vertices prefer a corner starting (forward)
    # at a boundary a-edge, else one whose b-edge is boundary (walked reversed).
    big = n_c + 1
    key = np.where(a_boundary, corners - 2 * big, np.where(b_boundary, corners - big, corners))
    best = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(best, corner_vertex, key)
    boundary = best < 0  # some corner of the vertex has a boundary edge
    start_dir = np.where(best < -big, 0, np.where(best < 0, 1, 0))
    start = np.where(best < -big, best + 2 * big, np.where(best < 0, best + big, best))
    if he.coherent and not start_dir.any():
        # every walk runs forward: the next corner is the twin of the b-edge
        nxt = he.twin[b_of][:, None]
        ndir = np.zeros_like(nxt)
    else:
        nxt, ndir = he.next_corner

    entering = np.full(n_c, np.nan)  # coordinate of the edge the walk enters the corner through
    leaving = np.full(n_c, np.nan)
    sigma = np.zeros(n_c, dtype=np.int64)
    total = np.zeros(n)

    active = np.arange(n)
    cur, cdir = start.copy(), start_dir.copy()
    acc = np.zeros(n)
    for _ in range(n_c + 1):
        if len(active) == 0:
            break
        c, d = cur[active], cdir[active]
        entering[c] = acc[active]
        sigma[c] = np.where(d == 0, 1, -1)
        acc[active] += angles[c]
        leaving[c] = acc[active]
        nc, nd = nxt[c, d], ndir[c, d]
        done = (nc < 0) | (nc == start[active])
        total[active[done]] = acc[active[done]]
        cur[active], cdir[active] = nc, nd
        active = active[~done]
    if (sigma == 0).any():
        return None

    scale = np.where(boundary, np.pi, 2 * np.pi) / total
    s = scale[corner_vertex]
    forward = sigma > 0
    angle_a = np.where(forward, entering, leaving) * s
    angle_b = np.where(forward, leaving, entering) * s
    return VertexFans(angle_a, angle_b, sigma, total, scale, start)
