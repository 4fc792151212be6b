"""Multi-scale gauge graphs: one gauge graph per level plus the pooling maps between levels.

:func:`mesh_hierarchy` returns the levels as a list. :class:`HierarchyGraph` packs them into one
PyG ``Data`` (what the :class:`~gaugeconv.transforms.MeshHierarchy` transform makes, so hierarchies
go through PyG data sets, ``DataLoader`` and batching), and :func:`hierarchy_levels` unpacks it.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import torch
from torch_geometric.data import Data

from .geometry.hierarchy import build_levels
from .geometry.intrinsic import one_ring_edges
from .geometry.mesh import Mesh
from .geometry.pipeline import edge_arrays
from .graph import VERTEX_FIELDS, gauge_graph, graph_tensors


class LevelGraph(Data):
    """Gauge graph of a coarse level, with ``pool_index`` (2, N_fine): row 0 a vertex of the finer
    level, row 1 the coarse vertex it pools to (local indices), and the transports between them.
    Batches correctly with PyG: the two rows are offset by the fine and coarse vertex counts, and
    ``vertex_index`` (indices into the mesh) by the mesh's vertex count ``num_mesh_nodes``."""

    def __inc__(self, key, value, *args, **kwargs):
        if key == "pool_index":
            return torch.tensor([[self.num_fine_nodes], [self.num_nodes]])
        if key == "vertex_index":
            return self.num_mesh_nodes
        return super().__inc__(key, value, *args, **kwargs)


def mesh_hierarchy(
    mesh: Mesh, n_levels: int, *, dtype: torch.dtype = torch.float32, seed: int = 0
) -> list[Data]:
    """Gauge graphs of ``mesh`` at ``n_levels + 1`` scales: ``[fine, coarse_1, ..., coarse_L]``.

    Level 0 is ``gauge_graph(mesh)``. Level l's vertices are a subset of level l-1's, spaced about
    ``mean_edge_length * 2^(l-1)`` apart, connected within ``mean_edge_length * 2^l`` (see
    :mod:`gaugeconv.geometry.hierarchy`). Each coarse graph carries ``vertex_index`` (indices into
    the mesh), ``pool_index``, ``pool_transport``, ``pool_reflect``
    (unpooling uses the inverse transports), and the subsets of ``pos``/``normal``/``frame`` for embedded meshes.
    """
    if n_levels < 0:
        raise ValueError(f"n_levels must be >= 0, got {n_levels}")
    fine = gauge_graph(mesh, dtype=dtype)
    fine.vertex_index = torch.arange(mesh.n_vertices)
    graphs: list[Data] = [fine]
    if n_levels == 0:
        return graphs
    ring = one_ring_edges(mesh)
    levels = build_levels(ring, mesh.n_vertices, n_levels, mesh.mean_edge_length(), seed)
    prev_vertices = np.arange(mesh.n_vertices)
    for lvl in levels:
        local = np.full(mesh.n_vertices, -1, dtype=np.int64)
        local[lvl.vertices] = np.arange(len(lvl.vertices))
        prev_local = np.full(mesh.n_vertices, -1, dtype=np.int64)
        prev_local[prev_vertices] = np.arange(len(prev_vertices))
        e = lvl.edges
        vertex_index = torch.as_tensor(lvl.vertices)
        fields = {
            **graph_tensors(
                edge_arrays(replace(e, source=local[e.source], target=local[e.target])), dtype
            ),
            "vertex_index": vertex_index,
            "pool_index": torch.as_tensor(
                np.stack([prev_local[lvl.pool_source], local[lvl.pool_target]])
            ),
            "pool_transport": torch.as_tensor(lvl.pool_transport, dtype=dtype),
            "pool_reflect": torch.as_tensor(lvl.pool_reflect),
        }
        for name in VERTEX_FIELDS:
            if getattr(fine, name, None) is not None:
                fields[name] = getattr(fine, name)[vertex_index]
        graphs.append(
            LevelGraph(
                num_nodes=len(lvl.vertices),
                num_fine_nodes=len(prev_vertices),
                num_mesh_nodes=mesh.n_vertices,
                **fields,
            )
        )
        prev_vertices = lvl.vertices
    return graphs


