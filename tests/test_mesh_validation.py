"""Bad input is refused with a ValueError naming the problem and the offending indices."""

import re
import warnings

import numpy as np
import pytest
import trimesh

from gaugeconv import Mesh, load_mesh, shapes

from .conftest import real_mesh_path

TET_V = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
TET_F = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])


def test_valid_tetrahedron():
    m = Mesh(TET_V, TET_F)
    assert (m.n_vertices, m.n_edges, m.n_faces) == (4, 6, 4)
    assert m.is_closed and m.is_orientable and m.genus == 0 and m.euler_characteristic == 2


@pytest.mark.parametrize(
    "vertices, faces, pattern",
    [
        (np.zeros((4, 2)), TET_F, r"vertices must have shape \(N, 3\)"),
        (TET_V, TET_F[:, :2], r"faces must have shape \(F, 3\)"),
        (TET_V, np.zeros((0, 3), dtype=int), "no faces"),
        (np.zeros((0, 3)), TET_F, "no vertices"),
        (np.array([["a", "b", "c"]] * 4), TET_F, "dtype"),
        (TET_V, TET_F + 0.5, "integer"),
        (TET_V, TET_F - 1, r"negative vertex indices in faces 0, 1, 2"),
        (TET_V, np.where(TET_F == 3, 7, TET_F), r"out of range .* 4 vertices\) in faces 1, 2, 3"),
        (TET_V, np.vstack([TET_F, [[0, 0, 1]]]), r"repeat a vertex: faces 4"),
        (TET_V, np.vstack([TET_F, TET_F[1, ::-1]]), r"duplicate faces .*\(0, 1, 3\)"),
    ],
)
def test_bad_input_rejected(vertices, faces, pattern):
    with pytest.raises(ValueError, match=pattern):
        Mesh(vertices, faces)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_coordinates_named(bad):
    v = TET_V.copy()
    v[2, 1] = bad
    with pytest.raises(ValueError, match=r"non-finite .* vertices 2"):
        Mesh(v, TET_F)


def test_degenerate_face_named():
    v = np.vstack([TET_V, [[0.5, 0.5, 0.0]]])  # on the segment between vertices 1 and 2
    f = np.array([[0, 1, 3], [1, 4, 2], [0, 3, 2], [1, 2, 3]])
    with pytest.raises(ValueError, match=r"degenerate \(zero-area\) faces: 1"):
        Mesh(v, f)


def test_non_manifold_edge_named():
    # three triangles sharing edge (0, 1)
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1]], dtype=float)
    f = np.array([[0, 1, 2], [1, 0, 3], [0, 1, 4]])
    with pytest.raises(ValueError, match=r"more than two faces.*\(0, 1\)"):
        Mesh(v, f)


def test_unreferenced_vertices_dropped_with_warning():
    v = np.vstack([TET_V[:2], [[5.0, 5.0, 5.0]], TET_V[2:]])
    f = np.where(TET_F >= 2, TET_F + 1, TET_F)
    with pytest.warns(UserWarning, match=r"dropping 1 unreferenced vertices: 2"):
        m = Mesh(v, f)
    assert m.n_vertices == 4
    np.testing.assert_array_equal(m.vertex_origin, [0, 1, 3, 4])
    np.testing.assert_allclose(m.vertices, TET_V)


def test_bowtie_vertex_split_with_warning():
    # two triangles touching only at vertex 0
    v = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [-1, 0, 0], [-1, -1, 0]], dtype=float)
    f = np.array([[0, 1, 2], [0, 3, 4]])
    with pytest.warns(UserWarning, match=r"bow-tie.*vertices 0"):
        m = Mesh(v, f)
    assert m.n_vertices == 6
    assert sorted(m.vertex_origin.tolist()) == [0, 0, 1, 2, 3, 4]
    assert m.n_components == 2


def test_inconsistent_winding_rewound():
    f = TET_F.copy()
    f[2] = f[2, ::-1]
    with pytest.warns(UserWarning, match=r"re-winding 1 faces.*: 2"):
        m = Mesh(TET_V, f)
    ref = Mesh(TET_V, TET_F)
    np.testing.assert_array_equal(np.sort(m.faces, 1), np.sort(ref.faces, 1))
    assert m.halfedges.twin.min() >= 0
    # every edge is used once in each direction: coherent
    he = np.stack([m.faces, np.roll(m.faces, -1, 1)], 2).reshape(-1, 2)
    assert len({tuple(x) for x in he}) == len(he)


def test_from_intrinsic_checks():
    f = np.array([[0, 1, 2]])
    with pytest.raises(ValueError, match="triangle inequality"):
        Mesh.from_intrinsic(f, [[1.0, 1.0, 3.0]])
    with pytest.raises(ValueError, match="finite and positive; faces 0"):
        Mesh.from_intrinsic(f, [[1.0, -1.0, 1.0]])
    with pytest.raises(ValueError, match="shape of faces"):
        Mesh.from_intrinsic(f, [[1.0, 1.0]])
    two = np.array([[0, 1, 2], [2, 1, 3]])
    with pytest.raises(ValueError, match=r"inconsistent edge lengths.*\(1, 2\)"):
        Mesh.from_intrinsic(two, [[1.0, 1.0, 1.0], [1.2, 1.0, 1.0]])
    m = Mesh.from_intrinsic(two, [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    assert not m.is_embedded and m.n_vertices == 4 and m.n_boundary_edges == 4


def test_disconnected_mesh_works():
    f = np.vstack([TET_F, TET_F + 4])
    v = np.vstack([TET_V, TET_V + 3.0])
    m = Mesh(v, f)
    assert m.n_components == 2 and m.genus == 0 and m.euler_characteristic == 4


def test_spot_loads_with_geometric_vertices():
    m = load_mesh(real_mesh_path("spot.obj"))
    assert (m.n_vertices, m.n_faces) == (2930, 5856)
    assert m.is_closed and m.genus == 0
    # trimesh alone splits the UV seams into a surface with holes
    raw = trimesh.load(str(real_mesh_path("spot.obj")), process=False, force="mesh")
    assert len(raw.vertices) == 3225


@pytest.mark.parametrize("ext", ["obj", "ply", "off", "stl", "glb"])
def test_load_formats_round_trip(tmp_path, ext):
    src = shapes.torus(12, 8)
    path = tmp_path / f"torus.{ext}"
    trimesh.Trimesh(src.vertices, src.faces, process=False).export(str(path))
    m = load_mesh(path)
    assert (m.n_vertices, m.n_faces, m.genus) == (src.n_vertices, src.n_faces, 1)
    np.testing.assert_allclose(np.sort(m.vertices, 0), np.sort(src.vertices, 0), atol=1e-6)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_mesh(tmp_path / "missing.obj")
    bad = tmp_path / "garbage.ply"
    bad.write_bytes(b"ply\nformat nonsense\n")
    with pytest.raises(ValueError):
        load_mesh(bad)
    empty = tmp_path / "empty.obj"
    empty.write_text("v 0 0 0\nv 1 0 0\n")
    with pytest.raises(ValueError, match="no triangle faces|no faces"):
        load_mesh(empty)


def test_load_rejects_out_of_range_index(tmp_path):
    path = tmp_path / "bad.off"
    path.write_text("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 5\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((ValueError, IndexError)) as info:
            load_mesh(path)
    assert info.type is ValueError, "out-of-range index must be a ValueError"
    assert re.search(r"out of range|index", str(info.value))
