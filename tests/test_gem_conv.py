"""GemConv: exact gauge equivariance, the documented formula, invariances, batching, errors."""

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch

from gaugeconv import gauge_graph, shapes
from gaugeconv.nn import GemConv
from gaugeconv.testing import assert_gauge_equivariant

from .gauge_law import random_gauge, relative_error, transform_features, transform_graph
from .naive_gem import naive_gem


def randomise(module, scale=0.5):
    """Random weights and biases (biases are zero-initialised: tests must not rely on that)."""
    gen = torch.Generator().manual_seed(123)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * scale)
    return module


def equivariance_error(module, graph, x, seed=0, flips=False, law=transform_features):
    alpha, flip = random_gauge(graph.num_nodes, seed, flips=flips)
    y = module(x, graph)
    y2 = module(law(x, alpha, flip), transform_graph(graph, alpha, flip))
    return relative_error(y2, law(y, alpha, flip))


CASES = [
    ("bunny", "SO2", None),
    ("spot", "SO2", None),
    ("bunny", "O2", None),
    ("mobius", "O2", None),
    ("mobius_flat", "O2", None),
    ("bunny", "SO2", 2),
    ("mobius_flat", "O2", 2),
]


def mesh_of(name, request):
    if name in ("bunny", "spot"):
        return request.getfixturevalue(name)
    return shapes.mobius_strip(30, 7, flat=name.endswith("flat"))


@pytest.mark.parametrize("name, group, k", CASES)
@pytest.mark.parametrize("orders", [(2, 2), (0, 2), (2, 0), (1, 3)])
def test_gem_conv_equivariance_float64(name, group, k, orders, request):
    mesh = mesh_of(name, request)
    graph = gauge_graph(mesh, dtype=torch.float64, k=k)
    conv = randomise(GemConv(4, 3, *orders, group=group, n_rings=3).double())
    x = torch.randn(mesh.n_vertices, 4, 2 * orders[0] + 1, dtype=torch.float64)
    # random gauge per vertex (and flips for O(2)), 1e-9, with gaugeconv.testing's helper
    assert assert_gauge_equivariant(conv, graph, x, group=group, n_trials=1) < 1e-9


@pytest.mark.parametrize("name, group", [("bunny", "SO2"), ("mobius", "O2")])
def test_gem_conv_equivariance_float32(name, group, request):
    mesh = mesh_of(name, request)
    graph = gauge_graph(mesh, dtype=torch.float32)
    conv = randomise(GemConv(8, 8, 2, 2, group=group))
    x = torch.randn(mesh.n_vertices, 8, 5)
    assert assert_gauge_equivariant(conv, graph, x, group=group, dtype=torch.float32) < 1e-5
    # the independent naive harness agrees
    assert equivariance_error(conv, graph, x, flips=group == "O2") < 1e-5


def test_negative_controls_fail(bunny):
    graph = gauge_graph(bunny, dtype=torch.float64)
    conv = randomise(GemConv(4, 3, 2, 2).double())
    x = torch.randn(bunny.n_vertices, 4, 5, dtype=torch.float64)
    assert equivariance_error(conv, graph, x) < 1e-9
    # 1. drop the transport: the same harness must report a large error
    alpha, _ = random_gauge(bunny.n_vertices, 0)
    g0 = graph.clone()
    g0.edge_transport = torch.zeros_like(graph.edge_transport)
    g1 = transform_graph(graph, alpha)
    g1.edge_transport = torch.zeros_like(graph.edge_transport)
    err = relative_error(
        conv(transform_features(x, alpha), g1), transform_features(conv(x, g0), alpha)
    )
    assert err > 0.1
    # 2. a wrong transformation law for the features (rotate the wrong way)
    wrong = lambda x, a, f: transform_features(x, -a, f)  # noqa: E731
    assert equivariance_error(conv, graph, x, law=wrong) > 0.1
    # 3. an SO(2) layer cannot be equivariant to flips: refused on reflecting graphs
    strip = gauge_graph(shapes.mobius_strip(20, 5), dtype=torch.float64)
    with pytest.raises(ValueError, match='group="O2"'):
        GemConv(1, 1, 1, 1)(torch.zeros(strip.num_nodes, 1, 3, dtype=torch.float64), strip)


