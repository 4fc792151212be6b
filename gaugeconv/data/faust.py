"""FAUST registrations for shape correspondence.

FAUST (Bogo et al. 2014, "FAUST: Dataset and Evaluation for 3D Mesh Registration", CVPR; MPI's
``MPI-FAUST.zip``, licence forbids redistribution): 100 registrations ``tr_reg_000.ply`` ..
``tr_reg_099.ply`` of 10 people in 10 poses, each the SMPL-like template mesh (6,890 vertices, 13,776
faces) fitted to a scan, so vertex ``v`` of every registration corresponds to template vertex ``v``.
The standard split (Masci et al. 2015, Monti et al. 2017, GEM-CNN): ``000``-``079`` train, ``080``-
``099`` test.

Fields of every graph (besides the gauge-graph fields and ``face``):

- ``y_corr`` (N,) long: template vertex index of each vertex (``arange(6890)`` for FAUST);
- ``y`` (N,) long: the same tensor (the training target);
- ``vertex_origin`` (N,) long: file vertex of each graph vertex (identity for clean files);
- ``registration`` (int): registration number 0..99.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from ..geometry.mesh import Mesh
from .dataset import GraphDataset, build_graphs, mesh_graph
from .mesh_files import read_ply

FAUST_N_VERTICES = 6890
FAUST_SPLITS = {"train": range(0, 80), "test": range(80, 100), "all": range(0, 100)}
_CANDIDATES = ("MPI-FAUST/training/registrations", "training/registrations", "registrations", ".")


def faust_registration_files(root: str | Path) -> dict[int, Path]:
    """``{number: path}`` of the ``tr_reg_XXX.ply`` files found under ``root``.

    Looks in ``root/MPI-FAUST/training/registrations``, ``root/training/registrations``,
    ``root/registrations`` and ``root`` itself, and uses the first that holds any.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"FAUST folder not found: {root}")
    for sub in _CANDIDATES:
        folder = root / sub
        files = {}
        for p in sorted(folder.glob("tr_reg_*.ply")):
            m = re.fullmatch(r"tr_reg_(\d+)\.ply", p.name)
            if m:
                files[int(m.group(1))] = p
        if files:
            return files
    raise FileNotFoundError(
        f"no FAUST registrations (tr_reg_XXX.ply) under {root}; looked in "
        + ", ".join(str(root / s) for s in _CANDIDATES)
    )


def faust_graph(path: Path, number: int, n_template: int | None, **options):
    vertices, faces = read_ply(path)
    if n_template is not None and len(vertices) != n_template:
        raise ValueError(
            f"{path} has {len(vertices)} vertices, but registrations share the template's "
            f"{n_template}: it is not a FAUST registration"
        )
    mesh = Mesh(vertices, faces)
    origin = mesh.vertex_origin
    return mesh_graph(
        mesh, y=origin, y_corr=origin, vertex_origin=origin, registration=number, **options
    )


class FAUST(GraphDataset):
    """FAUST registrations with per-vertex correspondence targets.

    Parameters
    ----------
    root: folder with the registrations (see :func:`faust_registration_files`).
    split: ``"train"`` (000-079), ``"test"`` (080-099) or ``"all"``.
    n_vertices: vertices every registration must have (6890; ``None`` to accept any count as long
        as all files agree, e.g. for a remeshed copy).
    k, radius, dtype, cache_dir, progress: as for :class:`~gaugeconv.data.MaronHumanSeg`.
    """

    def __init__(
        self,
        root: str | Path,
        split: str = "train",
        *,
        n_vertices: int | None = FAUST_N_VERTICES,
        k: int | None = None,
        radius: float | None = None,
        dtype: torch.dtype = torch.float32,
        cache_dir: str | Path | None = None,
        progress: bool = True,
    ) -> None:
        if split not in FAUST_SPLITS:
            raise ValueError(f"split must be one of {sorted(FAUST_SPLITS)}, got {split!r}")
        files = faust_registration_files(root)
        wanted = list(FAUST_SPLITS[split])
        missing = [i for i in wanted if i not in files]
        if missing:
            shown = ", ".join(f"tr_reg_{i:03d}.ply" for i in missing[:5])
            more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
            raise FileNotFoundError(
                f"FAUST {split} split needs tr_reg_{wanted[0]:03d}..{wanted[-1]:03d}.ply; missing "
                f"in {files[next(iter(files))].parent}: {shown}{more}"
            )
        opts = dict(k=k, radius=radius, dtype=dtype, cache_dir=cache_dir)
        n_template = n_vertices
        if n_template is None:  # all files must agree with the first
            n_template = len(read_ply(files[wanted[0]])[0])
        graphs = build_graphs(
            wanted,
            lambda i: faust_graph(files[i], i, n_template, **opts),
            desc=f"FAUST {split}",
            progress=progress,
        )
        super().__init__(
            graphs,
            name=f"faust/{split}",
            info={"files": [files[i] for i in wanted], "n_template_vertices": n_template},
        )
