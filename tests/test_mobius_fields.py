"""Field types, the shift action (isometries of the strip) and the grid <-> mesh conventions."""

import numpy as np
import pytest
import torch

from gaugeconv.mobius import (
    FieldType,
    as_field_type,
    double_cover,
    global_flip,
    grid_to_vertices,
    shift,
    vertices_to_grid,
)

from .mobius_harness import single_thread

pytestmark = pytest.mark.usefixtures(single_thread.__name__)

FT = FieldType(2, 3, 2)  # all three kinds present: 2 + 3 + 4 = 9 channels


def _x(ft=FT, w=5, l=7, b=2, seed=0):
    return torch.randn(
        b, ft.channels, w, l, dtype=torch.float64, generator=torch.Generator().manual_seed(seed)
    )


def test_field_type_layout():
    assert FT.channels == 9 and FT.invariant_dim == 4
    assert FT.slice("scalar") == slice(0, 2)
    assert FT.slice("sign") == slice(2, 5)
    assert FT.slice("regular") == slice(5, 9)
    assert 3 * FieldType(1, 1, 1) == FieldType(3, 3, 3)
    assert as_field_type((1, 0, 2)) == FieldType(1, 0, 2)
    assert as_field_type(4) == FieldType(4, 0, 0)
    assert FieldType(1, 0, 0).is_scalar and not FT.is_scalar


def test_representation_is_a_signed_permutation_involution_and_matches_action():
    rho = FT.representation()
    assert torch.equal(rho @ rho, torch.eye(FT.channels, dtype=torch.float64))
    expected = torch.eye(9, dtype=torch.float64)
    expected[2:5, 2:5] *= -1
    expected[5:9, 5:9] = torch.tensor([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0.0]])
    assert torch.equal(rho, expected)
    x = _x()
    assert torch.equal(FT.action(x), torch.einsum("dc,bcwl->bdwl", rho, x))
    index, sign = FT.permutation()
    assert torch.equal(FT.action(x), sign[None, :, None, None].double() * x[:, index])


@pytest.mark.parametrize("bad", [(-1, 0, 0), (1.5, 0, 0), (1, 2), "abc", (True, 0, 0), None])
def test_bad_field_types_raise(bad):
    with pytest.raises(ValueError):
        as_field_type(bad)


def test_wrong_layout_raises():
    with pytest.raises(ValueError, match="channels"):
        FT.action(torch.zeros(1, 8, 3, 3))
    with pytest.raises(ValueError, match=r"\(B, C, W, L\)"):
        shift(torch.zeros(9, 3, 3), 1, FT)
    with pytest.raises(ValueError, match="per-sample"):
        shift(_x(), torch.tensor([1, 2, 3]), FT)
    with pytest.raises(ValueError, match="integer"):
        shift(_x(), 0.5, FT)


@pytest.mark.parametrize("length", [1, 4, 7])
def test_shift_by_length_is_global_flip_and_by_twice_is_identity(length):
    x = _x(l=length)
    flipped = FT.action(x.flip(2))
    assert torch.equal(shift(x, length, FT), flipped)
    assert torch.equal(global_flip(x, FT), flipped)
    assert torch.equal(shift(x, 2 * length, FT), x)
    assert torch.equal(shift(x, 0, FT), x)
    assert torch.equal(shift(x, -3 * length, FT), flipped)


def test_shift_is_a_group_action():
    x = _x()
    for a in range(-8, 15, 3):
        for b in range(-7, 15, 4):
            assert torch.equal(shift(shift(x, a, FT), b, FT), shift(x, a + b, FT))


def test_columns_crossing_the_seam_arrive_reversed_and_transformed():
    x, length = _x(), 7
    for t in range(1, length):
        y = shift(x, t, FT)
        assert torch.equal(y[..., t:], x[..., : length - t])  # plain move inside the strip
        assert torch.equal(y[..., :t], FT.action(x[..., length - t :].flip(2)))  # across the seam
    # a regular field's two channels swap, a sign field flips, a scalar is only moved
    y = shift(x, 1, FT)
    assert torch.equal(y[:, 0, :, 0], x[:, 0, :, -1].flip(1))
    assert torch.equal(y[:, 2, :, 0], -x[:, 2, :, -1].flip(1))
    assert torch.equal(y[:, 5, :, 0], x[:, 6, :, -1].flip(1))


def test_per_sample_shifts_match_individual_shifts():
    x = _x(b=5)
    t = torch.tensor([0, 3, 7, 11, 13])
    y = shift(x, t, FT)
    for i in range(5):
        assert torch.equal(y[i : i + 1], shift(x[i : i + 1], int(t[i]), FT))


def test_double_cover_is_translation_covariant():
    x, length = _x(), 7
    cover = double_cover(x, FT)
    for t in range(2 * length):
        assert torch.equal(double_cover(shift(x, t, FT), FT), cover.roll(t, dims=3))


def test_grid_matches_flat_mesh_vertices_and_seam():
    """Cell (w, l) is vertex l*W + w of the flat mesh; mesh edges join cells that are neighbours on
    the double cover (across the seam: width reversed), so shifts agree on both."""
    from gaugeconv.shapes import mobius_strip

    width, length = 5, 8
    mesh = mobius_strip(n_length=length, n_width=width, flat=True)
    faces = np.asarray(mesh.faces)
    cell_l, cell_w = np.divmod(np.arange(length * width), width)
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    for a, b in edges:
        la, wa, lb, wb = cell_l[a], cell_w[a], cell_l[b], cell_w[b]
        if {la, lb} == {0, length - 1}:  # seam: lift the column-0 end past column L-1, mirrored
            if la == 0:
                la, wa, lb, wb = lb, wb, la, wa
            lb, wb = length, width - 1 - wb
        assert abs(la - lb) <= 1 and abs(wa - wb) <= 1
    x = _x(ft=FieldType(3, 0, 0), w=width, l=length)
    v = grid_to_vertices(x)
    assert v.shape == (2, length * width, 3)
    assert torch.equal(v[:, 2 * width + 4], x[:, :, 4, 2])
    assert torch.equal(vertices_to_grid(v, width, length), x)