@pytest.mark.parametrize("group", ["SO2", "O2"])
@pytest.mark.parametrize("config", [(2, 2, None, 2), (0, 2, None, 1), (2, 1, 2, 3), (3, 3, 3, 2)])
def test_gem_conv_computes_the_documented_formula(group, config, bunny):
    L_in, L_out, band, rings = config
    mesh = bunny if group == "SO2" else shapes.mobius_strip(30, 7)
    graph = gauge_graph(mesh, dtype=torch.float64)
    conv = randomise(
        GemConv(3, 4, L_in, L_out, group=group, band_limit=band, n_rings=rings).double()
    )
    conv.chunk_slots = 300  # many chunks
    x = torch.randn(mesh.n_vertices, 3, 2 * L_in + 1, dtype=torch.float64)
    torch.testing.assert_close(conv(x, graph), naive_gem(conv, x, graph), atol=1e-12, rtol=0)


def test_gradients_match_finite_differences(bunny):
    graph = gauge_graph(shapes.icosphere(1), dtype=torch.float64)
    conv = randomise(GemConv(2, 2, 2, 1, group="O2").double())
    conv.chunk_slots = 16
    x = torch.randn(graph.num_nodes, 2, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, *p: conv(x, graph), (x, *conv.parameters()))


def test_operator_cache_never_stale(bunny):
    graph = gauge_graph(bunny, dtype=torch.float64)
    # the edits below break the agreement with pos/frame that check_gauge_graph enforces; the
    # layer reads only the edge fields, so test the cache on the intrinsic part of the graph
    del graph.pos, graph.normal, graph.frame
    conv = randomise(GemConv(2, 2, 1, 1).double())
    x = torch.randn(bunny.n_vertices, 2, 3, dtype=torch.float64)
    y0 = conv(x, graph)
    graph.edge_transport.add_(0.3)  # in place
    y1 = conv(x, graph)
    fresh = graph.clone()
    torch.testing.assert_close(y1, conv(x, fresh))
    assert (y1 - y0).abs().max() > 1e-3
    graph.edge_log = graph.edge_log * 1.0  # replaced by an equal tensor: recomputed, same result
    torch.testing.assert_close(conv(x, graph), y1)
    graph.edge_log = torch.stack([graph.edge_log[:, 0], -graph.edge_log[:, 1]], 1)
    assert (conv(x, graph) - y1).abs().max() > 1e-3


def scalar_model(group):
    return torch.nn.ModuleList(
        [
            GemConv(1, 4, 0, 2, group=group),
            GemConv(4, 4, 2, 2, group=group),
            GemConv(4, 2, 2, 0, group=group),
        ]
    )


def run_scalar_model(model, s, graph):
    x = s
    for i, conv in enumerate(model):
        x = conv(x, graph)
        if i < len(model) - 1:
            x = x * torch.sigmoid(x[:, :, :1])  # gated by scalars: equivariant
    return x[:, :, 0]


def test_flat_mobius_shift_isometry_exact_invariance():
    n_length, n_width = 24, 7
    mesh = shapes.mobius_strip(n_length, n_width, flat=True)
    graph = gauge_graph(mesh, dtype=torch.float64)
    i, k = np.divmod(np.arange(mesh.n_vertices), n_width)
    wrap = i == n_length - 1
    perm = torch.as_tensor(np.where(wrap, 0, i + 1) * n_width + np.where(wrap, n_width - 1 - k, k))
    model = randomise(scalar_model("O2")).double()
    s = torch.randn(mesh.n_vertices, 1, 1, dtype=torch.float64)
    s_shift = torch.empty_like(s)
    s_shift[perm] = s
    y = run_scalar_model(model, s, graph)
    y_shift = run_scalar_model(model, s_shift, graph)
    assert relative_error(y_shift[perm], y) < 1e-12
    # negative control: a non-isometric relabelling (shift without the seam flip) breaks it
    bad = torch.as_tensor(np.where(wrap, 0, i + 1) * n_width + k)
    s_bad = torch.empty_like(s)
    s_bad[bad] = s
    assert relative_error(run_scalar_model(model, s_bad, graph)[bad], y) > 1e-3


