"""Synthetic deformed shapes: the embedded default data for mesh segmentation and correspondence.

From a shipped template mesh (``"spot"``, the cow, by default, or ``"bunny"``) every sample is made
by, in this order:

1. **limb bending** (:mod:`gaugeconv.data.deform`): random bends of limb-like regions about joints
   with smooth blend weights, scaled down until 99 % of the edges change length by at most
   ``max_distortion`` (default 8 %; on spot the mean change is about 1 %);
2. a **random rigid rotation** about the template's vertex mean (uniform on SO(3) by default);
3. optional **re-triangulation** by random edge flips (``flip_fraction`` of the edges; every vertex
   is kept);
4. optional **vertex shuffling** (a random permutation), so a model cannot read correspondences off
   vertex indices.

Labels:

- ``y_corr`` (N,) long: template vertex index of every vertex (correspondence target);
- ``y`` (N,) long: part label in ``0..n_parts-1`` of a fixed partition of the template
  (:func:`~gaugeconv.data.template_parts.geodesic_partition`: geodesic farthest-point seeds, geodesic
  Voronoi cells, Lloyd steps; deterministic, the same for every sample).
- ``y_face`` (F,) long: part label of every face, the majority of its three corners' ``y`` (all
  three different: the smallest; :func:`~gaugeconv.data.labels.face_labels_from_vertices`), for the
  per-face accuracy that Maron et al. report.

Each sample is a gauge graph (``pos``, ``normal``, ``frame``, edge fields; ``docs/design.md``) plus
``face``, ``y``, ``y_face``, ``y_corr`` and ``distortion`` (the sample's mean relative edge-length
change before re-triangulation). Sample ``i`` of split ``s`` depends only on ``(seed, s, i)``:
datasets are deterministic, and the train and test samples are different draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from ..geometry.io import load_mesh
from ..geometry.mesh import Mesh
from .dataset import GraphDataset, build_graphs, mesh_graph
from .deform import (
    Rig,
    bend_within_budget,
    build_rig,
    edge_length_distortion,
    random_edge_flips,
    random_rotation,
)
from .labels import face_labels_from_vertices
from .shipped import shipped_mesh_path
from .template_parts import geodesic_partition

SPLITS = {"train": 0, "test": 1}


@dataclass(frozen=True)
class Template:
    """A template mesh with its part labels and limb rig."""

    mesh: Mesh
    parts: np.ndarray  # (N,) part label per template vertex
    rig: Rig


@lru_cache(maxsize=8)
def _template(name: str, n_parts: int, n_limbs: int, limb_fraction: float, blend_width: float):
    mesh = load_mesh(shipped_mesh_path(name))
    parts = geodesic_partition(mesh, n_parts)
    return Template(mesh, parts, build_rig(mesh, n_limbs, limb_fraction, blend_width))


def template(
    name: str = "spot",
    n_parts: int = 8,
    n_limbs: int = 6,
    limb_fraction: float = 0.35,
    blend_width: float = 0.25,
) -> Template:
    """The (cached) template: shipped mesh ``name``, its ``n_parts`` parts and limb rig."""
    return _template(name, n_parts, n_limbs, limb_fraction, blend_width)


def deformed_sample(
    tmpl: Template,
    rng: np.random.Generator,
    *,
    max_angle: float = 0.6,
    max_distortion: float = 0.08,
    rotation: str = "so3",
    flip_fraction: float = 0.1,
    shuffle_vertices: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """One random sample: ``(vertices, faces, template_index, mean_distortion)``."""
    v0 = tmpl.mesh.vertices
    bent, _ = bend_within_budget(tmpl.rig, rng, max_angle, max_distortion)
    distortion = float(edge_length_distortion(v0, bent, tmpl.mesh.edges).mean())
    centre = v0.mean(axis=0)
    verts = (bent - centre) @ random_rotation(rng, rotation).T + centre
    faces = tmpl.mesh.faces
    if flip_fraction > 0:
        faces = random_edge_flips(tmpl.mesh, verts, rng, flip_fraction)
    index = np.arange(len(verts))
    if shuffle_vertices:
        index = rng.permutation(len(verts))  # new vertex i is template vertex index[i]
        inverse = np.empty_like(index)
        inverse[index] = np.arange(len(index))
        verts, faces = verts[index], inverse[faces]
    return verts, faces, index, distortion


class SyntheticShapes(GraphDataset):
    """Randomly deformed copies of a shipped mesh with segmentation and correspondence labels.

    Parameters
    ----------
    split: ``"train"`` or ``"test"``. n_samples: number of samples (default 32 train, 8 test).
    mesh: shipped template, ``"spot"`` or ``"bunny"``. n_parts: parts of the segmentation labels.
    seed: base seed; sample i of a split uses ``numpy.random.default_rng([seed, split, i])``.
    max_angle, max_distortion, rotation (``"so3"``, ``"z"``, ``"none"``), flip_fraction,
    shuffle_vertices: see the module docstring and :func:`deformed_sample`.
    n_limbs, limb_fraction, blend_width: the limb rig (:func:`gaugeconv.data.deform.build_rig`).
    k, radius, dtype, cache_dir, progress: gauge-graph options, as for the real-data loaders.
    """

    def __init__(
        self,
        split: str = "train",
        n_samples: int | None = None,
        *,
        mesh: str = "spot",
        n_parts: int = 8,
        seed: int = 0,
        max_angle: float = 0.6,
        max_distortion: float = 0.08,
        rotation: str = "so3",
        flip_fraction: float = 0.1,
        shuffle_vertices: bool = True,
        n_limbs: int = 6,
        limb_fraction: float = 0.35,
        blend_width: float = 0.25,
        k: int | None = None,
        radius: float | None = None,
        dtype: torch.dtype = torch.float32,
        cache_dir: str | Path | None = None,
        progress: bool = False,
    ) -> None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
        n_samples = (32 if split == "train" else 8) if n_samples is None else n_samples
        if n_samples < 0:
            raise ValueError(f"n_samples must be >= 0, got {n_samples}")
        tmpl = template(mesh, n_parts, n_limbs, limb_fraction, blend_width)
        opts = dict(k=k, radius=radius, dtype=dtype, cache_dir=cache_dir)

        def make(i: int) -> Data:
            rng = np.random.default_rng([seed, SPLITS[split], i])
            verts, faces, index, distortion = deformed_sample(
                tmpl,
                rng,
                max_angle=max_angle,
                max_distortion=max_distortion,
                rotation=rotation,
                flip_fraction=flip_fraction,
                shuffle_vertices=shuffle_vertices,
            )
            m = Mesh(verts, faces)
            corr = index[m.vertex_origin]
            y = tmpl.parts[corr]
            y_face = face_labels_from_vertices(m.faces, y)
            return mesh_graph(m, y=y, y_face=y_face, y_corr=corr, distortion=distortion, **opts)

        graphs = build_graphs(
            range(n_samples), make, desc=f"synthetic {mesh} {split}", progress=progress
        )
        self.n_classes = n_parts
        self.n_template_vertices = tmpl.mesh.n_vertices
        super().__init__(
            graphs,
            name=f"synthetic_{mesh}/{split}",
            info={"seed": seed, "mesh": mesh, "n_parts": n_parts},
        )
