"""Shape generators and larger neighbourhoods."""

import numpy as np
import pytest
import torch

from gaugeconv import gauge_graph, shapes
from gaugeconv.geometry.intrinsic import wrap_angle

from .gauge_law import numpy_graph


@pytest.mark.parametrize("level", [0, 1, 2, 3, 4])
def test_icosphere_counts_and_prefix(level):
    m = shapes.icosphere(level)
    assert m.n_vertices == 10 * 4**level + 2 and m.n_faces == 20 * 4**level
    np.testing.assert_allclose(np.linalg.norm(m.vertices, axis=1), 1, atol=1e-14)
    np.testing.assert_allclose(m.vertices[0], [0, 0, 1])
    if level:
        coarse = shapes.icosphere(level - 1)
        np.testing.assert_array_equal(m.vertices[: coarse.n_vertices], coarse.vertices)
    assert m.genus == 0 and m.is_closed


def test_icosphere_rejects_negative_level():
    with pytest.raises(ValueError, match="level"):
        shapes.icosphere(-1)


def test_topologies():
    assert shapes.torus(16, 8).genus == 1
    c = shapes.cylinder()
    assert c.is_orientable and c.n_boundary_loops == 2 and c.genus == 0
    cone = shapes.cone()
    assert cone.n_boundary_loops == 1 and cone.euler_characteristic == 1
    for flat in (False, True):
        mb = shapes.mobius_strip(20, 5, flat=flat)
        assert not mb.is_orientable and mb.n_boundary_loops == 1 and mb.genus == 1
    assert shapes.plane(100).n_boundary_loops == 1
    with pytest.raises(ValueError, match="n_width must be >= 2"):
        shapes.mobius_strip(20, 1)
    # the exact shift isometry is what needs an odd width, and it says why
    with pytest.raises(ValueError, match="odd n_width.*middle row of cells is its own mirror"):
        shapes.mobius_shift(20, 4)


def shift_permutation(n_length, n_width):
    """Vertex map of the shift by one column along the Möbius strip (width reversed at the seam)."""
    i, k = np.divmod(np.arange(n_length * n_width), n_width)
    wrap = i == n_length - 1
    expect = np.where(wrap, 0, i + 1) * n_width + np.where(wrap, n_width - 1 - k, k)
    np.testing.assert_array_equal(shapes.mobius_shift(n_length, n_width), expect)
    return expect


def test_flat_mobius_shift_is_an_exact_isometry():
    n_length, n_width = 18, 7
    m = shapes.mobius_strip(n_length, n_width, flat=True)
    perm = shift_permutation(n_length, n_width)
    # faces map onto faces, with equal edge lengths
    key = lambda f: {tuple(sorted(x)): l for x, l in zip(f, m.edge_lengths)}  # noqa: E731
    lengths_of = {}
    for face, lengths in zip(m.faces, m.edge_lengths):
        for k in range(3):
            lengths_of[frozenset((face[k], face[(k + 1) % 3]))] = lengths[k]
    shifted = {tuple(sorted(perm[f])) for f in m.faces}
    assert shifted == set(key(m.faces))
    for edge, length in lengths_of.items():
        a, b = tuple(edge)
        assert abs(lengths_of[frozenset((perm[a], perm[b]))] - length) < 1e-12
    # the strip is flat inside and its boundary is straight
    from gaugeconv.geometry.intrinsic import angle_defects

    assert np.abs(angle_defects(m)).max() < 1e-12


def test_k_ring_sizes_and_radius_neighbourhoods(bunny):
    g1 = numpy_graph(gauge_graph(bunny, dtype=torch.float64))
    g2 = numpy_graph(gauge_graph(bunny, dtype=torch.float64, k=2))
    assert g2["edge_index"].shape[1] > 2 * g1["edge_index"].shape[1]
    # the 1-ring is contained, with identical geometry
    k1 = set(zip(*g1["edge_index"]))
    idx = [n for n, e in enumerate(zip(*g2["edge_index"])) if e in k1]
    assert len(idx) == len(k1)
    np.testing.assert_allclose(g2["edge_log"][idx], g1["edge_log"], atol=1e-12)
    j, i = g2["edge_index"]
    assert (i != j).all()
    radius = 2.5 * bunny.mean_edge_length()
    gr = numpy_graph(gauge_graph(bunny, dtype=torch.float64, radius=radius))
    extra = gr["edge_log"][:, 0] > g1["edge_log"][:, 0].max()
    assert extra.sum() == 0 or gr["edge_log"][extra, 0].max() <= radius
    assert gr["edge_index"].shape[1] > g1["edge_index"].shape[1]
    with pytest.raises(ValueError, match="at most one"):
        gauge_graph(bunny, k=2, radius=0.1)
    with pytest.raises(ValueError, match="k must be"):
        gauge_graph(bunny, k=0)


def test_k_ring_on_mobius_composes_reflections():
    m = shapes.mobius_strip(24, 5, flat=True)
    g = numpy_graph(gauge_graph(m, dtype=torch.float64, k=3))
    # flat strip: k-ring log maps are Euclidean offsets, so lengths are symmetric
    j, i = g["edge_index"]
    key = {(a, b): n for n, (a, b) in enumerate(zip(j, i))}
    rev = np.array([key[(b, a)] for a, b in zip(j, i)])
    np.testing.assert_allclose(g["edge_log"][:, 0], g["edge_log"][rev, 0], atol=1e-12)
    refl = g["edge_reflect"]
    assert (refl == refl[rev]).all() and refl.any()
    t = g["edge_transport"]
    assert np.abs(wrap_angle(t + t[rev]))[~refl].max() < 1e-12
    assert np.abs(wrap_angle(t - t[rev]))[refl].max() < 1e-12
