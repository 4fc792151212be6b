"""Whole-shape data: the procedural families, deformations, remeshing and normalisation (analytic
truths), the synthetic shape classes, and the SHREC'11 and folder-per-class loaders on miniature
files (layouts, labels, splits, errors naming the file)."""

import numpy as np
import pytest
import torch

from gaugeconv import shapes
from gaugeconv.data import (
    SHREC11,
    MeshClassFolders,
    SyntheticShapeClasses,
    normalized,
    read_psb_classes,
    remesh_to,
)
from gaugeconv.data.deform import random_anisotropic_scaling, smooth_random_deformation
from gaugeconv.data.labels import face_labels_from_vertices
from gaugeconv.data.shape_normalization import signed_volume
from gaugeconv.geometry.mesh import Mesh


def test_superellipsoid_and_lobed_sphere_truths():
    sphere = shapes.superellipsoid(3, 2.0)
    assert np.allclose(np.linalg.norm(sphere.vertices, axis=1), 1.0)
    box = shapes.superellipsoid(3, 8.0, radii=(1.0, 2.0, 0.5))
    v = box.vertices / [1.0, 2.0, 0.5]
    assert np.allclose((np.abs(v) ** 8).sum(1), 1.0)
    can = shapes.superellipsoid(3, 2.0, exponent_z=6.0).vertices
    assert np.allclose((can[:, 0] ** 2 + can[:, 1] ** 2) ** 3 + can[:, 2] ** 6, 1.0)
    plain = shapes.lobed_sphere([[0, 0, 1]], 0.0, level=2)
    assert np.allclose(plain.vertices, shapes.icosphere(2).vertices)
    lobed = shapes.lobed_sphere([[0, 0, 1]], 0.7, sharpness=6, level=2)
    r = np.linalg.norm(lobed.vertices, axis=1)
    assert r[0] == pytest.approx(1.7)  # icosphere vertex 0 is the north pole: r = 1 + a
    assert r.min() == pytest.approx(1.0)  # the southern hemisphere is untouched


def _knot_length(n=20000):
    t = 2 * np.pi * np.arange(n + 1) / n
    c = np.stack(
        [(2 + np.cos(3 * t)) * np.cos(2 * t), (2 + np.cos(3 * t)) * np.sin(2 * t), -np.sin(3 * t)],
        1,
    )
    return np.linalg.norm(np.diff(c, axis=0), axis=1).sum()


def test_torus_knot_tube_is_a_closed_tube_of_the_given_radius():
    n_along, n_around, radius = 90, 8, 0.4
    tube = shapes.torus_knot_tube(2, 3, n_along, n_around, radius)
    assert tube.is_closed and tube.genus == 1 and tube.n_components == 1
    # outward normals; volume = cross-section (a regular n-gon) x length (Pappus)
    section = n_around / 2 * radius**2 * np.sin(2 * np.pi / n_around)
    assert signed_volume(tube) == pytest.approx(section * _knot_length(), rel=0.02)
    t = 2 * np.pi * np.arange(n_along) / n_along
    centre = np.stack(
        [(2 + np.cos(3 * t)) * np.cos(2 * t), (2 + np.cos(3 * t)) * np.sin(2 * t), -np.sin(3 * t)],
        1,
    )
    rings = tube.vertices.reshape(n_along, n_around, 3)
    assert np.allclose(np.linalg.norm(rings - centre[:, None], axis=2), radius)
    # the frame closes up without a twist: seam faces are like the others
    col = tube.faces // n_around
    seam = (col == n_along - 1).any(1) & (col == 0).any(1)
    lengths = tube.edge_lengths
    assert lengths[seam].max() < 1.2 * lengths[~seam].max()


def test_smooth_deformation_and_anisotropic_scaling_laws():
    v = shapes.icosphere(2).vertices
    rng = np.random.default_rng(0)
    moved = smooth_random_deformation(v, rng, amplitude=0.05, frequency=3.0, n_waves=4)
    size = np.linalg.norm(np.ptp(v, axis=0))
    # |sum_k b_k sin(.)| <= sum_k |b_k| = sqrt(n_waves) * amplitude * size
    assert np.linalg.norm(moved - v, axis=1).max() <= 2 * 0.05 * size + 1e-12
    assert np.linalg.norm(moved - v, axis=1).max() > 1e-3
    scaled = random_anisotropic_scaling(v, np.random.default_rng(1), max_ratio=1.3)
    # an affine map c + A (x - c) with A symmetric, eigenvalues in [1/1.3, 1.3]
    a, *_ = np.linalg.lstsq(np.c_[v, np.ones(len(v))], scaled, rcond=None)
    lin = a[:3].T
    assert np.allclose(np.c_[v, np.ones(len(v))] @ a, scaled)
    assert np.allclose(lin, lin.T)
    eig = np.linalg.eigvalsh(lin)
    assert eig.min() >= 1 / 1.3 - 1e-12 and eig.max() <= 1.3 + 1e-12


