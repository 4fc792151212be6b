"""Equivariance of every chart layer under the 60 rotations of the icosahedron, and negative
controls that fail under the same harness."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gaugeconv.ico import (
    FieldType,
    IcoBatchNorm,
    IcoConv,
    IcoLayerNorm,
    IcoPool,
    IcoUnpool,
    cat_fields,
    get_atlas,
    ico_conv,
    pad_charts,
)
from gaugeconv.ico.kernels import TAP_POSITIONS

from .ico_harness import (
    equivariance_error,
    one_thread,  # noqa: F401  (fixture)
    random_charts,
)

S = FieldType.scalar
R = FieldType.regular_fields
TOL64, TOL32 = 1e-9, 1e-5

CONV_TYPES = {
    "S2S": (S(2), S(3)),
    "S2R": (S(2), R(2)),
    "R2R": (R(2), R(3)),
    "R2S": (R(2), S(3)),
    "mixed": (FieldType(2, 2), FieldType(1, 3)),
}


def _randomise(module, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return module


@pytest.mark.parametrize("name", list(CONV_TYPES))
@pytest.mark.parametrize("level", [2, 3])
def test_conv_is_equivariant(name, level):
    tin, tout = CONV_TYPES[name]
    conv = _randomise(IcoConv(tin, tout).double())  # random weights and biases
    x = random_charts(level, tin)
    assert equivariance_error(conv, x, tin, tout) < TOL64


def test_conv_float32_is_equivariant():
    conv = _randomise(IcoConv(R(3), R(3)))
    x = random_charts(3, R(3), dtype=torch.float32)
    assert equivariance_error(conv, x, R(3), R(3)) < TOL32


@pytest.mark.parametrize(
    "tin,tout,per_pair",
    [(S(1), S(1), 2), (S(1), R(1), 7), (R(1), S(1), 7), (R(1), R(1), 42)],
)
def test_free_parameters_per_kernel(tin, tout, per_pair):
    assert IcoConv(tin, tout).n_free_parameters == per_pair
    assert (
        IcoConv(FieldType(tin.scalars * 3, tin.regular * 3), tout).n_free_parameters == 3 * per_pair
    )


def test_scalar_kernel_has_a_centre_and_one_ring_value():
    conv = _randomise(IcoConv(S(1), S(1)))
    w = conv.expanded_weight()[0, 0]
    ring = w[TAP_POSITIONS[:6, 0], TAP_POSITIONS[:6, 1]]
    assert torch.all(ring == ring[0]) and w[1, 1] != ring[0]
    assert w[0, 2] == 0 and w[2, 0] == 0  # the two non-hexagonal corners of the 3 x 3 kernel


def test_conv_output_is_zero_at_pentagons_and_ignores_their_input():
    atlas = get_atlas(2)
    conv = _randomise(IcoConv(R(1), R(1)).double())
    x = random_charts(2, R(1))
    y = conv(x)
    ph, pw = atlas.pentagon_hw
    assert (y[:, :, :, ph, pw] == 0).all()
    x2 = x.clone()
    x2[:, :, :, ph, pw] = 1e3
    assert torch.equal(conv(x2), y)


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_pool_is_equivariant(mode):
    ft = FieldType(1, 2)
    x = random_charts(3, ft)
    assert equivariance_error(IcoPool(ft, mode), x, ft, ft) < TOL64


def test_unpool_is_equivariant():
    ft = FieldType(1, 2)
    x = random_charts(2, ft)
    assert equivariance_error(IcoUnpool(ft), x, ft, ft) < TOL64


def test_unpool_interpolates_along_coarse_edges():
    """Sample f(p) = a . p at the coarse points and unpool: coarse points keep their values, the
    midpoint of a coarse edge gets the mean of its two ends (the one end's value where the other is
    a pentagon, which carries none), and the fine pentagons are zero."""
    coarse, fine = get_atlas(1), get_atlas(2)
    a = torch.tensor([0.3, -1.2, 0.7], dtype=torch.float64)
    f_coarse = torch.as_tensor(coarse.positions) @ a
    up = fine.from_charts(IcoUnpool(S(1))(coarse.to_charts(f_coarse.view(1, 1, -1))))[0, 0]
    assert torch.allclose(up[12 : coarse.n_vertices], f_coarse[12:])
    assert (up[:12] == 0).all()
    for v in range(coarse.n_vertices, fine.n_vertices):
        ends = [int(u) for u in fine.neighbours[v] if u < coarse.n_vertices]
        assert len(ends) == 2  # every new vertex is the midpoint of one coarse edge
        vals = [float(f_coarse[u]) for u in ends if u >= 12]
        assert abs(float(up[v]) - sum(vals) / len(vals)) < 1e-12


@pytest.mark.parametrize("norm_cls", [IcoBatchNorm, IcoLayerNorm])
def test_norms_are_equivariant_and_share_statistics(norm_cls):
    ft = FieldType(2, 2)
    norm = _randomise(norm_cls(ft).double())
    x = random_charts(2, ft) * 3 + 1
    assert equivariance_error(norm, x, ft, ft) < TOL64
    if norm_cls is IcoBatchNorm:
        norm.eval()  # running statistics
        assert equivariance_error(norm, x, ft, ft) < TOL64
        # statistics shared by the 6 orientations of a regular field
        assert norm.running_mean.shape == (ft.n_fields,)


def test_batchnorm_normalises_over_non_pentagon_cells():
    ft = FieldType(1, 1)
    norm = IcoBatchNorm(ft).double()
    atlas = get_atlas(3)
    x = random_charts(3, ft) * 5 + 2
    y = norm(x)
    mask = torch.as_tensor(atlas.cell_mask(), dtype=torch.bool)
    vals = y.permute(2, 0, 1, 3, 4)[:, :, mask]  # (C, B, cells)
    assert abs(vals[0].mean()) < 1e-12 and abs(vals[0].var(unbiased=False) - 1) < 1e-6
    reg = vals[1:].reshape(-1)
    assert abs(reg.mean()) < 1e-12 and abs(reg.var(unbiased=False) - 1) < 1e-6


def test_padding_adjoint_is_exact():
    atlas = get_atlas(1)
    ft = FieldType(1, 1)
    x = random_charts(1, ft, batch=1).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: pad_charts(t, ft, atlas), (x,))
    conv = IcoConv(ft, ft).double()
    assert torch.autograd.gradcheck(conv, (x,))


# ------------------------------------------------------------------ negative controls
def test_control_padding_without_orientation_shift_is_not_equivariant():
    tin = tout = R(2)
    conv = _randomise(IcoConv(tin, tout).double())
    atlas = get_atlas(2)
    flat = dataclasses.replace(
        atlas, pad_shift=np.where(atlas.pad_shift > 0, 0, atlas.pad_shift), _torch_cache={}
    )
    w, b = conv.expanded_weight(), conv.expanded_bias()
    x = random_charts(2, tin)
    good = equivariance_error(lambda t: ico_conv(t, w, b, tin, atlas), x, tin, tout)
    bad = equivariance_error(lambda t: ico_conv(t, w, b, tin, flat), x, tin, tout)
    assert good < TOL64 and bad > 0.05


def test_control_per_chart_bilinear_upsampling_is_not_equivariant():
    ft = S(2)

    def bilinear(y):
        b, _, c, h, w = y.shape
        up = F.interpolate(y.reshape(b * 5, c, h, w), scale_factor=2, mode="bilinear")
        return up.reshape(b, 5, c, 2 * h, 2 * w)

    x = random_charts(2, ft)
    assert equivariance_error(bilinear, x, ft, ft) > 0.05


def test_control_scalar_kernel_with_seven_free_taps_is_not_equivariant():
    gen = torch.Generator().manual_seed(1)
    w = torch.zeros(1, 1, 3, 3, dtype=torch.float64)
    w[0, 0, TAP_POSITIONS[:, 0], TAP_POSITIONS[:, 1]] = torch.randn(7, generator=gen, dtype=w.dtype)
    x = random_charts(2, S(1))
    err = equivariance_error(lambda t: ico_conv(t, w, None, S(1)), x, S(1), S(1))
    assert err > 0.05


def test_control_per_chart_2x2_max_pooling_is_not_equivariant():
    ft = S(1)

    def pool(y):
        b, _, c, h, w = y.shape
        return F.max_pool2d(y.reshape(b * 5, c, h, w), 2).reshape(b, 5, c, h // 2, w // 2)

    assert equivariance_error(pool, random_charts(3, ft), ft, ft) > 0.05


def test_cat_fields_keeps_scalars_first():
    a, b = FieldType(1, 1), FieldType(2, 1)
    x = random_charts(1, a)
    y = random_charts(1, b, seed=1)
    z = cat_fields([x, y], [a, b])
    assert a + b == FieldType(3, 2)
    assert torch.equal(z[:, :, :3], torch.cat([x[:, :, :1], y[:, :, :2]], 2))
    assert torch.equal(z[:, :, 3:], torch.cat([x[:, :, 1:], y[:, :, 2:]], 2))
    conv = _randomise(IcoConv(a + b, S(1)).double())
    assert equivariance_error(lambda t: conv(t), z, a + b, S(1)) < TOL64


# ------------------------------------------------------------------ input validation
def test_layers_reject_bad_inputs():
    conv = IcoConv(R(2), S(1))
    with pytest.raises(ValueError, match="channels"):
        conv(torch.zeros(1, 5, 11, 4, 8))  # 2 regular fields need 12 channels
    with pytest.raises(ValueError, match="chart"):
        conv(torch.zeros(1, 4, 12, 4, 8))
    with pytest.raises(ValueError, match=r"2\*\*r"):
        conv(torch.zeros(1, 5, 12, 4, 7))
    with pytest.raises(ValueError, match="level 0"):
        IcoPool(S(1))(torch.zeros(1, 5, 1, 1, 2))
    with pytest.raises(ValueError, match="mode"):
        IcoPool(S(1), "sum")
    with pytest.raises(ValueError, match="non-negative"):
        FieldType(-1, 2)
    with pytest.raises(ValueError, match="FieldType"):
        IcoConv(3, 4)
