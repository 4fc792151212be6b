r"""PyTorch Geometric transforms for gauge graphs (``torch_geometric.transforms.BaseTransform``).

They compose with ``T.Compose`` and work as ``pre_transform``/``transform`` of PyG's own data sets
(``ModelNet``, ``FAUST``, any ``InMemoryDataset`` whose samples carry ``pos`` and ``face``) and of
gaugeconv's loaders:

=======================  ===========================================================================
``GaugeGraph``           ``Data(pos, face, ...)`` -> gauge graph (:func:`~gaugeconv.gauge_graph`),
                         other attributes kept
``MeshHierarchy``        the same plus coarse levels packed in one
                         :class:`~gaugeconv.hierarchy.HierarchyGraph`
``InvariantFeatures``    ``data.x = invariant_features(data)`` (after :func:`check_gauge_graph`)
``Rotate3d``             a fixed rotation of ``pos``, ``normal`` and ``frame`` together
``RandomRotate3d``       a random one (uniform on SO(3), or about an axis)
``Scale``                scale ``pos`` and the log-map radii ``r`` together
``RandomScale``          a random factor
=======================  ===========================================================================

**Why not PyG's ``RandomRotate``/``RandomScale``.** They move ``pos`` alone. A gauge graph's
``normal`` and ``frame`` are vectors in the same space as ``pos``, and its edge fields are intrinsic:
rotating the surface rigidly rotates ``pos``, ``normal`` and ``frame`` by the same ``R`` and leaves
``edge_log``, ``edge_transport`` and ``edge_reflect`` unchanged (the frames turn with the surface,
so every angle measured in them is unchanged); scaling by ``s`` multiplies ``pos`` and the radii
``r = edge_log[:, 0]`` by ``s`` and leaves normals, frames and angles unchanged. The transforms here
do exactly that (on every level of a hierarchy too), so rotation-invariant features such as
:func:`~gaugeconv.invariant_features` are unchanged by a rotation, and :func:`check_gauge_graph`
rejects a graph whose ``pos`` was moved alone. Apply augmentations before computing input
features (``InvariantFeatures``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from .features import invariant_features
from .graph import _with_surface_attributes, check_gauge_graph, gauge_graph, mesh_from_data
from .hierarchy import hierarchy_levels, level_field, mesh_hierarchy, pack_hierarchy

__all__ = [
    "GaugeGraph",
    "InvariantFeatures",
    "MeshHierarchy",
    "RandomRotate3d",
    "RandomScale",
    "Rotate3d",
    "Scale",
    "hierarchy_levels",
    "random_rotation",
]

#: fields that rotate as 3-D vectors (also with a ``level{l}_`` prefix)
VECTOR_FIELDS = ("pos", "normal", "frame")


class GaugeGraph(BaseTransform):
    """``Data`` with ``pos`` (N, 3) and ``face`` (3, F) -> its gauge graph.

    Equivalent to ``gaugeconv.gauge_graph(data, k=..., ...)``: the result carries the gauge-graph
    fields and the validated ``face``, keeps the other attributes (per-vertex ones follow any
    repair of the mesh, see :func:`~gaugeconv.graph.mesh_from_data`) and replaces ``edge_index``.
    Arguments as for :func:`~gaugeconv.gauge_graph`; with ``cache_dir`` the geometry of each mesh
    is cached on disk by content.
    """

    def __init__(
        self,
        k: int | None = None,
        radius: float | None = None,
        angles: str = "intrinsic",
        dtype: torch.dtype = torch.float32,
        cache_dir: str | Path | None = None,
    ) -> None:
        self.options = {
            "k": k,
            "radius": radius,
            "angles": angles,
            "dtype": dtype,
            "cache_dir": cache_dir,
        }

    def forward(self, data: Data) -> Data:
        return gauge_graph(data, **self.options)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.options.items() if v is not None)
        return f"{type(self).__name__}({shown})"


class MeshHierarchy(BaseTransform):
    """``Data`` with ``pos`` and ``face`` -> a :class:`~gaugeconv.hierarchy.HierarchyGraph`: the
    gauge graph (as :class:`GaugeGraph` makes it, other attributes kept) plus ``n_levels`` coarse
    levels of :func:`~gaugeconv.mesh_hierarchy` packed as ``level{l}_*`` fields. Unpack a graph or
    a batch with :func:`hierarchy_levels` for ``MeshPool``/``MeshUnpool``."""

    def __init__(self, n_levels: int, *, seed: int = 0, dtype: torch.dtype = torch.float32):
        if n_levels < 1:
            raise ValueError(f"n_levels must be >= 1, got {n_levels}")
        self.n_levels, self.seed, self.dtype = n_levels, seed, dtype

    def forward(self, data: Data) -> Data:
        mesh = mesh_from_data(data)
        levels = mesh_hierarchy(mesh, self.n_levels, dtype=self.dtype, seed=self.seed)
        fine = {k: v for k, v in levels[0].items() if k != "vertex_index"}
        return pack_hierarchy(levels, _with_surface_attributes(data, mesh, fine))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_levels={self.n_levels}, seed={self.seed})"


class InvariantFeatures(BaseTransform):
    """Store :func:`~gaugeconv.invariant_features` (N, 3, 3) in ``data[key]`` (default ``x``),
    after :func:`~gaugeconv.check_gauge_graph` (so a graph whose ``pos`` was moved alone is
    refused rather than given wrong features)."""

    def __init__(self, key: str = "x") -> None:
        self.key = key

    def forward(self, data: Data) -> Data:
        check_gauge_graph(data)
        data[self.key] = invariant_features(data)
        return data

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r})"


def _check_rotation(rotation: torch.Tensor) -> torch.Tensor:
    r = torch.as_tensor(rotation, dtype=torch.float64)
    if r.shape != (3, 3):
        raise ValueError(f"rotation must be a (3, 3) matrix, got shape {tuple(r.shape)}")
    if not torch.isfinite(r).all():
        raise ValueError("rotation has non-finite entries")
    orth = float((r @ r.T - torch.eye(3, dtype=r.dtype)).abs().max())
    if orth > 1e-6:
        raise ValueError(f"rotation is not orthogonal (|R R^T - I| up to {orth:.2g})")
    if float(torch.linalg.det(r)) < 0:
        raise ValueError(
            "rotation has determinant -1 (a reflection): mirroring reverses the surface's "
            "orientation relative to its normals; rebuild the gauge graph of the mirrored mesh"
        )
    return r


def rotate_graph(data: Data, rotation: torch.Tensor) -> Data:
    """``data`` with ``pos``, ``normal`` and ``frame`` (on every level) rotated, ``x -> R x``."""
    r = _check_rotation(rotation)
    for key in list(data.keys()):
        if level_field(key)[1] in VECTOR_FIELDS and isinstance(data[key], torch.Tensor):
            value = data[key]
            data[key] = value @ r.to(value.dtype).to(value.device).T
    return data


def scale_graph(data: Data, factor: float) -> Data:
    """``data`` with ``pos`` and the radii ``edge_log[:, 0]`` (on every level) multiplied by
    ``factor``; normals, frames and every angle unchanged."""
    factor = float(factor)
    if not (math.isfinite(factor) and factor > 0):
        raise ValueError(f"scale factor must be a positive finite number, got {factor}")
    for key in list(data.keys()):
        name = level_field(key)[1]
        if name == "pos":
            data[key] = data[key] * factor
        elif name == "edge_log":
            log = data[key].clone()
            log[:, 0] = log[:, 0] * factor
            data[key] = log
    return data


class Rotate3d(BaseTransform):
    """Rotate the surface by a fixed rotation matrix ``R`` (3, 3), ``det R = +1``: ``pos``,
    ``normal`` and ``frame`` map to ``R x``; the intrinsic edge fields are unchanged."""

    def __init__(self, rotation) -> None:
        self.rotation = _check_rotation(rotation)

    def forward(self, data: Data) -> Data:
        return rotate_graph(data, self.rotation)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.rotation.tolist()})"


def random_rotation(
    degrees: float = 180.0, axis: int | None = None, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A random rotation matrix (float64): about coordinate ``axis`` (0, 1, 2) by an angle
    uniform in ``[-degrees, degrees]``; with ``axis=None`` and ``degrees=180`` uniform on SO(3)
    (Haar measure, from a normalised Gaussian quaternion); with ``axis=None`` and a smaller
    ``degrees``, about a uniformly random axis. Draws from ``generator`` (default: torch's global
    generator, so ``torch.manual_seed`` makes it reproducible)."""
    if not 0 <= degrees <= 180:
        raise ValueError(f"degrees must be in [0, 180], got {degrees}")
    if axis is None and degrees == 180:
        q = torch.randn(4, generator=generator, dtype=torch.float64)
        w, x, y, z = q / q.norm()
        return torch.stack(
            [
                torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)]),
                torch.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)]),
                torch.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]),
            ]
        )
    angle = math.radians(degrees) * (2 * float(torch.rand(1, generator=generator)) - 1)
    if axis is None:
        u = torch.randn(3, generator=generator, dtype=torch.float64)
        u = u / u.norm()
    else:
        if axis not in (0, 1, 2):
            raise ValueError(f"axis must be 0, 1, 2 or None, got {axis!r}")
        u = torch.zeros(3, dtype=torch.float64)
        u[axis] = 1.0
    k = torch.tensor(
        [[0.0, -u[2], u[1]], [u[2], 0.0, -u[0]], [-u[1], u[0], 0.0]], dtype=torch.float64
    )
    return torch.eye(3, dtype=torch.float64) + math.sin(angle) * k + (1 - math.cos(angle)) * k @ k


