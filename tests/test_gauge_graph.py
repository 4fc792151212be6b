"""The gauge graph: contract fields, conventions, batching, gauge law under re-gauging, caching."""

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch
from torch_geometric.loader import DataLoader

from gaugeconv import Mesh, check_gauge_graph, gauge_graph, shapes
from gaugeconv.geometry.holonomy import edge_lookup
from gaugeconv.geometry.intrinsic import wrap_angle

from .gauge_law import numpy_graph, transform_graph


def test_contract_fields_and_dtypes(spot):
    g = gauge_graph(spot)
    n, e = spot.n_vertices, 2 * spot.n_edges
    assert g.num_nodes == n
    assert g.pos.shape == (n, 3) and g.normal.shape == (n, 3) and g.frame.shape == (n, 2, 3)
    assert g.edge_index.shape == (2, e) and g.edge_index.dtype == torch.long
    assert g.edge_log.shape == (e, 2) and g.edge_transport.shape == (e,)
    assert g.edge_reflect.dtype == torch.bool
    for f in ("pos", "normal", "frame", "edge_log", "edge_transport"):
        assert getattr(g, f).dtype == torch.float32
    g64 = gauge_graph(spot, dtype=torch.float64)
    assert g64.edge_log.dtype == torch.float64
    assert torch.allclose(g64.edge_log.float(), g.edge_log)
    check_gauge_graph(g)


def test_edge_index_symmetric_no_loops_no_duplicates(bunny):
    g = gauge_graph(bunny)
    j, i = g.edge_index.numpy()
    assert (i != j).all()
    keys = i.astype(np.int64) * bunny.n_vertices + j
    assert len(np.unique(keys)) == len(keys)
    rev = set(zip(j.tolist(), i.tolist()))
    assert rev == set(zip(i.tolist(), j.tolist()))


def test_angle_ranges_and_lengths(bunny):
    g = numpy_graph(gauge_graph(bunny, dtype=torch.float64))
    th = g["edge_log"][:, 1]
    assert (th > -np.pi).all() and (th <= np.pi).all()
    assert (g["edge_transport"] > -np.pi - 1e-12).all() and (
        g["edge_transport"] <= np.pi + 1e-12
    ).all()
    j, i = g["edge_index"]
    np.testing.assert_allclose(
        g["edge_log"][:, 0], np.linalg.norm(g["pos"][j] - g["pos"][i], axis=1)
    )


def test_frames_orthonormal_right_handed_and_following_winding(spot):
    g = numpy_graph(gauge_graph(spot, dtype=torch.float64))
    e1, e2, n = g["frame"][:, 0], g["frame"][:, 1], g["normal"]
    np.testing.assert_allclose(np.linalg.norm(e1, axis=1), 1, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(e2, axis=1), 1, atol=1e-12)
    np.testing.assert_allclose((e1 * e2).sum(1), 0, atol=1e-12)
    np.testing.assert_allclose(np.cross(e1, e2), n, atol=1e-12)
    v, f = spot.vertices, spot.faces
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    assert ((fn[:, None, :] * n[f]).sum(-1) > 0).mean() > 0.99  # right-hand rule
    # the reference edge (theta = 0) lies along e1
    j, i = g["edge_index"]
    zero = np.abs(g["edge_log"][:, 1]) < 1e-12
    assert np.bincount(i[zero], minlength=spot.n_vertices).min() == 1
    d = g["pos"][j[zero]] - g["pos"][i[zero]]
    d -= n[i[zero]] * (d * n[i[zero]]).sum(1, keepdims=True)
    np.testing.assert_allclose(
        d / np.linalg.norm(d, axis=1, keepdims=True), e1[i[zero]], atol=1e-12
    )


def test_icosphere_normals_point_outwards():
    m = shapes.icosphere(3)
    g = gauge_graph(m, dtype=torch.float64)
    assert torch.allclose(g.normal, g.pos, atol=1e-2)


def test_intrinsic_mesh_has_no_extrinsic_fields():
    m = shapes.mobius_strip(20, 5, flat=True)
    g = gauge_graph(m)
    assert getattr(g, "pos", None) is None and getattr(g, "frame", None) is None
    check_gauge_graph(g)
    with pytest.raises(ValueError, match="projected angles need vertex positions"):
        gauge_graph(m, angles="projected")