def test_remesh_and_normalize():
    sphere = shapes.icosphere(3)  # 642 vertices
    coarse = remesh_to(sphere, 200)
    assert 150 <= coarse.n_vertices <= 230 and coarse.genus == 0 and coarse.is_closed
    assert np.abs(np.linalg.norm(coarse.vertices, axis=1) - 1).max() < 0.05  # on the surface
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
    q *= np.sign(np.linalg.det(q))
    shifted = Mesh(3.0 * coarse.vertices @ q.T + [1.0, -2.0, 0.5], coarse.faces)
    n1, n2 = normalized(shifted), normalized(coarse)
    assert n1.face_areas().sum() == pytest.approx(4 * np.pi)
    assert np.allclose(n1.vertices, n2.vertices @ q.T)  # normalising commutes with rotations
    inside_out = normalized(Mesh(coarse.vertices, coarse.faces[:, ::-1]))
    assert signed_volume(inside_out) > 0 and np.allclose(inside_out.vertices, n2.vertices)
    with pytest.raises(ValueError, match="n_vertices"):
        remesh_to(sphere, 2)


def test_face_labels_are_the_corner_majority():
    faces = np.array([[0, 1, 2], [1, 2, 3], [0, 2, 4]])
    labels = np.array([4, 4, 1, 1, 0])
    assert face_labels_from_vertices(faces, labels).tolist() == [4, 1, 0]


def test_synthetic_shape_classes_are_deterministic_normalised_and_varied():
    every = SyntheticShapeClasses("train", 1, vertices=(120, 260), seed=3)
    assert len(every) == 8 and every.n_classes == 8 and every.class_names[0] == "cow"
    assert [int(g.y) for g in every] == list(range(8))
    for g in every:
        p = g.pos.double().numpy()
        f = g.face.t().numpy()
        cross = np.cross(p[f[:, 1]] - p[f[:, 0]], p[f[:, 2]] - p[f[:, 0]])
        assert 0.5 * np.linalg.norm(cross, axis=1).sum() == pytest.approx(4 * np.pi, rel=1e-5)
        assert np.einsum("ij,ij->", p[f[:, 0]], cross) > 0  # closed, wound outwards
        assert 0.8 * 120 <= g.num_nodes <= 260
    kw = dict(classes=("torus", "box"), vertices=(120, 260), seed=3)
    train = SyntheticShapeClasses("train", 2, **kw)
    again = SyntheticShapeClasses("train", 2, **kw)
    test = SyntheticShapeClasses("test", 1, **kw)
    assert [int(g.y) for g in train] == [0, 1, 0, 1]  # labels follow the given classes
    for g, h in zip(train, again):
        assert torch.equal(g.pos, h.pos) and torch.equal(g.face, h.face)
    # instances of a class differ (parameters, deformation, resolution), across and within splits
    assert not torch.equal(train[0].pos[:50], train[2].pos[:50])
    assert not torch.equal(train[0].pos[:50], test[0].pos[:50])
    with pytest.raises(ValueError, match="unknown shape class"):
        SyntheticShapeClasses("train", 1, classes=("cow", "teapot"))


def _write_off(path, mesh):
    path.parent.mkdir(parents=True, exist_ok=True)
    v, f = mesh.vertices, mesh.faces
    lines = ["OFF", f"{len(v)} {len(f)} 0"]
    lines += [" ".join(f"{x:.9g}" for x in p) for p in v]
    lines += ["3 " + " ".join(str(i) for i in t) for t in f]
    path.write_text("\n".join(lines) + "\n")


def _write_obj(path, mesh):
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"v {x:.9g} {y:.9g} {z:.9g}" for x, y, z in mesh.vertices]
    lines += ["f " + " ".join(str(i + 1) for i in t) for t in mesh.faces]
    path.write_text("\n".join(lines) + "\n")


PSB = """PSB 1
2 6

ball 0 3
4
10
7

ring 0 3
1
2
3
"""


