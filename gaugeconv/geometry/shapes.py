"""Procedural surfaces with known geometry, each returned as a :class:`~gaugeconv.Mesh`.

=================  ==============================================================================
``icosphere``      unit sphere by geodesic subdivision of the icosahedron; 10 * 4**level + 2
                   vertices, vertex 0 = (0, 0, 1), vertices of level r - 1 a prefix of level r
``mobius_strip``   embedded Möbius band, or (``flat=True``) the intrinsically flat strip
                   [0, L) x [-w, w] with (L, v) ~ (0, -v), built with ``Mesh.from_intrinsic``
``torus``          embedded torus of revolution (genus 1)
``cone``           open cone, flat everywhere except its apex
``plane``          randomly triangulated flat square (Delaunay of random points)
``cylinder``       open cylinder (flat, two boundary loops)
``superellipsoid`` superquadric: ellipsoid, rounded box, octahedron, rounded cylinder
``lobed_sphere``   sphere with smooth lobes towards given directions (radial surface)
``torus_knot_tube`` tube around a (p, q) torus knot (the trefoil by default; genus 1)
=================  ==============================================================================

The strips' quads are split along diagonals that mirror across the strip's centre line, so that the
shift by one column, which crosses the seam with the width reversed, maps the triangulation onto
itself: an exact isometry of the flat strip (:func:`mobius_shift`). That needs an odd ``n_width``:
with an even one the middle row of cells is its own mirror image, and no choice of diagonal in it
is mirror-symmetric. Every ``n_width >= 2`` gives a valid strip (embedded or flat); only
:func:`mobius_shift` refuses even widths.
"""

from __future__ import annotations

import numpy as np

from .mesh import Mesh

__all__ = [
    "icosphere",
    "mobius_strip",
    "mobius_shift",
    "torus",
    "cone",
    "plane",
    "cylinder",
    "icosahedron",
    "lobed_sphere",
    "superellipsoid",
    "torus_knot_tube",
]


def icosahedron() -> tuple[np.ndarray, np.ndarray]:
    """The regular icosahedron on the unit sphere: vertex 0 at the north pole, vertex 11 at the
    south pole, vertices 1-5 on the upper ring (vertex 1 at longitude 0), 6-10 on the lower ring
    (rotated by 36 degrees). Faces are wound counter-clockwise seen from outside."""
    lat = np.arctan(0.5)
    lon_up = 2 * np.pi * np.arange(5) / 5
    lon_lo = lon_up + np.pi / 5
    up = np.stack(
        [np.cos(lat) * np.cos(lon_up), np.cos(lat) * np.sin(lon_up), np.full(5, np.sin(lat))], 1
    )
    lo = np.stack(
        [np.cos(lat) * np.cos(lon_lo), np.cos(lat) * np.sin(lon_lo), np.full(5, -np.sin(lat))], 1
    )
    v = np.concatenate([[[0.0, 0.0, 1.0]], up, lo, [[0.0, 0.0, -1.0]]])
    f = []
    for i in range(5):
        a, b = 1 + i, 1 + (i + 1) % 5  # upper ring
        c, d = 6 + i, 6 + (i + 1) % 5  # lower ring, c lies between a and b in longitude
        f += [[0, a, b], [a, c, b], [b, c, d], [c, 11, d]]
    return v, np.array(f, dtype=np.int64)


