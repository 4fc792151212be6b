"""Human body segmentation: Maron et al. 2017 (``.off`` + per-face labels) and MeshCNN's ``human_seg``.

**Maron et al. 2017** ("Convolutional Neural Networks on Surfaces via Seamless Toric Covers",
SIGGRAPH 2017; the archive ``human_benchmark_sig_17.zip``): 8 body parts, labels ``1..8`` per *face*,
one integer per line. Layout (as the authors ship it and DiffusionNet's loader reads it)::

    meshes/train/adobe/<name>.off                      segs/train/adobe/<name>.txt
    meshes/train/faust/<name>.off                      segs/train/faust/faust_corrected.txt
    meshes/train/MIT_animation/meshes_<pose>/meshes/*.off   segs/train/mit/mit_<pose>_corrected.txt
    meshes/train/scape/<name>.off                      segs/train/scape/scape_corrected.txt
    meshes/test/shrec/<i>.off (12: 12_fix_orientation.off)  segs/test/shrec/shrec_<i>_full.txt

(FAUST, MIT and SCAPE meshes of one collection share their connectivity, hence one label file each.)
Vertex labels are the **majority vote of the incident faces** (ties to the smaller label).

**MeshCNN** (Hanocka et al. 2019, "MeshCNN: A Network with an Edge"; its ``human_seg`` download, a
remeshed version of Maron's set with about 750 vertices per mesh)::

    train/*.obj  test/*.obj  seg/<name>.eseg  sseg/<name>.seseg  classes.txt

``.eseg`` holds one label per *edge*, in MeshCNN's edge order (see
:func:`~gaugeconv.data.labels.meshcnn_edges`); ``classes.txt`` lists the label values (the first is
subtracted, as MeshCNN does; without the file the smallest label in ``seg/`` is used). ``.seseg`` holds
one row of per-class soft labels per edge. Vertex labels are the **majority vote of the incident
edges**; vertex soft labels the mean of the incident edges' rows.

Fields of every graph (besides the gauge-graph fields and ``face``):

================  =========  ============================================================
``y``             (N,) long  vertex label, ``0..7`` (-1 where no labelled element touches it)
``y_face``        (F,) long  Maron only: face label ``0..7`` (faces in file order)
``y_edge``        (E,) long  MeshCNN only: edge label (offset subtracted)
``label_edge_index`` (2, E)  MeshCNN only: the labelled edges, in graph vertex indices
``y_soft``        (N, C)     MeshCNN only, when ``sseg/`` exists: vertex soft labels
================  =========  ============================================================

``data.vertex_origin`` maps graph vertices to the file's vertices (see :class:`~gaugeconv.Mesh`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch

from ..geometry.mesh import Mesh
from .dataset import GraphDataset, build_graphs, mesh_graph
from .labels import average_vertex_values, meshcnn_edges, meshcnn_faces, vote_vertex_labels
from .mesh_files import read_label_file, read_obj, read_off

MARON_N_CLASSES = 8
MIT_POSES = ("bouncing", "crane", "handstand", "jumping", "march1", "march2", "squat1", "squat2")


def _find_maron_root(root: Path) -> Path:
    if (root / "meshes").is_dir() and (root / "segs").is_dir():
        return root
    for sub in sorted(p for p in root.glob("*") if p.is_dir()):
        if (sub / "meshes").is_dir() and (sub / "segs").is_dir():
            return sub
    raise FileNotFoundError(
        f"no Maron et al. human segmentation data under {root}: expected folders 'meshes' and "
        "'segs' (from human_benchmark_sig_17.zip) there or one level below"
    )


def maron_file_pairs(root: str | Path, split: str = "train") -> list[tuple[Path, Path]]:
    """(mesh ``.off``, face-label ``.txt``) pairs of the Maron et al. benchmark, in a fixed order."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = _find_maron_root(Path(root))
    m, s = root / "meshes" / split, root / "segs" / split
    pairs: list[tuple[Path, Path]] = []
    if split == "train":
        for off in sorted((m / "adobe").glob("*.off")):
            pairs.append((off, s / "adobe" / f"{off.stem}.txt"))
        for off in sorted((m / "faust").glob("*.off")):
            pairs.append((off, s / "faust" / "faust_corrected.txt"))
        for pose in MIT_POSES:
            for off in sorted((m / "MIT_animation" / f"meshes_{pose}" / "meshes").glob("*.off")):
                pairs.append((off, s / "mit" / f"mit_{pose}_corrected.txt"))
        for off in sorted((m / "scape").glob("*.off")):
            pairs.append((off, s / "scape" / "scape_corrected.txt"))
    else:

        def number(p: Path) -> int:
            match = re.match(r"\d+", p.stem)
            return int(match.group()) if match else -1

        for off in sorted((m / "shrec").glob("*.off"), key=lambda p: (number(p), p.name)):
            if number(off) < 0:
                raise ValueError(f"{off}: SHREC test meshes are named '<number>.off'")
            pairs.append((off, s / "shrec" / f"shrec_{number(off)}_full.txt"))
    if not pairs:
        raise FileNotFoundError(f"no .off meshes for split {split!r} under {m}")
    return pairs


