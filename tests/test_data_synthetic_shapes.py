"""Synthetic deformed shapes: deterministic, near-isometric, consistent labels, cheap."""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from scipy.sparse.csgraph import connected_components
from torch_geometric.loader import DataLoader

from gaugeconv import check_gauge_graph
from gaugeconv.data import SyntheticShapes, template
from gaugeconv.data.deform import edge_length_distortion, random_edge_flips


@pytest.fixture(scope="module")
def spot_train():
    t0 = time.perf_counter()
    train = SyntheticShapes("train", 32, seed=0)
    test = SyntheticShapes("test", 8, seed=0)
    elapsed = time.perf_counter() - t0
    return train, test, elapsed


def template_positions(g) -> np.ndarray:
    """Sample positions reordered to template vertex order."""
    out = np.empty_like(g.pos.double().numpy())
    out[g.y_corr.numpy()] = g.pos.double().numpy()
    return out


def test_split_sizes(spot_train):
    train, test, _ = spot_train
    assert len(train) == 32 and len(test) == 8


def test_deterministic_and_splits_differ(spot_train):
    train, test, _ = spot_train
    again = SyntheticShapes("train", 3, seed=0)
    for a, b in zip(train[:3], again):
        assert torch.equal(a.pos, b.pos) and torch.equal(a.face, b.face)
        assert torch.equal(a.y, b.y) and torch.equal(a.y_corr, b.y_corr)
    other = SyntheticShapes("train", 1, seed=1)[0]
    assert not torch.equal(other.pos, train[0].pos)
    assert not torch.equal(test[0].pos, train[0].pos)


def test_near_isometric(spot_train):
    train, _, _ = spot_train
    tmpl = template()
    v0, edges = tmpl.mesh.vertices, tmpl.mesh.edges
    d = np.concatenate([edge_length_distortion(v0, template_positions(g), edges) for g in train])
    mean, p95, p99, worst = d.mean(), np.quantile(d, 0.95), np.quantile(d, 0.99), d.max()
    print(f"\nedge-length distortion: mean {mean:.4f} p95 {p95:.4f} p99 {p99:.4f} max {worst:.4f}")
    assert mean < 0.03 and p99 <= 0.08 + 1e-3 and worst < 0.5
    assert np.allclose([g.distortion for g in train], [
        edge_length_distortion(v0, template_positions(g), edges).mean() for g in train
    ], atol=1e-5)  # fmt: skip
    # not rigid: the shape really bends (compare pairwise distances, invariant to the rotation)
    i, j = np.random.default_rng(0).integers(0, len(v0), size=(2, 2000))
    dist0 = np.linalg.norm(v0[i] - v0[j], axis=1)
    moved = [
        np.abs(
            np.linalg.norm(template_positions(g)[i] - template_positions(g)[j], axis=1) - dist0
        ).max()
        for g in train
    ]
    assert np.median(moved) > 0.01


def test_labels_consistent(spot_train):
    train, test, _ = spot_train
    tmpl = template()
    n = tmpl.mesh.n_vertices
    parts = torch.as_tensor(tmpl.parts)
    assert train.n_classes == 8 and sorted(np.unique(tmpl.parts)) == list(range(8))
    # each part is one connected region of the template
    e = tmpl.mesh.edges
    for p in range(8):
        keep = (tmpl.parts[e[:, 0]] == p) & (tmpl.parts[e[:, 1]] == p)
        g = sp.coo_matrix((np.ones(keep.sum()), (e[keep, 0], e[keep, 1])), shape=(n, n))
        members = np.flatnonzero(tmpl.parts == p)
        assert connected_components(g.tocsr()[members][:, members], directed=False)[0] == 1
    for g in list(train) + list(test):
        check_gauge_graph(g)
        assert torch.equal(torch.sort(g.y_corr).values, torch.arange(n))  # a permutation
        assert torch.equal(g.y, parts[g.y_corr])
        assert not torch.equal(g.y_corr, torch.arange(n))  # vertices were shuffled


def test_retriangulated_but_valid(spot_train):
    train, _, _ = spot_train
    tmpl = template()
    ref = {tuple(sorted(e)) for e in tmpl.mesh.edges.tolist()}
    for g in train[:4]:
        corr = g.y_corr.numpy()
        j, i = corr[g.edge_index.numpy()]
        edges = {tuple(sorted(e)) for e in zip(i.tolist(), j.tolist())}
        assert len(edges) == len(ref)  # closed genus-0 mesh: same number of edges
        flipped = len(edges - ref)
        assert 0.05 * len(ref) < flipped <= 0.1 * len(ref) + 1
    batch = next(iter(DataLoader(train, batch_size=4)))
    assert batch.num_graphs == 4 and batch.face.max() == batch.num_nodes - 1


def test_options():
    plain = SyntheticShapes(
        "test", 2, mesh="bunny", n_parts=6, rotation="none", flip_fraction=0.0,
        shuffle_vertices=False, dtype=torch.float64,
    )  # fmt: skip
    tmpl = template("bunny", n_parts=6)
    g = plain[0]
    assert g.pos.dtype == torch.float64 and plain.n_classes == 6
    assert torch.equal(g.y_corr, torch.arange(tmpl.mesh.n_vertices))
    assert torch.equal(g.face, torch.as_tensor(tmpl.mesh.faces.T))
    with pytest.raises(ValueError, match="split must be"):
        SyntheticShapes("val")
    with pytest.raises(ValueError, match="rotation mode"):
        SyntheticShapes("train", 1, rotation="xyz")


def test_edge_flips_keep_a_valid_mesh():
    tmpl = template()
    rng = np.random.default_rng(0)
    faces = random_edge_flips(tmpl.mesh, tmpl.mesh.vertices, rng, 0.2)
    from gaugeconv import Mesh

    m = Mesh(tmpl.mesh.vertices, faces)  # validates: manifold, no duplicates, non-degenerate
    assert m.is_closed and m.is_orientable and m.n_edges == tmpl.mesh.n_edges
    assert (np.bincount(m.edges.reshape(-1)) >= 3).all()