def test_permutation_equivariance(bunny):
    from gaugeconv import Mesh

    rng = np.random.default_rng(0)
    perm = rng.permutation(bunny.n_vertices)  # new index of each old vertex
    inv = np.argsort(perm)
    mesh2 = Mesh(bunny.vertices[inv], perm[bunny.faces])
    g1 = gauge_graph(bunny, dtype=torch.float64)
    g2 = gauge_graph(mesh2, dtype=torch.float64)
    model = randomise(scalar_model("SO2")).double()
    s = torch.randn(bunny.n_vertices, 1, 1, dtype=torch.float64)
    y1 = run_scalar_model(model, s, g1)
    y2 = run_scalar_model(model, s[inv], g2)
    assert relative_error(y2, y1[inv]) < 1e-12


def test_batching_equals_per_mesh(spot, bunny):
    meshes = [spot, bunny, shapes.icosphere(2)]
    graphs = [gauge_graph(m, dtype=torch.float64) for m in meshes]
    conv = randomise(GemConv(3, 2, 1, 2).double())
    xs = [torch.randn(m.n_vertices, 3, 3, dtype=torch.float64) for m in meshes]
    batch = Batch.from_data_list(graphs)
    yb = conv(torch.cat(xs), batch)
    ys = torch.cat([conv(x, g) for x, g in zip(xs, graphs)])
    torch.testing.assert_close(yb, ys, atol=1e-12, rtol=0)


def test_radius_is_a_fixed_scale(bunny):
    """With a given radius the kernel does not depend on the longest edge of the graph."""
    g = gauge_graph(bunny, dtype=torch.float64)
    r = float(g.edge_log[:, 0].max())
    conv = randomise(GemConv(1, 1, 0, 0, radius=r).double())
    conv_auto = randomise(GemConv(1, 1, 0, 0).double())
    x = torch.randn(bunny.n_vertices, 1, 1, dtype=torch.float64)
    torch.testing.assert_close(conv(x, g), conv_auto(x, g))
    # drop the longest edge: the automatic scale changes, the fixed radius does not
    keep = g.edge_log[:, 0] < r
    g2 = g.clone()
    for f in ("edge_log", "edge_transport", "edge_reflect"):
        setattr(g2, f, getattr(g, f)[keep])
    g2.edge_index = g.edge_index[:, keep]
    assert (conv(x, g2) - conv_auto(x, g2)).abs().max() > 1e-6


def test_bad_inputs_rejected(bunny):
    graph = gauge_graph(bunny)
    conv = GemConv(3, 2, 1, 1)
    with pytest.raises(ValueError, match=r"shape \(N, 3, 3\)"):
        conv(torch.zeros(bunny.n_vertices, 3, 5), graph)  # wrong feature order
    with pytest.raises(ValueError, match=r"shape \(N, 3, 3\)"):
        conv(torch.zeros(bunny.n_vertices, 2, 3), graph)  # wrong channels
    with pytest.raises(ValueError, match="rows but the graph has"):
        conv(torch.zeros(10, 3, 3), graph)
    with pytest.raises(ValueError, match="floating-point"):
        conv(torch.zeros(bunny.n_vertices, 3, 3, dtype=torch.long), graph)
    g = graph.clone()
    del g.edge_transport
    with pytest.raises(ValueError, match="edge_transport"):
        conv(torch.zeros(bunny.n_vertices, 3, 3), g)
    g = graph.clone()
    g.edge_log = g.edge_log.clone()
    g.edge_log[5, 1] = float("nan")
    with pytest.raises(ValueError, match="non-finite"):
        conv(torch.zeros(bunny.n_vertices, 3, 3), g)
    with pytest.raises(ValueError, match="group must be one of"):
        GemConv(1, 1, 1, 1, group="SO3")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU")
def test_cuda_matches_cpu(bunny):
    graph = gauge_graph(bunny, dtype=torch.float64)
    conv = randomise(GemConv(4, 4, 2, 2).double())
    x = torch.randn(bunny.n_vertices, 4, 5, dtype=torch.float64, requires_grad=True)
    y = conv(x, graph)
    y.square().sum().backward()
    gx = x.grad.clone()
    conv_c = conv.cuda()
    xc = x.detach().cuda().requires_grad_()
    yc = conv_c(xc, graph.to("cuda"))
    yc.square().sum().backward()
    torch.testing.assert_close(yc.cpu(), y, atol=1e-10, rtol=0)
    torch.testing.assert_close(xc.grad.cpu(), gx, atol=1e-10, rtol=0)