_LEVEL_KEY = re.compile(r"level(\d+)_(.+)")


def level_field(key: str) -> tuple[int, str]:
    """``("level2_edge_log")`` -> ``(2, "edge_log")``; a key without a level prefix is level 0."""
    m = _LEVEL_KEY.fullmatch(key)
    return (int(m.group(1)), m.group(2)) if m else (0, key)


class HierarchyGraph(Data):
    """A gauge graph (level 0, the fields of :func:`~gaugeconv.gauge_graph`) with its coarse
    levels packed as fields ``level{l}_<name>`` (``l = 1..L``): each coarse level's gauge-graph
    fields, ``pool_index``, ``pool_transport``, ``pool_reflect``, ``vertex_index`` and
    ``num_nodes`` (see :func:`mesh_hierarchy`). Batches with PyG: ``level{l}_edge_index`` is offset
    by the level's vertex count, ``level{l}_pool_index`` by the two levels' counts and
    ``level{l}_vertex_index`` by the mesh's. :func:`hierarchy_levels` unpacks it."""

    def __inc__(self, key, value, *args, **kwargs):
        level, name = level_field(key)
        if level:
            if name == "edge_index":
                return self[f"level{level}_num_nodes"]
            if name == "pool_index":
                finer = self.num_nodes if level == 1 else self[f"level{level - 1}_num_nodes"]
                return torch.tensor([[finer], [self[f"level{level}_num_nodes"]]])
            if name == "vertex_index":
                return self.num_nodes
            return 0
        return super().__inc__(key, value, *args, **kwargs)


def pack_hierarchy(levels: list[Data], base: Data | None = None) -> HierarchyGraph:
    """Pack the output of :func:`mesh_hierarchy` into one :class:`HierarchyGraph`; the fields of
    ``base`` (default: ``levels[0]``) come first, so attributes such as labels travel along."""
    fields = dict((base if base is not None else levels[0]).to_dict())
    fields["num_nodes"] = levels[0].num_nodes
    fields.pop("vertex_index", None)
    for level, graph in enumerate(levels[1:], start=1):
        for name, value in graph.to_dict().items():
            if name not in ("num_fine_nodes", "num_mesh_nodes"):
                fields[f"level{level}_{name}"] = value
        fields[f"level{level}_num_nodes"] = graph.num_nodes
    return HierarchyGraph.from_dict(fields)


def hierarchy_levels(graph: Data) -> list[Data]:
    """``[graph, coarse_1, ..., coarse_L]`` from a :class:`HierarchyGraph` or a PyG batch of them:
    the coarse levels as :func:`mesh_hierarchy` makes them (``MeshPool``/``MeshUnpool`` and
    ``GemConv`` take them as they are), with a ``batch`` vector when ``graph`` is a batch. The
    tensors are shared, not copied, so per-graph operator caches stay valid."""
    levels: list[Data] = [graph]
    level = 1
    batch = getattr(graph, "batch", None)
    while f"level{level}_edge_index" in graph:
        fields = {}
        for key in graph.keys():
            key_level, name = level_field(key)
            if key_level == level and name != "num_nodes":
                fields[name] = graph[key]
        counts = graph[f"level{level}_num_nodes"]
        n = int(counts.sum()) if isinstance(counts, torch.Tensor) else int(counts)
        finer = levels[-1].num_nodes
        coarse = LevelGraph(
            num_nodes=n, num_fine_nodes=finer, num_mesh_nodes=graph.num_nodes, **fields
        )
        if batch is not None:
            coarse.batch = torch.repeat_interleave(
                torch.arange(len(counts), device=batch.device), counts.to(batch.device)
            )
        levels.append(coarse)
        level += 1
    if len(levels) == 1:
        raise ValueError(
            "graph has no coarse levels (no level1_edge_index): build it with "
            "gaugeconv.transforms.MeshHierarchy"
        )
    return levels