def test_psb_class_list():
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "categories.txt"
        p.write_text(PSB)
        assert read_psb_classes(p) == [("ball", [4, 10, 7]), ("ring", [1, 2, 3])]
        p.write_text(PSB.replace("2 6", "2 7"))
        with pytest.raises(ValueError, match="announces 2 classes and 7 models"):
            read_psb_classes(p)
        p.write_text(PSB.replace("ring 0 3", "ring 0 4"))
        with pytest.raises(ValueError, match="'ring' announces 4"):
            read_psb_classes(p)
        p.write_text("hello\n")
        with pytest.raises(ValueError, match="not a PSB"):
            read_psb_classes(p)


def test_shrec11_loader_on_miniature_files(tmp_path):
    (tmp_path / "categories.txt").write_text(PSB)
    for i in (4, 10, 7):
        _write_off(tmp_path / "raw" / f"T{i}.off", shapes.icosphere(1))
    for i in (1, 2):
        _write_off(tmp_path / "raw" / f"T{i}.off", shapes.torus(8, 5))
    _write_obj(tmp_path / "raw" / "T3.obj", shapes.torus(9, 5))
    train = SHREC11(tmp_path, "train", n_train_per_class=2, progress=False)
    test = SHREC11(tmp_path, "test", n_train_per_class=2, progress=False)
    assert train.class_names == ["ball", "ring"] and train.n_classes == 2
    assert len(train) == 4 and len(test) == 2
    assert sorted(int(g.y) for g in train) == [0, 0, 1, 1]
    names = {g.name for g in list(train) + list(test)}
    assert names == {"T1", "T2", "T3", "T4", "T7", "T10"}  # a partition of the six models
    for g in train:
        assert g.y.shape == (1,) and g.face.shape[0] == 3
        assert g.pos.double().mean(0).abs().max() < 0.05  # centred (area centroid)
    # the split depends on the seed only
    again = SHREC11(tmp_path, "train", n_train_per_class=2, progress=False)
    assert [g.name for g in again] == [g.name for g in train]
    with pytest.raises(ValueError, match="none is left for the test split"):
        SHREC11(tmp_path, "test", n_train_per_class=3, progress=False)
    (tmp_path / "raw" / "T10.off").unlink()
    with pytest.raises(FileNotFoundError, match=r"\[10\] of class 'ball'"):
        SHREC11(tmp_path, "train", progress=False)


def test_class_folder_loader_on_miniature_files(tmp_path):
    _write_off(tmp_path / "sphere" / "train" / "a.off", shapes.icosphere(1))
    _write_off(tmp_path / "sphere" / "test" / "b.off", shapes.icosphere(2))
    _write_obj(tmp_path / "torus" / "train" / "c.obj", shapes.torus(8, 5))
    _write_off(tmp_path / "torus" / "test" / "d.off", shapes.torus(10, 6))
    (tmp_path / "notes").mkdir()  # not a class: no train/ or test/
    train = MeshClassFolders(tmp_path, "train", progress=False)
    test = MeshClassFolders(tmp_path, "test", progress=False)
    assert train.class_names == ["sphere", "torus"]
    assert [(g.name, int(g.y)) for g in train] == [("a", 0), ("c", 1)]
    assert [(g.name, int(g.y)) for g in test] == [("b", 0), ("d", 1)]
    p = test[0].pos.double().numpy()
    f = test[0].face.t().numpy()
    area = 0.5 * np.linalg.norm(np.cross(p[f[:, 1]] - p[f[:, 0]], p[f[:, 2]] - p[f[:, 0]]), axis=1)
    assert area.sum() == pytest.approx(4 * np.pi, rel=1e-5)
    # a broken mesh is named, or left out with a warning
    bad = tmp_path / "torus" / "train" / "e.off"
    bad.write_text("OFF\n3 1 0\n0 0 0\n1 0 0\n2 0 0\n3 0 1 2\n")  # a zero-area face
    with pytest.raises(ValueError, match="e.off"):
        MeshClassFolders(tmp_path, "train", progress=False)
    with pytest.warns(RuntimeWarning, match="left out 1 invalid"):
        kept = MeshClassFolders(tmp_path, "train", skip_invalid=True, progress=False)
    assert len(kept) == 2
    remeshed = MeshClassFolders(tmp_path, "test", n_vertices=60, progress=False)
    assert 45 <= remeshed[0].num_nodes <= 70
    with pytest.raises(FileNotFoundError, match="no class folders"):
        MeshClassFolders(tmp_path / "notes", "train", progress=False)
