r"""Normals and tangent frames of embedded meshes, consistent with the intrinsic angle coordinates.

The normal at v is the angle-weighted mean of the face normals of its fan, each taken with the
vertex's local orientation (``sigma_v(f)``), so on an orientable mesh it follows the face winding
(right-hand rule) and on a non-orientable one it is a locally consistent choice. ``e1`` is the
reference edge of the fan (angle coordinate 0) projected to the tangent plane, ``e2 = n x e1``.
Intrinsic angles therefore increase from e1 towards e2.

**Folded fans.** Where the fan folds over (faces with nearly opposite normals, as in some scanned
and modelled meshes) the weighted mean can vanish or point almost along the reference edge. At
such a vertex -- ``|sum_f w_f sigma_f n_f| < FOLDED_FAN * sum_f w_f``, or the mean normal within
``FOLDED_FAN`` radians of the reference edge -- the normal is instead the oriented normal of the
fan's *start face* (the face of the reference edge). That face contains the reference edge, so
``e1`` is always well defined, and every manifold mesh with non-degenerate faces gets finite
frames. The intrinsic angles and transports do not depend on the normal at all.

The *projected* variant used by the GEM-CNN paper is here too, for comparison: log-map angles from
projecting neighbour offsets to the tangent plane, transport by the rotation that takes one normal to
the other (the "spherical" approximation of the reference implementation).

Edge vectors are rescaled by powers of two where their squares would leave float64's range
(:mod:`._scale`), so the results are exact at every representable scale.
"""

from __future__ import annotations

import numpy as np

from ._scale import row_exponents
from .fans import VertexFans, corner_angles
from .intrinsic import EdgeGeometry, wrap_angle
from .mesh import Mesh

#: relative size of the mean normal (and angle to the reference edge, radians) below which a fan
#: counts as folded and the start face's normal is used
FOLDED_FAN = 1e-3


def _face_normals(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """(F, 3) unit normals ``(v1 - v0) x (v2 - v0)`` (edges rescaled per face where needed)."""
    edges = np.stack([v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]], axis=1)
    edges = np.ldexp(edges, -row_exponents(edges, (1, 2)))
    fn = np.cross(edges[:, 0], edges[:, 1])
    return fn / np.linalg.norm(fn, axis=1, keepdims=True)


def _reference_offsets(mesh: Mesh, fans: VertexFans) -> np.ndarray:
    """(N, 3) offset from every vertex to the far end of its reference edge, rescaled per vertex
    by a power of two where needed (directions only)."""
    v, he = mesh.vertices, mesh.halfedges
    c = fans.start_corner
    # the reference edge is the start corner's a-edge (forward walk) or b-edge (reversed walk)
    f3, k = 3 * (c // 3), c % 3
    other = np.where(fans.sigma[c] > 0, he.target[c], he.origin[f3 + (k + 2) % 3])
    d = v[other] - v
    return np.ldexp(d, -row_exponents(d, 1))


def vertex_normals(mesh: Mesh, fans: VertexFans) -> np.ndarray:
    """(N, 3) unit normals, angle-weighted, following each vertex's local orientation; the start
    face's normal at folded fans (module docstring)."""
    f = mesh.faces
    fn = _face_normals(mesh.vertices, f)
    w = corner_angles(mesh.edge_lengths).reshape(-1) * fans.sigma
    contrib = np.repeat(fn, 3, axis=0) * w[:, None]
    corner_vertex = f.reshape(-1)
    n = np.stack([np.bincount(corner_vertex, contrib[:, d], mesh.n_vertices) for d in range(3)], 1)
    norm = np.linalg.norm(n, axis=1, keepdims=True)
    n = n / np.where(norm > 0, norm, 1.0)
    ref = _reference_offsets(mesh, fans)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    folded = (norm[:, 0] < FOLDED_FAN * fans.angle_sum) | (
        np.linalg.norm(np.cross(n, ref), axis=1) < FOLDED_FAN
    )
    if folded.any():
        c = fans.start_corner[folded]
        n[folded] = fans.sigma[c][:, None] * fn[c // 3]
    return n


def tangent_frames(mesh: Mesh, fans: VertexFans, normals: np.ndarray) -> np.ndarray:
    """(N, 2, 3) frames ``(e1, e2)``; e1 along the fan's reference edge, ``e1 x e2 = normal``."""
    d = _reference_offsets(mesh, fans)
    length = np.linalg.norm(d, axis=1)
    d -= normals * (d * normals).sum(1, keepdims=True)
    norm = np.linalg.norm(d, axis=1, keepdims=True)
    bad = np.flatnonzero(norm[:, 0] <= 1e-12 * length)
    if len(bad):
        raise ValueError(f"reference edge parallel to the normal at vertices {bad[:10].tolist()}")
    e1 = d / norm
    e2 = np.cross(normals, e1)
    return np.stack([e1, e2], axis=1)


def projected_edge_geometry(
    positions: np.ndarray, normals: np.ndarray, frames: np.ndarray, edges: EdgeGeometry
) -> EdgeGeometry:
    """The GEM-CNN paper's extrinsic variant: projection log maps and normal-aligning transport.

    Same edges (and reflection flags) as ``edges``; ``theta`` is the polar angle of the neighbour
    offset projected to the tangent plane at i, and ``g`` is the angle, in i's frame, of j's e1 rotated
    by the minimal rotation taking ``n_j`` to ``n_i`` (``n_j`` is first negated, together with e2_j,
    where the edge reflects). ``r`` stays the edge length.
    """
    i, j = edges.target, edges.source
    d = positions[j] - positions[i]
    theta = np.arctan2((d * frames[i, 1]).sum(1), (d * frames[i, 0]).sum(1))
    sgn = np.where(edges.reflect, -1.0, 1.0)[:, None]
    nj = normals[j] * sgn
    ni = normals[i]
    e1j = frames[j, 0]
    # Rodrigues rotation taking nj to ni, applied to e1j
    axis = np.cross(nj, ni)
    s = np.linalg.norm(axis, axis=1, keepdims=True)
    cth = (nj * ni).sum(1, keepdims=True)
    k = np.divide(axis, s, out=np.zeros_like(axis), where=s > 1e-15)
    rot = e1j * cth + np.cross(k, e1j) * s + k * (k * e1j).sum(1, keepdims=True) * (1 - cth)
    g = np.arctan2((rot * frames[i, 1]).sum(1), (rot * frames[i, 0]).sum(1))
    # with e2_j negated on reflecting edges, phi_j -> -phi_j: angle at i = -phi + g as in DESIGN
    return EdgeGeometry(
        source=j,
        target=i,
        length=edges.length,
        theta=wrap_angle(theta),
        transport=wrap_angle(g),
        reflect=edges.reflect,
    )
