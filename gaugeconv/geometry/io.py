"""Reading meshes from disk (every format trimesh reads: obj, ply, off, stl, glb, ...)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .mesh import Mesh


def merge_duplicate_vertices(
    vertices: np.ndarray, faces: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Merge vertices with bit-identical positions (copies made at texture or normal seams).

    Vertices keep the order of their first occurrence.
    """
    uniq, first, inv = np.unique(vertices, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)  # unique rows in order of first occurrence
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return vertices[first[order]], rank[inv.reshape(-1)][faces]


def load_mesh(path: str | Path) -> Mesh:
    """Load a triangle mesh from ``path`` and validate it.

    Vertices split at texture/normal seams are merged by position (``spot.obj`` loads with its 2930
    geometric vertices, not trimesh's 3225 UV-split ones). Polygons are triangulated by trimesh; scene
    files (glb, gltf) are flattened into one mesh. Raises ``FileNotFoundError`` for a missing file and
    ``ValueError`` for anything unreadable or invalid (see :class:`Mesh`).
    """
    import trimesh

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no mesh file at {path}")
    try:
        loaded = trimesh.load(str(path), force="mesh", process=False)
    except Exception as exc:  # noqa: BLE001 - trimesh raises many types for bad files
        raise ValueError(f"could not read a mesh from {path}: {exc}") from exc
    vertices = np.asarray(getattr(loaded, "vertices", np.zeros((0, 3))), dtype=np.float64)
    faces = np.asarray(getattr(loaded, "faces", np.zeros((0, 3))), dtype=np.int64)
    if len(faces) == 0:
        raise ValueError(f"{path} contains no triangle faces")
    if len(vertices) == 0:
        raise ValueError(f"{path} contains no vertices")
    if faces.min() < 0 or faces.max() >= len(vertices):
        # validated again (with names) by Mesh; checked here so merging cannot index out of range
        return Mesh(vertices, faces)
    vertices, faces = merge_duplicate_vertices(vertices, faces)
    return Mesh(vertices, faces)
