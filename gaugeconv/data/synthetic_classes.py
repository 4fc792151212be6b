r"""Synthetic shape classes: the embedded default data for whole-shape classification.

Eight classes, each a family of surfaces with random parameters (all made here, nothing downloaded):

============  ===================================================================================
class         base shape (random per sample)
============  ===================================================================================
``cow``       the shipped ``spot`` mesh with random limb bends (:mod:`gaugeconv.data.deform`,
              up to 0.6 rad, edge-length distortion within 8 %)
``bunny``     the shipped ``bunny`` mesh with random limb bends (ears, feet)
``torus``     :func:`~gaugeconv.shapes.torus`, tube / ring radius uniform in [0.25, 0.5]
``trefoil``   :func:`~gaugeconv.shapes.torus_knot_tube` (2, 3), tube radius in [0.35, 0.55]
``dumbbell``  :func:`~gaugeconv.shapes.lobed_sphere` with 2 opposite lobes
``tripod``    ... with 3 lobes in a plane, 120 degrees apart
``tetrapod``  ... with 4 lobes towards the vertices of a tetrahedron (lobes: amplitude in [1, 1.5],
              sharpness in [6, 10], each direction tilted by up to 15 degrees)
``box``       :func:`~gaugeconv.shapes.superellipsoid`, exponent in [3, 8], half-axes in [0.7, 1]
============  ===================================================================================

Every sample then goes through, in this order:

1. a **smooth random deformation** (4 random plane waves, amplitude 5 % of the size, frequency 3;
   :func:`~gaugeconv.data.deform.smooth_random_deformation`; no fold-overs);
2. a **random anisotropic scaling** by factors in [1/1.25, 1.25] along random axes;
3. **isotropic remeshing** to a vertex count drawn uniformly from ``vertices`` (the same range for
   every class, so that the resolution says nothing about the class;
   :func:`~gaugeconv.data.remesh.remesh_to`), then random **edge flips** of ``flip_fraction`` of
   the edges: a new random triangulation for every sample;
4. **normalisation**: area centroid at the origin, area ``4 pi``
   (:func:`~gaugeconv.data.shape_normalization.normalized`), so that size says nothing either;
5. an optional random rigid **rotation** (``rotation="so3"``; default ``"none"``: the canonical
   orientation, as the task trains).

Each sample is a gauge graph (``docs/design.md``) plus ``face`` and ``y`` (shape (1,), the class
index; a PyG batch stacks them to (B,)). Sample ``i`` of a split is class ``i % 8`` and depends only
on ``(seed, split, i)``: datasets are deterministic and the train and test shapes are different
draws.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from ..geometry import shapes
from ..geometry.mesh import Mesh
from .dataset import GraphDataset, build_graphs, mesh_graph
from .deform import (
    bend_within_budget,
    random_anisotropic_scaling,
    random_edge_flips,
    random_rotation,
    smooth_random_deformation,
)
from .remesh import remesh_to
from .shape_normalization import normalized

CLASSES = ("cow", "bunny", "torus", "trefoil", "dumbbell", "tripod", "tetrapod", "box")
SPLITS = {"train": 0, "test": 1}

_LOBES = {
    "dumbbell": [[0, 0, 1], [0, 0, -1]],
    "tripod": [[1, 0, 0], [-0.5, 0.75**0.5, 0], [-0.5, -(0.75**0.5), 0]],
    "tetrapod": [[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]],
}


def _tilted(directions: np.ndarray, rng: np.random.Generator, max_angle: float) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    d = np.asarray(directions, dtype=np.float64)
    d = d / np.linalg.norm(d, axis=1, keepdims=True)
    axis = np.cross(d, rng.normal(size=d.shape))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    angle = rng.uniform(0, max_angle, size=len(d))
    return np.einsum("kij,kj->ki", Rotation.from_rotvec(axis * angle[:, None]).as_matrix(), d)


def base_shape(name: str, rng: np.random.Generator) -> Mesh:
    """A random member of class ``name`` before the common steps (module docstring)."""
    if name in ("cow", "bunny"):
        from .synthetic_shapes import template

        tmpl = template("spot" if name == "cow" else "bunny")
        bent, _ = bend_within_budget(tmpl.rig, rng, max_angle=0.6, max_distortion=0.08)
        return Mesh(bent, tmpl.mesh.faces)
    if name == "torus":
        return shapes.torus(40, 16, 1.0, rng.uniform(0.25, 0.5))
    if name == "trefoil":
        return shapes.torus_knot_tube(2, 3, 160, 12, rng.uniform(0.35, 0.55))
    if name in _LOBES:
        d = _tilted(_LOBES[name], rng, np.deg2rad(15))
        return shapes.lobed_sphere(
            d, rng.uniform(1.0, 1.5, size=len(d)), rng.uniform(6, 10), level=4
        )
    if name == "box":
        return shapes.superellipsoid(4, rng.uniform(3, 8), rng.uniform(0.7, 1.0, size=3))
    raise ValueError(f"unknown shape class {name!r}; choose from {CLASSES}")


def shape_sample(
    name: str,
    rng: np.random.Generator,
    *,
    vertices: tuple[int, int] = (300, 900),
    amplitude: float = 0.05,
    max_ratio: float = 1.25,
    flip_fraction: float = 0.05,
    rotation: str = "none",
) -> Mesh:
    """One random, normalised sample of class ``name`` (steps 1-5 of the module docstring)."""
    mesh = base_shape(name, rng)
    v = smooth_random_deformation(mesh.vertices, rng, amplitude=amplitude)
    v = random_anisotropic_scaling(v, rng, max_ratio)
    n = int(rng.integers(vertices[0], vertices[1] + 1))
    mesh = remesh_to(Mesh(v, mesh.faces), n)
    if flip_fraction > 0:
        mesh = Mesh(mesh.vertices, random_edge_flips(mesh, mesh.vertices, rng, flip_fraction))
    mesh = normalized(mesh)
    return mesh.rotated(random_rotation(rng, rotation)) if rotation != "none" else mesh


class SyntheticShapeClasses(GraphDataset):
    """Random members of eight shape classes, labelled by class (module docstring).

    Parameters
    ----------
    split: ``"train"`` or ``"test"``. n_per_class: samples per class (default 8 train, 4 test).
    classes: the class names to use (a subset of :data:`CLASSES`; labels follow this order).
    seed: base seed; sample i of a split uses ``numpy.random.default_rng([seed, split, i])``.
    vertices: (min, max) vertex count after remeshing. amplitude, max_ratio, flip_fraction,
    rotation: see :func:`shape_sample`.
    dtype, cache_dir, progress: gauge-graph options, as for the other loaders.
    """

    def __init__(
        self,
        split: str = "train",
        n_per_class: int | None = None,
        *,
        classes: tuple[str, ...] = CLASSES,
        seed: int = 0,
        vertices: tuple[int, int] = (300, 900),
        amplitude: float = 0.05,
        max_ratio: float = 1.25,
        flip_fraction: float = 0.05,
        rotation: str = "none",
        dtype: torch.dtype = torch.float32,
        cache_dir: str | Path | None = None,
        progress: bool = False,
    ) -> None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
        unknown = [c for c in classes if c not in CLASSES]
        if unknown or not classes:
            raise ValueError(f"unknown shape class(es) {unknown}; choose from {CLASSES}")
        if not 4 <= vertices[0] <= vertices[1]:
            raise ValueError(f"vertices must be (min, max) with 4 <= min <= max, got {vertices}")
        n_per_class = (8 if split == "train" else 4) if n_per_class is None else n_per_class
        if n_per_class < 0:
            raise ValueError(f"n_per_class must be >= 0, got {n_per_class}")
        k = len(classes)

        def make(i: int) -> Data:
            rng = np.random.default_rng([seed, SPLITS[split], i])
            mesh = shape_sample(
                classes[i % k],
                rng,
                vertices=vertices,
                amplitude=amplitude,
                max_ratio=max_ratio,
                flip_fraction=flip_fraction,
                rotation=rotation,
            )
            return mesh_graph(mesh, dtype=dtype, cache_dir=cache_dir, y=np.array([i % k]))

        graphs = build_graphs(
            range(k * n_per_class), make, desc=f"synthetic shapes {split}", progress=progress
        )
        self.class_names = list(classes)
        self.n_classes = k
        super().__init__(
            graphs,
            name=f"synthetic_shape_classes/{split}",
            info={"seed": seed, "classes": list(classes), "vertices": list(vertices)},
        )
