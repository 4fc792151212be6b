r"""Whole-shape classification data sets: SHREC'11 and folder-per-class (ModelNet-style) layouts.

**SHREC'11** (Lian et al. 2011, "SHREC'11 track: shape retrieval on non-rigid 3D watertight
meshes"; 600 meshes, 30 classes of 20). The archive holds ``T<id>.off`` meshes and a class list in
the Princeton Shape Benchmark ``.cla`` format (DiffusionNet ships it as ``categories.txt``)::

    PSB 1
    <n_classes> <n_models>

    <class name> <parent class> <n members>
    <id>
    ...                       (one model id per line, then a blank line before the next class)

Meshes are looked up anywhere below ``root`` (e.g. DiffusionNet's ``raw/``), as ``T<id>.off`` or
``T<id>.obj``. SHREC'11 has no official split: following DiffusionNet and earlier work, the first
``n_train_per_class`` (default 10) members of each class in an order fixed by ``seed`` are the
training set, the rest the test set.

**Folder per class** (ModelNet's layout, also that of MeshCNN's simplified SHREC'11
``shrec_16``)::

    <root>/<class>/train/*.off|*.obj
    <root>/<class>/test/*.off|*.obj

Classes are the sub-folders of ``root`` that have a ``train/`` or ``test/`` folder, in sorted order
(their index is the label).

Every mesh is loaded with :func:`gaugeconv.load_mesh` (validated; seam duplicates merged), optionally
remeshed to about ``n_vertices`` vertices (:func:`~gaugeconv.data.remesh.remesh_to`), normalised
(:func:`~gaugeconv.data.shape_normalization.normalized`: centred, area ``4 pi``), and becomes a gauge
graph with ``face``, ``y`` (shape (1,), the class index) and ``name`` (the file stem). A mesh that
fails validation raises ``ValueError`` naming the file, or with ``skip_invalid=True`` is left out
with one warning listing every such file.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from ..geometry.io import load_mesh
from .dataset import GraphDataset, build_graphs, mesh_graph
from .remesh import remesh_to
from .shape_normalization import normalized

MESH_SUFFIXES = (".off", ".obj")


def read_psb_classes(path: str | Path) -> list[tuple[str, list[int]]]:
    """(class name, model ids) of a Princeton Shape Benchmark ``.cla`` file (module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"class list not found: {path}")
    lines = [
        (n, line.split())
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if line.strip()
    ]
    if len(lines) < 2 or lines[0][1][:1] != ["PSB"]:
        raise ValueError(f"{path}: not a PSB class file (the first line must be 'PSB 1')")
    try:
        n_classes, n_models = (int(t) for t in lines[1][1][:2])
    except ValueError:
        raise ValueError(f"{path}, line {lines[1][0]}: expected '<n_classes> <n_models>'") from None
    classes: list[tuple[str, list[int]]] = []
    k = 2
    while k < len(lines):
        lineno, tok = lines[k]
        if len(tok) != 3 or not tok[2].isdigit():
            raise ValueError(
                f"{path}, line {lineno}: expected '<class name> <parent> <n members>', got "
                f"{' '.join(tok)!r}"
            )
        count = int(tok[2])
        members = lines[k + 1 : k + 1 + count]
        if len(members) < count or any(len(t) != 1 or not t[0].isdigit() for _, t in members):
            raise ValueError(
                f"{path}, line {lineno}: class {tok[0]!r} announces {count} model ids, one per "
                "line, but they do not follow"
            )
        classes.append((tok[0], [int(t[0]) for _, t in members]))
        k += 1 + count
    total = sum(len(ids) for _, ids in classes)
    if len(classes) != n_classes or total != n_models:
        raise ValueError(
            f"{path}: header announces {n_classes} classes and {n_models} models, the file lists "
            f"{len(classes)} classes and {total} models"
        )
    return classes


def _class_graph(path: Path, label: int, n_vertices: int | None, **options) -> Data:
    try:
        mesh = load_mesh(path)
        if n_vertices is not None:
            mesh = remesh_to(mesh, n_vertices)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    graph = mesh_graph(normalized(mesh), y=np.array([label]), **options)
    graph.name = path.stem
    return graph


def _build(items, desc, n_vertices, skip_invalid, progress, options) -> list[Data]:
    bad: list[str] = []

    def make(item):
        try:
            return _class_graph(*item, n_vertices, **options)
        except ValueError as exc:
            if not skip_invalid:
                raise
            bad.append(str(exc))
            return None

    graphs = [g for g in build_graphs(items, make, desc=desc, progress=progress) if g is not None]
    if bad:
        warnings.warn(
            f"left out {len(bad)} invalid mesh(es): " + "; ".join(bad), RuntimeWarning, stacklevel=3
        )
    return graphs


