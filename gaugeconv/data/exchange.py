"""Plain-array mesh sets: the same meshes, labels and splits for gaugeconv and for other tools.

Side-by-side benchmarks (``benchmarks/peers.py``) must feed *identical* data to every method. A
:class:`MeshArrays` holds one sample as plain NumPy arrays: positions, faces (empty for a point cloud),
per-vertex targets and an optional whole-shape class. :func:`save_mesh_sets` / :func:`load_mesh_sets`
store named lists of them (``{"train": [...], "test": [...], "test_rotated": [...]}``) in one ``.npz``
file that loads with ``allow_pickle=False`` (no code runs when a stranger's file is opened).
:func:`graph_arrays` turns a gaugeconv data set sample into a :class:`MeshArrays`, and
:func:`mesh_graph_from_arrays` turns one back into a gauge graph with its targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "MeshArrays",
    "graph_arrays",
    "load_mesh_sets",
    "mesh_graph_from_arrays",
    "save_mesh_sets",
]

_FIELDS = ("vertices", "faces", "labels")


@dataclass
class MeshArrays:
    """One sample: ``vertices`` (N, 3) float64, ``faces`` (F, 3) int64 (``(0, 3)`` for a point
    cloud), ``labels`` (N,) int64 per-vertex targets (``(0,)`` if none), ``label`` the whole-shape
    class (``-1`` if none)."""

    vertices: np.ndarray
    faces: np.ndarray
    labels: np.ndarray
    label: int = -1

    def __post_init__(self) -> None:
        self.vertices = np.asarray(self.vertices, dtype=np.float64)
        self.faces = np.asarray(self.faces, dtype=np.int64).reshape(-1, 3)
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        self.label = int(self.label)
        if self.vertices.ndim != 2 or self.vertices.shape[1] != 3:
            raise ValueError(f"vertices must have shape (N, 3), got {self.vertices.shape}")
        n = len(self.vertices)
        if len(self.labels) not in (0, n):
            raise ValueError(f"labels must have one entry per vertex ({n}), got {len(self.labels)}")
        if self.faces.size and (self.faces.min() < 0 or self.faces.max() >= n):
            raise ValueError(f"faces refer to vertices outside 0..{n - 1}")

    @property
    def is_point_cloud(self) -> bool:
        return len(self.faces) == 0


def graph_arrays(graph, target: str | None = "y") -> MeshArrays:
    """A gauge graph with ``pos`` (and ``face``) as :class:`MeshArrays`; ``target`` names the
    per-vertex target field (``"y"``, ``"y_corr"``) or ``None``; ``graph.label`` (if present) is
    the whole-shape class."""
    faces = graph.face.t() if getattr(graph, "face", None) is not None else torch.empty(0, 3)
    labels = graph[target] if target is not None and target in graph else torch.empty(0)
    label = int(graph.label) if "label" in graph else -1
    return MeshArrays(
        graph.pos.double().numpy(), faces.long().numpy(), labels.long().numpy(), label
    )


def save_mesh_sets(path: str | Path, sets: dict[str, Sequence[MeshArrays]]) -> None:
    """Write named lists of samples to one ``.npz`` (plain arrays only)."""
    arrays: dict[str, np.ndarray] = {"names": np.array(list(sets), dtype=np.str_)}
    for name, samples in sets.items():
        if "/" in name:
            raise ValueError(f"set names may not contain '/', got {name!r}")
        arrays[f"{name}/count"] = np.array(len(samples))
        arrays[f"{name}/label"] = np.array([s.label for s in samples], dtype=np.int64)
        for i, s in enumerate(samples):
            for field in _FIELDS:
                arrays[f"{name}/{i}/{field}"] = getattr(s, field)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)


def load_mesh_sets(path: str | Path) -> dict[str, list[MeshArrays]]:
    """Read a file written by :func:`save_mesh_sets` (``ValueError`` if it is not one)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            names = [str(n) for n in data["names"]]
            out = {}
            for name in names:
                count = int(data[f"{name}/count"])
                labels = data[f"{name}/label"]
                out[name] = [
                    MeshArrays(*(data[f"{name}/{i}/{f}"] for f in _FIELDS), int(labels[i]))
                    for i in range(count)
                ]
            return out
    except (KeyError, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"{path} is not a mesh-set file written by save_mesh_sets: {exc}") from exc


def mesh_graph_from_arrays(sample: MeshArrays, target: str = "y", **options):
    """Gauge graph of ``sample`` (mesh or point cloud) with its per-vertex targets as ``target``
    and its class as ``label``; ``options`` go to the graph builder (``k``, ``dtype``, ...)."""
    from ..geometry.mesh import Mesh
    from .dataset import mesh_graph

    if sample.is_point_cloud:
        raise ValueError("point-cloud samples need the point-cloud graph builder")
    fields = {}
    if len(sample.labels):
        fields[target] = sample.labels
    if sample.label >= 0:
        fields["label"] = torch.tensor(sample.label)
    mesh = Mesh(sample.vertices, sample.faces)
    if mesh.n_vertices != len(sample.vertices):
        raise ValueError(
            f"the mesh dropped or split vertices ({len(sample.vertices)} -> {mesh.n_vertices}); "
            "targets would be misaligned"
        )
    return mesh_graph(mesh, **options, **fields)
