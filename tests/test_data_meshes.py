"""Mesh data-set loaders on miniature files in the real formats: FAUST PLY, Maron OFF + face labels,
MeshCNN OBJ + edge labels. Labels must arrive on the right vertices; malformed files must fail loudly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch_geometric.loader import DataLoader

from gaugeconv import shapes
from gaugeconv.data import FAUST, MaronHumanSeg, MeshCNNHumanSeg, maron_file_pairs
from gaugeconv.data.labels import meshcnn_edges, meshcnn_faces, vote_vertex_labels
from gaugeconv.data.mesh_files import read_label_file, read_obj, read_off

# ----------------------------------------------------------------------------- writers


def write_ply(path: Path, v: np.ndarray, f: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "ply",
        "format ascii 1.0",
        f"element vertex {len(v)}",
        "property float x",
        "property float y",
        "property float z",
        f"element face {len(f)}",
        "property list uchar int vertex_indices",
        "end_header",
    ]
    lines += [" ".join(f"{c:.9g}" for c in p) for p in v]
    lines += ["3 " + " ".join(str(i) for i in t) for t in f]
    path.write_text("\n".join(lines) + "\n")


def write_off(path: Path, v: np.ndarray, f: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["OFF", f"{len(v)} {len(f)} 0"]
    lines += [" ".join(f"{c:.9g}" for c in p) for p in v]
    lines += ["3 " + " ".join(str(i) for i in t) for t in f]
    path.write_text("\n".join(lines) + "\n")


def write_obj(path: Path, v: np.ndarray, f: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# test mesh"] + [f"v {p[0]:.9g} {p[1]:.9g} {p[2]:.9g}" for p in v]
    lines += ["f " + " ".join(f"{i + 1}/{i + 1}" for i in t) for t in f]  # OBJ is 1-based
    path.write_text("\n".join(lines) + "\n")


def write_lines(path: Path, values) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{x}\n" for x in values))


def octant_face_labels(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Labels 1..8 by the octant of each face centroid."""
    c = v[f].mean(axis=1)
    return 1 + (c[:, 0] > 0) + 2 * (c[:, 1] > 0) + 4 * (c[:, 2] > 0)


def brute_force_vote(elements, labels, n) -> np.ndarray:
    out = np.full(n, -1)
    for vtx in range(n):
        inc = [lab for el, lab in zip(elements.tolist(), labels.tolist()) if vtx in el]
        if inc:
            counts = np.bincount(inc)
            out[vtx] = int(np.argmax(counts))  # smallest label on ties
    return out


@pytest.fixture(scope="module")
def ico1():
    m = shapes.icosphere(1)
    return m.vertices, m.faces


# ----------------------------------------------------------------------------- readers


def test_readers_keep_file_order_and_report_lines(tmp_path, ico1):
    v, f = ico1
    write_off(tmp_path / "a.off", v, f)
    v2, f2 = read_off(tmp_path / "a.off")
    assert np.allclose(v2, v) and (f2 == f).all()
    write_obj(tmp_path / "a.obj", v, f)
    v3, f3 = read_obj(tmp_path / "a.obj")
    assert np.allclose(v3, v) and (f3 == f).all()

    (tmp_path / "quad.off").write_text("OFF\n4 1 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n4 0 1 2 3\n")
    with pytest.raises(ValueError, match=r"line 7: face 0 is not a triangle"):
        read_off(tmp_path / "quad.off")
    (tmp_path / "idx.off").write_text("OFF\n3 1 0\n0 0 0\n1 0 0\n1 1 0\n3 0 1 5\n")
    with pytest.raises(ValueError, match=r"line 6: face 0 has vertex index out of range"):
        read_off(tmp_path / "idx.off")
    (tmp_path / "short.off").write_text("OFF\n3 2 0\n0 0 0\n1 0 0\n1 1 0\n3 0 1 2\n")
    with pytest.raises(ValueError, match="announces 3 vertices and 2 faces"):
        read_off(tmp_path / "short.off")
    (tmp_path / "bad.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n")
    with pytest.raises(ValueError, match=r"line 4: face 0 refers to a vertex"):
        read_obj(tmp_path / "bad.obj")
    with pytest.raises(FileNotFoundError, match="OFF mesh not found"):
        read_off(tmp_path / "missing.off")
    write_lines(tmp_path / "l.txt", [1, 2, 3.5])
    with pytest.raises(ValueError, match=r"l.txt, line 3: expected one integer label"):
        read_label_file(tmp_path / "l.txt")
    write_lines(tmp_path / "l.txt", [1, 2, 3])
    with pytest.raises(ValueError, match=r"has 3 faces, expected 4"):
        read_label_file(tmp_path / "l.txt", count=4, what="faces")


