"""In-memory datasets of gauge graphs, and the builder every mesh dataset shares.

A :class:`GraphDataset` is a PyTorch Geometric data set (``torch_geometric.data.Dataset``) held in
memory: one gauge graph per mesh (see ``docs/design.md``, "The gauge graph") plus the per-graph label
fields its loader adds. It works with ``torch_geometric.loader.DataLoader`` and PyG's dataset tools
(``shuffle``, ``index_select``, ``transform``) as they are. Loaders build the graphs once, eagerly,
with a tqdm progress bar; the geometry of each mesh is cached on disk by
:func:`gaugeconv.gauge_graph` when a ``cache_dir`` is given, so a second construction only re-reads
the files and the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch_geometric.data import Data
from torch_geometric.data import Dataset as PyGDataset

from ..geometry.mesh import Mesh
from ..graph import gauge_graph


class GraphDataset(PyGDataset, Sequence):
    """Gauge graphs in memory, with a name and free-form metadata (``info``).

    A ``torch_geometric.data.Dataset``: ``dataset[i]`` is a :class:`~torch_geometric.data.Data`
    (after ``transform``, if set), ``len(dataset)`` its size; index lists, tensors and PyG's
    ``index_select``/``shuffle`` give a subset data set. Slicing returns a list, as before.

    Parameters
    ----------
    graphs: the graphs, e.g. from :func:`mesh_graph`.
    name, info: a name and metadata (``dataset.name``, ``dataset.info``).
    transform: applied to a graph on every access (PyG semantics), e.g.
        ``gaugeconv.transforms.RandomRotate3d()``; also settable later (``dataset.transform = ...``).
    pre_transform: applied once to every graph here, e.g. ``gaugeconv.transforms.InvariantFeatures()``.
    pre_filter: keep only graphs for which it returns True (applied before ``pre_transform``).

    ``dataset.graphs`` is the list of stored graphs (before ``transform``) in the data set's order.
    """

    def __init__(
        self,
        graphs: Sequence[Data],
        *,
        name: str = "",
        info: dict | None = None,
        transform: Callable[[Data], Data] | None = None,
        pre_transform: Callable[[Data], Data] | None = None,
        pre_filter: Callable[[Data], bool] | None = None,
    ) -> None:
        graphs = list(graphs)
        if pre_filter is not None:
            graphs = [g for g in graphs if pre_filter(g)]
        if pre_transform is not None:
            graphs = [pre_transform(g) for g in graphs]
        self._graphs = graphs
        super().__init__(None, transform, pre_transform, pre_filter, log=False)
        self.name = name
        self.info = dict(info or {})

    @property
    def graphs(self) -> list[Data]:
        """The stored graphs (before ``transform``), in this data set's order."""
        if self._indices is None:
            return self._graphs
        return [self._graphs[i] for i in self.indices()]

    @graphs.setter
    def graphs(self, graphs: Sequence[Data]) -> None:
        self._graphs, self._indices = list(graphs), None

    def len(self) -> int:
        return len(self._graphs)

    def get(self, idx: int) -> Data:
        return self._graphs[idx]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        return super().__getitem__(index)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    @property
    def num_classes(self) -> int:
        """Number of classes: set by the loader where it knows them, else inferred from ``y``
        as PyG does."""
        known = self.__dict__.get("_num_classes")
        return known if known is not None else super().num_classes

    @num_classes.setter
    def num_classes(self, value: int) -> None:
        self.__dict__["_num_classes"] = value

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
