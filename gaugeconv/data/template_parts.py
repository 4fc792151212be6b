"""A fixed partition of a template mesh into K parts, and the signed geodesic distances to them.

The partition is a **geodesic Voronoi partition** computed on the edge graph (Dijkstra with edge
lengths, :mod:`scipy.sparse.csgraph`):

1. seeds by farthest-point sampling, starting at the vertex farthest (Euclidean) from the vertex
   mean, so the first seeds land on extremities (feet, head, tail, ears of the cow);
2. every vertex goes to its geodesically nearest seed;
3. a few Lloyd steps move each seed to the vertex of its part nearest to the part's area-weighted
   centroid, and step 2 is repeated.

Everything is deterministic (no random numbers; ties broken by vertex index). Parts are numbered by
their final seeds' order. Parts are connected (a Voronoi cell of a graph metric is connected).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from ..geometry.mesh import Mesh


def edge_graph(mesh: Mesh) -> sp.csr_matrix:
    """Symmetric sparse matrix of edge lengths."""
    e = mesh.edges
    length = np.linalg.norm(mesh.vertices[e[:, 0]] - mesh.vertices[e[:, 1]], axis=1)
    n = mesh.n_vertices
    g = sp.coo_matrix((length, (e[:, 0], e[:, 1])), shape=(n, n))
    return (g + g.T).tocsr()


def vertex_areas(mesh: Mesh) -> np.ndarray:
    """Barycentric vertex areas (a third of each incident face's area)."""
    return np.bincount(
        mesh.faces.reshape(-1), np.repeat(mesh.face_areas() / 3, 3), minlength=mesh.n_vertices
    )


def farthest_point_seeds(mesh: Mesh, n: int, graph: sp.csr_matrix | None = None) -> list[int]:
    """Geodesic farthest-point sampling of ``n`` vertices, starting at the vertex farthest
    (Euclidean) from the vertex mean; a vertex of a not yet reached component is taken first."""
    graph = edge_graph(mesh) if graph is None else graph
    v = mesh.vertices
    seeds = [int(np.argmax(np.linalg.norm(v - v.mean(0), axis=1)))]
    dmin = dijkstra(graph, indices=seeds[0])
    for _ in range(n - 1):
        unreached = np.flatnonzero(~np.isfinite(dmin))
        nxt = int(unreached[0]) if len(unreached) else int(np.argmax(dmin))
        seeds.append(nxt)
        dmin = np.minimum(dmin, dijkstra(graph, indices=nxt))
    return seeds


def geodesic_partition(mesh: Mesh, n_parts: int = 8, lloyd_steps: int = 5) -> np.ndarray:
    """(N,) part label in ``0..n_parts-1`` of every vertex (see the module docstring)."""
    if not mesh.is_embedded:
        raise ValueError("the partition needs vertex positions")
    if not 1 <= n_parts <= mesh.n_vertices:
        raise ValueError(f"n_parts must be in 1..{mesh.n_vertices}, got {n_parts}")
    graph = edge_graph(mesh)
    v = mesh.vertices
    seeds = farthest_point_seeds(mesh, n_parts, graph)
    area = vertex_areas(mesh)
    labels = np.argmin(dijkstra(graph, indices=seeds), axis=0)
    for _ in range(lloyd_steps):
        new = []
        for p in range(n_parts):
            members = np.flatnonzero(labels == p)
            centroid = (v[members] * area[members, None]).sum(0) / area[members].sum()
            new.append(int(members[np.argmin(np.linalg.norm(v[members] - centroid, axis=1))]))
        if new == seeds:
            break
        seeds = new
        labels = np.argmin(dijkstra(graph, indices=seeds), axis=0)
    return labels.astype(np.int64)
