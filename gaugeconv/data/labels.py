"""Moving labels between mesh elements: faces or edges -> vertices, and MeshCNN's edge order.

Vertex labels from face or edge labels are a **majority vote** of the elements incident to the
vertex (each incident face, or edge, casts one vote); ties go to the smallest label, and a vertex
that no element touches gets ``-1``. Soft labels are averaged over the incident elements.

Face labels from vertex labels (:func:`face_labels_from_vertices`) are the **majority of the three
corners**; a face whose three corners all differ gets the smallest of their labels.
"""

from __future__ import annotations

import numpy as np


def vote_vertex_labels(
    elements: np.ndarray, labels: np.ndarray, n_vertices: int, n_classes: int | None = None
) -> np.ndarray:
    """(N,) int64 majority label of the ``elements`` ((M, k) vertex indices) touching each vertex.

    ``labels`` (M,) must be non-negative integers. Ties go to the smallest label; untouched vertices
    get ``-1``.
    """
    elements = np.asarray(elements, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) != len(elements):
        raise ValueError(f"{len(labels)} labels for {len(elements)} elements")
    if len(labels) and labels.min() < 0:
        raise ValueError(f"labels must be non-negative, got minimum {labels.min()}")
    n_classes = int(labels.max()) + 1 if n_classes is None else n_classes
    votes = np.zeros((n_vertices, max(n_classes, 1)), dtype=np.int64)
    np.add.at(votes, (elements.reshape(-1), np.repeat(labels, elements.shape[1])), 1)
    out = votes.argmax(axis=1)  # first maximum = smallest label on ties
    out[votes.sum(axis=1) == 0] = -1
    return out


def face_labels_from_vertices(faces: np.ndarray, vertex_labels: np.ndarray) -> np.ndarray:
    """(F,) int64 majority label of the three corners of each face (all different: the smallest)."""
    corner = np.asarray(vertex_labels, dtype=np.int64)[np.asarray(faces, dtype=np.int64)]
    a, b, c = corner.T
    return np.where((a == b) | (a == c), a, np.where(b == c, b, corner.min(axis=1)))


def average_vertex_values(elements: np.ndarray, values: np.ndarray, n_vertices: int) -> np.ndarray:
    """(N, C) mean of the (M, C) ``values`` of the elements touching each vertex (0 if none)."""
    elements = np.asarray(elements, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    total = np.zeros((n_vertices, values.shape[1]))
    np.add.at(total, elements.reshape(-1), np.repeat(values, elements.shape[1], axis=0))
    count = np.bincount(elements.reshape(-1), minlength=n_vertices)
    return total / np.maximum(count, 1)[:, None]


def meshcnn_faces(faces: np.ndarray) -> np.ndarray:
    """Mask of the faces MeshCNN keeps (its ``remove_non_manifolds``).

    Walking the faces in file order, MeshCNN drops a face when one of its directed edges
    ``(f[i], f[i+1])`` was already used by a kept face (a non-manifold or inconsistently wound
    face); only kept faces contribute their directed edges. (Zero-area faces make MeshCNN fail an
    assertion, so they never reach this step; :class:`~gaugeconv.Mesh` refuses them too.)
    """
    faces = np.asarray(faces, dtype=np.int64)
    used: set[tuple[int, int]] = set()
    keep = np.ones(len(faces), dtype=bool)
    for f, (a, b, c) in enumerate(faces.tolist()):
        directed = ((a, b), (b, c), (c, a))
        if any(e in used for e in directed):
            keep[f] = False
        else:
            used.update(directed)
    return keep


def meshcnn_edges(faces: np.ndarray) -> np.ndarray:
    """(E, 2) undirected edges in MeshCNN's order (its ``build_gemm``), lower index first.

    MeshCNN walks the (kept, see :func:`meshcnn_faces`) faces in order and, within a face, the edges
    ``(f[0], f[1])``, ``(f[1], f[2])``, ``(f[2], f[0])``; an edge gets the next id the first time it
    is seen. ``.eseg``/``.seseg`` files list one label row per edge in this order.
    """
    faces = np.asarray(faces, dtype=np.int64)
    e = np.stack([faces, np.roll(faces, -1, axis=1)], axis=2).reshape(-1, 2)
    e = np.sort(e, axis=1)
    _, first = np.unique(e, axis=0, return_index=True)
    return e[np.sort(first)]
