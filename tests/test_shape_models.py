"""Whole-shape and per-face/edge outputs: GemClassifier is invariant to gauge changes (with flips for
O(2)), to vertex permutations and, with invariant inputs, to 3-D rotations of the mesh; face and edge
read-outs of per-vertex logits are gauge invariant. Each with a negative control."""

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch

from gaugeconv import gauge_graph, shapes
from gaugeconv.features import invariant_features, xyz_features
from gaugeconv.models import GemClassifier, GemResNet
from gaugeconv.nn import edge_readout, face_readout

from .gauge_law import random_gauge, relative_error, transform_features, transform_graph
from .test_gem_conv import randomise


def _classifier(group="SO2", nonlinearity="gated", norm="layer", **kw):
    model = GemClassifier(
        3,
        5,
        in_order=1,
        width=6,
        n_blocks=2,
        group=group,
        nonlinearity=nonlinearity,
        norm=norm,
        pool=("mean", "max", "attention"),
        products=True,
        **kw,
    )
    return randomise(model, 0.3).eval()


def _permuted(graph, perm):
    """The same graph with vertex ``perm[k]`` renumbered ``k``."""
    g = graph.clone()
    inverse = torch.empty_like(perm)
    inverse[perm] = torch.arange(len(perm))
    for name in ("pos", "normal", "frame"):
        g[name] = graph[name][perm]
    g.edge_index = inverse[graph.edge_index]
    return g


@pytest.mark.parametrize(
    "group, nonlinearity, norm",
    [("SO2", "gated", "layer"), ("SO2", "norm", "batch"), ("O2", "gated", "layer")],
)
def test_classifier_invariant_to_gauge_changes(group, nonlinearity, norm, bunny):
    meshes = [bunny, shapes.torus(12, 8)] if group == "SO2" else [shapes.mobius_strip(30, 7)]
    model = _classifier(group, nonlinearity, norm).double()
    for dtype, tol in ((torch.float64, 1e-9), (torch.float32, 1e-5)):
        model = model.to(dtype)
        graphs = [gauge_graph(m, dtype=dtype) for m in meshes]
        batch = Batch.from_data_list(graphs)
        n = batch.num_nodes
        alpha, flip = random_gauge(n, 3, flips=group == "O2")
        x = torch.randn(n, 3, 3, dtype=dtype, generator=torch.Generator().manual_seed(0))
        moved = transform_graph(batch, alpha.to(dtype), flip)
        y = model(x, batch)
        assert y.shape == (len(meshes), 5)
        assert relative_error(model(transform_features(x, alpha.to(dtype), flip), moved), y) < tol
        # negative control: the same input in the old gauges on the new graph changes the output
        assert relative_error(model(x, moved), y) > 1e-3


def test_classifier_pools_each_graph_of_a_batch(bunny):
    model = _classifier().double()
    graphs = [gauge_graph(m, dtype=torch.float64) for m in (bunny, shapes.icosphere(2))]
    xs = [torch.randn(g.num_nodes, 3, 3, dtype=torch.float64) for g in graphs]
    together = model(torch.cat(xs), Batch.from_data_list(graphs))
    alone = torch.cat([model(x, g) for x, g in zip(xs, graphs)])
    assert relative_error(together, alone) < 1e-12


def test_classifier_invariant_to_vertex_permutations(bunny):
    model = _classifier().double()
    g = gauge_graph(bunny, dtype=torch.float64)
    x = torch.randn(g.num_nodes, 3, 3, dtype=torch.float64)
    perm = torch.randperm(g.num_nodes, generator=torch.Generator().manual_seed(2))
    y = model(x, g)
    assert relative_error(model(x[perm], _permuted(g, perm)), y) < 1e-10
    # negative control: permuting the features but not the graph is a different input
    assert relative_error(model(x[perm], g), y) > 1e-3


def test_classifier_invariant_to_rotating_the_mesh(bunny):
    model = _classifier().double()
    xyz_model = randomise(GemClassifier(3, 5, width=6, n_blocks=2, norm="layer"), 0.3)
    xyz_model = xyz_model.double().eval()
    g = gauge_graph(bunny, dtype=torch.float64)
    y, y_xyz = model(invariant_features(g), g), xyz_model(xyz_features(g), g)
    for seed in range(3):
        q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
        rotated = gauge_graph(bunny.rotated(q * np.sign(np.linalg.det(q))), dtype=torch.float64)
        assert relative_error(model(invariant_features(rotated), rotated), y) < 1e-10
        # negative control: raw coordinates as inputs are not rotation invariant
        assert relative_error(xyz_model(xyz_features(rotated), rotated), y_xyz) > 1e-2


def test_classifier_options_and_errors():
    assert GemClassifier(3, 4, last_order=0).readout.invariants.order == 0
    assert GemClassifier(3, 4, order=3).readout.out_features == 2 * 32 * 4
    with pytest.raises(ValueError, match="n_blocks"):
        GemClassifier(3, 4, n_blocks=0)
    with pytest.raises(ValueError, match="pool"):
        GemClassifier(3, 4, pool="sum")


@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-9), (torch.float32, 1e-5)])
def test_face_and_edge_outputs_invariant_to_gauge_changes(dtype, tol, bunny):
    model = randomise(GemResNet(3, 4, in_order=1, width=6, n_blocks=2, norm="layer"), 0.3)
    model = model.to(dtype).eval()
    g = gauge_graph(bunny, dtype=dtype)
    face = torch.as_tensor(bunny.faces.T)
    edges = torch.as_tensor(bunny.edges.T)
    x = torch.randn(g.num_nodes, 3, 3, dtype=dtype, generator=torch.Generator().manual_seed(1))
    alpha, _ = random_gauge(g.num_nodes, 4)
    logits = model(x, g)
    moved = model(transform_features(x, alpha.to(dtype)), transform_graph(g, alpha.to(dtype)))
    assert face_readout(logits, face).shape == (bunny.n_faces, 4)
    assert edge_readout(logits, edges).shape == (bunny.n_edges, 4)
    assert relative_error(face_readout(moved, face), face_readout(logits, face)) < tol
    assert relative_error(edge_readout(moved, edges), edge_readout(logits, edges)) < tol
    # negative control: averaging the corners' order-1 components is gauge dependent
    x2 = transform_features(x, alpha.to(dtype))
    assert relative_error(face_readout(x2[:, 0, 1:], face), face_readout(x[:, 0, 1:], face)) > 0.1


def test_face_readout_is_the_corner_mean_and_refuses_non_invariant_features():
    values = torch.tensor([[0.0, 3.0], [3.0, 0.0], [6.0, 3.0], [9.0, 9.0]])
    face = torch.tensor([[0, 1], [1, 2], [2, 3]])  # faces (0, 1, 2) and (1, 2, 3)
    assert torch.equal(face_readout(values, face), torch.tensor([[3.0, 2.0], [6.0, 4.0]]))
    assert torch.equal(edge_readout(values[:, 0], torch.tensor([[0], [3]])), torch.tensor([4.5]))
    assert torch.equal(face_readout(values[:, :, None], face), face_readout(values, face))
    with pytest.raises(ValueError, match="gauge invariant"):
        face_readout(torch.randn(4, 2, 3), face)
    with pytest.raises(ValueError, match=r"0\.\.3"):
        face_readout(values, torch.tensor([[0], [1], [4]]))
    with pytest.raises(ValueError, match=r"\(3, F\)"):
        face_readout(values, torch.tensor([[0, 1]]))
