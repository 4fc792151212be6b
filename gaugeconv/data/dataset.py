"""In-memory datasets of gauge graphs, and the builder every mesh dataset shares.

A :class:`GraphDataset` is a plain sequence of ``torch_geometric.data.Data`` objects (one gauge graph
per mesh, see DESIGN.md section 2) plus the per-graph label fields its loader adds. It works with
``torch_geometric.loader.DataLoader`` as it is. Loaders build the graphs once, eagerly, with a tqdm
progress bar; the geometry of each mesh is cached on disk by :func:`gaugeconv.gauge_graph` when a
``cache_dir`` is given, so a second construction only re-reads the files and the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch_geometric.data import Data

from ..geometry.mesh import Mesh
from ..graph import gauge_graph


class GraphDataset(Sequence):
    """A list of gauge graphs with a name and free-form metadata (``info``).

    ``dataset[i]`` is a :class:`~torch_geometric.data.Data`; slicing returns a list.
    """

    def __init__(self, graphs: Sequence[Data], *, name: str = "", info: dict | None = None) -> None:
        self.graphs = list(graphs)
        self.name = name
        self.info = dict(info or {})

    def __len__(self) -> int:
        return len(self.graphs)

    def __getitem__(self, index):
        return self.graphs[index]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {len(self)} graphs)"


def _to_tensor(value: Any, dtype: torch.dtype) -> Any:
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iu":
            return torch.as_tensor(np.ascontiguousarray(value), dtype=torch.long)
        if value.dtype.kind == "b":
            return torch.as_tensor(np.ascontiguousarray(value))
        return torch.as_tensor(np.ascontiguousarray(value), dtype=dtype)
    return value


def mesh_graph(
    mesh: Mesh,
    *,
    k: int | None = None,
    radius: float | None = None,
    dtype: torch.dtype = torch.float32,
    cache_dir: str | Path | None = None,
    **fields: Any,
) -> Data:
    """Gauge graph of ``mesh`` plus ``face`` (3, F) and extra per-vertex/per-graph ``fields``.

    Integer numpy arrays become ``torch.long`` tensors, float arrays tensors of ``dtype``; other
    values are stored as they are. ``face`` follows PyG's convention (shape (3, F), incremented by
    the number of nodes when batching).
    """
    graph = gauge_graph(mesh, k=k, radius=radius, dtype=dtype, cache_dir=cache_dir)
    graph.face = torch.as_tensor(np.ascontiguousarray(mesh.faces.T), dtype=torch.long)
    for name, value in fields.items():
        graph[name] = _to_tensor(value, dtype)
    return graph


def build_graphs(
    items: Iterable[Any],
    make: Callable[[Any], Data],
    *,
    desc: str,
    progress: bool = True,
) -> list[Data]:
    """``[make(item) for item in items]`` under a tqdm progress bar (disabled with ``progress``)."""
    from tqdm.auto import tqdm

    return [make(item) for item in tqdm(items, desc=desc, disable=not progress)]
