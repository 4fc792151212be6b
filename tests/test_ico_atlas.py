"""The icosahedral atlas: sizes, nesting, round trips, geometric padding and neighbourhoods."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gaugeconv.ico import get_atlas, n_vertices
from gaugeconv.ico.atlas import OFFSETS, level_of_vertices
from gaugeconv.shapes import icosphere

from .ico_harness import one_thread  # noqa: F401  (fixture)


@pytest.mark.parametrize("level", [0, 1, 2, 3, 4])
def test_grid_and_chart_sizes(level):
    atlas = get_atlas(level)
    assert (atlas.H, atlas.W) == (2**level, 2 ** (level + 1))
    assert atlas.cell_vertex.shape == (5, 2**level, 2 ** (level + 1))
    assert atlas.n_vertices == n_vertices(level) == 10 * 4**level + 2
    assert 5 * atlas.H * atlas.W + 2 == atlas.n_vertices
    assert np.allclose(atlas.positions, icosphere(level).vertices)
    # every vertex but the two poles is in exactly one chart cell
    cv = np.sort(atlas.cell_vertex.reshape(-1))
    assert np.array_equal(cv, np.setdiff1d(np.arange(atlas.n_vertices), [0, 11]))
    assert level_of_vertices(atlas.n_vertices) == level


def test_chart_corners_are_the_documented_icosahedron_vertices():
    atlas = get_atlas(2)
    h, w = atlas.H, atlas.W
    for i in range(5):
        assert atlas.cell_vertex[i, 0, 0] == 1 + i  # u_i
        assert atlas.cell_vertex[i, 0, h] == 6 + i  # l_i
        pv = atlas.pad_vertex[i]  # padded index = cell + 1
        assert pv[h + 1, 1] == 0  # N at (H, 0)
        assert pv[1, w + 1] == 11  # S at (0, W)
        assert pv[h + 1, h + 1] == 1 + (i + 1) % 5  # u_i+1 at (H, H)
        assert pv[h + 1, w + 1] == 6 + (i + 1) % 5  # l_i+1 at (H, W)
    assert sorted(atlas.pentagon_cells.tolist()) == sorted(
        [(i * h + 0) * w + c for i in range(5) for c in (0, h)]
    )


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_nesting_matches_the_vertex_prefix(level):
    coarse, fine = get_atlas(level - 1), get_atlas(level)
    assert np.array_equal(fine.cell_vertex[:, ::2, ::2], coarse.cell_vertex)
    assert np.array_equal(fine.positions[: coarse.n_vertices], coarse.positions)
    # the odd cells are exactly the new vertices
    odd = np.ones(fine.cell_vertex.shape, bool)
    odd[:, ::2, ::2] = False
    assert (fine.cell_vertex[odd] >= coarse.n_vertices).all()


@pytest.mark.parametrize("level", [0, 2, 3])
def test_chart_round_trip_is_exact(level):
    atlas = get_atlas(level)
    x = torch.randn(3, 4, atlas.n_vertices, dtype=torch.float64)
    y = atlas.to_charts(x)
    assert y.shape == (3, 5, 4, atlas.H, atlas.W)
    assert torch.equal(atlas.from_charts(y, poles=atlas.poles(x)), x)
    assert torch.equal(atlas.to_charts(atlas.from_charts(y)), y)
    # integer-valued data too, and cells hold their own vertex's value
    ids = torch.arange(atlas.n_vertices).view(1, 1, -1)
    assert torch.equal(atlas.to_charts(ids)[0, :, 0], torch.as_tensor(atlas.cell_vertex))


@pytest.mark.parametrize("level", [1, 2, 3])
def test_padding_cells_coincide_in_3d_with_their_sources(level):
    atlas = get_atlas(level)
    defined = atlas.pad_vertex >= 0
    pts = atlas.pad_points[defined]
    src = atlas.positions[atlas.pad_vertex[defined]]
    assert np.abs(pts - src).max() < 1e-12
    # interior cells are their own sources, with no frame shift
    inner = atlas.pad_vertex[:, 1:-1, 1:-1]
    assert np.array_equal(inner, atlas.cell_vertex)
    assert (atlas.pad_shift[:, 1:-1, 1:-1] == 0).all()
    # only the documented cells are left without a source
    h, w = atlas.H, atlas.W
    empty = {(int(a), int(b)) for a, b in zip(*np.nonzero(atlas.pad_vertex[0] < 0))}
    assert empty == {(0, 0), (0, w + 1), (h + 1, 0)}  # (-1, -1), (-1, W), (H, -1)
    # a padding cell next to a chart cell is that cell's mesh neighbour: one lattice step away
    for i in range(5):
        for dh, dw in OFFSETS:
            a = atlas.pad_vertex[i, 1:-1, 1:-1]
            b = atlas.pad_vertex[i, 1 + dh : 1 + dh + h, 1 + dw : 1 + dw + w]
            ok = (a >= 12) & (b >= 0)
            d = np.linalg.norm(atlas.positions[a[ok]] - atlas.positions[b[ok]], axis=1)
            assert d.max() < 1.35 * 1.1071 / 2**level  # icosahedron edge angle / 2^r, + slack


def _mesh_neighbours(level):
    f = icosphere(level).faces
    nb = [set() for _ in range(n_vertices(level))]
    for a, b, c in f:
        nb[a] |= {b, c}
        nb[b] |= {a, c}
        nb[c] |= {a, b}
    return nb


@pytest.mark.parametrize("level", [1, 2, 3])
def test_hexagonal_neighbourhoods_follow_the_mesh_counter_clockwise(level):
    atlas = get_atlas(level)
    mesh_nb = _mesh_neighbours(level)
    pos = atlas.positions
    for v in range(12, atlas.n_vertices):
        assert set(atlas.neighbours[v].tolist()) == mesh_nb[v]
    assert (atlas.neighbours[:12] == -1).all()
    v = np.arange(12, atlas.n_vertices)
    n = pos[v] / np.linalg.norm(pos[v], axis=1, keepdims=True)

    def tangent(u):
        d = pos[u] - pos[v]
        d -= n * (d * n).sum(1, keepdims=True)
        return d / np.linalg.norm(d, axis=1, keepdims=True)

    t0 = tangent(atlas.neighbours[v, 0])
    ang = np.stack(
        [
            np.degrees(np.arctan2((np.cross(t0, tk) * n).sum(1), (t0 * tk).sum(1))) % 360
            for tk in (tangent(atlas.neighbours[v, k]) for k in range(6))
        ],
        1,
    )
    # counter-clockwise around the outward normal: angles increase through one full turn
    steps = np.diff(np.concatenate([ang, np.full((len(v), 1), 360.0)], 1), axis=1)
    assert (steps > 20).all() and (steps < 100).all()
    # direction k lies near 60 k degrees: within 30 degrees, so the C6 shift a rotation induces
    # is unambiguous (the worst cases, next to pentagons, are about 22 degrees off)
    dev = (ang - 60 * np.arange(6) + 180) % 360 - 180
    assert np.abs(dev).max() < 25


@pytest.mark.parametrize("level", [1, 2, 3])
def test_padding_frame_shifts_follow_the_discrete_transport(level):
    """If u is v's neighbour in direction k (v's gauge), then in u's own gauge the direction back
    to v is k + 3 + t, t = the frame shift used to read u in v's gauge."""
    atlas = get_atlas(level)
    nb, tr = atlas.neighbours, atlas.transport
    shifts = set()
    for v in range(12, atlas.n_vertices):
        for k in range(6):
            u = nb[v, k]
            if u < 12:
                assert tr[v, k] == -1
                continue
            m = int(np.flatnonzero(nb[u] == v)[0])
            assert (m - k - 3 - tr[v, k]) % 6 == 0
            shifts.add(int(tr[v, k]))
    assert shifts == {0, 1, 5}  # charts meet with frames equal or 60 degrees apart


def test_bad_inputs_raise_value_errors():
    atlas = get_atlas(2)
    with pytest.raises(ValueError, match="162 vertices"):
        atlas.to_charts(torch.zeros(1, 2, 163))
    with pytest.raises(ValueError, match=r"\(B, C, V\)"):
        atlas.to_charts(torch.zeros(2, 162))
    with pytest.raises(ValueError, match="chart tensor"):
        atlas.from_charts(torch.zeros(1, 4, 2, 4, 8))
    with pytest.raises(ValueError, match="poles"):
        atlas.from_charts(torch.zeros(1, 5, 2, 4, 8), poles=torch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match="not an icosphere grid"):
        level_of_vertices(100)
    with pytest.raises(ValueError, match="level"):
        get_atlas(-1)