def _checked_labels(labels: np.ndarray, path: Path, low: int, high: int, what: str) -> np.ndarray:
    bad = np.flatnonzero((labels < low) | (labels > high))
    if len(bad):
        raise ValueError(
            f"{path}: {what} {bad[0]} has label {labels[bad[0]]}, outside {low}..{high} "
            f"({len(bad)} such entries)"
        )
    return labels - low


def maron_graph(off_path, label_path, **options):
    """Gauge graph of one Maron et al. mesh with its face labels (see the module docstring)."""
    vertices, faces = read_off(off_path)
    face_labels = read_label_file(label_path, count=len(faces), what="face labels")
    face_labels = _checked_labels(face_labels, Path(label_path), 1, MARON_N_CLASSES, "face")
    mesh = Mesh(vertices, faces)
    y = vote_vertex_labels(mesh.faces, face_labels, mesh.n_vertices, MARON_N_CLASSES)
    return mesh_graph(mesh, y=y, y_face=face_labels, vertex_origin=mesh.vertex_origin, **options)


class MaronHumanSeg(GraphDataset):
    """Maron et al. 2017 human segmentation (381 train / 18 test meshes in the original archive).

    Parameters
    ----------
    root: the folder holding ``meshes/`` and ``segs/`` (or its parent).
    split: ``"train"`` or ``"test"`` (the authors' split: SHREC'07 meshes are the test set).
    k, radius: neighbourhood of the gauge graph (default 1-ring; see :func:`gaugeconv.gauge_graph`).
    dtype: floating dtype of the geometry. cache_dir: on-disk geometry cache. progress: tqdm bar.
    """

    n_classes = MARON_N_CLASSES

    def __init__(
        self,
        root: str | Path,
        split: str = "train",
        *,
        k: int | None = None,
        radius: float | None = None,
        dtype: torch.dtype = torch.float32,
        cache_dir: str | Path | None = None,
        progress: bool = True,
    ) -> None:
        pairs = maron_file_pairs(root, split)
        opts = dict(k=k, radius=radius, dtype=dtype, cache_dir=cache_dir)
        graphs = build_graphs(
            pairs,
            lambda p: maron_graph(*p, **opts),
            desc=f"Maron human seg {split}",
            progress=progress,
        )
        for g, (off, _) in zip(graphs, pairs):
            g.name = off.stem
        super().__init__(
            graphs, name=f"maron_human_seg/{split}", info={"files": [p for p, _ in pairs]}
        )


def _meshcnn_classes(root: Path) -> np.ndarray:
    classes_file = root / "classes.txt"
    if classes_file.is_file():
        classes = read_label_file(classes_file, what="class values")
        if len(classes) == 0:
            raise ValueError(f"{classes_file} lists no classes")
        return classes
    segs = sorted((root / "seg").glob("*.eseg"))
    if not segs:
        raise FileNotFoundError(f"no classes.txt and no .eseg files under {root / 'seg'}")
    return np.unique(np.concatenate([read_label_file(p, what="edge labels") for p in segs]))


