"""The validated triangle-mesh container.

A :class:`Mesh` is either *embedded* (vertex positions + faces) or *intrinsic* (faces + edge lengths,
:meth:`Mesh.from_intrinsic`). Construction validates everything downstream relies on and raises
``ValueError`` naming the offending indices:

- wrong shapes or dtypes, an empty mesh (no vertices or no faces);
- NaN/inf coordinates or edge lengths, non-positive lengths, violated triangle inequalities;
- negative or out-of-range face indices, a face repeating a vertex, the same face twice;
- degenerate (zero-area) faces;
- edges shared by more than two faces (non-manifold edges).

Two repairs are made, each with a warning, and recorded so that per-vertex data can be mapped:

- unreferenced vertices are **dropped**;
- a "bow-tie" vertex where several fans of faces touch is **split** into one vertex per fan.

Vertex bookkeeping: ``Mesh.vertex_origin`` (N,) is, for every vertex of the mesh, the number of the
source vertex it came from, and ``Mesh.vertex_of_origin`` the inverse map (the mesh vertex of every
source vertex; ``-1`` for dropped ones, the first copy for a split bow-tie vertex);
``Mesh.face_origin`` (F,) the source face of every face. The source is the ``vertices`` array given
to ``Mesh(vertices, faces)``, and for :func:`~gaugeconv.load_mesh` the file (whose merged seam
copies map to one vertex). Messages name vertices and faces in the source's numbering.

Lengths are computed in float64 with exact power-of-two rescaling where squares would overflow or
underflow (:mod:`._scale`), so meshes at any scale float64 holds (edge lengths from about 1e-300 to
1e300) are accepted; "degenerate" is judged relative to each face's own size.

Faces of an orientable connected component are re-wound coherently (relative to its lowest-numbered
face) when their winding is inconsistent, with a warning. Non-orientable components keep their
winding. Disconnected meshes and meshes with boundary are fine.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ._scale import row_exponents, scaled_norm
from .fans import VertexFans, walk_fans
from .topology import (
    Halfedges,
    _fmt,
    build_halfedges,
    corner_fans,
    face_components,
    face_orientation,
)

#: faces whose area is below this fraction of (longest edge)^2 are degenerate
DEGENERATE_RELATIVE_AREA = 1e-12


@dataclass(frozen=True)
class Numbering:
    """How the vertices and faces given to a :class:`Mesh` are numbered in their source.

    ``vertex`` (n,): source number of every input vertex; ``face`` (F,): source number of every
    input face; ``source_to_input`` (number of source vertices,): the input vertex of every source
    vertex, ``-1`` where there is none; ``context``: prefix of every message (e.g. the file name).
    """

    vertex: np.ndarray
    face: np.ndarray
    source_to_input: np.ndarray
    context: str = ""

    @classmethod
    def identity(cls, n_vertices: int, n_faces: int) -> Numbering:
        every = np.arange(n_vertices)
        return cls(every, np.arange(n_faces), every)


def _as_vertices(vertices) -> np.ndarray:
    v = np.asarray(vertices)
    if v.dtype == object or v.dtype.kind not in "iuf":
        raise ValueError(f"vertices must be a float array of shape (N, 3), got dtype {v.dtype}")
    if v.ndim != 2 or v.shape[1] != 3:
        raise ValueError(f"vertices must have shape (N, 3), got shape {v.shape}")
    if v.shape[0] == 0:
        raise ValueError("mesh has no vertices")
    return v.astype(np.float64)


def _as_faces(faces) -> np.ndarray:
    arr = np.asarray(faces)
    if arr.dtype == object or arr.dtype.kind not in "iuf":
        raise ValueError(f"faces must be an integer array of shape (F, 3), got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"faces must have shape (F, 3) (triangles), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError("mesh has no faces")
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all() or (arr != np.round(arr)).any():
            bad = np.flatnonzero(~np.isfinite(arr).all(1) | (arr != np.round(arr)).any(1))
            raise ValueError(f"faces must hold integer vertex indices; faces {_fmt(bad)} do not")
    return arr.astype(np.int64)


def _check_indices(faces: np.ndarray, n_vertices: int, numbering: Numbering) -> None:
    neg = np.flatnonzero((faces < 0).any(1))
    if len(neg):
        raise ValueError(f"negative vertex indices in faces {_fmt(numbering.face[neg])}")
    high = np.flatnonzero((faces >= n_vertices).any(1))
    if len(high):
        raise ValueError(
            f"vertex indices out of range (the mesh has {n_vertices} vertices) in faces "
            f"{_fmt(numbering.face[high])}"
        )
    rep = np.flatnonzero(
        (faces[:, 0] == faces[:, 1]) | (faces[:, 1] == faces[:, 2]) | (faces[:, 0] == faces[:, 2])
    )
    if len(rep):
        raise ValueError(f"degenerate faces repeat a vertex: faces {_fmt(numbering.face[rep])}")
    key = np.sort(faces, axis=1)
    if n_vertices < 2**21:  # the three sorted indices fit one int64 key
        flat = (key[:, 0] * n_vertices + key[:, 1]) * n_vertices + key[:, 2]
        key = key[np.argsort(flat)]
    else:
        key = key[np.lexsort(key.T[::-1])]
    dup = np.flatnonzero((key[1:] == key[:-1]).all(axis=1))
    if len(dup):
        raise ValueError(
            f"duplicate faces (same three vertices twice): {_fmt(numbering.vertex[key[dup]])}"
        )


def _edge_lengths(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(F, 3) lengths ``|v[f_{k+1}] - v[f_k]|``, without overflow at extreme scales."""
    return scaled_norm(vertices[np.roll(faces, -1, axis=1)] - vertices[faces], axis=2)


