"""Rotation harness for the icosahedral chart path, written out independently of the library's
:mod:`gaugeconv.ico.rotations` action (the tests check that the two agree).

The 60 rotations act on a per-vertex field as a vertex permutation (found here by matching rotated
3-D positions) and, for regular fields, a roll of the 6 orientation channels by the shift the rotation
induces in each vertex's gauge (found here from 3-D angles: the rotated direction towards the
lattice neighbour in direction 0, measured in the target vertex's tangent plane from its own
direction 0, rounded to a multiple of 60 degrees).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
import torch
from scipy.spatial import cKDTree

from gaugeconv.ico import FieldType, get_atlas, icosahedral_rotations
from gaugeconv.ico.atlas import level_of_chart_shape


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """The chart tests run many tiny tensor operations: one thread avoids OpenMP spinning when
    the two cores are shared (pytest-xdist workers, other processes)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _tangent(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    n = p / np.linalg.norm(p, axis=-1, keepdims=True)
    d = q - p
    d = d - n * (d * n).sum(-1, keepdims=True)
    return d / np.linalg.norm(d, axis=-1, keepdims=True)


@lru_cache(maxsize=8)
def rotation_action(level: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(rotations (60,3,3), perm (60,V), shift (60,V), worst deviation of the measured angle from a
    multiple of 60 degrees, in degrees)."""
    atlas = get_atlas(level)
    pos = atlas.positions
    rots = icosahedral_rotations()
    tree = cKDTree(pos)
    hexa = np.arange(len(pos)) >= 12
    n0 = atlas.neighbours[:, 0]
    perms, shifts, worst = [], [], 0.0
    for r in rots:
        dist, perm = tree.query(pos @ r.T)
        assert dist.max() < 1e-9 and len(set(perm)) == len(perm)
        v = np.flatnonzero(hexa)
        w = perm[v]
        moved = _tangent(pos[v] @ r.T, pos[n0[v]] @ r.T)  # rotated direction 0 of v, at w
        ref = _tangent(pos[w], pos[n0[w]])  # direction 0 of w
        nrm = pos[w] / np.linalg.norm(pos[w], axis=1, keepdims=True)
        ang = np.degrees(
            np.arctan2((np.cross(ref, moved) * nrm).sum(1), (ref * moved).sum(1))
        )  # counter-clockwise angle from ref to moved
        k = np.round(ang / 60.0)
        worst = max(worst, float(np.abs(ang - 60 * k).max()))
        s = np.zeros(len(pos), dtype=np.int64)
        s[v] = k.astype(np.int64) % 6
        perms.append(perm)
        shifts.append(s)
    return rots, np.stack(perms), np.stack(shifts), worst


def act(level: int, g: int, x: torch.Tensor, ftype: FieldType) -> torch.Tensor:
    """Rotation g on a per-vertex field (B, C, V): y[perm[v]] = x[v], regular orientation o of the
    image taken from orientation (o - s(v)) mod 6."""
    _, perm, shift, _ = rotation_action(level)
    b, c, nv = x.shape
    assert c == ftype.size
    y = x.clone()
    if ftype.regular:
        reg = x[:, ftype.scalars :].reshape(b, ftype.regular, 6, nv)
        src = (np.arange(6)[:, None] - shift[g][None, :]) % 6  # (6, V): orientation read
        idx = torch.as_tensor(src).expand(b, ftype.regular, 6, nv)
        y[:, ftype.scalars :] = torch.gather(reg, 2, idx).reshape(b, 6 * ftype.regular, nv)
    out = torch.empty_like(y)
    out[..., torch.as_tensor(perm[g])] = y
    return out


def act_charts(g: int, y: torch.Tensor, ftype: FieldType) -> torch.Tensor:
    level = level_of_chart_shape(y)
    atlas = get_atlas(level)
    return atlas.to_charts(act(level, g, atlas.from_charts(y), ftype))


def random_charts(level, ftype, batch=2, dtype=torch.float64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    atlas = get_atlas(level)
    return torch.randn(batch, 5, ftype.size, atlas.H, atlas.W, dtype=dtype, generator=gen)


def equivariance_error(fn, x, in_type, out_type, rotations=range(60)) -> float:
    """max over rotations g of max |fn(g x) - g fn(x)| / max |fn(x)| for a chart tensor x."""
    out = fn(x)
    scale = out.abs().max().item()
    assert scale > 0
    err = 0.0
    for g in rotations:
        lhs = fn(act_charts(g, x, in_type))
        rhs = act_charts(g, out, out_type)
        err = max(err, (lhs - rhs).abs().max().item() / scale)
    return err
