r"""Tangent-vector (order-1) inputs expressed in the chart gauge, as regular fields.

**Chart frame in 3-D.** At a non-pentagon vertex v with lattice neighbours ``n_k(v)`` (direction k,
:class:`~gaugeconv.ico.atlas.IcoAtlas`), let ``t_k`` be the unit tangent direction from v towards
``n_k(v)`` (the chord projected to the tangent plane, normal = the unit position of v). The chart
frame is

    e1(v) = normalise( sum_k  Rot_n(-60 k degrees) t_k ),     e2(v) = n x e1(v),

the direction "angle 0" averaged over the six neighbours (it is within a few degrees of ``t_0``, the
direction towards the lattice neighbour ``(h + 1, w + 1)``). A rotation R of the icosahedron that
carries direction k at v to direction ``k + s`` at v' satisfies ``R e1(v) = Rot(60 s) e1(v')``
exactly, so vectors read in this frame change by exact multiples of 60 degrees: the C6 gauge.

**Vectors to regular fields.** A tangent vector ``u`` (given by its east / north components) becomes
the regular field ``f[o] = <u, cos(60 o) e1 + sin(60 o) e2>``: its projections on the six lattice
directions. This map commutes with the C6 action (``u`` rotated by ``60 s`` gives ``f`` rolled by
``s``) and is injective, so networks can take winds etc. as order-1 fields instead of two scalars.
At the 12 pentagons the frame is undefined and the field is 0.
"""

from __future__ import annotations

import numpy as np
import torch

from ..data.sphere_grid import east_north
from .atlas import N_PENTAGONS, IcoAtlas
from .fields import ORDER

__all__ = ["chart_frames", "vectors_to_regular"]


def chart_frames(atlas: IcoAtlas) -> np.ndarray:
    """(V, 2, 3) chart frames (e1, e2) in 3-D; zero at the 12 pentagons."""
    p = atlas.positions / np.linalg.norm(atlas.positions, axis=1, keepdims=True)
    hexa = np.arange(len(p)) >= N_PENTAGONS
    n = p[hexa]
    e1 = np.zeros_like(n)
    for k in range(ORDER):
        t = p[atlas.neighbours[hexa, k]] - n
        t -= n * (t * n).sum(1, keepdims=True)
        t /= np.linalg.norm(t, axis=1, keepdims=True)
        a = -k * np.pi / 3
        e1 += np.cos(a) * t + np.sin(a) * np.cross(n, t)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    frames = np.zeros((len(p), 2, 3))
    frames[hexa, 0] = e1
    frames[hexa, 1] = np.cross(n, e1)
    return frames


def _projection(atlas: IcoAtlas) -> np.ndarray:
    """(V, 6, 2): regular component o of the unit east (0) and north (1) vectors."""
    frames = chart_frames(atlas)
    east, north = east_north(atlas.positions)
    ang = np.arange(ORDER) * np.pi / 3
    dirs = (
        np.cos(ang)[None, :, None] * frames[:, None, 0]
        + np.sin(ang)[None, :, None] * frames[:, None, 1]
    )  # (V, 6, 3)
    return np.stack([(dirs * east[:, None]).sum(-1), (dirs * north[:, None]).sum(-1)], -1)


def vectors_to_regular(x: torch.Tensor, atlas: IcoAtlas) -> torch.Tensor:
    """(B, 2 m, V) tangent vectors as (east, north) channel pairs -> (B, 6 m, V) regular fields."""
    atlas.check_vertex_tensor(x)
    b, c, v = x.shape
    if c % 2:
        raise ValueError(f"vector fields need (east, north) channel pairs, got {c} channels")
    proj = atlas.cached(
        ("vec2reg", str(x.device), x.dtype),
        lambda: torch.as_tensor(_projection(atlas), dtype=x.dtype, device=x.device),
    )  # (V, 6, 2)
    en = x.reshape(b, c // 2, 2, v)
    out = torch.einsum("bmiv,voi->bmov", en, proj)
    return out.reshape(b, ORDER * (c // 2), v)
