r"""Intrinsic geometry from edge lengths: corner angles, vertex fans, angle coordinates, transport.

Everything is computed from the faces and the edge lengths alone, so embedded and abstract meshes share
one code path (the discrete Levi-Civita connection of geometry-central / potpourri3d):

1. **Corner angles** by the law of cosines, as ``atan2(4 A, a^2 + b^2 - c^2)`` (stable for needles).
2. **Fans.** Around every vertex the corners are visited in order, starting from a reference corner:
   at an interior vertex any corner (the lowest-numbered one), at a boundary vertex the corner that
   starts at a boundary edge. The walk follows the start face's winding; on a non-orientable surface
   a face wound the other way is traversed "reversed". The start face therefore fixes a *local
   orientation* per vertex (``sigma_v(f) = +1`` when the walk traverses face f in its own winding).
3. **Angle coordinates.** The outgoing edge through which the walk enters a corner gets the sum of the
   corner angles visited before it. At interior vertices the coordinates are rescaled by
   ``2 pi / Theta_v`` (Theta_v = angle sum), at **boundary vertices by** ``pi / Theta_v``, as
   geometry-central does, so that the result agrees with potpourri3d everywhere. The reference edge
   (coordinate 0) defines the direction of the frame's ``e1``.
4. **Transport** of edge j -> i (message from j lands at i). The edge direction at j towards i has
   angle ``phi_j(i)``; after transport it must point away from j at i: ``phi_i(j) + pi``. With the
   rule of DESIGN.md (angle at i = ``(-phi if reflect else phi) + g``):
   ``g = phi_i(j) - phi_j(i) + pi`` (no reflection) or ``g = phi_i(j) + phi_j(i) + pi`` (reflection).
   An edge reflects iff the local orientations of its two endpoints disagree on a face of the edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mesh import Mesh


def wrap_angle(a: np.ndarray) -> np.ndarray:
    """Wrap angles to (-pi, pi]."""
    w = np.mod(np.asarray(a) + np.pi, 2 * np.pi) - np.pi
    return np.where(w == -np.pi, np.pi, w)


def corner_angles(edge_lengths: np.ndarray) -> np.ndarray:
    """(F, 3) interior angle at corner ``faces[f, k]`` from the lengths ``l[f, k] = |f_k f_{k+1}|``."""
    la = edge_lengths  # edge leaving the corner (a-edge)
    lb = np.roll(edge_lengths, 1, axis=1)  # edge arriving at the corner (b-edge)
    lc = np.roll(edge_lengths, -1, axis=1)  # opposite edge
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


def vertex_fans(mesh: Mesh) -> VertexFans:
    """Walk around every vertex at once (vectorised over vertices, one step per fan position)."""
    he = mesh.halfedges
    n, n_c = mesh.n_vertices, 3 * mesh.n_faces
    corner_vertex = he.origin
    angles = corner_angles(mesh.edge_lengths).reshape(-1)
    nxt, ndir = he.next_corner()
    corners = np.arange(n_c)
    a_boundary = he.twin == -1  # the a-edge of corner c is halfedge c
    b_boundary = he.twin[3 * (corners // 3) + (corners % 3 + 2) % 3] == -1

    # start corner: lowest-numbered corner; at boundary vertices prefer a corner starting (forward)
    # at a boundary a-edge, else one whose b-edge is boundary (walked reversed).
    big = n_c + 1
    key = np.where(a_boundary, corners - 2 * big, np.where(b_boundary, corners - big, corners))
    best = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(best, corner_vertex, key)
    start_dir = np.where(best < -big, 0, np.where(best < 0, 1, 0))
    start = np.where(best < -big, best + 2 * big, np.where(best < 0, best + big, best))

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
        if (sigma[c] != 0).any():  # pragma: no cover - guarded by bow-tie splitting in Mesh
            raise RuntimeError("fan walk revisited a corner; the mesh is not vertex-manifold")
        entering[c] = acc[active]
        sigma[c] = np.where(d == 0, 1, -1)
        acc[active] += angles[c]
        leaving[c] = acc[active]
        nc, nd = nxt[c, d], ndir[c, d]
        done = (nc < 0) | (nc == start[active])
        total[active[done]] = acc[active[done]]
        cur[active], cdir[active] = nc, nd
        active = active[~done]
    if (sigma == 0).any():  # pragma: no cover
        raise RuntimeError("fan walk missed corners; the mesh is not vertex-manifold")

    boundary = mesh.boundary_vertex_mask
    scale = np.where(boundary, np.pi, 2 * np.pi) / total
    s = scale[corner_vertex]
    forward = sigma > 0
    angle_a = np.where(forward, entering, leaving) * s
    angle_b = np.where(forward, leaving, entering) * s
    return VertexFans(angle_a, angle_b, sigma, total, scale, start)


@dataclass(frozen=True)
class EdgeGeometry:
    """Directed 1-ring edges j -> i with their log maps and transports (sorted by target, source)."""

    source: np.ndarray  # (E,) j
    target: np.ndarray  # (E,) i
    length: np.ndarray  # (E,) r
    theta: np.ndarray  # (E,) angle of j at i, in (-pi, pi]
    transport: np.ndarray  # (E,) g
    reflect: np.ndarray  # (E,) bool


def one_ring_edges(mesh: Mesh, fans: VertexFans | None = None) -> EdgeGeometry:
    """Log maps and Levi-Civita transports for every directed edge of the mesh."""
    fans = vertex_fans(mesh) if fans is None else fans
    he = mesh.halfedges
    n_c = 3 * mesh.n_faces
    c = np.arange(n_c)
    b_of = 3 * (c // 3) + (c % 3 + 2) % 3  # b-edge halfedge of corner c (from f[k+2] to f[k])
    # Each halfedge h = (u -> w) is the a-edge of corner h (at u) and the b-edge of corner next(h)
    # (at w). Angle of the edge at u: fans.angle_a[h]; at w: fans.angle_b[corner whose b-edge is h].
    corner_b = np.empty(n_c, dtype=np.int64)
    corner_b[b_of] = c
    u, w = he.origin, he.target
    phi_u = fans.angle_a  # angle at u of edge towards w
    phi_w = fans.angle_b[corner_b]  # angle at w of edge towards u
    sig_u = fans.sigma
    sig_w = fans.sigma[corner_b]
    lengths = mesh.edge_lengths.reshape(-1)
    # one representative halfedge per undirected edge, then both directions
    rep = np.flatnonzero((he.twin < 0) | (he.twin > c))
    reflect = sig_u[rep] != sig_w[rep]
    # direction w -> u (message lands at u) and u -> w (lands at w)
    src = np.concatenate([w[rep], u[rep]])
    tgt = np.concatenate([u[rep], w[rep]])
    phi_tgt = np.concatenate([phi_u[rep], phi_w[rep]])
    phi_src = np.concatenate([phi_w[rep], phi_u[rep]])
    refl = np.concatenate([reflect, reflect])
    g = np.where(refl, phi_tgt + phi_src, phi_tgt - phi_src) + np.pi
    r = np.concatenate([lengths[rep], lengths[rep]])
    order = np.lexsort((src, tgt))
    return EdgeGeometry(
        source=src[order],
        target=tgt[order],
        length=r[order],
        theta=wrap_angle(phi_tgt[order]),
        transport=wrap_angle(g[order]),
        reflect=refl[order],
    )


def angle_defects(mesh: Mesh, fans: VertexFans | None = None) -> np.ndarray:
    """Gaussian curvature per vertex: ``2 pi - Theta`` (interior), ``pi - Theta`` (boundary,
    the geodesic-curvature term). Their sum is ``2 pi chi`` (discrete Gauss-Bonnet)."""
    fans = vertex_fans(mesh) if fans is None else fans
    full = np.where(mesh.boundary_vertex_mask, np.pi, 2 * np.pi)
    return full - fans.angle_sum
