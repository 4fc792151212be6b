"""Combinatorics of triangle meshes: halfedges, twins, edges, fans and orientation.

Conventions
-----------
Halfedge ``h = 3 f + k`` runs from ``faces[f, k]`` to ``faces[f, (k + 1) % 3]``. Corner ``c = 3 f + k``
sits at vertex ``faces[f, k]``; its *a-edge* is halfedge ``3 f + k`` (towards ``faces[f, k+1]``) and
its *b-edge* is halfedge ``3 f + (k + 2) % 3`` (coming from ``faces[f, k+2]``). Walking around a vertex
in the face's own orientation enters a corner through its a-edge and leaves through its b-edge
("forward"); on a surface whose faces are not coherently wound the walk may have to traverse a face
"reversed" (enter through the b-edge, leave through the a-edge).

Everything here is vectorised numpy/scipy; no Python loop runs over vertices or faces.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


def _fmt(items, limit: int = 10) -> str:
    """Format the first ``limit`` offending items of an error message."""
    items = [tuple(int(v) for v in x) if np.ndim(x) else int(x) for x in items]
    more = f" (and {len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(str(x) for x in items[:limit]) + more


@dataclass(frozen=True)
class Halfedges:
    """Halfedge connectivity of a triangle mesh with at most two faces per edge."""

    faces: np.ndarray  # (F, 3) int64
    origin: np.ndarray  # (3F,) vertex each halfedge starts at
    target: np.ndarray  # (3F,) vertex each halfedge ends at
    edge: np.ndarray  # (3F,) undirected edge id of each halfedge
    edges: np.ndarray  # (E, 2) undirected edges, edges[:, 0] < edges[:, 1]
    twin: np.ndarray  # (3F,) the other halfedge of the same edge, -1 on the boundary

    @property
    def n_edges(self) -> int:
        return len(self.edges)

    @property
    def boundary_edge_mask(self) -> np.ndarray:
        """(E,) True for edges with exactly one incident face."""
        counts = np.bincount(self.edge, minlength=self.n_edges)
        return counts == 1

    @cached_property
    def coherent(self) -> bool:
        """Every interior edge is used once in each direction (faces wound consistently)."""
        h = np.flatnonzero(self.twin >= 0)
        return bool((self.origin[h] == self.target[self.twin[h]]).all())

    @cached_property
    def next_corner(self) -> tuple[np.ndarray, np.ndarray]:
        """Successor of every (corner, direction) in the walk around its vertex.

        Returns ``(corner, direction)`` arrays of shape (3F, 2): entry ``[c, d]`` is the corner reached
        when leaving corner ``c`` in direction ``d`` (0 forward, 1 reversed), and the direction in which
        that corner is traversed; ``-1`` where the walk leaves through a boundary edge.
        """
        n = len(self.origin)
        c = np.arange(n)
        f3 = 3 * (c // 3)
        k = c % 3
        leave = np.stack([f3 + (k + 2) % 3, c], axis=1)  # forward leaves via b-edge, reversed via a
        t = self.twin[leave]
        valid = t >= 0
        t_safe = np.where(valid, t, 0)
        v = self.origin[c][:, None]
        same_origin = self.origin[t_safe] == v  # twin starts at v: its corner is entered via a-edge
        nxt = np.where(same_origin, t_safe, 3 * (t_safe // 3) + (t_safe % 3 + 1) % 3)
        ndir = np.where(same_origin, 0, 1)
        return np.where(valid, nxt, -1), np.where(valid, ndir, -1)


def build_halfedges(
    faces: np.ndarray, n_vertices: int, vertex_names: np.ndarray | None = None
) -> Halfedges:
    """Halfedge structure; raises ``ValueError`` naming edges shared by more than two faces (by
    ``vertex_names[v]`` instead of ``v`` if given)."""
    faces = np.asarray(faces, dtype=np.int64)
    origin = faces.reshape(-1)
    target = np.roll(faces, -1, axis=1).reshape(-1)
    lo = np.minimum(origin, target)
    hi = np.maximum(origin, target)
    key = lo * np.int64(n_vertices) + hi
    # one sort gives the edges, the edge id of every halfedge and the twins
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    new_edge = np.ones(len(key), dtype=bool)
    new_edge[1:] = sorted_key[1:] != sorted_key[:-1]
    starts = np.flatnonzero(new_edge)
    counts = np.diff(np.append(starts, len(key)))
    uniq = sorted_key[starts]
    if (counts > 2).any():
        bad = np.flatnonzero(counts > 2)
        bad_edges = np.stack([uniq[bad] // n_vertices, uniq[bad] % n_vertices], axis=1)
        if vertex_names is not None:
            bad_edges = np.sort(vertex_names[bad_edges], axis=1)
        raise ValueError(
            f"non-manifold mesh: {len(bad)} edge(s) are shared by more than two faces, e.g. "
            f"edges {_fmt(bad_edges)} (vertex index pairs)"
        )
    edges = np.stack([uniq // n_vertices, uniq % n_vertices], axis=1)
    edge = np.empty(len(key), dtype=np.int64)
    edge[order] = np.cumsum(new_edge) - 1
    twin = np.full(len(key), -1, dtype=np.int64)
    pair = np.flatnonzero(~new_edge)  # second halfedge of an edge, in sorted order
    twin[order[pair]] = order[pair - 1]
    twin[order[pair - 1]] = order[pair]
    return Halfedges(faces, origin, target, edge, edges, twin)


def corner_fans(he: Halfedges) -> tuple[int, np.ndarray]:
    """Label each corner with its fan: corners around one vertex linked across shared edges.

    Returns ``(n_fans, labels)``. A manifold vertex has exactly one fan; a "bow-tie" vertex, where
    several fans touch, has more.
    """
    n = len(he.origin)
    nxt, _ = he.next_corner
    src = np.repeat(np.arange(n), 2)
    dst = nxt.reshape(-1)
    keep = dst >= 0
    graph = sp.coo_matrix((np.ones(keep.sum()), (src[keep], dst[keep])), shape=(n, n))
    return connected_components(graph, directed=False)


def face_components(he: Halfedges, n_faces: int) -> np.ndarray:
    """Connected component label of every face (faces linked through shared edges)."""
    h = np.flatnonzero(he.twin >= 0)
    graph = sp.coo_matrix((np.ones(len(h)), (h // 3, he.twin[h] // 3)), shape=(n_faces,) * 2)
    return connected_components(graph, directed=False)[1]


def face_orientation(he: Halfedges, n_faces: int) -> tuple[np.ndarray, np.ndarray]:
    """Coherent face orientation where one exists.

    Returns ``(sign, orientable)``: ``sign[f]`` in {+1, -1} such that flipping the faces with sign -1
    makes every orientable component coherently wound (relative to its lowest-numbered face), and
    ``orientable[f]`` says whether the component of face f is orientable. Uses the doubled ("signed")
    face graph: a component is non-orientable iff both copies of a face are connected.
    """
    if he.coherent:  # coherently wound already, hence orientable: nothing to solve
        return np.ones(n_faces, dtype=np.int64), np.ones(n_faces, dtype=bool)
    h = np.flatnonzero(he.twin >= 0)
    t = he.twin[h]
    consistent = he.origin[h] == he.target[t]
    f, g = h // 3, t // 3
    n = n_faces
    # node f (+) and f + n (-); consistent edge links equal signs, inconsistent links opposite signs
    a = np.concatenate([f, f + n])
    b = np.concatenate([np.where(consistent, g, g + n), np.where(consistent, g + n, g)])
    graph = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(2 * n, 2 * n))
    _, labels = connected_components(graph, directed=False)
    orientable = labels[:n] != labels[n:]
    comp = face_components(he, n)
    root = np.full(comp.max() + 1, n_faces, dtype=np.int64)
    np.minimum.at(root, comp, np.arange(n))
    sign = np.where(labels[:n] == labels[root[comp]], 1, -1)
    sign[~orientable] = 1
    return sign, orientable
