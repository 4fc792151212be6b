"""Valid surfaces are accepted at every scale; what cannot be represented is refused, saying so
(issue 10)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gaugeconv import Mesh, gauge_graph, shapes
from gaugeconv.features import invariant_features, xyz_features
from gaugeconv.geometry.intrinsic import angle_defects, wrap_angle
from gaugeconv.graph import check_gauge_graph

FIELDS = ("pos", "normal", "frame", "edge_log", "edge_transport")


def _folded_fan(fold_degrees: float) -> Mesh:
    """A closed fan of four right-angled triangles around vertex 0 whose lower half is folded
    about the x-axis by ``fold_degrees`` (180: onto the upper half). Folding is an isometry of each
    half, so the intrinsic geometry is that of the flat fan."""
    t = np.radians(fold_degrees)
    v = np.array(
        [[0, 0, 0], [1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -np.cos(t), -np.sin(t)]], dtype=float
    )
    return Mesh(v, [[0, 1, 2], [0, 2, 3], [0, 3, 4], [0, 4, 1]])


def _assert_contract(g):
    check_gauge_graph(g)
    for name in FIELDS:
        assert torch.isfinite(g[name]).all(), name
    n, e1, e2 = g.normal, g.frame[:, 0], g.frame[:, 1]
    torch.testing.assert_close(n.norm(dim=1), torch.ones(len(n), dtype=n.dtype))
    torch.testing.assert_close((e1 * e2).sum(1), torch.zeros(len(n), dtype=n.dtype))
    torch.testing.assert_close(torch.cross(e1, e2, dim=1), n)


@pytest.mark.parametrize("fold", [179.0, 180.0])
def test_folded_fan_gets_a_finite_contract_conforming_graph(fold):
    flat = gauge_graph(_folded_fan(0.0), dtype=torch.float64)
    g = gauge_graph(_folded_fan(fold), dtype=torch.float64)
    _assert_contract(g)
    # intrinsic quantities do not depend on the embedding's fold
    torch.testing.assert_close(g.edge_log[:, 0], flat.edge_log[:, 0])
    d_theta = wrap_angle((g.edge_log[:, 1] - flat.edge_log[:, 1]).numpy())
    d_g = wrap_angle((g.edge_transport - flat.edge_transport).numpy())
    assert np.abs(d_theta).max() < 1e-12 and np.abs(d_g).max() < 1e-12
    # the frame agrees with the angles: at the fan's centre the neighbour with theta = 0 lies
    # along e1 (in the plane of its face)
    j, i = g.edge_index
    at0 = (i == 0) & (g.edge_log[:, 1].abs() < 1e-12)
    (k,) = torch.nonzero(at0).flatten().tolist()
    d = g.pos[j[k]] - g.pos[0]
    d = d - g.normal[0] * (d @ g.normal[0])
    torch.testing.assert_close(d / d.norm(), g.frame[0, 0])


@pytest.mark.parametrize("n_width", [2, 4, 6])
@pytest.mark.parametrize("flat", [False, True])
def test_even_width_moebius_strips(n_width, flat):
    m = shapes.mobius_strip(20, n_width, flat=flat)
    assert not m.is_orientable and m.n_boundary_loops == 1 and m.n_vertices == 20 * n_width
    g = gauge_graph(m, dtype=torch.float64)
    check_gauge_graph(g)
    assert all(torch.isfinite(g[name]).all() for name in ("edge_log", "edge_transport"))
    assert g.edge_reflect.any()
    if flat:
        assert np.abs(angle_defects(m)).max() < 1e-12
    else:
        _assert_contract(g)


@pytest.mark.parametrize("scale", [1e-160, 1e-20, 1e20, 1e160, 1e200])
def test_extreme_scales_give_the_same_geometry(scale):
    unit = shapes.icosphere(2)
    ref = gauge_graph(unit, dtype=torch.float64)
    m = Mesh(unit.vertices * scale, unit.faces)  # not "degenerate": fine relative to its size
    g = gauge_graph(m, dtype=torch.float64)
    _assert_contract(g)
    torch.testing.assert_close(g.edge_log[:, 0] / scale, ref.edge_log[:, 0], rtol=1e-13, atol=0)
    for name, col in (("edge_log", 1), ("edge_transport", None)):
        a, b = g[name], ref[name]
        a, b = (a[:, col], b[:, col]) if col is not None else (a, b)
        assert np.abs(wrap_angle((a - b).numpy())).max() < 1e-12
    torch.testing.assert_close(g.normal, ref.normal, rtol=0, atol=1e-13)
    f, f0 = invariant_features(g), invariant_features(ref)
    units = torch.tensor([scale, scale, 1 / scale], dtype=torch.float64)[:, None]
    torch.testing.assert_close(f / units, f0, rtol=1e-12, atol=1e-12)
    # intrinsic meshes with such lengths too
    mi = Mesh.from_intrinsic(unit.faces, unit.edge_lengths * scale)
    assert mi.n_vertices == unit.n_vertices


@pytest.mark.parametrize("scale", [1e-20, 1e20])
def test_float32_features_do_not_overflow(scale):
    unit = shapes.icosphere(2)
    g = gauge_graph(Mesh(unit.vertices * scale, unit.faces))
    f = invariant_features(g).double()
    assert torch.isfinite(f).all()
    f0 = invariant_features(gauge_graph(unit, dtype=torch.float64))
    units = torch.tensor([scale, scale, 1 / scale], dtype=torch.float64)[:, None]
    torch.testing.assert_close(f / units, f0, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("scale", [1e-160, 1e160])
def test_float32_graph_of_a_mesh_beyond_float32_is_refused(scale):
    m = Mesh(shapes.icosphere(1).vertices * scale, shapes.icosphere(1).faces)
    with pytest.raises(ValueError, match="does not fit torch.float32.*float64 or rescale"):
        gauge_graph(m)


@pytest.mark.parametrize(
    "options, pattern",
    [
        ({"radius": float("inf")}, "radius must be a finite number"),
        ({"radius": float("nan")}, "radius must be a finite number"),
        ({"k": 2.5}, "k must be an integer"),
        ({"k": True}, "k must be an integer"),
        ({"radius": 1e9}, "more than 512 neighbours per vertex on average"),
        ({"k": 10**9}, "more than 512 neighbours per vertex on average"),
    ],
)
def test_neighbourhood_options_are_guarded(options, pattern):
    with pytest.raises(ValueError, match=pattern):
        gauge_graph(shapes.torus(48, 24), **options)


def test_small_meshes_may_be_covered_completely():
    g = gauge_graph(shapes.icosphere(1), radius=1e9)
    assert g.edge_index.shape[1] == 42 * 41


def test_non_mesh_arguments_are_refused():
    import trimesh

    ico = shapes.icosphere(1)
    for thing in (ico.vertices, trimesh.Trimesh(ico.vertices, ico.faces)):
        with pytest.raises(ValueError, match="expected a gaugeconv.Mesh"):
            gauge_graph(thing)


def test_nan_geometry_gives_an_error_not_nan_features():
    g = gauge_graph(shapes.icosphere(1))
    g.normal[5] = float("nan")
    with pytest.raises(ValueError, match=r"invariant features are not finite at vertices \[5"):
        invariant_features(g)
    g.pos[7, 1] = float("inf")
    with pytest.raises(ValueError, match=r"XYZ features are not finite at vertices \[7\]"):
        xyz_features(g)
