"""The 60 rotations of the icosahedron in the grid's frame, their gauge shifts and vector frames."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gaugeconv.data.sphere_grid import east_north
from gaugeconv.ico import FieldType, chart_frames, get_atlas, get_symmetry, icosahedral_rotations
from gaugeconv.ico.vectors import vectors_to_regular
from gaugeconv.shapes import icosahedron

from .ico_harness import (
    act,
    one_thread,  # noqa: F401  (fixture)
    rotation_action,
)


def test_sixty_distinct_rotations_forming_a_group():
    rots = icosahedral_rotations()
    assert rots.shape == (60, 3, 3)
    assert np.allclose(rots[0], np.eye(3))
    assert np.allclose(rots @ rots.transpose(0, 2, 1), np.eye(3), atol=1e-12)
    assert np.allclose(np.linalg.det(rots), 1.0)
    flat = rots.reshape(60, 9)
    assert (np.linalg.norm(flat[:, None] - flat[None], axis=2) + np.eye(60) > 1e-6).all()
    v, _ = icosahedron()
    for r in rots:  # each maps the icosahedron's vertices onto themselves
        d = np.linalg.norm((v @ r.T)[:, None] - v[None], axis=2)
        assert np.allclose(d.min(1), 0, atol=1e-12)
    # closed under composition
    for a in rots[::7]:
        for b in rots[::5]:
            assert np.linalg.norm(flat - (a @ b).reshape(1, 9), axis=1).min() < 1e-12


@pytest.mark.parametrize("level", [1, 2, 3])
def test_library_action_agrees_with_the_3d_harness(level):
    sym = get_symmetry(level)
    _, perm, shift, worst = rotation_action(level)
    assert worst < 25  # measured angles are unambiguous multiples of 60 degrees
    assert np.array_equal(sym.perm, perm)
    assert np.array_equal(sym.shift, shift)
    ft = FieldType(2, 3)
    x = torch.randn(2, ft.size, get_atlas(level).n_vertices, dtype=torch.float64)
    for g in (1, 17, 42):
        assert torch.equal(sym.act(g, x, ft), act(level, g, x, ft))


@pytest.mark.parametrize("level", [2, 3])
def test_chart_frames_rotate_by_exact_multiples_of_60_degrees(level):
    atlas = get_atlas(level)
    frames = chart_frames(atlas)
    hexa = slice(12, None)
    e1, e2 = frames[hexa, 0], frames[hexa, 1]
    n = atlas.positions[hexa]
    assert np.allclose((e1 * e2).sum(1), 0, atol=1e-12)
    assert np.allclose((e1 * n).sum(1), 0, atol=1e-12)
    assert np.allclose(np.cross(e1, e2), n / np.linalg.norm(n, axis=1, keepdims=True))
    rots, perm, shift, _ = rotation_action(level)
    for g in range(60):
        v = np.arange(12, atlas.n_vertices)
        w = perm[g, v]
        a = np.pi / 3 * shift[g, v][:, None]
        expect = np.cos(a) * frames[w, 0] + np.sin(a) * frames[w, 1]  # Rot(60 s) e1(v')
        assert np.abs(frames[v, 0] @ rots[g].T - expect).max() < 1e-12


@pytest.mark.parametrize("level", [2])
def test_vectors_become_regular_fields_equivariantly(level):
    atlas = get_atlas(level)
    sym = get_symmetry(level)
    x = torch.randn(2, 4, atlas.n_vertices, dtype=torch.float64)  # two (east, north) pairs
    reg = FieldType.regular_fields(2)
    f = vectors_to_regular(x, atlas)
    hexa = slice(12, None)
    for g in range(60):
        lhs = vectors_to_regular(sym.act_vectors(g, x), atlas)
        rhs = act(level, g, f, reg)
        assert (lhs - rhs)[..., hexa].abs().max() < 1e-12
    # the rotated vectors are the 3-D rotation of the vectors
    east, north = east_north(atlas.positions)
    g = 7
    y = sym.act_vectors(g, x).numpy()
    v3 = x[0, 0].numpy()[:, None] * east + x[0, 1].numpy()[:, None] * north
    w3 = y[0, 0][:, None] * east + y[0, 1][:, None] * north
    perm = sym.perm[g]
    assert np.abs(w3[perm][hexa] - (v3 @ sym.rotations[g].T)[hexa]).max() < 1e-12
    # the projections on the six directions sum to zero (an order-1 field inside the regular one)
    assert f[..., hexa].reshape(2, 2, 6, -1).sum(2).abs().max() < 1e-12
