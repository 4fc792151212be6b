"""Analytic truths of the discrete geometry: holonomy, log maps, Gauss-Bonnet, reflections."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from gaugeconv import Mesh, gauge_graph, shapes
from gaugeconv.geometry.holonomy import edge_lookup, loop_holonomy
from gaugeconv.geometry.intrinsic import angle_defects, wrap_angle

from .gauge_law import numpy_graph


def graph64(mesh, **kw):
    return numpy_graph(gauge_graph(mesh, dtype=torch.float64, **kw))


def hops_from_boundary(mesh, g):
    """Graph distance (in edges) of every vertex from the boundary (large where there is none)."""
    n = mesh.n_vertices
    j, i = g["edge_index"]
    adj = sp.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)).tocsr()
    dist = np.where(mesh.boundary_vertex_mask, 0, 10**6)
    for step in range(1, 10):
        near = adj @ (dist < step).astype(float) > 0
        dist = np.where((dist == 10**6) & near, step, dist)
    return dist


def test_flat_plane_zero_holonomy_and_exact_log_map():
    m = shapes.plane(300, seed=1)
    g = graph64(m)
    hol, refl = loop_holonomy(g["edge_index"], g["edge_transport"], g["edge_reflect"], m.faces)
    inner = ~m.boundary_vertex_mask[m.faces].any(1)
    assert inner.sum() > 100 and not refl.any()
    assert np.abs(hol[inner]).max() < 1e-12
    j, i = g["edge_index"]
    d = g["pos"][j] - g["pos"][i]
    fr = g["frame"]
    z = (d * fr[i, 0]).sum(1) + 1j * (d * fr[i, 1]).sum(1)
    ours = g["edge_log"][:, 0] * np.exp(1j * g["edge_log"][:, 1])
    interior = ~m.boundary_vertex_mask[i]
    assert np.abs(z - ours)[interior].max() < 1e-12
    # on a plane the transport is the angle between the frames
    gt = np.arctan2((fr[j, 0] * fr[i, 1]).sum(1), (fr[j, 0] * fr[i, 0]).sum(1))
    assert np.abs(wrap_angle(gt - g["edge_transport"]))[interior].max() < 1e-12


def test_flat_plane_k_ring_log_map_exact_in_interior():
    m = shapes.plane(400, seed=3)
    g = graph64(m, k=3)
    j, i = g["edge_index"]
    d = g["pos"][j] - g["pos"][i]
    fr = g["frame"]
    z = (d * fr[i, 0]).sum(1) + 1j * (d * fr[i, 1]).sum(1)
    ours = g["edge_log"][:, 0] * np.exp(1j * g["edge_log"][:, 1])
    inner = hops_from_boundary(m, graph64(m))[i] > 3
    assert inner.sum() > 2000
    assert np.abs(z - ours)[inner].max() < 1e-12
    gt = np.arctan2((fr[j, 0] * fr[i, 1]).sum(1), (fr[j, 0] * fr[i, 0]).sum(1))
    assert np.abs(wrap_angle(gt - g["edge_transport"]))[inner].max() < 1e-12


def spherical_excess(v):
    a, b, c = v[:, 0], v[:, 1], v[:, 2]
    num = np.abs(np.einsum("ij,ij->i", a, np.cross(b, c)))
    den = 1 + (a * b).sum(1) + (b * c).sum(1) + (c * a).sum(1)
    return 2 * np.arctan2(num, den)


def test_icosphere_holonomy_is_spherical_excess_and_totals_4pi():
    errors = []
    for level in (1, 2, 3):
        m = shapes.icosphere(level)
        g = graph64(m)
        hol, refl = loop_holonomy(g["edge_index"], g["edge_transport"], g["edge_reflect"], m.faces)
        excess = spherical_excess(m.vertices[m.faces])
        assert not refl.any()
        assert abs(hol.sum() - 4 * np.pi) < 1e-9  # discrete Gauss-Bonnet, exactly
        assert abs(angle_defects(m).sum() - 4 * np.pi) < 1e-9
        assert np.all(np.abs(hol - excess) < 0.15 * excess)  # counter-clockwise loops: positive
        errors.append(np.abs(hol - excess).max())
    # second-order convergence: the error shrinks about 4x per level
    assert errors[1] < errors[0] / 3 and errors[2] < errors[1] / 3


def test_cone_apex_holonomy_equals_angle_defect():
    m = shapes.cone(n_sectors=16, n_rings=4)
    g = graph64(m)
    defect = angle_defects(m)
    assert (
        abs(
            defect[0]
            - (
                2 * np.pi
                - 16
                * np.arccos(
                    np.dot(m.vertices[1], m.vertices[2]) / np.linalg.norm(m.vertices[1]) ** 2
                )
            )
        )
        < 1e-12
    )
    interior = ~m.boundary_vertex_mask
    interior[0] = False
    assert np.abs(defect[interior]).max() < 1e-12  # flat away from the apex
    # the apex's neighbours run clockwise seen from outside: reverse for a counter-clockwise loop
    for ring in range(3):
        loop = (1 + ring * 16 + np.arange(16))[::-1]
        hol, refl = loop_holonomy(
            g["edge_index"], g["edge_transport"], g["edge_reflect"], loop[None]
        )
        assert not refl[0]
        assert abs(wrap_angle(hol[0] - defect[0])) < 1e-12


@pytest.mark.parametrize("flat", [False, True])
def test_mobius_loop_reverses_orientation(flat):
    n_length, n_width = 24, 5
    m = shapes.mobius_strip(n_length, n_width, flat=flat)
    assert not m.is_orientable
    g = graph64(m)
    for row in range(n_width):
        loop = np.arange(n_length) * n_width + row
        # the row continues as row n_width-1-row after the seam: walk twice around for a closed loop
        loop2 = np.concatenate([loop, np.arange(n_length) * n_width + (n_width - 1 - row)])
        hol, refl = loop_holonomy(
            g["edge_index"], g["edge_transport"], g["edge_reflect"], loop2[None]
        )
        assert not refl[0]  # twice around: orientation preserved
    centre = np.arange(n_length) * n_width + n_width // 2
    hol, refl = loop_holonomy(g["edge_index"], g["edge_transport"], g["edge_reflect"], centre[None])
    assert refl[0]
    if flat:
        assert abs(hol[0]) < 1e-12  # flat: pure reflection, no rotation
    # every face loop is orientation preserving (faces are discs)
    _, frefl = loop_holonomy(g["edge_index"], g["edge_transport"], g["edge_reflect"], m.faces)
    assert not frefl.any()
    assert g["edge_reflect"].any()


@pytest.mark.parametrize(
    "make", [lambda: shapes.torus(20, 10), lambda: shapes.icosphere(2), shapes.cylinder]
)
def test_orientable_meshes_never_reflect(make, spot):
    for m in (make(), spot):
        g = graph64(m)
        assert m.is_orientable and not g["edge_reflect"].any()
        rng = np.random.default_rng(0)
        # random closed walks: there and back along random paths plus faces
        j, i = g["edge_index"]
        loops = m.faces[rng.integers(0, m.n_faces, 50)]
        _, refl = loop_holonomy(g["edge_index"], g["edge_transport"], g["edge_reflect"], loops)
        assert not refl.any()


def test_transports_of_opposite_edges_are_inverse(spot, bunny):
    for m in (spot, bunny, shapes.mobius_strip(20, 5), shapes.mobius_strip(20, 5, flat=True)):
        g = graph64(m)
        j, i = g["edge_index"]
        rev = edge_lookup(g["edge_index"], m.n_vertices, i, j)
        refl = g["edge_reflect"]
        assert (refl == refl[rev]).all()
        t, tr = g["edge_transport"], g["edge_transport"][rev]
        # non-reflecting: rotation by -g undoes g; reflecting: phi -> -phi + g is its own inverse
        assert np.abs(wrap_angle(t + tr))[~refl].max() < 1e-12
        if refl.any():
            assert np.abs(wrap_angle(t - tr))[refl].max() < 1e-12


def test_gauss_bonnet_with_boundary(spot):
    keep = np.ones(spot.n_faces, dtype=bool)
    keep[:40] = False
    with pytest.warns(UserWarning, match="bow-tie"):
        m = Mesh(spot.vertices, spot.faces[keep])
    assert m.n_boundary_loops > 0
    assert abs(angle_defects(m).sum() - 2 * np.pi * m.euler_characteristic) < 1e-9
    for s in (shapes.cylinder(), shapes.cone(), shapes.mobius_strip(30, 7)):
        assert abs(angle_defects(s).sum() - 2 * np.pi * s.euler_characteristic) < 1e-9
