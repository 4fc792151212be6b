"""Gauge graphs: ``torch_geometric.data.Data`` objects carrying the fields of DESIGN.md section 2.

=================  ==========  ===================================================================
field              shape       meaning
=================  ==========  ===================================================================
``pos``            (N, 3)      vertex positions (embedded meshes only)
``normal``         (N, 3)      unit normal (locally consistent on non-orientable surfaces)
``frame``          (N, 2, 3)   tangent basis e1, e2 with e1 x e2 = normal
``edge_index``     (2, E)      row 0 source j (neighbour), row 1 target i (message lands at i)
``edge_log``       (E, 2)      (r, theta): log map of j in the gauge of i, theta in (-pi, pi]
``edge_transport`` (E,)        g: angle phi at j arrives as ``(-phi if reflect else phi) + g`` at i
``edge_reflect``   (E,) bool   whether the transport contains a reflection
=================  ==========  ===================================================================

Graphs batch with PyG's ``Batch.from_data_list`` and ``DataLoader`` as they are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from .geometry.mesh import Mesh
from .geometry.pipeline import compute_gauge_geometry

#: the fields every gauge graph carries; ``pos``, ``normal``, ``frame`` exist for embedded meshes
EDGE_FIELDS = ("edge_index", "edge_log", "edge_transport", "edge_reflect")
VERTEX_FIELDS = ("pos", "normal", "frame")


def gauge_graph(
    mesh: Mesh,
    *,
    k: int | None = None,
    radius: float | None = None,
    angles: str = "intrinsic",
    dtype: torch.dtype = torch.float32,
    cache_dir: str | Path | None = None,
) -> Data:
    """Build the gauge graph of ``mesh``.

    Parameters
    ----------
    mesh: a validated :class:`~gaugeconv.Mesh` (embedded or intrinsic).
    k: use the k-ring neighbourhood (default: the 1-ring, i.e. the mesh edges).
    radius: use every vertex within this geodesic distance instead (exclusive with ``k``).
    angles: ``"intrinsic"`` (default; Levi-Civita connection from edge lengths) or ``"projected"``
        (the GEM-CNN paper's projection log map and normal-aligning transport, for comparison).
    dtype: floating dtype of the geometry fields (float32 default; float64 for equivariance tests).
    cache_dir: if given, geometry is cached on disk keyed by the mesh content and the options.
    """
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
    geo = compute_gauge_geometry(mesh, k=k, radius=radius, angles=angles, cache_dir=cache_dir)
    return Data(num_nodes=mesh.n_vertices, **graph_tensors(geo.arrays(), dtype))


def graph_tensors(arrays: dict[str, np.ndarray], dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """Gauge-graph fields as tensors: ``edge_index`` long, ``edge_reflect`` bool, the rest ``dtype``.

    Raises ``ValueError`` if a geometry value does not fit ``dtype`` (a mesh at a scale beyond
    float32's range, about 1e-38 to 3e38, overflows to inf or rounds lengths or positions to 0):
    use ``dtype=torch.float64`` or rescale the mesh.
    """
    fields: dict[str, torch.Tensor] = {}
    for name, arr in arrays.items():
        if name == "edge_index":
            fields[name] = torch.as_tensor(np.ascontiguousarray(arr), dtype=torch.long)
        elif name == "edge_reflect":
            fields[name] = torch.as_tensor(np.asarray(arr, dtype=bool))
        else:
            arr = np.ascontiguousarray(arr)
            t = torch.as_tensor(arr, dtype=dtype)
            lost = not bool(torch.isfinite(t).all())
            if name == "edge_log" and len(t):  # lengths are > 0 and must stay so
                lost = lost or bool((t[:, 0] == 0).any())
            if lost:
                mag = np.abs(arr[:, 0] if name == "edge_log" else arr)
                mag = mag[mag != 0]
                raise ValueError(
                    f"gauge-graph field {name!r} does not fit {dtype} (magnitudes from "
                    f"{mag.min():.3g} to {mag.max():.3g}); use dtype=torch.float64 or rescale "
                    "the mesh"
                )
            fields[name] = t
    return fields


def check_gauge_graph(graph: Data) -> None:
    """Raise ``ValueError`` if ``graph`` lacks a contract field or a field has the wrong shape."""
    missing = [f for f in EDGE_FIELDS if getattr(graph, f, None) is None]
    if missing:
        raise ValueError(
            f"graph is missing gauge-graph field(s) {missing}; build it with gaugeconv.gauge_graph"
        )
    ei = graph.edge_index
    if ei.dim() != 2 or ei.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, E), got {tuple(ei.shape)}")
    e = ei.shape[1]
    expect = {"edge_log": (e, 2), "edge_transport": (e,), "edge_reflect": (e,)}
    for name, shape in expect.items():
        if tuple(getattr(graph, name).shape) != shape:
            raise ValueError(
                f"{name} must have shape {shape} for {e} edges, got {tuple(getattr(graph, name).shape)}"
            )