def _subdivide(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One geodesic 1-to-4 subdivision; new (midpoint) vertices are appended after the old ones."""
    n = len(vertices)
    he = np.stack([faces, np.roll(faces, -1, axis=1)], axis=2).reshape(-1, 2)
    key = np.sort(he, axis=1)
    uniq, inv = np.unique(key[:, 0] * n + key[:, 1], return_inverse=True)
    mid = vertices[uniq // n] + vertices[uniq % n]
    mid /= np.linalg.norm(mid, axis=1, keepdims=True)
    m = (n + inv).reshape(-1, 3)  # m[:, k] = midpoint of edge (f_k, f_{k+1})
    a, b, c = faces.T
    new = np.stack(
        [
            np.stack([a, m[:, 0], m[:, 2]], 1),
            np.stack([m[:, 0], b, m[:, 1]], 1),
            np.stack([m[:, 2], m[:, 1], c], 1),
            np.stack([m[:, 0], m[:, 1], m[:, 2]], 1),
        ],
        axis=1,
    ).reshape(-1, 3)
    return np.concatenate([vertices, mid]), new


def icosphere(level: int) -> Mesh:
    """Geodesic icosphere of the given subdivision level (level 0 = icosahedron)."""
    if level < 0:
        raise ValueError(f"level must be >= 0, got {level}")
    v, f = icosahedron()
    for _ in range(level):
        v, f = _subdivide(v, f)
    return Mesh(v, f)


def _strip_faces(n_length: int, n_width: int, twisted: bool, mirrored: bool) -> np.ndarray:
    """Faces of an (n_length x n_width) grid wrapped along the length.

    Vertex (i, k) has index ``i * n_width + k``. Column n_length is column 0, with the width reversed
    when ``twisted``. With ``mirrored``, cells below the centre line use the (i,k)-(i+1,k+1) diagonal
    and cells above it the mirrored one.
    """
    i, k = np.meshgrid(np.arange(n_length), np.arange(n_width - 1), indexing="ij")
    i, k = i.reshape(-1), k.reshape(-1)

    def vid(ii, kk):
        wrap = ii == n_length
        kk = np.where(wrap & twisted, n_width - 1 - kk, kk)
        return np.where(wrap, 0, ii) * n_width + kk

    p00, p10 = vid(i, k), vid(i + 1, k)
    p01, p11 = vid(i, k + 1), vid(i + 1, k + 1)
    up = (2 * k < n_width - 2) if mirrored else np.ones(len(k), dtype=bool)
    t1 = np.where(up[:, None], np.stack([p00, p10, p11], 1), np.stack([p00, p10, p01], 1))
    t2 = np.where(up[:, None], np.stack([p00, p11, p01], 1), np.stack([p10, p11, p01], 1))
    return np.concatenate([t1, t2])


def mobius_strip(
    n_length: int = 40,
    n_width: int = 7,
    flat: bool = False,
    *,
    radius: float = 1.0,
    half_width: float = 0.4,
) -> Mesh:
    """Möbius strip with ``n_length`` (>= 3) columns around and ``n_width`` (>= 2) vertices across.

    Embedded: ``x(u, v) = ((R + v cos(u/2)) cos u, (R + v cos(u/2)) sin u, v sin(u/2))``. Flat: the
    strip ``[0, 2 pi R) x [-w, w]`` with ``(2 pi R, v) ~ (0, -v)`` given by edge lengths only; for
    odd ``n_width`` shifting by one column (:func:`mobius_shift`) is an exact isometry of it.
    """
    if n_width < 2:
        raise ValueError(f"n_width must be >= 2 (vertices across the strip), got {n_width}")
    if n_length < 3:
        raise ValueError(f"n_length must be >= 3, got {n_length}")
    faces = _strip_faces(n_length, n_width, twisted=True, mirrored=True)
    u = 2 * np.pi * np.arange(n_length) / n_length
    v = np.linspace(-half_width, half_width, n_width)
    if flat:
        x = np.stack(np.meshgrid(radius * u, v, indexing="ij"), -1).reshape(-1, 2)
        # coordinates of each face corner, unwrapping the seam: column 0 seen from the last column
        col = np.repeat(np.arange(n_length), n_width)[faces]
        pts = x[faces]
        # faces of the seam cell see column 0 continued past the last column, width reversed
        seam = ((col == n_length - 1).any(1) & (col == 0).any(1))[:, None] & (col == 0)
        unwrapped = np.stack([2 * np.pi * radius + pts[..., 0], -pts[..., 1]], -1)
        pts = np.where(seam[..., None], unwrapped, pts)
        lengths = np.linalg.norm(np.roll(pts, -1, axis=1) - pts, axis=2)
        return Mesh.from_intrinsic(faces, lengths)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    uu, vv = uu.reshape(-1), vv.reshape(-1)
    rr = radius + vv * np.cos(uu / 2)
    pos = np.stack([rr * np.cos(uu), rr * np.sin(uu), vv * np.sin(uu / 2)], 1)
    return Mesh(pos, faces)


def mobius_shift(n_length: int, n_width: int) -> np.ndarray:
    """Vertex permutation of the shift by one column of ``mobius_strip(n_length, n_width)``:
    vertex ``(i, k)`` goes to ``(i + 1, k)``, across the seam ``(n_length - 1, k)`` to
    ``(0, n_width - 1 - k)``. It maps the triangulation onto itself, an exact isometry of the flat
    strip, only for odd ``n_width`` (module docstring); even widths raise ``ValueError``."""
    if n_width < 3 or n_width % 2 == 0:
        raise ValueError(
            f"the one-column shift is an isometry of the triangulated strip only for odd n_width "
            f">= 3 (with an even width the middle row of cells is its own mirror image and its "
            f"diagonals cannot be mirror-symmetric), got n_width={n_width}"
        )
    i, k = np.divmod(np.arange(n_length * n_width), n_width)
    wrap = i == n_length - 1
    return np.where(wrap, 0, i + 1) * n_width + np.where(wrap, n_width - 1 - k, k)


def torus(
    n_major: int = 32, n_minor: int = 16, major_radius: float = 1.0, minor_radius: float = 0.35
) -> Mesh:
    """Torus of revolution, grid ``n_major x n_minor`` (genus 1, closed)."""
    u = 2 * np.pi * np.arange(n_major) / n_major
    v = 2 * np.pi * np.arange(n_minor) / n_minor
    uu, vv = np.meshgrid(u, v, indexing="ij")
    rr = major_radius + minor_radius * np.cos(vv)
    pos = np.stack([rr * np.cos(uu), rr * np.sin(uu), minor_radius * np.sin(vv)], -1).reshape(-1, 3)
    i, k = np.meshgrid(np.arange(n_major), np.arange(n_minor), indexing="ij")
    i, k = i.reshape(-1), k.reshape(-1)
    i1, k1 = (i + 1) % n_major, (k + 1) % n_minor
    a, b, c, d = i * n_minor + k, i1 * n_minor + k, i1 * n_minor + k1, i * n_minor + k1
    faces = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    return Mesh(pos, faces)


def cone(
    n_sectors: int = 16, n_rings: int = 4, half_angle: float = np.pi / 6, length: float = 1.0
) -> Mesh:
    """Open cone with its apex (vertex 0) at the origin opening downwards.

    Ring r (1..n_rings) holds ``n_sectors`` vertices on the generators at distance ``r/n_rings *
    length`` from the apex; every quad between rings is planar, so the surface is intrinsically flat
    except at the apex, whose angle defect equals the holonomy of any loop around it.
    """
    phi = 2 * np.pi * np.arange(n_sectors) / n_sectors
    gen = np.stack(
        [
            np.sin(half_angle) * np.cos(phi),
            np.sin(half_angle) * np.sin(phi),
            -np.full(n_sectors, np.cos(half_angle)),
        ],
        1,
    )
    t = length * np.arange(1, n_rings + 1) / n_rings
    pos = np.concatenate([np.zeros((1, 3)), (t[:, None, None] * gen[None]).reshape(-1, 3)])
    s = np.arange(n_sectors)
    s1 = (s + 1) % n_sectors
    faces = [np.stack([np.zeros(n_sectors, dtype=np.int64), 1 + s1, 1 + s], 1)]
    for r in range(n_rings - 1):
        a, b = 1 + r * n_sectors + s, 1 + r * n_sectors + s1
        c, d = a + n_sectors, b + n_sectors
        faces += [np.stack([a, b, d], 1), np.stack([a, d, c], 1)]
    return Mesh(pos, np.concatenate(faces))


def plane(n_points: int = 200, seed: int = 0, size: float = 1.0) -> Mesh:
    """A flat square ``[0, size]^2`` (z = 0) triangulated by Delaunay on random interior points plus
    an evenly spaced boundary."""
    from scipy.spatial import Delaunay

    rng = np.random.default_rng(seed)
    m = max(int(np.sqrt(n_points)), 2)
    edge = np.linspace(0, size, m + 1)[:-1]
    boundary = np.concatenate(
        [
            np.stack([edge, np.zeros(m)], 1),
            np.stack([np.full(m, size), edge], 1),
            np.stack([size - edge, np.full(m, size)], 1),
            np.stack([np.zeros(m), size - edge], 1),
        ]
    )
    inner = rng.uniform(0.05 * size, 0.95 * size, size=(max(n_points - len(boundary), 1), 2))
    pts = np.concatenate([boundary, inner])
    tri = Delaunay(pts).simplices
    # Delaunay winding is counter-clockwise in the xy-plane for scipy's qhull; enforce it
    p = pts[tri]
    cross = (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1]) - (p[:, 1, 1] - p[:, 0, 1]) * (
        p[:, 2, 0] - p[:, 0, 0]
    )
    tri = np.where(cross[:, None] > 0, tri, tri[:, ::-1])
    return Mesh(np.concatenate([pts, np.zeros((len(pts), 1))], 1), tri)


def cylinder(
    n_around: int = 24, n_height: int = 8, radius: float = 0.5, height: float = 1.0
) -> Mesh:
    """Open cylinder of revolution about the z axis (two boundary loops)."""
    u = 2 * np.pi * np.arange(n_around) / n_around
    z = np.linspace(0, height, n_height)
    uu, zz = np.meshgrid(u, z, indexing="ij")
    pos = np.stack([radius * np.cos(uu), radius * np.sin(uu), zz], -1).reshape(-1, 3)
    faces = _strip_faces(n_around, n_height, twisted=False, mirrored=False)
    return Mesh(pos, faces)


def superellipsoid(
    level: int = 4, exponent: float = 4.0, radii=(1.0, 1.0, 1.0), exponent_z: float | None = None
) -> Mesh:
    """The closed superquadric ``(|x/a|^p + |y/b|^p)^(q/p) + |z/c|^q = 1`` (``p = exponent``, ``q =
    exponent_z``, default ``p``; p = q = 2: an ellipsoid, large p = q: a rounded box, p = q = 1: an
    octahedron, p = 2 and large q: a rounded cylinder), as the icosphere of ``level`` pushed
    radially onto it."""
    q = exponent if exponent_z is None else exponent_z
    if exponent <= 0 or q <= 0:
        raise ValueError(f"exponents must be > 0, got {exponent}, {q}")
    sphere = icosphere(level)
    u = sphere.vertices
    xy = (np.abs(u[:, 0]) ** exponent + np.abs(u[:, 1]) ** exponent) ** (q / exponent)
    norm = (xy + np.abs(u[:, 2]) ** q) ** (1.0 / q)
    return Mesh(u / norm[:, None] * np.asarray(radii, dtype=np.float64), sphere.faces)


def lobed_sphere(
    directions: np.ndarray, amplitudes, sharpness: float = 8.0, level: int = 4
) -> Mesh:
    """A sphere with a lobe towards each of the unit ``directions`` (K, 3): the radial surface
    ``r(u) = 1 + sum_k a_k max(0, u . d_k)^sharpness`` over the icosphere of ``level``."""
    d = np.asarray(directions, dtype=np.float64).reshape(-1, 3)
    d = d / np.linalg.norm(d, axis=1, keepdims=True)
    a = np.broadcast_to(np.asarray(amplitudes, dtype=np.float64), (len(d),))
    sphere = icosphere(level)
    u = sphere.vertices
    r = 1.0 + (np.maximum(u @ d.T, 0.0) ** sharpness * a).sum(1)
    return Mesh(u * r[:, None], sphere.faces)


def torus_knot_tube(
    p: int = 2,
    q: int = 3,
    n_along: int = 160,
    n_around: int = 12,
    tube_radius: float = 0.45,
) -> Mesh:
    """A tube of radius ``tube_radius`` around the (p, q) torus knot (p = 2, q = 3: the trefoil)
    ``c(t) = ((2 + cos q t) cos p t, (2 + cos q t) sin p t, -sin q t)``, t in [0, 2 pi): a closed
    surface of genus 1 with outward normals. The tube's cross-sections use a rotation-minimising frame along the curve,
    with its closing twist spread evenly so that the grid closes up."""
    if n_along < 3 or n_around < 3:
        raise ValueError(f"need n_along, n_around >= 3, got {n_along}, {n_around}")
    t = 2 * np.pi * np.arange(n_along) / n_along
    c = np.stack(
        [(2 + np.cos(q * t)) * np.cos(p * t), (2 + np.cos(q * t)) * np.sin(p * t), -np.sin(q * t)],
        1,
    )
    tangent = np.roll(c, -1, axis=0) - np.roll(c, 1, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    normal = np.empty_like(c)
    seed = np.cross(tangent[0], [0.0, 0.0, 1.0])
    if np.linalg.norm(seed) < 1e-6:
        seed = np.cross(tangent[0], [1.0, 0.0, 0.0])
    normal[0] = seed / np.linalg.norm(seed)
    for k in range(1, n_along + 1):  # parallel transport of the normal (projection and rescaling)
        m = normal[k - 1] - (normal[k - 1] @ tangent[k % n_along]) * tangent[k % n_along]
        m /= np.linalg.norm(m)
        if k < n_along:
            normal[k] = m
        else:  # the transported normal back at the start: the frame's total twist
            b0 = np.cross(tangent[0], normal[0])
            twist = np.arctan2(m @ b0, m @ normal[0])
    binormal = np.cross(tangent, normal)
    spin = -twist * np.arange(n_along) / n_along  # undo the twist gradually
    n2 = np.cos(spin)[:, None] * normal + np.sin(spin)[:, None] * binormal
    b2 = np.cross(tangent, n2)
    phi = 2 * np.pi * np.arange(n_around) / n_around
    ring = np.cos(phi)[None, :, None] * n2[:, None] + np.sin(phi)[None, :, None] * b2[:, None]
    pos = (c[:, None] + tube_radius * ring).reshape(-1, 3)
    i, k = np.meshgrid(np.arange(n_along), np.arange(n_around), indexing="ij")
    i, k = i.reshape(-1), k.reshape(-1)
    i1, k1 = (i + 1) % n_along, (k + 1) % n_around
    a, b, cc, d = i * n_around + k, i1 * n_around + k, i1 * n_around + k1, i * n_around + k1
    faces = np.concatenate([np.stack([a, cc, b], 1), np.stack([a, d, cc], 1)])  # outward normals
    return Mesh(pos, faces)