def meshcnn_graph(obj_path, eseg_path, seseg_path=None, *, classes=None, **options):
    """Gauge graph of one MeshCNN mesh with its edge labels (see the module docstring)."""
    obj_path, eseg_path = Path(obj_path), Path(eseg_path)
    vertices, faces = read_obj(obj_path)
    faces = faces[meshcnn_faces(faces)]
    edges = meshcnn_edges(faces)
    edge_labels = read_label_file(eseg_path, count=len(edges), what="edge labels")
    if classes is None:
        classes = np.unique(edge_labels)
    classes = np.asarray(classes)
    unknown = np.flatnonzero(~np.isin(edge_labels, classes))
    if len(unknown):
        raise ValueError(
            f"{eseg_path}: edge {unknown[0]} has label {edge_labels[unknown[0]]}, not one of the "
            f"classes {classes.tolist()}"
        )
    edge_labels = edge_labels - int(classes[0])
    n_classes = len(classes)
    mesh = Mesh(vertices, faces)
    n_file = len(vertices)
    y_file = vote_vertex_labels(edges, edge_labels, n_file, n_classes)
    origin = mesh.vertex_origin
    # file vertex -> graph vertex (the first copy where a bow-tie vertex was split)
    to_graph = np.full(n_file, -1, dtype=np.int64)
    to_graph[origin[::-1]] = np.arange(len(origin))[::-1]
    fields = dict(
        y=y_file[origin],
        y_edge=edge_labels,
        label_edge_index=to_graph[edges].T,
        vertex_origin=origin,
    )
    if seseg_path is not None:
        soft = read_label_file(seseg_path, count=len(edges), what="soft edge labels", columns=0)
        if soft.shape[1] != n_classes:
            raise ValueError(
                f"{seseg_path}: {soft.shape[1]} soft-label columns, expected {n_classes} classes"
            )
        fields["y_soft"] = average_vertex_values(edges, soft, n_file)[origin]
    return mesh_graph(mesh, **fields, **options)


class MeshCNNHumanSeg(GraphDataset):
    """MeshCNN's ``human_seg`` (remeshed Maron et al. set; 381 train / 18 test meshes).

    Parameters are those of :class:`MaronHumanSeg`; ``root`` holds ``train/``, ``test/``, ``seg/``
    and optionally ``sseg/`` and ``classes.txt``. ``soft_labels`` reads ``sseg/`` (default: when the
    folder exists).
    """

    def __init__(
        self,
        root: str | Path,
        split: str = "train",
        *,
        soft_labels: bool | None = None,
        k: int | None = None,
        radius: float | None = None,
        dtype: torch.dtype = torch.float32,
        cache_dir: str | Path | None = None,
        progress: bool = True,
    ) -> None:
        root = Path(root)
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if not (root / split).is_dir():
            raise FileNotFoundError(f"no {split}/ folder of MeshCNN human_seg meshes under {root}")
        objs = sorted((root / split).rglob("*.obj"))
        if not objs:
            raise FileNotFoundError(f"no .obj meshes under {root / split}")
        classes = _meshcnn_classes(root)
        if soft_labels is None:
            soft_labels = (root / "sseg").is_dir()
        items = [
            (
                obj,
                root / "seg" / f"{obj.stem}.eseg",
                root / "sseg" / f"{obj.stem}.seseg" if soft_labels else None,
            )
            for obj in objs
        ]
        opts = dict(classes=classes, k=k, radius=radius, dtype=dtype, cache_dir=cache_dir)
        graphs = build_graphs(
            items,
            lambda it: meshcnn_graph(*it, **opts),
            desc=f"MeshCNN human_seg {split}",
            progress=progress,
        )
        for g, obj in zip(graphs, objs):
            g.name = obj.stem
        self.n_classes = len(classes)
        super().__init__(
            graphs,
            name=f"meshcnn_human_seg/{split}",
            info={"files": objs, "classes": classes.tolist()},
        )