class _ShapeClassDataset(GraphDataset):
    def __init__(self, items, class_names, name, desc, n_vertices, skip_invalid, progress, options):
        graphs = _build(items, desc, n_vertices, skip_invalid, progress, options)
        if not graphs:
            raise ValueError(f"no valid meshes for {name}")
        self.class_names = list(class_names)
        self.n_classes = len(class_names)
        super().__init__(graphs, name=name, info={"files": [p for p, _ in items]})


def find_class_list(root: Path) -> Path | None:
    """The SHREC'11 class list under ``root`` (``categories.txt`` or a ``.cla`` file, at most one
    level down), or ``None``."""
    for folder in [root, *sorted(p for p in root.glob("*") if p.is_dir())]:
        for cand in [folder / "categories.txt", *sorted(folder.glob("*.cla"))]:
            if cand.is_file():
                return cand
    return None


class SHREC11(_ShapeClassDataset):
    """SHREC'11 non-rigid shape classification (module docstring).

    Parameters
    ----------
    root: folder holding the class list (``categories.txt`` or ``*.cla``) and the ``T<id>`` meshes.
    split: ``"train"``, ``"test"`` or ``"all"``. n_train_per_class, seed: the split.
    n_vertices: remesh every mesh to about this many vertices (default: keep the file's mesh).
    skip_invalid: leave out meshes that fail validation (with a warning) instead of raising.
    dtype, cache_dir, progress: gauge-graph options.
    """

    def __init__(
        self,
        root: str | Path,
        split: str = "train",
        *,
        n_train_per_class: int = 10,
        seed: int = 0,
        n_vertices: int | None = None,
        skip_invalid: bool = False,
        dtype: torch.dtype = torch.float32,
        cache_dir: str | Path | None = None,
        progress: bool = True,
    ) -> None:
        if split not in ("train", "test", "all"):
            raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
        root = Path(root)
        class_list = find_class_list(root)
        if class_list is None:
            raise FileNotFoundError(
                f"no SHREC'11 class list (categories.txt or *.cla) in {root} or one level below"
            )
        classes = read_psb_classes(class_list)
        files: dict[int, Path] = {}
        for p in sorted(root.rglob("T*")):
            m = re.fullmatch(r"T(\d+)", p.stem)
            if m and p.suffix.lower() in MESH_SUFFIXES:
                files.setdefault(int(m.group(1)), p)
        items = []
        for label, (name, ids) in enumerate(classes):
            missing = [i for i in ids if i not in files]
            if missing:
                raise FileNotFoundError(
                    f"{class_list} lists model(s) {missing[:5]} of class {name!r} but no "
                    f"T<id>.off/.obj files for them are under {root}"
                )
            if split == "test" and len(ids) <= n_train_per_class:
                raise ValueError(
                    f"class {name!r} of {class_list} has {len(ids)} models: none is left for "
                    f"the test split with n_train_per_class={n_train_per_class}"
                )
            order = np.random.default_rng([seed, label]).permutation(len(ids))
            chosen = {"train": order[:n_train_per_class], "test": order[n_train_per_class:]}
            for k in sorted(chosen[split]) if split != "all" else range(len(ids)):
                items.append((files[ids[k]], label))
        super().__init__(
            items,
            [name for name, _ in classes],
            f"shrec11/{split}",
            f"SHREC'11 {split}",
            n_vertices,
            skip_invalid,
            progress,
            dict(dtype=dtype, cache_dir=cache_dir),
        )


def class_folders(root: str | Path) -> list[str]:
    """Class names of a folder-per-class layout: sub-folders with ``train/`` or ``test/``."""
    root = Path(root)
    return sorted(
        p.name
        for p in root.glob("*")
        if p.is_dir() and ((p / "train").is_dir() or (p / "test").is_dir())
    )


class MeshClassFolders(_ShapeClassDataset):
    """Meshes in ``<root>/<class>/{train,test}/`` (ModelNet's layout; module docstring).

    Parameters are those of :class:`SHREC11` without the split options: ``split`` is the sub-folder.
    """

    def __init__(
        self,
        root: str | Path,
        split: str = "train",
        *,
        n_vertices: int | None = None,
        skip_invalid: bool = False,
        dtype: torch.dtype = torch.float32,
        cache_dir: str | Path | None = None,
        progress: bool = True,
    ) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        root = Path(root)
        names = class_folders(root)
        if not names:
            raise FileNotFoundError(
                f"no class folders under {root}: expected <class>/train/ and <class>/test/ "
                "folders of .off or .obj meshes"
            )
        items = [
            (p, label)
            for label, name in enumerate(names)
            for p in sorted((root / name / split).glob("*"))
            if p.suffix.lower() in MESH_SUFFIXES
        ]
        if not items:
            raise FileNotFoundError(f"no .off or .obj meshes in {root}/<class>/{split}/")
        super().__init__(
            items,
            names,
            f"{root.name}/{split}",
            f"{root.name} {split}",
            n_vertices,
            skip_invalid,
            progress,
            dict(dtype=dtype, cache_dir=cache_dir),
        )
