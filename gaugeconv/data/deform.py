"""Near-isometric random deformations of a template: limb bending and re-triangulation.

**Limb bending** (linear blend skinning): the template gets ``n_limbs`` *limbs*, geodesic balls
around extremities (the first seeds of geodesic farthest-point sampling, which land on feet, head and
tail). Limb s with tip t_s has length ``L_s = limb_fraction * d(t_s, core)`` (``core``: the vertex
nearest the area centroid; ``d``: graph-geodesic distance), its *joint* c_s is the centre of the ring
of vertices at distance ``L_s`` from the tip, and its weight is ``w_s(v) = smoothstep((L_s - d(t_s,
v)) / b + 1/2)`` (1 on the limb, 0 on the body, a band of width ``b`` between; weights summing to more
than 1 are normalised). A deformation rotates every limb about an axis through its joint,
perpendicular to the limb (a bend), by an angle uniform in ``[-max_angle, max_angle]``:
``x' = x + sum_s w_s(x) (R_s (x - c_s) + c_s - x)``.

Bending a limb of radius r by an angle a over a band of width b stretches edges in the band by about
``1.5 r a / b``; that cannot be avoided (a bent tube is not isometric to a straight one). To keep the
result near-isometric, all angles of a draw are scaled down (bisection) until the ``quantile`` of the
relative edge-length changes is at most ``max_distortion`` (:func:`bend_within_budget`).

**Re-triangulation** (:func:`random_edge_flips`): one round of independent edge flips (no face
flipped twice) on nearly flat edges, keeping every vertex (so the vertex map to the template stays
the identity), the manifold structure, the winding and vertex degrees >= 3.

**Smooth random deformation** (:func:`smooth_random_deformation`): ``x' = x + sum_k b_k sin(w_k . x
+ phi_k)`` with ``n_waves`` random plane waves: wave vectors ``w_k`` of length ``frequency / size``
in uniform directions (``size``: the bounding-box diagonal), phases uniform, amplitudes ``b_k``
uniform in direction with length ``amplitude * size / sqrt(n_waves)``. Its Jacobian differs from the
identity by at most ``sqrt(n_waves) * amplitude * frequency`` in norm, so with
``amplitude * frequency * sqrt(n_waves) < 1`` the map is a diffeomorphism (no fold-overs).

**Anisotropic scaling** (:func:`random_anisotropic_scaling`): ``x' = c + Q diag(s) Q^T (x - c)``
with ``Q`` a uniformly random rotation, ``log s_i`` uniform in ``[-log m, log m]`` (``m =
max_ratio``) and ``c`` the vertex mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra
from scipy.spatial.transform import Rotation

from ..geometry.mesh import Mesh
from .template_parts import edge_graph, farthest_point_seeds, vertex_areas


def smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


@dataclass(frozen=True)
class Rig:
    """Template data for :func:`bend_limbs` (built once by :func:`build_rig`)."""

    vertices: np.ndarray  # (N, 3) template positions
    edges: np.ndarray  # (E, 2) template edges
    weights: np.ndarray  # (S, N) limb weights
    joint: np.ndarray  # (S, 3) joint centres
    limb: np.ndarray  # (S, 3) unit direction joint -> tip
    active: np.ndarray  # (E,) bool: edges that can change length (not inside one rigid piece)


def build_rig(
    mesh: Mesh, n_limbs: int = 5, limb_fraction: float = 0.35, blend_width: float = 0.2
) -> Rig:
    """Limbs, joints and weights of ``mesh`` (``blend_width`` relative to the bounding-box diagonal)."""
    v = mesh.vertices
    graph = edge_graph(mesh)
    tips = farthest_point_seeds(mesh, n_limbs, graph)
    area = vertex_areas(mesh)
    centroid = (v * area[:, None]).sum(0) / area.sum()
    core = int(np.argmin(np.linalg.norm(v - centroid, axis=1)))
    dist = dijkstra(graph, indices=tips)
    length = limb_fraction * dist[:, core]
    band = blend_width * float(np.linalg.norm(np.ptp(v, axis=0)))
    weights = smoothstep((length[:, None] - dist) / band + 0.5)
    weights = weights / np.maximum(weights.sum(axis=0), 1.0)
    ring = np.argsort(np.abs(dist - length[:, None]), axis=1)[:, :16]
    joint = v[ring].mean(axis=1)
    limb = v[tips] - joint
    limb /= np.maximum(np.linalg.norm(limb, axis=1, keepdims=True), 1e-12)
    # an edge whose two ends carry the same 0/1 weights moves rigidly
    pure = ((weights == 0) | (weights == 1)).all(axis=0)
    e = mesh.edges
    same = (weights[:, e[:, 0]] == weights[:, e[:, 1]]).all(axis=0)
    active = ~(pure[e[:, 0]] & pure[e[:, 1]] & same)
    return Rig(v, e, weights, joint, limb, active)


def bend_limbs(
    rig: Rig, angles: np.ndarray, axes: np.ndarray, vertices: np.ndarray | None = None
) -> np.ndarray:
    """Positions with limb s rotated by ``angles[s]`` about unit ``axes[s]`` through its joint.

    ``vertices`` selects a subset of vertices (default: all, giving (N, 3)).
    """
    idx = slice(None) if vertices is None else vertices
    x, w = rig.vertices[idx], rig.weights[:, idx]
    rot = Rotation.from_rotvec(angles[:, None] * axes).as_matrix()  # (S, 3, 3)
    rel = x[None] - rig.joint[:, None]  # (S, n, 3)
    moved = np.einsum("sij,snj->sni", rot, rel) + rig.joint[:, None]
    return x + np.einsum("sn,sni->ni", w, moved - x[None])


def bend_within_budget(
    rig: Rig,
    rng: np.random.Generator,
    max_angle: float,
    max_distortion: float = 0.05,
    quantile: float = 0.99,
) -> tuple[np.ndarray, float]:
    """A random limb bending whose edge-length distortion quantile is within ``max_distortion``.

    Returns the positions and the factor (<= 1) the drawn angles were scaled by.
    """
    n = len(rig.joint)
    angles = rng.uniform(-max_angle, max_angle, size=n)
    axes = np.cross(rig.limb, rng.normal(size=(n, 3)))
    axes /= np.maximum(np.linalg.norm(axes, axis=1, keepdims=True), 1e-12)

    # only edges that do not move rigidly can change length: evaluate those alone
    used, local = np.unique(rig.edges[rig.active], return_inverse=True)
    local = local.reshape(-1, 2)
    rigid = np.zeros(int((~rig.active).sum()))

    def distortion(scale: float) -> float:
        x = bend_limbs(rig, scale * angles, axes, used)
        d = edge_length_distortion(rig.vertices[used], x, local)
        return float(np.quantile(np.concatenate([rigid, d]), quantile))

    scale = 1.0
    if distortion(1.0) > max_distortion:
        lo, hi = 0.0, 1.0
        for _ in range(10):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if distortion(mid) <= max_distortion else (lo, mid)
        scale = lo
    return bend_limbs(rig, scale * angles, axes), scale


def random_rotation(rng: np.random.Generator, mode: str = "so3") -> np.ndarray:
    """A (3, 3) rotation: uniform on SO(3) (``"so3"``), about the z axis (``"z"``), or identity."""
    if mode == "so3":
        q = rng.normal(size=4)  # a normalised Gaussian quaternion is uniform on SO(3)
        return Rotation.from_quat(q / np.linalg.norm(q)).as_matrix()
    if mode == "z":
        return Rotation.from_euler("z", rng.uniform(0, 2 * np.pi)).as_matrix()
    if mode in ("none", None):
        return np.eye(3)
    raise ValueError(f"rotation mode must be 'so3', 'z' or 'none', got {mode!r}")


def random_edge_flips(
    connectivity: Mesh,
    vertices: np.ndarray,
    rng: np.random.Generator,
    fraction: float,
    max_bend: float = np.deg2rad(20),
) -> np.ndarray:
    """Faces of ``connectivity`` after flipping up to ``fraction`` of its edges (an independent set).

    ``vertices`` are the positions to judge flatness with (the mesh's own, or deformed ones). An
    interior edge (a, b) between faces (a, b, c) and (b, a, d) becomes (c, d) when the two faces are
    within ``max_bend`` of coplanar, (c, d) is not an edge yet, a and b keep degree >= 3, and the new
    faces (c, a, d), (d, b, c) keep the orientation and at least 10 % of the pair's mean area.
    """
    faces = connectivity.faces.copy()
    he = connectivity.halfedges
    n_e, n_v = he.n_edges, len(vertices)
    target = int(round(fraction * n_e))
    if target <= 0:
        return faces
    # one halfedge per interior edge, with the geometric tests done for all edges at once
    h1 = np.flatnonzero((he.twin >= 0) & (np.arange(len(he.twin)) < he.twin))
    h2 = he.twin[h1]
    f1, k1, f2, k2 = h1 // 3, h1 % 3, h2 // 3, h2 % 3
    a, b = faces[f1, k1], faces[f1, (k1 + 1) % 3]
    c, d = faces[f1, (k1 + 2) % 3], faces[f2, (k2 + 2) % 3]
    p = vertices

    def normal(i, j, k):
        return np.cross(p[j] - p[i], p[k] - p[i])

    n1, n2, m1, m2 = normal(a, b, c), normal(b, a, d), normal(c, a, d), normal(d, b, c)
    a1, a2 = np.linalg.norm(n1, axis=1), np.linalg.norm(n2, axis=1)
    ref = n1 / a1[:, None] + n2 / a2[:, None]
    floor = 0.1 * (a1 + a2) / 2
    ok = (
        (np.einsum("ij,ij->i", n1, n2) >= np.cos(max_bend) * a1 * a2)
        & (np.einsum("ij,ij->i", m1, ref) > 0)
        & (np.einsum("ij,ij->i", m2, ref) > 0)
        & (np.minimum(np.linalg.norm(m1, axis=1), np.linalg.norm(m2, axis=1)) >= floor)
        & (c != d)
    )
    deg = np.bincount(he.edges.reshape(-1), minlength=n_v)
    existing = set((he.edges[:, 0] * n_v + he.edges[:, 1]).tolist())
    used = np.zeros(len(faces), dtype=bool)
    flipped = 0
    for e in rng.permutation(np.flatnonzero(ok)).tolist():
        if flipped >= target:
            break
        ea, eb, ec, ed, g1, g2 = a[e], b[e], c[e], d[e], f1[e], f2[e]
        key = min(ec, ed) * n_v + max(ec, ed)
        if used[g1] or used[g2] or deg[ea] <= 3 or deg[eb] <= 3 or key in existing:
            continue
        faces[g1], faces[g2] = (ec, ea, ed), (ed, eb, ec)
        used[g1] = used[g2] = True
        existing.discard(min(ea, eb) * n_v + max(ea, eb))
        existing.add(key)
        deg[[ea, eb]] -= 1
        deg[[ec, ed]] += 1
        flipped += 1
    return faces


def edge_length_distortion(
    reference: np.ndarray, deformed: np.ndarray, edges: np.ndarray
) -> np.ndarray:
    """(E,) relative edge-length change ``|l' / l - 1|`` of ``edges`` ((E, 2) vertex pairs)."""
    l0 = np.linalg.norm(reference[edges[:, 0]] - reference[edges[:, 1]], axis=1)
    l1 = np.linalg.norm(deformed[edges[:, 0]] - deformed[edges[:, 1]], axis=1)
    return np.abs(l1 / l0 - 1.0)


def smooth_random_deformation(
    vertices: np.ndarray,
    rng: np.random.Generator,
    amplitude: float = 0.05,
    frequency: float = 3.0,
    n_waves: int = 4,
) -> np.ndarray:
    """Positions moved by a random smooth displacement field (module docstring)."""
    v = np.asarray(vertices, dtype=np.float64)
    size = float(np.linalg.norm(np.ptp(v, axis=0)))
    dirs = rng.normal(size=(n_waves, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    w = dirs * frequency / size
    phase = rng.uniform(0, 2 * np.pi, size=n_waves)
    b = rng.normal(size=(n_waves, 3))
    b *= amplitude * size / np.sqrt(n_waves) / np.linalg.norm(b, axis=1, keepdims=True)
    return v + np.sin(v @ w.T + phase) @ b


def random_anisotropic_scaling(
    vertices: np.ndarray, rng: np.random.Generator, max_ratio: float = 1.3
) -> np.ndarray:
    """Positions scaled by random factors in ``[1/max_ratio, max_ratio]`` along random orthogonal
    axes through the vertex mean (module docstring)."""
    if max_ratio < 1:
        raise ValueError(f"max_ratio must be >= 1, got {max_ratio}")
    v = np.asarray(vertices, dtype=np.float64)
    q = random_rotation(rng)
    s = np.exp(rng.uniform(-np.log(max_ratio), np.log(max_ratio), size=3))
    c = v.mean(axis=0)
    return c + ((v - c) @ q) * s @ q.T
