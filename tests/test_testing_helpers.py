"""gaugeconv.testing: the helpers follow the independent naive law of tests/gauge_law.py, pass on
equivariant layers, report the measured error, and fail on deliberately broken layers."""

import pytest
import torch

from gaugeconv import gauge_graph, shapes
from gaugeconv.features import invariant_features, xyz_features
from gaugeconv.groups import rotate
from gaugeconv.models import GemResNet
from gaugeconv.nn import EquivariantLinear, GemConv
from gaugeconv.testing import (
    assert_gauge_equivariant,
    assert_rotation_invariant,
    gauge_transform_graph,
    random_gauge,
)

from .gauge_law import random_gauge as naive_gauge
from .gauge_law import relative_error, transform_features, transform_graph
from .test_gem_conv import randomise


def same_angles(a, b):
    return torch.allclose(torch.cos(a), torch.cos(b), atol=1e-12) and torch.allclose(
        torch.sin(a), torch.sin(b), atol=1e-12
    )


@pytest.mark.parametrize("name", ["bunny", "mobius"])
def test_gauge_transform_graph_is_the_naive_law(name, request):
    mesh = request.getfixturevalue("bunny") if name == "bunny" else shapes.mobius_strip(30, 7)
    graph = gauge_graph(mesh, dtype=torch.float64)
    alpha, flip = naive_gauge(mesh.n_vertices, 3, flips=True)
    ours, naive = gauge_transform_graph(graph, alpha, flip), transform_graph(graph, alpha, flip)
    assert torch.equal(ours.edge_reflect, naive.edge_reflect)
    assert same_angles(ours.edge_log[:, 1], naive.edge_log[:, 1])
    assert same_angles(ours.edge_transport, naive.edge_transport)
    assert torch.equal(ours.edge_log[:, 0], graph.edge_log[:, 0])
    torch.testing.assert_close(ours.frame, naive.frame, atol=1e-14, rtol=0)
    torch.testing.assert_close(ours.normal, naive.normal, atol=1e-14, rtol=0)
    assert (ours.edge_log[:, 1] > -torch.pi).all() and (ours.edge_log[:, 1] <= torch.pi).all()
    # the library's feature law (used by the helper) agrees with the naive one
    from gaugeconv.groups import gauge_transform

    x = torch.randn(mesh.n_vertices, 3, 7, dtype=torch.float64)
    torch.testing.assert_close(
        gauge_transform(x, alpha, flip), transform_features(x, alpha, flip), atol=1e-14, rtol=0
    )


def test_random_gauge_is_seeded_and_uniform():
    a1, f1 = random_gauge(5000, flips=True, generator=torch.Generator().manual_seed(1))
    a2, f2 = random_gauge(5000, flips=True, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a1, a2) and torch.equal(f1, f2)
    assert a1.abs().max() <= torch.pi and abs(float(a1.mean())) < 0.1
    assert 0.45 < float(f1.float().mean()) < 0.55
    assert random_gauge(3)[1] is None


@pytest.mark.parametrize("name, group", [("bunny", "SO2"), ("mobius", "O2")])
def test_helper_passes_equivariant_layers_and_returns_the_error(name, group, request):
    mesh = request.getfixturevalue("bunny") if name == "bunny" else shapes.mobius_strip(30, 7)
    graph = gauge_graph(mesh)  # float32 graph: the helper casts to float64
    conv = randomise(GemConv(3, 4, 2, 2, group=group))
    x = torch.randn(mesh.n_vertices, 3, 5)
    err = assert_gauge_equivariant(conv, graph, x)
    assert 0 < err < 1e-9
    assert next(conv.parameters()).dtype == torch.float32  # the module itself is untouched
    err32 = assert_gauge_equivariant(conv, graph, x, dtype=torch.float32)
    assert err < err32 < 1e-5
    # the same quantity measured with the independent harness
    alpha, flip = naive_gauge(mesh.n_vertices, 0, flips=group == "O2")
    g64 = gauge_graph(mesh, dtype=torch.float64)
    c64 = randomise(GemConv(3, 4, 2, 2, group=group)).double()
    x64 = x.double()
    naive = relative_error(
        c64(transform_features(x64, alpha, flip), transform_graph(g64, alpha, flip)),
        transform_features(c64(x64, g64), alpha, flip),
    )
    assert naive < 1e-9


