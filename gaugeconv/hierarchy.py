"""Multi-scale gauge graphs: one gauge graph per level plus the pooling maps between levels."""

from __future__ import annotations

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
    Batches correctly with PyG: the two rows are offset by the fine and coarse vertex counts."""

    def __inc__(self, key, value, *args, **kwargs):
        if key == "pool_index":
            return torch.tensor([[self.num_fine_nodes], [self.num_nodes]])
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
            LevelGraph(num_nodes=len(lvl.vertices), num_fine_nodes=len(prev_vertices), **fields)
        )
        prev_vertices = lvl.vertices
    return graphs