class RandomRotate3d(BaseTransform):
    """Rotate the surface by :func:`random_rotation` (``degrees``, ``axis``), moving ``pos``,
    ``normal`` and ``frame`` together (the gauge-aware counterpart of PyG's ``RandomRotate``)."""

    def __init__(self, degrees: float = 180.0, axis: int | None = None) -> None:
        random_rotation(degrees, axis)  # validates the arguments
        self.degrees, self.axis = degrees, axis

    def forward(self, data: Data) -> Data:
        return rotate_graph(data, random_rotation(self.degrees, self.axis))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(degrees={self.degrees}, axis={self.axis})"


class Scale(BaseTransform):
    """Scale the surface by ``factor``: ``pos`` and the log-map radii ``edge_log[:, 0]``."""

    def __init__(self, factor: float) -> None:
        scale_graph(Data(), factor)  # validates
        self.factor = float(factor)

    def forward(self, data: Data) -> Data:
        return scale_graph(data, self.factor)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.factor})"


class RandomScale(BaseTransform):
    """Scale the surface by a factor drawn uniformly from ``scales = (low, high)`` (torch's global
    generator), moving ``pos`` and the radii ``r`` together (the gauge-aware counterpart of PyG's
    ``RandomScale``)."""

    def __init__(self, scales: Sequence[float] = (0.9, 1.1)) -> None:
        low, high = (float(v) for v in scales)
        if not 0 < low <= high:
            raise ValueError(f"scales must be (low, high) with 0 < low <= high, got {scales}")
        self.scales = (low, high)

    def forward(self, data: Data) -> Data:
        low, high = self.scales
        return scale_graph(data, low + (high - low) * float(torch.rand(1)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.scales})"
