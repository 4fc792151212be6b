"""Equivariance of every layer, block and a full model; nonlinearities, norms, input features."""

import math

import numpy as np
import pytest
import torch

from gaugeconv import gauge_graph, shapes
from gaugeconv.features import invariant_features, xyz_features
from gaugeconv.groups import rotate
from gaugeconv.models import GemResNet
from gaugeconv.nn import (
    EquivariantLinear,
    GatedNonlinearity,
    GaugeBatchNorm,
    GaugeLayerNorm,
    GemResBlock,
    NormNonlinearity,
    RegularNonlinearity,
    regular_nonlinearity_error,
)
from gaugeconv.testing import assert_gauge_equivariant, assert_rotation_invariant

from .gauge_law import random_gauge, relative_error, transform_features, transform_graph
from .test_gem_conv import randomise

POINTWISE = [
    lambda g: EquivariantLinear(4, 3, 2, 1, group=g),
    lambda g: EquivariantLinear(4, 3, 2, 3, group=g),
    lambda g: NormNonlinearity(4, 2),
    lambda g: GatedNonlinearity(4, 2),
    lambda g: GaugeBatchNorm(4, 2),
    lambda g: GaugeLayerNorm(4, 2),
]


@pytest.mark.parametrize("group", ["SO2", "O2"])
@pytest.mark.parametrize("make", POINTWISE)
@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-12), (torch.float32, 1e-6)])
def test_pointwise_layers_exactly_equivariant(group, make, dtype, tol):
    layer = randomise(make(group)).to(dtype)
    x = torch.randn(500, 4, 5, dtype=dtype)
    for train in (True, False):
        layer.train(train)
        err = assert_gauge_equivariant(layer, None, x, group=group, dtype=dtype, rtol=tol)
        assert err < tol


def test_negative_control_bias_on_vector_part_breaks_equivariance():
    """The GEM-CNN reference's residual bug: a bias on non-scalar components."""
    lin = randomise(EquivariantLinear(4, 3, 1, 1)).double()
    x = torch.randn(300, 4, 3, dtype=torch.float64)
    alpha, _ = random_gauge(300, 2)
    buggy = lambda x: lin(x) + 0.5  # noqa: E731 - bias on every component
    assert (
        relative_error(buggy(transform_features(x, alpha)), transform_features(buggy(x), alpha))
        > 0.1
    )


def test_regular_nonlinearity_error_vs_samples():
    """Approximately equivariant: the error falls with N; exact on the sampling grid and flips."""
    errors = {n: regular_nonlinearity_error(2, n) for n in (5, 7, 9, 15, 33, 65)}
    vals = list(errors.values())
    assert all(b < a for a, b in zip(vals, vals[1:]))
    assert 0.03 < errors[7] < 0.2  # the README quotes 9.4e-2 at N = 7
    assert errors[65] < 0.01
    nl = RegularNonlinearity(2, 7).double()
    x = torch.randn(200, 8, 5, dtype=torch.float64)
    grid = torch.full((200,), 2 * math.pi * 3 / 7, dtype=torch.float64)
    assert relative_error(nl(rotate(x, grid)), rotate(nl(x), grid)) < 1e-12
    flips = torch.ones(200, dtype=torch.bool)
    zero = torch.zeros(200, dtype=torch.float64)
    assert (
        relative_error(
            nl(transform_features(x, zero, flips)), transform_features(nl(x), zero, flips)
        )
        < 1e-12
    )
    # identity function: synthesis/analysis is exact on band-limited signals
    assert relative_error(RegularNonlinearity(2, 7, fn=lambda t: t).double()(x), x) < 1e-12
    with pytest.raises(ValueError, match="num_samples"):
        RegularNonlinearity(3, 6)