def _heron(lengths: np.ndarray) -> np.ndarray:
    """Areas from side lengths in range, Kahan's numerically stable Heron formula."""
    s = np.sort(lengths, axis=1)[:, ::-1]
    a, b, c = s[:, 0], s[:, 1], s[:, 2]
    prod = (a + (b + c)) * (c - (a - b)) * (c + (a - b)) * (a + (b - c))
    return 0.25 * np.sqrt(np.maximum(prod, 0.0))


def _triangle_areas(lengths: np.ndarray) -> np.ndarray:
    """Areas from side lengths (rescaled per face where the fourth powers would not fit float64;
    an area beyond float64's range is inf)."""
    k = row_exponents(lengths, 1)
    return np.ldexp(_heron(np.ldexp(lengths, -k)), 2 * k[:, 0])


def _check_areas(lengths: np.ndarray, numbering: Numbering) -> None:
    """Refuse faces whose area is below ``DEGENERATE_RELATIVE_AREA`` times their longest edge
    squared (computed in each face's own scale)."""
    scaled = np.ldexp(lengths, -row_exponents(lengths, 1))
    area = _heron(scaled)
    bad = np.flatnonzero(area <= DEGENERATE_RELATIVE_AREA * scaled.max(axis=1) ** 2)
    if len(bad):
        raise ValueError(f"degenerate (zero-area) faces: {_fmt(numbering.face[bad])}")


