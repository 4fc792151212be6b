"""Files from strangers: no code runs from a pickle, mesh vertices stay traceable to the file,
truncated files are refused (issue 10)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from gaugeconv import load_mesh, shapes
from gaugeconv.data.ugscnn import read_ugscnn_mesh

from .conftest import real_mesh_path


class _CreatesFile:
    def __init__(self, marker) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_malicious_ugscnn_pickle_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "icosphere_5.pkl"
    ico = shapes.icosphere(1)
    path.write_bytes(pickle.dumps({"V": ico.vertices, "F": ico.faces, "G": _CreatesFile(marker)}))
    with open(path, "rb") as fh:  # an unrestricted unpickler would create the file
        pickle.load(fh)
    assert marker.exists()
    marker.unlink()
    with pytest.raises(ValueError, match=r"icosphere_5.pkl.*refusing to load io.open"):
        read_ugscnn_mesh(path)
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_ugscnn_pickle_with_their_contents_loads(tmp_path, protocol):
    """Their files hold more than V and F: numbers, arrays, a tuple, scipy sparse matrices."""
    ico = shapes.icosphere(1)
    info = {
        "V": ico.vertices,
        "F": ico.faces.astype(np.int32),
        "nv_prev": 12,
        "nv_next": np.int64(162),
        "G": sp.csc_matrix(np.eye(3)),
        "L": sp.coo_matrix(np.eye(3)),
        "NS": np.ones((80, 3)),
        "Seq": (np.arange(3), np.arange(3)),
    }
    path = tmp_path / "icosphere_1.pkl"
    path.write_bytes(pickle.dumps(info, protocol=protocol))
    v, f = read_ugscnn_mesh(path)
    assert np.array_equal(v, ico.vertices) and np.array_equal(f, ico.faces)


def test_ugscnn_pickle_without_arrays_is_refused(tmp_path):
    path = tmp_path / "m.pkl"
    path.write_bytes(pickle.dumps({"V": [[0, 0, 0]], "F": [[0, 0, 0]]}))
    with pytest.raises(ValueError, match="'V' must be a numeric"):
        read_ugscnn_mesh(path)
    path.write_bytes(b"\x80\x04garbage")
    with pytest.raises(ValueError, match="not a ugscnn mesh file"):
        read_ugscnn_mesh(path)


# ----------------------------------------------------------------------- vertex bookkeeping
def _messy_obj(tmp_path):
    """A torus OBJ with 3 unused vertices and 5 seam copies (duplicate positions that faces use),
    in a shuffled file order, plus one value per file vertex (a function of its position)."""
    rng = np.random.default_rng(0)
    src = shapes.torus(10, 6)
    n = src.n_vertices
    copies = rng.choice(n, 5, replace=False)
    extra = rng.normal(size=(3, 3)) + 10.0
    verts = np.concatenate([src.vertices, src.vertices[copies], extra])
    faces = src.faces.copy()
    for c, idx in enumerate(copies):  # one face of each copied vertex uses the copy instead
        f = np.flatnonzero((faces == idx).any(1))[0]
        faces[f][faces[f] == idx] = n + c
    perm = rng.permutation(len(verts))  # file vertex perm[i] holds vertex i
    file_verts = np.empty_like(verts)
    file_verts[perm] = verts
    file_faces = perm[faces]
    lines = [f"v {float(x)!r} {float(y)!r} {float(z)!r}" for x, y, z in file_verts]
    lines += ["vt 0.5 0.5"] + [f"f {a + 1}/1 {b + 1}/1 {c + 1}/1" for a, b, c in file_faces]
    path = tmp_path / "messy.obj"
    path.write_text("\n".join(lines) + "\n")
    data = file_verts @ np.array([1.0, 10.0, 100.0])  # per-vertex data stored next to the mesh
    unused = np.sort(perm[n + 5 :])
    seam = np.sort(np.maximum(perm[n : n + 5], perm[copies]))  # the later of each pair
    return path, file_verts, data, unused, seam, src


def test_loaded_vertices_map_back_to_the_file(tmp_path):
    path, file_verts, data, unused, seam, src = _messy_obj(tmp_path)
    with pytest.warns(UserWarning) as record:
        mesh = load_mesh(path)
    text = " | ".join(str(w.message) for w in record)
    assert (
        f"dropping 3 vertices that no face uses: file vertices {', '.join(map(str, unused))}"
        in text
    )
    assert (
        f"merging 5 vertices that repeat the position of an earlier vertex (texture or normal "
        f"seams): file vertices {', '.join(map(str, seam))}" in text
    )
    assert mesh.n_vertices == src.n_vertices and mesh.genus == 1
    # mesh -> file: per-vertex data read from the file line up with the mesh's vertices
    np.testing.assert_array_equal(mesh.vertices, file_verts[mesh.vertex_origin])
    np.testing.assert_array_equal(data[mesh.vertex_origin], mesh.vertices @ [1.0, 10.0, 100.0])
    # file -> mesh: every used file vertex (seam copies too) has its mesh vertex, unused ones -1
    inv = mesh.vertex_of_origin
    assert inv.shape == (len(file_verts),)
    assert (inv[unused] == -1).all()
    kept = np.flatnonzero(inv >= 0)
    assert len(kept) == len(file_verts) - 3
    np.testing.assert_array_equal(mesh.vertices[inv[kept]], file_verts[kept])
    assert (inv[mesh.vertex_origin] == np.arange(mesh.n_vertices)).all()


def test_messages_use_the_files_numbering(tmp_path):
    # face 0 is a quad (two triangles), file face 1 repeats a position: degenerate
    path = tmp_path / "bad.obj"
    path.write_text(
        "v 9 9 9\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 2 0 0\nv 2 0 0\nf 2 3 4 5\nf 3 6 7\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"bad.obj .*repeat a vertex: faces 1$"):
            load_mesh(path)
    nan = tmp_path / "nan.obj"
    nan.write_text("v 9 9 9\nv 0 0 0\nv 1 0 0\nv 0 1 nan\nf 2 3 4\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"non-finite .* at vertices 3$"):
            load_mesh(nan)


def test_bowtie_split_keeps_file_numbering(tmp_path):
    path = tmp_path / "bowtie.obj"
    path.write_text("v 5 5 5\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv -1 0 0\nv -1 -1 0\nf 2 3 4\nf 2 5 6\n")
    with pytest.warns(UserWarning) as record:
        mesh = load_mesh(path)
    text = " | ".join(str(w.message) for w in record)
    assert "dropping 1 vertices that no face uses: file vertices 0" in text
    assert text.endswith("bow-tie) vertices into one vertex per fan: vertices 1")
    assert sorted(mesh.vertex_origin.tolist()) == [1, 1, 2, 3, 4, 5]
    assert mesh.vertex_of_origin[0] == -1 and mesh.vertex_origin[mesh.vertex_of_origin[1]] == 1


@pytest.mark.parametrize(
    "name, text, pattern",
    [
        (
            "cut.obj",
            "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 3\nf 2 4 3\nf 3 4 7\n",
            r"line 7: face 2 refers to a vertex the file does not define.*truncated",
        ),
        (
            "cutline.obj",
            "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\nf 1 2\n",
            r"line 5: face 1 has 2 vertices",
        ),
        (
            "cutvertex.obj",
            "v 0 0 0\nv 1 0 0\nv 0 1\nf 1 2 3\n",
            r"line 3: vertex needs 3 coordinates",
        ),
        (
            "cut.off",
            "OFF\n4 2 0\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n3 0 1 2\n",
            r"announces 4 vertices and 2 faces but only 5 data lines follow",
        ),
    ],
)
def test_truncated_files_are_refused(tmp_path, name, text, pattern):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError, match=pattern):
        load_mesh(path)


def test_truncated_ply_is_refused(tmp_path):
    import trimesh

    src = shapes.torus(8, 6)
    path = tmp_path / "t.ply"
    trimesh.Trimesh(src.vertices, src.faces, process=False).export(str(path), encoding="ascii")
    text = path.read_text()
    path.write_text(text[: int(len(text) * 0.9)])
    with pytest.raises(ValueError, match="t.ply"):
        load_mesh(path)


def test_polygons_keep_their_file_face_number(tmp_path):
    path = tmp_path / "quads.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 2 0 0\nv 2 1 0\nf 1 2 3 4\nf 2 5 6 3\n")
    mesh = load_mesh(path)
    assert mesh.n_faces == 4 and mesh.face_origin.tolist() == [0, 0, 1, 1]


def test_spot_loads_one_vertex_per_file_vertex():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no repairs needed, none reported
        mesh = load_mesh(real_mesh_path("spot.obj"))
    assert mesh.n_vertices == 2930
    assert (mesh.vertex_origin == np.arange(2930)).all()
    assert (mesh.vertex_of_origin == np.arange(2930)).all()


def test_vectorised_and_line_by_line_obj_readers_agree(tmp_path, monkeypatch):
    import gaugeconv.geometry.io as mesh_io

    messy = _messy_obj(tmp_path)[0]
    commented = tmp_path / "commented.obj"
    commented.write_text("# a comment\n" + messy.read_text())
    for path in (real_mesh_path("spot.obj"), messy):
        assert mesh_io._plain_obj(path) is not None  # the vectorised reader takes these
    assert mesh_io._plain_obj(commented) is None  # and leaves irregular files to the other
    fast = [mesh_io.parse_obj(p) for p in (real_mesh_path("spot.obj"), messy, commented)]
    monkeypatch.setattr(mesh_io, "_plain_obj", lambda path: None)
    slow = [mesh_io.parse_obj(p) for p in (real_mesh_path("spot.obj"), messy, commented)]
    for a, b in zip(fast, slow):
        assert np.array_equal(a.vertices, b.vertices) and np.array_equal(a.faces, b.faces)
        assert a.vertices.dtype == b.vertices.dtype and a.faces.dtype == b.faces.dtype
