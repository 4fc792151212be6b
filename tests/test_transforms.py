"""gaugeconv.transforms and PyG integration: gauge graphs from PyG Data, PyG's own data sets with
``pre_transform=GaugeGraph()`` (miniature files, no download), gauge-aware augmentations, the
embedding checks of check_gauge_graph, hierarchies in one batchable Data, GraphDataset as a PyG
data set."""

import warnings

import numpy as np
import pytest
import torch
import torch_geometric.transforms as T
from torch_geometric.data import Batch, Data
from torch_geometric.loader import DataLoader

from gaugeconv import Mesh, check_gauge_graph, gauge_graph, mesh_hierarchy, shapes
from gaugeconv import transforms as GT
from gaugeconv.data import GraphDataset, SyntheticShapes
from gaugeconv.embedding import embedding_misalignment
from gaugeconv.features import invariant_features
from gaugeconv.nn import MeshPool

FIELDS = ("pos", "normal", "frame", "edge_index", "edge_log", "edge_transport", "edge_reflect")


def as_data(mesh, **extra):
    return Data(
        pos=torch.as_tensor(mesh.vertices), face=torch.as_tensor(mesh.faces.T).long(), **extra
    )


def assert_same_graph(a, b, atol=0.0):
    """Equal fields; with ``atol``, floats to ``atol`` and angles modulo 2 pi."""
    for f in FIELDS:
        if atol == 0 or not a[f].is_floating_point():
            assert torch.equal(a[f], b[f]), f
        elif f in ("edge_log", "edge_transport"):
            angle = lambda t: t[:, 1] if t.dim() == 2 else t  # noqa: E731
            diff = torch.remainder(angle(a[f]) - angle(b[f]) + torch.pi, 2 * torch.pi) - torch.pi
            assert diff.abs().max() < atol, f
            if f == "edge_log":
                torch.testing.assert_close(a[f][:, 0], b[f][:, 0], atol=atol, rtol=0)
        else:
            torch.testing.assert_close(a[f], b[f], atol=atol, rtol=0)


def test_gauge_graph_of_pyg_data_equals_that_of_the_mesh(spot):
    data = as_data(spot, y=torch.arange(spot.n_vertices), label=torch.tensor([3]))
    g = gauge_graph(data, dtype=torch.float64)
    assert_same_graph(g, gauge_graph(spot, dtype=torch.float64))
    assert torch.equal(g.y, data.y) and torch.equal(g.label, data.label)
    assert torch.equal(g.face, data.face) and g.num_nodes == spot.n_vertices
    assert torch.equal(GT.GaugeGraph(dtype=torch.float64)(data).edge_log, g.edge_log)
    assert "y" in data and "edge_log" not in data  # the input is untouched