def test_vote_matches_brute_force(ico1):
    v, f = ico1
    labels = octant_face_labels(v, f) - 1
    assert (vote_vertex_labels(f, labels, len(v), 8) == brute_force_vote(f, labels, len(v))).all()


# ----------------------------------------------------------------------------- FAUST


def make_faust(root: Path, n: int = 100, nested: bool = True, skip: int | None = None) -> Path:
    folder = root / "MPI-FAUST" / "training" / "registrations" if nested else root
    m = shapes.icosphere(0)
    rng = np.random.default_rng(0)
    for i in range(n):
        if i == skip:
            continue
        write_ply(folder / f"tr_reg_{i:03d}.ply", m.vertices * rng.uniform(0.8, 1.2, 3), m.faces)
    return root


def test_faust_split_and_correspondence(tmp_path):
    root = make_faust(tmp_path)
    train = FAUST(root, "train", n_vertices=None, progress=False)
    test = FAUST(root, "test", n_vertices=None, progress=False, cache_dir=tmp_path / "cache")
    assert len(train) == 80 and len(test) == 20
    assert [g.registration for g in test] == list(range(80, 100))
    g = train[0]
    assert torch.equal(g.y_corr, torch.arange(12)) and torch.equal(g.y, g.y_corr)
    assert g.face.shape == (3, 20) and g.edge_index.shape == (2, 60)
    batch = next(iter(DataLoader(train, batch_size=4)))
    assert batch.num_graphs == 4 and batch.face.max() == 4 * 12 - 1
    flat = make_faust(tmp_path / "flat", n=100, nested=False)
    assert len(FAUST(flat, "all", n_vertices=None, progress=False)) == 100