def test_check_gauge_graph_names_missing_fields(bunny):
    g = gauge_graph(bunny)
    del g.edge_transport
    with pytest.raises(ValueError, match="edge_transport"):
        check_gauge_graph(g)
    g = gauge_graph(bunny)
    g.edge_log = g.edge_log[:-1]
    with pytest.raises(ValueError, match="edge_log must have shape"):
        check_gauge_graph(g)


def test_batching_with_pyg(spot, bunny):
    graphs = [gauge_graph(spot), gauge_graph(bunny), gauge_graph(shapes.icosphere(1))]
    batch = Batch.from_data_list(graphs)
    assert batch.num_nodes == sum(g.num_nodes for g in graphs)
    assert batch.edge_index.shape[1] == sum(g.edge_index.shape[1] for g in graphs)
    assert batch.frame.shape == (batch.num_nodes, 2, 3)
    second = batch.get_example(1)
    assert torch.equal(second.edge_index, graphs[1].edge_index)
    loader = DataLoader(graphs, batch_size=2)
    sizes = [b.num_graphs for b in loader]
    assert sizes == [2, 1]


def _regauged(mesh, seed):
    """The same surface with faces permuted and each face's corners rotated: new reference edges."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(mesh.n_faces)
    roll = rng.integers(0, 3, mesh.n_faces)
    idx = (np.arange(3)[None, :] + roll[:, None]) % 3
    faces = np.take_along_axis(mesh.faces[perm], idx, axis=1)
    lengths = np.take_along_axis(mesh.edge_lengths[perm], idx, axis=1)
    if mesh.is_embedded:
        return Mesh(mesh.vertices, faces)
    return Mesh.from_intrinsic(faces, lengths)


@pytest.mark.parametrize(
    "make",
    [
        lambda: shapes.icosphere(2),
        lambda: shapes.mobius_strip(24, 5),
        lambda: shapes.mobius_strip(24, 5, flat=True),
        lambda: shapes.cone(),
    ],
)
def test_regauging_follows_the_gauge_law(make):
    """Recomputing the geometry in another gauge relates the two graphs by the gauge law of docs/design.md."""
    mesh = make()
    g0 = gauge_graph(mesh, dtype=torch.float64)
    g1 = gauge_graph(_regauged(mesh, 1), dtype=torch.float64)
    assert torch.equal(g0.edge_index, g1.edge_index)
    j, i = g0.edge_index
    th0, th1 = g0.edge_log[:, 1], g1.edge_log[:, 1]
    n = mesh.n_vertices
    # per vertex: theta1 = s_v theta0 - alpha_v with s_v = -1 where the local orientation flipped;
    # read s_v and alpha_v off the first two edges into v, then verify the law on everything
    first = torch.as_tensor(np.searchsorted(i.numpy(), np.arange(n)))
    # a second edge per vertex whose direction is far from +-the first (the sign is unambiguous)
    spread = np.abs(np.sin((th0 - th0[first][i]).numpy()))
    order = np.lexsort((-spread, i.numpy()))
    second = torch.as_tensor(order[np.searchsorted(i.numpy()[order], np.arange(n))])
    assert spread[second.numpy()].min() > 0.3
    d0 = wrap_angle((th0[second] - th0[first]).numpy())
    d1 = wrap_angle((th1[second] - th1[first]).numpy())
    flip = torch.as_tensor(np.abs(wrap_angle(d0 + d1)) < np.abs(wrap_angle(d0 - d1)))
    s = torch.where(flip, -1.0, 1.0).double()
    alpha = torch.as_tensor(wrap_angle((s * th0[first] - th1[first]).numpy()))
    if mesh.is_orientable:
        assert not flip.any()
    else:
        assert flip.any()  # the Möbius strip needs local orientation choices
    expected = transform_graph(g0, alpha, flip)
    assert torch.equal(expected.edge_reflect, g1.edge_reflect)
    assert wrap_angle((expected.edge_log[:, 1] - th1).numpy()).__abs__().max() < 1e-10
    assert wrap_angle((expected.edge_transport - g1.edge_transport).numpy()).__abs__().max() < 1e-10
    if mesh.is_embedded:
        # frames are extrinsic (e1 = projected reference edge) while alpha is an intrinsic angle:
        # they agree up to the projected-vs-intrinsic angle discrepancy (at interior vertices;
        # boundary vertices rescale their angle sum to pi), not exactly
        inner = torch.as_tensor(~mesh.boundary_vertex_mask)
        assert (expected.frame - g1.frame)[inner].abs().max() < 0.05


def test_negative_control_wrong_law_is_detected():
    """Transforming with the wrong sign of alpha_j must be caught by the same comparison."""
    mesh = shapes.icosphere(2)
    g0 = gauge_graph(mesh, dtype=torch.float64)
    alpha = torch.rand(mesh.n_vertices, dtype=torch.float64) * 6
    good = transform_graph(g0, alpha)
    j, i = g0.edge_index
    wrong = wrap_angle((g0.edge_transport - alpha[j] - alpha[i]).numpy())
    assert np.abs(wrap_angle(wrong - good.edge_transport.numpy())).max() > 0.1


def test_projected_variant_close_but_not_equal(bunny):
    gi = numpy_graph(gauge_graph(bunny, dtype=torch.float64))
    gp = numpy_graph(gauge_graph(bunny, dtype=torch.float64, angles="projected"))
    d = np.abs(wrap_angle(gi["edge_log"][:, 1] - gp["edge_log"][:, 1]))
    assert (
        1e-3 < d.max() < 1.0
    )  # projected vs intrinsic angles: up to ~0.57 rad measured on this mesh
    j, i = gi["edge_index"]
    rev = edge_lookup(gi["edge_index"], bunny.n_vertices, i, j)
    # the projected transport is a rotation too: opposite edges are inverse
    assert np.abs(wrap_angle(gp["edge_transport"] + gp["edge_transport"][rev])).max() < 1e-9


def test_graph_cache_hit_miss_and_corruption(tmp_path, bunny, monkeypatch):
    import gaugeconv.geometry.pipeline as pipeline

    calls = []
    real = pipeline.vertex_fans
    monkeypatch.setattr(pipeline, "vertex_fans", lambda m: calls.append(1) or real(m))
    g1 = gauge_graph(bunny, cache_dir=tmp_path)
    g2 = gauge_graph(bunny, cache_dir=tmp_path)
    assert len(calls) == 1  # hit
    assert torch.equal(g1.edge_transport, g2.edge_transport)
    gauge_graph(bunny, cache_dir=tmp_path, k=2)
    assert len(calls) == 2  # other options: miss
    gauge_graph(shapes.icosphere(1), cache_dir=tmp_path)
    assert len(calls) == 3  # other mesh: miss
    entries = sorted(tmp_path.glob("*.npz"))
    assert len(entries) == 3
    for entry in entries:
        entry.write_bytes(b"corrupt")
    with pytest.warns(UserWarning, match="rebuilding"):
        g3 = gauge_graph(bunny, cache_dir=tmp_path)
    assert len(calls) == 4 and torch.equal(g3.edge_transport, g1.edge_transport)
    assert len(calls) == 4 and gauge_graph(bunny, cache_dir=tmp_path) is not None
    assert len(calls) == 4  # the rebuilt entry is used again
    # a stale geometry version gets a new key: recomputed, never trusted
    monkeypatch.setattr(pipeline, "GEOMETRY_VERSION", "stale-test")
    gauge_graph(bunny, cache_dir=tmp_path)
    assert len(calls) == 5


def test_cache_entry_with_wrong_key_is_rebuilt(tmp_path, bunny):
    from gaugeconv.geometry.cache import atomic_savez

    gauge_graph(bunny, cache_dir=tmp_path)
    (entry,) = tmp_path.glob("*.npz")
    with np.load(entry) as data:
        arrays = dict(data)
    arrays["edge_transport"] = arrays["edge_transport"] + 1.0
    arrays["__key__"] = np.array("some other key")
    atomic_savez(entry, arrays)
    with pytest.warns(UserWarning, match="rebuilding"):
        g = gauge_graph(bunny, cache_dir=tmp_path, dtype=torch.float64)
    ref = gauge_graph(bunny, dtype=torch.float64)
    assert torch.equal(g.edge_transport, ref.edge_transport)
