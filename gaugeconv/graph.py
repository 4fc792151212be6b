"""Gauge graphs: ``torch_geometric.data.Data`` objects carrying the fields of the contract
(``docs/design.md``, "The gauge graph").

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
:func:`gauge_graph` takes a :class:`~gaugeconv.Mesh` or a PyG ``Data`` with ``pos`` and ``face``;
:func:`check_gauge_graph` checks the contract, including that ``pos``, ``normal`` and ``frame`` still
agree with each other and with the edge fields.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from .embedding import check_embedding
from .geometry.mesh import Mesh
from .geometry.pipeline import compute_gauge_geometry

#: the fields every gauge graph carries; ``pos``, ``normal``, ``frame`` exist for embedded meshes
EDGE_FIELDS = ("edge_index", "edge_log", "edge_transport", "edge_reflect")
VERTEX_FIELDS = ("pos", "normal", "frame")


def gauge_graph(
    surface: Mesh | Data,
    *,
    k: int | None = None,
    radius: float | None = None,
    angles: str = "intrinsic",
    dtype: torch.dtype = torch.float32,
    cache_dir: str | Path | None = None,
) -> Data:
    """Build the gauge graph of a surface.

    Parameters
    ----------
    surface: a validated :class:`~gaugeconv.Mesh` (embedded or intrinsic), or a PyG ``Data`` with
        ``pos`` (N, 3) and ``face`` (3, F), as PyG's mesh data sets and ``read_off``/``read_ply``
        make them. For a ``Data`` the result keeps its other attributes (``y``, ``x``, ...) and
        carries the validated ``face``; see :func:`mesh_from_data` for the repairs and how
        per-vertex attributes follow them. Its ``edge_index`` (e.g. from ``T.FaceToEdge``) is
        replaced by the gauge graph's edges and other per-edge attributes are dropped (warning).
    k: use the k-ring neighbourhood (default: the 1-ring, i.e. the mesh edges).
    radius: use every vertex within this geodesic distance instead (exclusive with ``k``).
    angles: ``"intrinsic"`` (default; Levi-Civita connection from edge lengths) or ``"projected"``
        (the GEM-CNN paper's projection log map and normal-aligning transport, for comparison).
    dtype: floating dtype of the geometry fields (float32 default; float64 for equivariance tests).
    cache_dir: if given, geometry is cached on disk keyed by the mesh content and the options.
    """
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
    if isinstance(surface, Data):
        mesh = mesh_from_data(surface)
    elif isinstance(surface, Mesh):
        mesh = surface
    else:
        raise ValueError(
            "gauge_graph expected a gaugeconv.Mesh or a torch_geometric.data.Data with pos and "
            f"face, got {type(surface).__name__}"
        )
    geo = compute_gauge_geometry(mesh, k=k, radius=radius, angles=angles, cache_dir=cache_dir)
    fields = graph_tensors(geo.arrays(), dtype)
    if isinstance(surface, Data):
        return _with_surface_attributes(surface, mesh, fields)
    return Data(num_nodes=mesh.n_vertices, **fields)


def mesh_from_data(data: Data) -> Mesh:
    """The validated :class:`~gaugeconv.Mesh` of a PyG ``Data`` with ``pos`` (N, 3) and ``face``
    (3, F) (PyG's convention: one column per triangle).

    Validation is that of :class:`~gaugeconv.Mesh`: bad input raises ``ValueError`` naming the
    offending vertices or faces; unreferenced vertices are dropped and bow-tie vertices split (with
    a warning), recorded in ``Mesh.vertex_origin``.
    """
    pos, face = getattr(data, "pos", None), getattr(data, "face", None)
    if pos is None:
        raise ValueError("the Data has no 'pos': a gauge graph needs vertex positions")
    if face is None:
        raise ValueError(
            "the Data has no 'face' (3, F): a mesh gauge graph needs triangles; for a point "
            "cloud, triangulate it first or build its graph with a point-cloud gauge graph"
        )
    if face.dim() != 2 or face.shape[0] != 3:
        raise ValueError(
            f"face must have shape (3, F) (PyG's convention, one column per triangle), got "
            f"{tuple(face.shape)}"
        )
    return Mesh(pos.detach().cpu().double().numpy(), face.detach().cpu().t().numpy())


def _with_surface_attributes(data: Data, mesh: Mesh, fields: dict[str, torch.Tensor]) -> Data:
    """``data`` with the gauge-graph ``fields`` and the validated faces; per-vertex attributes
    follow ``mesh.vertex_origin``, per-edge attributes are dropped."""
    n_in = data.num_nodes
    origin = torch.as_tensor(mesh.vertex_origin)
    moved = len(origin) != n_in or bool((origin != torch.arange(len(origin))).any())
    n_edges = data.edge_index.shape[1] if getattr(data, "edge_index", None) is not None else None
    out = copy.copy(data)
    dropped = []
    for key, value in data.items():
        if key in fields or key in ("face", "num_nodes"):
            continue
        if n_edges is not None and key != "edge_index" and _per_edge(data, key, value, n_edges):
            del out[key]
            dropped.append(key)
        elif moved and isinstance(value, torch.Tensor) and data.is_node_attr(key):
            out[key] = value[origin.to(value.device)]
    if "edge_index" in data and "edge_index" not in fields:
        del out["edge_index"]
    if dropped:
        warnings.warn(
            f"gauge_graph replaced edge_index with the gauge graph's edges and dropped the per-edge "
            f"attributes {dropped}",
            stacklevel=3,
        )
    for name, value in fields.items():
        out[name] = value
    out.face = torch.as_tensor(np.ascontiguousarray(mesh.faces.T), dtype=torch.long)
    out.num_nodes = mesh.n_vertices
    return out


def _per_edge(data: Data, key: str, value, n_edges: int) -> bool:
    return isinstance(value, torch.Tensor) and value.dim() > 0 and data.is_edge_attr(key)


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
    """Raise ``ValueError`` if ``graph`` breaks the gauge-graph contract.

    Checked: the edge fields exist with consistent shapes and finite values; where the graph is
    embedded, that ``normal`` and ``frame`` have one row per vertex, are finite and form
    right-handed orthonormal frames (``|e1| = |e2| = 1``, ``e1 . e2 = 0``, ``e1 x e2 = normal``),
    and that ``pos`` still agrees with them and with the edge fields
    (:mod:`gaugeconv.embedding`): a transform that moved ``pos`` alone (PyG's ``RandomRotate``,
    ``RandomFlip``, ``NormalizeScale``, ...) is reported with the vertices that disagree most.
    Use the gauge-aware augmentations of :mod:`gaugeconv.transforms` instead, or rebuild the graph.
    Cost: a few element-wise passes over vertices and edges (measured: 4 % of a ``GemConv``
    forward and backward on the same batch), skipped when the same, unmodified tensors passed
    before.
    """
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
    bad = ~(torch.isfinite(graph.edge_log).all(1) & torch.isfinite(graph.edge_transport))
    if bad.any():
        pairs = ei[:, bad][:, :10].t().tolist()
        more = f" (and {int(bad.sum()) - 10} more)" if int(bad.sum()) > 10 else ""
        raise ValueError(
            "gauge graph has non-finite edge_log or edge_transport values on edges (j, i) "
            f"{', '.join(str(tuple(pair)) for pair in pairs)}{more}"
        )
    if getattr(graph, "normal", None) is not None and getattr(graph, "frame", None) is not None:
        check_embedding(graph)