def test_gauge_graph_of_pyg_data_follows_repairs_and_drops_edge_attributes():
    mesh = shapes.icosphere(1)
    pos = torch.cat([torch.as_tensor(mesh.vertices), torch.tensor([[5.0, 5.0, 5.0]])])
    pos = pos[torch.tensor([42, *range(42)])]  # unreferenced vertex first
    face = torch.as_tensor(mesh.faces.T) + 1
    data = Data(pos=pos, face=face, y=torch.arange(43))
    data = T.FaceToEdge(remove_faces=False)(data)
    data.edge_attr = torch.ones(data.edge_index.shape[1], 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = gauge_graph(data, dtype=torch.float64)
    messages = " ".join(str(w.message) for w in caught)
    assert "unreferenced" in messages or "dropp" in messages
    assert "edge_attr" in messages and "edge_attr" not in g
    assert g.num_nodes == 42 and torch.equal(g.y, torch.arange(1, 43))  # labels follow
    assert_same_graph(g, gauge_graph(mesh, dtype=torch.float64))


def test_gauge_graph_input_errors():
    with pytest.raises(ValueError, match="no 'face'"):
        gauge_graph(Data(pos=torch.randn(10, 3)))
    with pytest.raises(ValueError, match=r"\(3, F\)"):
        gauge_graph(Data(pos=torch.randn(10, 3), face=torch.zeros(4, 3, dtype=torch.long)))
    with pytest.raises(ValueError, match="out of range"):
        gauge_graph(Data(pos=torch.randn(3, 3), face=torch.tensor([[0], [1], [7]])))
    with pytest.raises(ValueError, match="Mesh or a torch_geometric"):
        gauge_graph(np.zeros((3, 3)))


def rotation_of(moved, original):
    """The rotation that took ``original``'s frames to ``moved``'s (least squares)."""
    a = original.frame.double().reshape(-1, 3)
    b = moved.frame.double().reshape(-1, 3)
    u, _, vh = torch.linalg.svd(b.T @ a)
    return u @ vh


def write_off(path, mesh):
    lines = ["OFF", f"{mesh.n_vertices} {mesh.n_faces} 0"]
    lines += [" ".join(repr(float(c)) for c in v) for v in mesh.vertices]
    lines += ["3 " + " ".join(str(int(i)) for i in f) for f in mesh.faces]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def test_pyg_modelnet_with_gauge_pre_transform(tmp_path):
    """PyG's own ModelNet data set, on miniature .off files (no download), pre-transformed."""
    from torch_geometric.datasets import ModelNet

    categories = [
        "bathtub", "bed", "chair", "desk", "dresser",
        "monitor", "night_stand", "sofa", "table", "toilet",
    ]  # fmt: skip
    meshes = {}
    for k, cat in enumerate(categories):
        for split in ("train", "test"):
            mesh = shapes.icosphere(1) if k % 2 else shapes.torus(8, 6)
            mesh = Mesh(mesh.vertices * (1 + k / 10), mesh.faces)
            meshes[(cat, split)] = mesh
            write_off(tmp_path / "raw" / cat / split / f"{cat}_0001.off", mesh)
    pre = T.Compose([GT.GaugeGraph(dtype=torch.float64), GT.InvariantFeatures()])
    ds = ModelNet(str(tmp_path), "10", train=True, pre_transform=pre, transform=GT.RandomRotate3d())
    assert len(ds) == 10
    for k, cat in enumerate(categories):
        g = ds[k]
        assert int(g.y) == k
        ref = gauge_graph(meshes[(cat, "train")], dtype=torch.float64)
        # geometry is that of the mesh (PyG reads positions as float32, so to its rounding)
        for f in ("edge_index", "edge_reflect"):
            assert torch.equal(g[f], ref[f])
        assert_same_graph(g, GT.Rotate3d(rotation_of(g, ref))(ref), atol=1e-5)
        check_gauge_graph(g)  # randomly rotated on access, and still consistent
        torch.testing.assert_close(invariant_features(g), g.x, atol=1e-9, rtol=0)
    # without the random rotation: exactly gauge_graph of what PyG read from each file
    from torch_geometric.io import read_off

    ds.transform = None
    for k, cat in enumerate(categories):
        ref = gauge_graph(
            read_off(str(tmp_path / "raw" / cat / "train" / f"{cat}_0001.off")), dtype=torch.float64
        )
        assert_same_graph(ds[k], ref)
    ds.transform = GT.RandomRotate3d()
    loader = DataLoader(ds, batch_size=4)
    batch = next(iter(loader))
    check_gauge_graph(batch)
    assert batch.num_graphs == 4


def rotation(seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    return torch.as_tensor(q * np.sign(np.linalg.det(q)))


@pytest.mark.parametrize("name", ["spot", "mobius"])
def test_rotate3d_equals_rebuilding_the_rotated_mesh(name, request):
    mesh = request.getfixturevalue("spot") if name == "spot" else shapes.mobius_strip(30, 7)
    g = gauge_graph(mesh, dtype=torch.float64)
    r = rotation(3)
    moved = GT.Rotate3d(r)(g)
    rebuilt = gauge_graph(mesh.rotated(r.numpy()), dtype=torch.float64)
    assert_same_graph(moved, rebuilt, atol=1e-9)
    for f in ("edge_log", "edge_transport", "edge_reflect", "edge_index"):
        assert torch.equal(moved[f], g[f])  # intrinsic fields untouched
    torch.testing.assert_close(invariant_features(moved), invariant_features(g), atol=1e-12, rtol=0)
    check_gauge_graph(moved)


def test_random_rotate3d_keeps_invariant_features_and_pyg_rotate_breaks_them(spot):
    g = gauge_graph(spot, dtype=torch.float64)
    x = invariant_features(g)
    torch.manual_seed(0)
    for axis in (None, 0, 2):
        moved = GT.RandomRotate3d(axis=axis)(g)
        torch.testing.assert_close(invariant_features(moved), x, atol=1e-12, rtol=0)
        check_gauge_graph(moved)
    # PyG's RandomRotate moves pos alone: features change and the check refuses the graph
    for degrees, axis in ((180, 0), (15, 1), (180, 2)):
        torch.manual_seed(1)
        bad = T.RandomRotate(degrees, axis=axis)(g.clone())
        assert (invariant_features(bad) - x).abs().max() > 1e-3
        with pytest.raises(ValueError, match=r"pos does not agree with normal/frame.*vertices"):
            check_gauge_graph(bad)
        with pytest.raises(ValueError, match="pos does not agree"):
            GT.InvariantFeatures()(bad)
    with pytest.raises(ValueError, match="pos does not agree"):
        check_gauge_graph(T.RandomFlip(0, p=1.0)(g.clone()))


def test_scale_moves_pos_and_radii_together(spot):
    g = gauge_graph(spot, dtype=torch.float64)
    big = GT.Scale(3.0)(g)
    rebuilt = gauge_graph(Mesh(spot.vertices * 3, spot.faces), dtype=torch.float64)
    assert_same_graph(big, rebuilt, atol=1e-9)
    check_gauge_graph(big)
    torch.manual_seed(0)
    s = GT.RandomScale((0.5, 2.0))(g)
    ratio = s.edge_log[:, 0] / g.edge_log[:, 0]
    torch.testing.assert_close(ratio, torch.full_like(ratio, float(ratio[0])))
    assert torch.equal(s.frame, g.frame) and torch.equal(s.edge_log[:, 1], g.edge_log[:, 1])
    # a transform scaling pos alone is refused
    bad = g.clone()
    bad.pos = bad.pos * 3
    with pytest.raises(ValueError, match="pos does not agree with edge_log"):
        check_gauge_graph(bad)
    with pytest.raises(ValueError, match="positive"):
        GT.Scale(0.0)
    with pytest.raises(ValueError, match="determinant"):
        GT.Rotate3d(torch.diag(torch.tensor([1.0, 1.0, -1.0])))
    with pytest.raises(ValueError, match="orthogonal"):
        GT.Rotate3d(torch.eye(3) * 2)


def test_random_rotation_is_a_seeded_rotation():
    torch.manual_seed(5)
    a = GT.random_rotation()
    torch.manual_seed(5)
    assert torch.equal(a, GT.random_rotation())
    for r in (a, GT.random_rotation(30), GT.random_rotation(90, axis=1)):
        torch.testing.assert_close(r @ r.T, torch.eye(3, dtype=r.dtype), atol=1e-12, rtol=0)
        assert abs(float(torch.linalg.det(r)) - 1) < 1e-12
    about_y = GT.random_rotation(90, axis=1)
    assert torch.equal(about_y[1], torch.tensor([0.0, 1.0, 0.0], dtype=about_y.dtype))
    angle = torch.arccos((torch.trace(GT.random_rotation(30)) - 1) / 2)
    assert float(angle) <= np.radians(30) + 1e-9


def test_check_gauge_graph_accepts_every_kind_of_graph(spot, bunny):
    from gaugeconv.ico.connection import hex_gauge_graph

    graphs = [hex_gauge_graph(2)]
    for mesh in (spot, bunny, shapes.mobius_strip(30, 7), shapes.cone(), shapes.plane()):
        graphs += [
            gauge_graph(mesh),
            gauge_graph(mesh, k=3, dtype=torch.float64),
            gauge_graph(mesh, radius=3 * mesh.mean_edge_length()),
            gauge_graph(mesh, angles="projected"),
        ]
        graphs += mesh_hierarchy(mesh, 3)[1:]
    worst = 0.0
    for g in graphs:
        check_gauge_graph(g)
        m = embedding_misalignment(g)
        worst = max(worst, float((m["angle"] / m["threshold"]).max()))
    assert worst < 0.8  # documented: at most 0.7
    check_gauge_graph(Batch.from_data_list(graphs[1:4]))


def test_check_gauge_graph_names_broken_frames_and_batch_members(bunny):
    g = gauge_graph(bunny, dtype=torch.float64)
    bad = g.clone()
    bad.normal = bad.normal.clone()
    bad.normal[[5, 17]] = -bad.normal[[5, 17]]
    with pytest.raises(ValueError, match=r"e1 x e2 = normal.*vertices 5, 17"):
        check_gauge_graph(bad)
    bad = g.clone()
    bad.frame = bad.frame * 1.01
    with pytest.raises(ValueError, match="orthonormal"):
        check_gauge_graph(bad)
    bad = g.clone()
    bad.pos = bad.pos.clone()
    bad.pos[3, 0] = float("nan")
    with pytest.raises(ValueError, match="non-finite pos at vertices 3"):
        check_gauge_graph(bad)
    turned = T.RandomRotate((40, 40), axis=0)(g.clone())
    batch = Batch.from_data_list([g, g, turned])
    with pytest.raises(ValueError, match="in graph 2 of the batch"):
        check_gauge_graph(batch)
    # in-place changes after a passing check are seen (the memo is keyed by tensor versions)
    ok = g.clone()
    check_gauge_graph(ok)
    ok.pos.mul_(3)
    with pytest.raises(ValueError, match="edge_log"):
        check_gauge_graph(ok)


def test_mesh_hierarchy_transform_batches_and_pools(spot):
    ico = shapes.icosphere(3)
    packed = [GT.MeshHierarchy(2, dtype=torch.float64)(as_data(m)) for m in (spot, ico)]
    for p, m in zip(packed, (spot, ico)):
        levels = GT.hierarchy_levels(p)
        ref = mesh_hierarchy(m, 2, dtype=torch.float64)
        assert len(levels) == 3
        for a, b in zip(levels, ref):
            assert a.num_nodes == b.num_nodes
            for f in ("edge_index", "edge_log", "edge_transport", "edge_reflect"):
                assert torch.equal(a[f], b[f])
        for f in ("pool_index", "pool_transport", "vertex_index"):
            assert torch.equal(levels[2][f], ref[2][f])
    batch = Batch.from_data_list(packed)
    levels = GT.hierarchy_levels(batch)
    x = torch.randn(batch.num_nodes, 2, 3, dtype=torch.float64)
    pooled = MeshPool()(MeshPool()(x, levels[1]), levels[2])
    n0 = spot.n_vertices
    separate = [
        MeshPool()(MeshPool()(xs, lv[1]), lv[2])
        for xs, lv in (
            (x[:n0], GT.hierarchy_levels(packed[0])),
            (x[n0:], GT.hierarchy_levels(packed[1])),
        )
    ]
    torch.testing.assert_close(pooled, torch.cat(separate))
    assert torch.equal(
        levels[2].batch,
        torch.repeat_interleave(torch.arange(2), torch.tensor([s.shape[0] for s in separate])),
    )
    # augmentation moves every level; every level stays consistent
    turned = GT.RandomRotate3d()(batch)
    for level in GT.hierarchy_levels(turned):
        check_gauge_graph(level)
    with pytest.raises(ValueError, match="MeshHierarchy"):
        GT.hierarchy_levels(gauge_graph(ico))


def test_graph_dataset_is_a_pyg_dataset_with_its_old_api():
    from torch_geometric.data import Dataset

    ds = SyntheticShapes("train", 3)
    assert isinstance(ds, Dataset)
    assert len(ds) == 3 and isinstance(ds[0], Data) and isinstance(ds[0:2], list)
    assert len(ds.graphs) == 3 and ds.name == "synthetic_spot/train" and ds.info["mesh"] == "spot"
    assert ds[-1] is ds.graphs[-1]
    subset = ds[[2, 0]]
    assert len(subset) == 2 and subset[0] is ds.graphs[2] and subset.graphs == [ds[2], ds[0]]
    assert len(ds.shuffle()) == 3
    assert ds.num_classes == 8  # inferred from y as PyG does
    ds.num_classes = 9
    assert ds.num_classes == 9
    ds.transform = T.Compose([GT.RandomRotate3d(), GT.InvariantFeatures()])
    g = ds[1]
    assert g.x.shape == (g.num_nodes, 3, 3) and "x" not in ds.graphs[1]
    assert not torch.equal(g.pos, ds.graphs[1].pos)
    batch = next(iter(DataLoader(ds, batch_size=3)))
    assert batch.x.shape[0] == batch.num_nodes
    pre = GraphDataset(
        ds.graphs,
        name="pre",
        pre_transform=GT.InvariantFeatures(),
        pre_filter=lambda g: g.num_nodes > 0,
    )
    assert "x" in pre.graphs[0] and len(pre) == 3
    assert repr(pre) == "GraphDataset('pre', 3 graphs)"