class Mesh:
    """A validated triangle mesh, embedded (``vertices``) or intrinsic (``edge_lengths`` only).

    Parameters
    ----------
    vertices:
        (N, 3) float array of positions.
    faces:
        (F, 3) integer array of vertex indices.

    Attributes
    ----------
    vertices: (N, 3) float64 array, or ``None`` for an intrinsic mesh.
    faces: (F, 3) int64 array.
    edge_lengths: (F, 3) float64, ``edge_lengths[f, k]`` = length of the edge from ``faces[f, k]`` to
        ``faces[f, (k + 1) % 3]``.
    vertex_origin: (N,) int64, the source vertex each vertex came from (module docstring).
    vertex_of_origin: (number of source vertices,) int64, the mesh vertex of every source vertex,
        ``-1`` where it was dropped.
    face_origin: (F,) int64, the source face of every face.
    """

    def __init__(self, vertices, faces) -> None:
        v, f = _as_vertices(vertices), _as_faces(faces)
        self._build(v, f, Numbering.identity(len(v), len(f)))

    @classmethod
    def from_source(cls, vertices, faces, numbering: Numbering) -> Mesh:
        """A mesh whose vertices and faces come from a numbered source (see :class:`Numbering`;
        :func:`~gaugeconv.load_mesh` passes the file's numbering): messages and the origin maps
        use the source's numbers."""
        mesh = cls.__new__(cls)
        mesh._build(_as_vertices(vertices), _as_faces(faces), numbering)
        return mesh

    def _build(self, v: np.ndarray, f: np.ndarray, numbering: Numbering) -> None:
        try:
            bad = np.flatnonzero(~np.isfinite(v).all(axis=1))
            if len(bad):
                raise ValueError(
                    f"non-finite (NaN or inf) coordinates at vertices {_fmt(numbering.vertex[bad])}"
                )
            _check_indices(f, len(v), numbering)
            lengths = _edge_lengths(v, f)
            bad = np.flatnonzero(~np.isfinite(lengths).all(axis=1))
            if len(bad):
                raise ValueError(
                    "edge lengths overflow float64 (coordinates too far apart to represent their "
                    f"differences) in faces {_fmt(numbering.face[bad])}"
                )
            _check_areas(lengths, numbering)
            self._init(v, f, lengths, numbering)
        except ValueError as exc:
            if numbering.context:
                raise ValueError(numbering.context + str(exc)) from None
            raise

    @classmethod
    def from_intrinsic(cls, faces, edge_lengths) -> Mesh:
        """Abstract mesh from faces and lengths, ``edge_lengths[f, k]`` = |faces[f,k] faces[f,k+1]|.

        The triangle inequality is checked per face (strictly: zero-area faces are refused), and an
        edge shared by two faces must be given the same length in both (relative tolerance 1e-9).
        """
        f = _as_faces(faces)
        lengths = np.asarray(edge_lengths, dtype=np.float64)
        if lengths.shape != f.shape:
            raise ValueError(
                f"edge_lengths must have the shape of faces {f.shape}, got {lengths.shape}"
            )
        bad = np.flatnonzero(~np.isfinite(lengths).all(1) | (lengths <= 0).any(1))
        if len(bad):
            raise ValueError(f"edge lengths must be finite and positive; faces {_fmt(bad)} are not")
        n = int(f.max()) + 1
        numbering = Numbering.identity(n, len(f))
        _check_indices(f, n, numbering)
        scaled = np.ldexp(lengths, -row_exponents(lengths, 1))  # the sum must not overflow
        bad = np.flatnonzero((2 * scaled >= scaled.sum(axis=1, keepdims=True)).any(1))
        if len(bad):
            raise ValueError(f"triangle inequality violated (or equality) in faces {_fmt(bad)}")
        _check_areas(lengths, numbering)
        mesh = cls.__new__(cls)
        mesh._init(None, f, lengths, numbering)
        he = mesh.halfedges
        h = np.flatnonzero(he.twin > np.arange(len(he.twin)))
        l_flat = mesh.edge_lengths.reshape(-1)
        a, b = l_flat[h], l_flat[he.twin[h]]
        bad = h[np.abs(a - b) > 1e-9 * np.maximum(a, b)]
        if len(bad):
            raise ValueError(
                "inconsistent edge lengths: the same edge has different lengths in its two faces, "
                f"e.g. edges {_fmt(he.edges[he.edge[bad]])}"
            )
        return mesh

    # ------------------------------------------------------------------ construction helpers
    def _init(self, vertices, faces, lengths, numbering: Numbering) -> None:
        context = numbering.context
        origin = numbering.vertex
        n = len(origin)
        input_to_mesh = np.arange(n)
        used = np.zeros(n, dtype=bool)
        used[faces.reshape(-1)] = True
        if not used.all():
            unused = np.flatnonzero(~used)
            warnings.warn(
                f"{context}dropping {len(unused)} unreferenced vertices: {_fmt(origin[unused])}",
                stacklevel=4,
            )
            remap = np.cumsum(used) - 1
            input_to_mesh = np.where(used, remap, -1)
            faces = remap[faces]
            origin = origin[used]
            if vertices is not None:
                vertices = vertices[used]
            n = int(used.sum())
        he = build_halfedges(faces, n, vertex_names=origin)
        sign, orientable = face_orientation(he, len(faces))
        if (sign < 0).any():
            flip = np.flatnonzero(sign < 0)
            warnings.warn(
                f"{context}re-winding {len(flip)} faces of orientable components whose winding "
                f"was inconsistent: {_fmt(numbering.face[flip])}",
                stacklevel=4,
            )
            faces = faces.copy()
            faces[flip] = faces[flip][:, ::-1]
            lengths = lengths.copy()
            # reversing (a, b, c) -> (c, b, a): edge k of the new face is edge (1 - k) % 3 reversed
            lengths[flip] = lengths[flip][:, [1, 0, 2]]
            he = build_halfedges(faces, n)
        fans = walk_fans(he, n, lengths)
        if fans is None:  # a corner out of reach of its vertex's walk: bow-tie vertices
            faces, origin, vertices, he = _split_bowties(faces, origin, vertices, he, context)
            n = len(origin)
            fans = walk_fans(he, n, lengths)
        self.fans: VertexFans = fans
        self.vertices = vertices
        self.faces = faces
        self.edge_lengths = lengths
        self.vertex_origin = origin
        self.face_origin = numbering.face
        source = numbering.source_to_input
        self.vertex_of_origin = np.where(source >= 0, input_to_mesh[np.maximum(source, 0)], -1)
        self.halfedges: Halfedges = he
        self._face_orientable = orientable

    # ------------------------------------------------------------------ basic properties
    @property
    def n_vertices(self) -> int:
        return len(self.vertex_origin)

    @property
    def n_faces(self) -> int:
        return len(self.faces)

    @property
    def n_edges(self) -> int:
        return self.halfedges.n_edges

    @property
    def is_embedded(self) -> bool:
        return self.vertices is not None

    @property
    def edges(self) -> np.ndarray:
        """(E, 2) undirected edges, lower index first."""
        return self.halfedges.edges

    @cached_property
    def boundary_vertex_mask(self) -> np.ndarray:
        return _boundary_vertices(self.halfedges, self.n_vertices)

    @property
    def n_boundary_edges(self) -> int:
        return int(self.halfedges.boundary_edge_mask.sum())

    @property
    def is_closed(self) -> bool:
        return self.n_boundary_edges == 0

    @property
    def euler_characteristic(self) -> int:
        return self.n_vertices - self.n_edges + self.n_faces

    @cached_property
    def face_component(self) -> np.ndarray:
        """(F,) connected-component label of every face."""
        return face_components(self.halfedges, self.n_faces)

    @property
    def n_components(self) -> int:
        return int(self.face_component.max()) + 1

    @property
    def is_orientable(self) -> bool:
        return bool(self._face_orientable.all())

    @cached_property
    def n_boundary_loops(self) -> int:
        """Number of boundary loops (boundary edges linked at shared boundary vertices)."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        be = self.edges[self.halfedges.boundary_edge_mask]
        if len(be) == 0:
            return 0
        verts, inv = np.unique(be.reshape(-1), return_inverse=True)
        inv = inv.reshape(-1, 2)
        g = coo_matrix((np.ones(len(inv)), (inv[:, 0], inv[:, 1])), shape=(len(verts),) * 2)
        return int(connected_components(g, directed=False)[0])

    @property
    def genus(self) -> int:
        """Genus of a connected orientable mesh; the non-orientable genus (number of cross-caps)
        of a connected non-orientable one, from chi = 2 - 2g - b (resp. 2 - k - b).

        For a disconnected mesh the sum over components is returned.
        """
        chi = self.euler_characteristic
        b = self.n_boundary_loops
        c = self.n_components
        if self.is_orientable:
            return (2 * c - chi - b) // 2
        return 2 * c - chi - b

    def face_areas(self) -> np.ndarray:
        return _triangle_areas(self.edge_lengths)

    def mean_edge_length(self) -> float:
        l_flat = self.edge_lengths.reshape(-1)
        first = self.halfedges.twin < np.arange(len(l_flat))  # count every edge once
        return float(l_flat[~first].mean())

    def __repr__(self) -> str:
        kind = "embedded" if self.is_embedded else "intrinsic"
        return (
            f"Mesh({kind}, vertices={self.n_vertices}, faces={self.n_faces}, edges={self.n_edges}, "
            f"boundary_edges={self.n_boundary_edges}, orientable={self.is_orientable})"
        )

    def rotated(self, rotation: np.ndarray) -> Mesh:
        """The same mesh with positions rotated by a (3, 3) matrix (``x -> R x``)."""
        if not self.is_embedded:
            raise ValueError("an intrinsic mesh has no positions to rotate")
        r = np.asarray(rotation, dtype=np.float64)
        if r.shape != (3, 3):
            raise ValueError(f"rotation must be a (3, 3) matrix, got shape {r.shape}")
        return Mesh(self.vertices @ r.T, self.faces)


def _boundary_vertices(he: Halfedges, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[he.edges[he.boundary_edge_mask].reshape(-1)] = True
    return mask


def _split_bowties(faces, origin, vertices, he: Halfedges, context: str = ""):
    """Split vertices where several fans of faces touch into one vertex per fan (warns)."""
    n = len(origin)
    n_fans, fans = corner_fans(he)
    corner_vertex = faces.reshape(-1)
    pair_key = np.unique(corner_vertex * np.int64(n_fans) + fans)
    pairs = np.stack([pair_key // n_fans, pair_key % n_fans], axis=1)
    # the first fan of each vertex keeps the index; further fans get new vertices
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:, 0] != pairs[:-1, 0]
    extra = pairs[~first]
    split = np.unique(extra[:, 0])
    warnings.warn(
        f"{context}splitting {len(split)} non-manifold (bow-tie) vertices into one vertex "
        f"per fan: vertices {_fmt(origin[split])}",
        stacklevel=5,
    )
    new_index = np.empty(len(pairs), dtype=np.int64)
    new_index[first] = pairs[first, 0]
    new_index[~first] = n + np.arange(len(extra))
    # map every corner to its (vertex, fan) pair
    pos = np.searchsorted(pair_key, corner_vertex * np.int64(n_fans) + fans)
    faces = new_index[pos].reshape(-1, 3)
    origin = np.concatenate([origin, origin[extra[:, 0]]])
    if vertices is not None:
        vertices = np.concatenate([vertices, vertices[extra[:, 0]]])
    return faces, origin, vertices, build_halfedges(faces, len(origin))
