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
   rule of ``docs/design.md`` (angle at i = ``(-phi if reflect else phi) + g``):
   ``g = phi_i(j) - phi_j(i) + pi`` (no reflection) or ``g = phi_i(j) + phi_j(i) + pi`` (reflection).
   An edge reflects iff the local orientations of its two endpoints disagree on a face of the edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fans import VertexFans
from .mesh import Mesh


def wrap_angle(a: np.ndarray) -> np.ndarray:
    """Wrap angles to (-pi, pi]."""
    w = np.mod(np.asarray(a) + np.pi, 2 * np.pi) - np.pi
    return np.where(w == -np.pi, np.pi, w)


def vertex_fans(mesh: Mesh) -> VertexFans:
    """The fan walk of every vertex (computed once, when the mesh was validated)."""
    return mesh.fans


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
    order = np.argsort(tgt * np.int64(mesh.n_vertices) + src, kind="stable")
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
