"""Mesh -> gauge geometry (numpy arrays of the gauge graph, ``docs/design.md``), with an optional on-disk cache."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cache import load_or_compute
from .frames import projected_edge_geometry, tangent_frames, vertex_normals
from .intrinsic import EdgeGeometry, one_ring_edges, vertex_fans
from .mesh import Mesh
from .neighbourhoods import check_neighbourhood_options, grow_neighbourhoods

#: bump whenever a change to the geometry code changes its output (invalidates caches)
GEOMETRY_VERSION = "1"

ANGLE_MODES = ("intrinsic", "projected")


def edge_arrays(edges: EdgeGeometry) -> dict[str, np.ndarray]:
    """The gauge-graph edge fields of the gauge graph (``docs/design.md``) from directed edges j -> i."""
    return {
        "edge_index": np.stack([edges.source, edges.target]),
        "edge_log": np.stack([edges.length, edges.theta], axis=1),
        "edge_transport": edges.transport,
        "edge_reflect": edges.reflect,
    }


@dataclass(frozen=True)
class GaugeGeometry:
    """Per-vertex frames and per-edge log maps / transports, all float64 numpy arrays."""

    edge_index: np.ndarray  # (2, E) int64, row 0 source j, row 1 target i
    edge_log: np.ndarray  # (E, 2) (r, theta)
    edge_transport: np.ndarray  # (E,)
    edge_reflect: np.ndarray  # (E,) bool
    pos: np.ndarray | None = None  # (N, 3)
    normal: np.ndarray | None = None  # (N, 3)
    frame: np.ndarray | None = None  # (N, 2, 3)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def compute_gauge_geometry(
    mesh: Mesh,
    *,
    k: int | None = None,
    radius: float | None = None,
    angles: str = "intrinsic",
    cache_dir: str | Path | None = None,
) -> GaugeGeometry:
    """Frames, log maps and transports of ``mesh``.

    ``k`` (rings) or ``radius`` (geodesic) select a larger neighbourhood than the 1-ring.
    ``angles="projected"`` swaps the intrinsic log-map angles and Levi-Civita transport for the
    GEM-CNN paper's projection-based ones (embedded meshes only; 1-ring only).
    """
    if not isinstance(mesh, Mesh):
        raise ValueError(
            f"expected a gaugeconv.Mesh, got {type(mesh).__module__}.{type(mesh).__qualname__}; "
            "build one with gaugeconv.Mesh(vertices, faces) or gaugeconv.load_mesh(path)"
        )
    check_neighbourhood_options(k, radius)
    k = None if k is None else int(k)
    radius = None if radius is None else float(radius)
    if angles not in ANGLE_MODES:
        raise ValueError(f"angles must be one of {ANGLE_MODES}, got {angles!r}")
    if angles == "projected" and not mesh.is_embedded:
        raise ValueError("projected angles need vertex positions; this mesh is intrinsic")
    if angles == "projected" and (k not in (None, 1) or radius is not None):
        raise ValueError("projected angles are defined for the 1-ring only")
    if k == 1:
        k = None
    options = {"k": k, "radius": radius, "angles": angles, "version": GEOMETRY_VERSION}

    def compute() -> dict[str, np.ndarray]:
        fans = vertex_fans(mesh)
        edges = one_ring_edges(mesh, fans)
        out: dict[str, np.ndarray] = {}
        if mesh.is_embedded:
            normal = vertex_normals(mesh, fans)
            frame = tangent_frames(mesh, fans, normal)
            out.update(pos=mesh.vertices, normal=normal, frame=frame)
            if angles == "projected":
                edges = projected_edge_geometry(mesh.vertices, normal, frame, edges)
        if k is not None or radius is not None:
            edges = grow_neighbourhoods(edges, mesh.n_vertices, k=k, radius=radius)
        out.update(edge_arrays(edges))
        return out

    if cache_dir is None:
        arrays = compute()
    else:
        content = [mesh.faces, mesh.edge_lengths] + ([mesh.vertices] if mesh.is_embedded else [])
        one_ring = k is None and radius is None

        def validate(arrays: dict[str, np.ndarray]) -> str | None:
            return cache_entry_problem(arrays, mesh, one_ring)

        arrays = load_or_compute(Path(cache_dir), content, options, compute, validate)
    return GaugeGeometry(**arrays)


def cache_entry_problem(arrays: dict[str, np.ndarray], mesh: Mesh, one_ring: bool) -> str | None:
    """Why cached geometry ``arrays`` cannot be the geometry of ``mesh`` (``None`` if they can):
    every field present with its dtype and shape, all values finite, edges inside the mesh without
    self-loops, positive lengths, angles in [-pi, pi], unit normals, the mesh's own positions, and
    (for 1-ring graphs) exactly the mesh's edges in both directions."""
    n = mesh.n_vertices
    expect = {
        "edge_index": ("i", 2),
        "edge_log": ("f", 2),
        "edge_transport": ("f", 1),
        "edge_reflect": ("b", 1),
    }
    if mesh.is_embedded:
        expect.update(pos=("f", 2), normal=("f", 2), frame=("f", 3))
    if set(arrays) != set(expect):
        return f"fields {sorted(arrays)} instead of {sorted(expect)}"
    for name, (kind, ndim) in expect.items():
        a = arrays[name]
        if a.dtype.kind != kind or a.ndim != ndim:
            return f"{name} has dtype {a.dtype} and {a.ndim} dimensions"
        if kind == "f" and not np.isfinite(a).all():
            return f"{name} holds non-finite values"
    ei = arrays["edge_index"]
    e = ei.shape[1] if ei.shape[0] == 2 else -1
    shapes = {
        "edge_index": (2, e),
        "edge_log": (e, 2),
        "edge_transport": (e,),
        "edge_reflect": (e,),
    }
    if mesh.is_embedded:
        shapes.update(pos=(n, 3), normal=(n, 3), frame=(n, 2, 3))
    for name, shape in shapes.items():
        if arrays[name].shape != shape:
            return f"{name} has shape {arrays[name].shape}, expected {shape} for this mesh"
    if e and (ei.min() < 0 or ei.max() >= n or (ei[0] == ei[1]).any()):
        return "edge_index names vertices outside the mesh or self-loops"
    r, theta = arrays["edge_log"].T
    if (r <= 0).any() or (np.abs(theta) > np.pi + 1e-12).any():
        return "edge_log has non-positive lengths or angles outside [-pi, pi]"
    if mesh.is_embedded:
        if not np.array_equal(arrays["pos"], mesh.vertices):
            return "positions differ from the mesh's"
        if (np.abs(np.linalg.norm(arrays["normal"], axis=1) - 1) > 1e-6).any():
            return "normals are not unit vectors"
    key = np.sort(ei[1] * np.int64(n) + ei[0])
    edges = mesh.edges.astype(np.int64)
    ring = np.sort(np.concatenate([edges[:, 0] * n + edges[:, 1], edges[:, 1] * n + edges[:, 0]]))
    if one_ring and not np.array_equal(key, ring):
        return "edges differ from the mesh's"
    if not one_ring and not np.isin(ring, key).all():
        return "the mesh's edges are missing"
    return None
