"""Mesh -> gauge geometry (numpy arrays of the gauge graph, ``docs/design.md``), with an optional on-disk cache."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cache import load_or_compute
from .frames import projected_edge_geometry, tangent_frames, vertex_normals
from .intrinsic import EdgeGeometry, one_ring_edges, vertex_fans
from .mesh import Mesh
from .neighbourhoods import grow_neighbourhoods

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
        arrays = load_or_compute(Path(cache_dir), content, options, compute)
    return GaugeGeometry(**arrays)