def test_helper_detects_o2_from_the_graph_and_the_module(bunny):
    strip = gauge_graph(shapes.mobius_strip(20, 5), dtype=torch.float64)
    x = torch.randn(strip.num_nodes, 2, 3, dtype=torch.float64)
    # a constant rotation commutes with SO(2) gauge changes but not with flips
    spin = lambda x: rotate(x, torch.tensor(0.7, dtype=x.dtype))  # noqa: E731
    assert assert_gauge_equivariant(spin, None, x, group="SO2") < 1e-12
    with pytest.raises(AssertionError, match=r"O\(2\).*relative error"):
        assert_gauge_equivariant(spin, None, x, group="O2")
    # auto: reflecting edges in the graph switch flips on
    wrapped = lambda x, g: spin(x)  # noqa: E731
    with pytest.raises(AssertionError, match=r"O\(2\)"):
        assert_gauge_equivariant(wrapped, strip, x)
    g = gauge_graph(bunny, dtype=torch.float64)
    xb = torch.randn(bunny.n_vertices, 2, 3, dtype=torch.float64)
    assert assert_gauge_equivariant(wrapped, g, xb) < 1e-12  # orientable: SO(2) only
    # ... and so does an O(2) submodule
    lin = randomise(EquivariantLinear(2, 2, 1, 1, group="O2")).double()
    assert assert_gauge_equivariant(lin, None, xb) < 1e-12
    broken = torch.nn.Sequential(lin)
    broken.forward = lambda x: spin(lin(x))
    with pytest.raises(AssertionError, match=r"O\(2\)"):
        assert_gauge_equivariant(broken, None, xb)


def test_helper_fails_on_broken_layers(bunny):
    graph = gauge_graph(bunny, dtype=torch.float64)
    x = torch.randn(bunny.n_vertices, 3, 5, dtype=torch.float64)
    conv = randomise(GemConv(3, 3, 2, 2)).double()

    class NoTransport(torch.nn.Module):
        """Messages arrive untransported: the classic bug."""

        def __init__(self):
            super().__init__()
            self.conv = conv

        def forward(self, x, g):
            g = g.clone()
            g.edge_transport = torch.zeros_like(g.edge_transport)
            return self.conv(x, g)

    class VectorBias(torch.nn.Module):
        """A bias on the non-scalar components (the GEM-CNN reference's residual bug)."""

        def __init__(self):
            super().__init__()
            self.conv = conv
            self.bias = torch.nn.Parameter(torch.full((3, 5), 0.3))

        def forward(self, x, g):
            return self.conv(x, g) + self.bias

    for broken in (NoTransport(), VectorBias()):
        with pytest.raises(AssertionError, match="relative error") as info:
            assert_gauge_equivariant(broken, graph, x)
        err = float(str(info.value).split("relative error ")[1].split()[0])
        assert err > 1e-2
    # a wrong output law is caught too
    with pytest.raises(AssertionError, match="relative error"):
        assert_gauge_equivariant(conv, graph, x, output="invariant")
    # an all-zero output cannot show anything
    with pytest.raises(AssertionError, match="identically zero"):
        assert_gauge_equivariant(lambda x, g: torch.zeros_like(x), graph, x)


def test_block_and_model_level_with_flips():
    mesh = shapes.mobius_strip(30, 7)
    graph = gauge_graph(mesh, dtype=torch.float64)
    model = randomise(
        GemResNet(3, 4, in_order=1, width=6, n_blocks=2, group="O2", norm="batch"), 0.3
    ).train()
    x = torch.randn(mesh.n_vertices, 3, 3, dtype=torch.float64)
    assert assert_gauge_equivariant(model, graph, x, n_trials=2) < 1e-9  # logits: invariant


def test_rotation_helper(spot):
    model = randomise(GemResNet(3, 5, in_order=1, width=6), 0.3).eval()
    assert assert_rotation_invariant(model, spot, n_trials=2) < 1e-10
    # order-1 outputs: coefficients unchanged (the frames turn with the mesh)
    conv = randomise(GemConv(3, 2, 1, 1))
    assert assert_rotation_invariant(conv, spot, n_trials=1) < 1e-10
    # negative control: raw XYZ inputs are not rotation invariant
    xyz = randomise(GemResNet(3, 5, in_order=0, width=6), 0.3).eval()
    with pytest.raises(AssertionError, match="rotation invariance.*relative error"):
        assert_rotation_invariant(xyz, spot, features=xyz_features, n_trials=1)
    # a model reading the invariant features of the graph itself is fine with a PyG Data mesh
    from torch_geometric.data import Data

    data = Data(pos=torch.as_tensor(spot.vertices), face=torch.as_tensor(spot.faces.T))
    assert assert_rotation_invariant(model, data, features=invariant_features, n_trials=1) < 1e-10