def test_faust_errors(tmp_path):
    root = make_faust(tmp_path, skip=85)
    assert len(FAUST(root, "train", n_vertices=None, progress=False)) == 80
    with pytest.raises(FileNotFoundError, match="missing .*tr_reg_085.ply"):
        FAUST(root, "test", n_vertices=None, progress=False)
    with pytest.raises(
        ValueError, match="has 12 vertices, but registrations share the template's 6890"
    ):
        FAUST(root, "train", progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no FAUST registrations"):
        FAUST(tmp_path / "empty", "train", progress=False)
    with pytest.raises(ValueError, match="split must be"):
        FAUST(root, "val")


# ----------------------------------------------------------------------------- Maron et al.


def make_maron(root: Path, v, f) -> dict[str, np.ndarray]:
    """A miniature human_benchmark_sig_17 layout; returns the face labels by label file name."""
    rng = np.random.default_rng(1)
    lab = octant_face_labels(v, f)
    m, s = root / "meshes", root / "segs"
    files = {
        m / "train/adobe/man1.off": s / "train/adobe/man1.txt",
        m / "train/adobe/woman2.off": s / "train/adobe/woman2.txt",
        m / "train/faust/tr_reg_000.off": s / "train/faust/faust_corrected.txt",
        m / "train/faust/tr_reg_001.off": s / "train/faust/faust_corrected.txt",
        m / "train/MIT_animation/meshes_crane/meshes/mesh_0000.off": s
        / "train/mit/mit_crane_corrected.txt",
        m / "train/scape/mesh000.off": s / "train/scape/scape_corrected.txt",
        m / "test/shrec/1.off": s / "test/shrec/shrec_1_full.txt",
        m / "test/shrec/12_fix_orientation.off": s / "test/shrec/shrec_12_full.txt",
    }
    labels = {}
    for off, txt in files.items():
        write_off(off, v * rng.uniform(0.9, 1.1), f)
        labels.setdefault(
            txt.name, np.roll(lab, len(labels)) if txt.parent.name == "adobe" else lab
        )
        write_lines(txt, labels[txt.name])
    return labels


def test_maron_layout_labels_and_split(tmp_path, ico1):
    v, f = ico1
    labels = make_maron(tmp_path / "human_benchmark_sig_17", v, f)
    pairs = maron_file_pairs(tmp_path, "train")  # found one level below
    assert [p.name for p, _ in pairs] == [
        "man1.off", "woman2.off", "tr_reg_000.off", "tr_reg_001.off", "mesh_0000.off", "mesh000.off"
    ]  # fmt: skip
    test_pairs = maron_file_pairs(tmp_path, "test")
    assert [(p.name, t.name) for p, t in test_pairs] == [
        ("1.off", "shrec_1_full.txt"), ("12_fix_orientation.off", "shrec_12_full.txt")
    ]  # fmt: skip
    train = MaronHumanSeg(tmp_path, "train", progress=False)
    assert len(train) == 6 and train.n_classes == 8
    for g, (_, txt) in zip(train, pairs):
        face_lab = labels[txt.name] - 1
        assert torch.equal(g.y_face, torch.as_tensor(face_lab))
        expect = brute_force_vote(f, face_lab, len(v))
        assert torch.equal(g.y, torch.as_tensor(expect)[g.vertex_origin])
        assert g.y.min() >= 0 and g.y.max() <= 7
    # vertices well inside an octant carry that octant's label
    g = train[2]
    c = torch.as_tensor(v)
    inside = (c.abs() > 0.3).all(1)
    octant = (c[:, 0] > 0).long() + 2 * (c[:, 1] > 0).long() + 4 * (c[:, 2] > 0).long()
    assert torch.equal(g.y[inside], octant[inside])
    assert len(MaronHumanSeg(tmp_path, "test", progress=False, k=2)) == 2


def test_maron_errors(tmp_path, ico1):
    v, f = ico1
    make_maron(tmp_path, v, f)
    txt = tmp_path / "segs/train/scape/scape_corrected.txt"
    write_lines(txt, octant_face_labels(v, f)[:-1])
    with pytest.raises(ValueError, match=r"scape_corrected.txt has 79 face labels, expected 80"):
        MaronHumanSeg(tmp_path, "train", progress=False)
    bad = octant_face_labels(v, f)
    bad[5] = 9
    write_lines(txt, bad)
    with pytest.raises(ValueError, match=r"scape_corrected.txt: face 5 has label 9, outside 1..8"):
        MaronHumanSeg(tmp_path, "train", progress=False)
    txt.unlink()
    with pytest.raises(
        FileNotFoundError, match="face labels file not found: .*scape_corrected.txt"
    ):
        MaronHumanSeg(tmp_path, "train", progress=False)
    with pytest.raises(FileNotFoundError, match="expected folders 'meshes' and 'segs'"):
        MaronHumanSeg(tmp_path / "segs", "train", progress=False)


# ----------------------------------------------------------------------------- MeshCNN


def reference_meshcnn_edges(faces):
    """MeshCNN's remove_non_manifolds + build_gemm edge numbering, written out plainly."""
    seen, kept = set(), []
    for face in faces.tolist():
        directed = [(face[i], face[(i + 1) % 3]) for i in range(3)]
        if any(e in seen for e in directed):
            continue
        seen.update(directed)
        kept.append(face)
    edge2key, edges = {}, []
    for face in kept:
        for i in range(3):
            e = tuple(sorted((face[i], face[(i + 1) % 3])))
            if e not in edge2key:
                edge2key[e] = len(edges)
                edges.append(e)
    return np.array(edges), np.array(kept)


def edge_label_fn(a, b):
    return 1 + (7 * np.minimum(a, b) + 3 * np.maximum(a, b)) % 4


def test_meshcnn_edge_order_matches_reference(ico1):
    v, f = ico1
    rng = np.random.default_rng(3)
    faces = f[rng.permutation(len(f))]
    faces = np.roll(faces, 1, axis=1)  # another starting corner: another edge order
    ref, _ = reference_meshcnn_edges(faces)
    assert (meshcnn_edges(faces) == ref).all()
    # a face repeating a directed edge of an earlier face is dropped, as MeshCNN does
    extra = np.concatenate([faces[:3], [[faces[0, 0], faces[0, 1], len(v)]], faces[3:]])
    keep = meshcnn_faces(extra)
    assert keep.sum() == len(faces) and not keep[3]
    ref2, kept = reference_meshcnn_edges(extra)
    assert (meshcnn_edges(extra[keep]) == ref2).all() and (extra[keep] == kept).all()


def make_meshcnn(root: Path, v, f, soft: bool = True) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    out = {}
    for split, names in (("train", ["shrec__1", "shrec__2", "shrec__3"]), ("test", ["shrec__9"])):
        for name in names:
            faces = f[rng.permutation(len(f))]
            write_obj(root / split / f"{name}.obj", v * rng.uniform(0.9, 1.1), faces)
            edges, _ = reference_meshcnn_edges(faces)
            lab = edge_label_fn(edges[:, 0], edges[:, 1])
            write_lines(root / "seg" / f"{name}.eseg", lab)
            if soft:
                rows = np.eye(4)[lab - 1] * 0.5 + 0.5 / 4
                (root / "sseg").mkdir(exist_ok=True)
                np.savetxt(root / "sseg" / f"{name}.seseg", rows, fmt="%.6f")
            out[name] = faces
    write_lines(root / "classes.txt", [1, 2, 3, 4])
    return out


def test_meshcnn_labels_land_on_their_edges(tmp_path, ico1):
    v, f = ico1
    faces_by_name = make_meshcnn(tmp_path, v, f)
    train = MeshCNNHumanSeg(tmp_path, "train", progress=False)
    assert len(train) == 3 and train.n_classes == 4
    assert len(MeshCNNHumanSeg(tmp_path, "test", progress=False)) == 1
    for g in train:
        faces = faces_by_name[g.name]
        origin = g.vertex_origin.numpy()
        a, b = origin[g.label_edge_index.numpy()]
        assert torch.equal(g.y_edge, torch.as_tensor(edge_label_fn(a, b) - 1))
        edges, _ = reference_meshcnn_edges(faces)
        expect = brute_force_vote(edges, edge_label_fn(edges[:, 0], edges[:, 1]) - 1, len(v))
        assert torch.equal(g.y, torch.as_tensor(expect)[g.vertex_origin])
        assert g.y_soft.shape == (len(v), 4)
        assert torch.allclose(g.y_soft.sum(1), torch.ones(len(v)), atol=1e-5)
    batch = next(iter(DataLoader(train, batch_size=3)))
    assert batch.label_edge_index.max() == batch.num_nodes - 1


def test_meshcnn_errors(tmp_path, ico1):
    v, f = ico1
    make_meshcnn(tmp_path, v, f, soft=False)
    eseg = tmp_path / "seg" / "shrec__2.eseg"
    lines = eseg.read_text().splitlines()
    eseg.write_text("\n".join(lines[:-2]) + "\n")
    with pytest.raises(ValueError, match=r"shrec__2.eseg has 118 edge labels, expected 120"):
        MeshCNNHumanSeg(tmp_path, "train", progress=False)
    eseg.write_text("\n".join(lines[:-1] + ["7"]) + "\n")
    with pytest.raises(ValueError, match=r"shrec__2.eseg: edge 119 has label 7, not one of"):
        MeshCNNHumanSeg(tmp_path, "train", progress=False)
    eseg.unlink()
    with pytest.raises(FileNotFoundError, match="edge labels file not found"):
        MeshCNNHumanSeg(tmp_path, "train", progress=False)
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        MeshCNNHumanSeg(tmp_path, "val")