@pytest.mark.parametrize("group, mesh_name", [("SO2", "bunny"), ("O2", "mobius")])
@pytest.mark.parametrize("nonlinearity", ["norm", "gated"])
@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_block_and_model_exactly_equivariant(group, mesh_name, nonlinearity, norm, request):
    mesh = request.getfixturevalue("bunny") if mesh_name == "bunny" else shapes.mobius_strip(30, 7)
    graph = gauge_graph(mesh, dtype=torch.float64)
    x = torch.randn(mesh.n_vertices, 3, 3, dtype=torch.float64)
    kw = {"group": group, "nonlinearity": nonlinearity, "norm": norm}
    block = randomise(GemResBlock(3, 5, 1, 2, **kw), 0.3).double().train()
    assert assert_gauge_equivariant(block, graph, x, group=group, seed=5, n_trials=1) < 1e-9
    model = randomise(GemResNet(3, 4, in_order=1, width=6, n_blocks=3, **kw), 0.3).double().eval()
    # logits are gauge invariant
    assert assert_gauge_equivariant(model, graph, x, group=group, seed=5, n_trials=1) < 1e-9
    # float32 too
    g32 = gauge_graph(mesh)
    err32 = assert_gauge_equivariant(model, g32, x, group=group, dtype=torch.float32, n_trials=1)
    assert err32 < 1e-5
    # and the independent naive harness agrees
    alpha, flip = random_gauge(mesh.n_vertices, 5, flips=group == "O2")
    g2 = transform_graph(graph, alpha, flip)
    assert relative_error(model(transform_features(x, alpha, flip), g2), model(x, graph)) < 1e-9


def test_model_with_sampled_nonlinearity_is_approximately_equivariant(bunny):
    graph = gauge_graph(bunny, dtype=torch.float64)
    x = torch.randn(bunny.n_vertices, 3, 3, dtype=torch.float64)
    alpha, _ = random_gauge(bunny.n_vertices, 6)
    g2 = transform_graph(graph, alpha)
    errs = []
    for n in (7, 31):
        model = randomise(
            GemResNet(3, 4, in_order=1, width=6, nonlinearity="regular", num_samples=n), 0.3
        )
        model = model.double().eval()
        errs.append(relative_error(model(transform_features(x, alpha), g2), model(x, graph)))
    assert errs[0] > 1e-6  # measurably not exact ...
    assert errs[1] < errs[0]  # ... and better with more samples


def random_rotation(seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    return q * np.sign(np.linalg.det(q))


def test_model_invariant_to_rotating_the_mesh(spot):
    model = randomise(GemResNet(3, 5, in_order=1, width=6), 0.3).double().eval()
    assert assert_rotation_invariant(model, spot, rtol=1e-10) < 1e-10
    g = gauge_graph(spot, dtype=torch.float64)
    gr = gauge_graph(spot.rotated(random_rotation(0)), dtype=torch.float64)
    torch.testing.assert_close(invariant_features(gr), invariant_features(g), atol=1e-12, rtol=0)
    # the raw-XYZ input is not rotation invariant (negative control)
    xyz_model = randomise(GemResNet(3, 5, in_order=0, width=6), 0.3).double().eval()
    assert relative_error(xyz_model(xyz_features(gr), gr), xyz_model(xyz_features(g), g)) > 1e-2
    with pytest.raises(AssertionError, match="rotation invariance"):
        assert_rotation_invariant(xyz_model, spot, features=xyz_features, n_trials=1)


def test_invariant_features_on_a_sphere():
    g = gauge_graph(shapes.icosphere(3), dtype=torch.float64)
    x = invariant_features(g)
    assert x.shape == (g.num_nodes, 3, 3)
    torch.testing.assert_close(
        x[:, 1, 0], torch.ones(g.num_nodes, dtype=torch.float64), atol=1e-12, rtol=0
    )
    assert (x[:, 0, 0] > 0.99).all()  # d . n = 1 on the unit sphere (outward normals)
    assert (x[:, 0, 1:].abs() < 0.05).all()  # almost no tangential offset
    assert ((x[:, 2, 0] - 1).abs() < 0.05).all()  # curvature 1 / R
    with pytest.raises(ValueError, match="embedded mesh"):
        invariant_features(gauge_graph(shapes.mobius_strip(20, 5, flat=True)))
