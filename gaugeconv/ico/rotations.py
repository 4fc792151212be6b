r"""The 60 rotations of the icosahedron, built in the grid's own frame, and their action on fields.

**Rotations.** A rotation of the icosahedron is fixed by the images of vertex 0 (any of the 12
vertices ``v``) and of its neighbour vertex 1 (any of the 5 neighbours of ``v``); each of the
12 x 5 = 60 choices gives ``R = B(v, w) B(0, 1)^T`` with ``B(p, q)`` the orthonormal frame
``(p, q - (q.p) p normalised, cross)`` of the two vertices' positions from
:func:`gaugeconv.shapes.icosahedron`. Rotation 0 is the identity. Geodesic subdivision commutes with
rotations, so each R permutes the level-r grid: ``R x_v = x_perm[v]``.

**Induced gauge shift.** At a non-pentagon vertex v, R carries the direction towards the lattice
neighbour ``n_k(v)`` to the direction towards ``perm[n_k(v)]`` at ``perm[v]``, which is
``n_{k + s(v)}(perm[v])`` for one shift ``s(v)`` and all k (cyclic order is preserved).

**Action on fields** (per-vertex tensors ``(B, C, V)``):

- scalar: ``y[:, c, perm[v]] = x[:, c, v]``;
- regular: ``y[:, f, o, perm[v]] = x[:, f, (o - s(v)) mod 6, v]``;
- tangent vectors given as (east, north) components: the 3-D vector ``R (e E + n N)`` read in the
  (east, north) frame of ``perm[v]``.

At the 12 pentagons the shift is undefined and taken as 0; the chart layers ignore those values.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from ..data.sphere_grid import east_north
from ..geometry.shapes import icosahedron
from .atlas import N_PENTAGONS, get_atlas, level_of_chart_shape
from .fields import ORDER, FieldType

__all__ = ["IcoSymmetry", "icosahedral_rotations", "get_symmetry"]


def _frame(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    e1 = p / np.linalg.norm(p)
    e2 = q - (q @ e1) * e1
    e2 /= np.linalg.norm(e2)
    return np.stack([e1, e2, np.cross(e1, e2)], 1)


def icosahedral_rotations() -> np.ndarray:
    """(60, 3, 3) proper rotations mapping the icosahedron's vertices to themselves; index 0 is the
    identity."""
    v, f = icosahedron()
    src = _frame(v[0], v[1])
    out = []
    for a in range(12):
        ring = np.unique(f[(f == a).any(1)])
        ring = ring[ring != a]
        for b in ring:
            out.append(_frame(v[a], v[b]) @ src.T)
    rots = np.stack(out)
    # identity first
    first = int(np.argmin(np.abs(rots - np.eye(3)).sum((1, 2))))
    return np.concatenate([rots[first : first + 1], np.delete(rots, first, 0)])


@dataclass(eq=False)
class IcoSymmetry:
    """The 60 rotations acting on the level-``level`` grid.

    ``rotations`` (60, 3, 3); ``perm`` (60, V): ``R_g x_v = x_{perm[g, v]}``; ``shift`` (60, V): the
    induced C6 gauge shift s(v) (0 at pentagons)."""

    level: int
    rotations: np.ndarray
    perm: np.ndarray
    shift: np.ndarray

    def __len__(self) -> int:
        return len(self.rotations)

    def __repr__(self) -> str:
        return f"IcoSymmetry(level={self.level}, rotations={len(self)})"

    def act(self, g: int, x: torch.Tensor, ftype: FieldType) -> torch.Tensor:
        """Rotation ``g`` applied to a per-vertex field ``x`` (B, C, V) of type ``ftype``."""
        ftype.check_channels(x.shape[1])
        perm = torch.as_tensor(self.perm[g], device=x.device)
        y = x
        if ftype.regular:
            b, _, v = x.shape
            s = ftype.scalars
            reg = x[:, s:].reshape(b, ftype.regular, ORDER, v)
            o = torch.arange(ORDER, device=x.device)[:, None]
            sh = torch.as_tensor(self.shift[g], device=x.device)[None, :]
            idx = ((o - sh) % ORDER).expand(b, ftype.regular, ORDER, v)
            reg = torch.gather(reg, 2, idx).reshape(b, ORDER * ftype.regular, v)
            y = torch.cat([x[:, :s], reg], 1)
        out = torch.empty_like(y)
        out[..., perm] = y
        return out

    def act_vectors(self, g: int, x: torch.Tensor) -> torch.Tensor:
        """Rotation ``g`` applied to tangent vector fields given as (east, north) channel pairs:
        ``x`` (B, 2 m, V) with channels ``(e_0, n_0, e_1, n_1, ...)``."""
        atlas = get_atlas(self.level)
        east, north = atlas.cached(
            ("east_north", str(x.device), x.dtype),
            lambda: tuple(
                torch.as_tensor(a, dtype=x.dtype, device=x.device)
                for a in east_north(atlas.positions)
            ),
        )
        rot = torch.as_tensor(self.rotations[g], dtype=x.dtype, device=x.device)
        b, c, v = x.shape
        if c % 2:
            raise ValueError(f"vector fields need an even number of channels, got {c}")
        en = x.reshape(b, c // 2, 2, v)
        vec = en[:, :, 0, :, None] * east + en[:, :, 1, :, None] * north  # (B, m, V, 3)
        vec = vec @ rot.T
        perm = torch.as_tensor(self.perm[g], device=x.device)
        moved = torch.empty_like(vec)
        moved[:, :, perm] = vec
        out = torch.stack([(moved * east).sum(-1), (moved * north).sum(-1)], 2)
        return out.reshape(b, c, v)

    def act_charts(self, g: int, y: torch.Tensor, ftype: FieldType) -> torch.Tensor:
        """Rotation ``g`` applied to a chart tensor (B, 5, C, H, W) (through the vertex layout;
        values moved onto the poles are dropped, values at pentagons are not gauge-shifted). The
        level is read from ``y``; rotation ``g`` is the same at every level."""
        level = level_of_chart_shape(y)
        if level != self.level:
            return get_symmetry(level).act_charts(g, y, ftype)
        atlas = get_atlas(level)
        return atlas.to_charts(self.act(g, atlas.from_charts(y), ftype))


def _vertex_permutation(rot: np.ndarray, positions: np.ndarray) -> np.ndarray:
    from scipy.spatial import cKDTree

    dist, perm = cKDTree(positions).query(positions @ rot.T)
    if dist.max() > 1e-9 or len(np.unique(perm)) != len(perm):
        raise RuntimeError(f"rotation does not permute the grid (miss {dist.max():.2e})")
    return perm


@lru_cache(maxsize=8)
def get_symmetry(level: int) -> IcoSymmetry:
    """The (cached) 60 rotations of the level-``level`` grid with permutations and gauge shifts."""
    atlas = get_atlas(level)
    rots = icosahedral_rotations()
    perms = np.stack([_vertex_permutation(r, atlas.positions) for r in rots])
    nb = atlas.neighbours
    hexa = np.arange(atlas.n_vertices) >= N_PENTAGONS
    shifts = np.zeros_like(perms)
    for g, perm in enumerate(perms):
        image = perm[nb[hexa]]  # (Vh, 6): images of the neighbours of v
        target = nb[perm[hexa]]  # neighbours of the image vertex
        s = np.argmax(target == image[:, :1], axis=1)
        ok = (np.take_along_axis(target, (np.arange(6)[None] + s[:, None]) % 6, 1) == image).all()
        if not ok:
            raise RuntimeError(f"rotation {g} does not preserve the cyclic neighbour order")
        shifts[g, hexa] = s
    return IcoSymmetry(level, rots, perms, shifts)
