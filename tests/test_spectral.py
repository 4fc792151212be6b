"""Intrinsic spectral geometry: cotan Laplacian (vs potpourri3d and analytic spectra), eigenpairs on
the unit-area scale, heat-kernel signatures (invariances, analytic limits)."""

import numpy as np
import potpourri3d as pp3d
import pytest
from scipy.spatial.transform import Rotation

from gaugeconv import Mesh, shapes
from gaugeconv.geometry.spectral import (
    cotan_laplacian,
    heat_kernel_signature,
    laplacian_eigenpairs,
)


def test_cotan_laplacian_equals_potpourri3d(spot, bunny):
    for mesh in (spot, bunny):
        L, mass = cotan_laplacian(mesh)
        ref = pp3d.cotan_laplacian(mesh.vertices, mesh.faces)
        scale = abs(ref).max()
        assert abs(L - ref).max() < 1e-12 * scale
        np.testing.assert_allclose(mass, pp3d.vertex_areas(mesh.vertices, mesh.faces), rtol=1e-12)
        assert abs(L @ np.ones(mesh.n_vertices)).max() < 1e-12 * scale  # constants in the kernel


def test_intrinsic_mesh_gives_the_same_laplacian(bunny):
    abstract = Mesh.from_intrinsic(bunny.faces, bunny.edge_lengths)
    L1, m1 = cotan_laplacian(bunny)
    L2, m2 = cotan_laplacian(abstract)
    assert abs(L1 - L2).max() == 0
    np.testing.assert_array_equal(m1, m2)


def test_sphere_spectrum_approaches_spherical_harmonics():
    """On the unit-area sphere (radius R = 1/sqrt(4 pi)) lambda_l = l (l + 1) / R^2, multiplicity
    2 l + 1: the first 16 eigenvalues are 0, 3 x 8 pi, 5 x 24 pi, 7 x 48 pi."""
    evals, evecs = laplacian_eigenpairs(shapes.icosphere(4), 16)
    expected = 4 * np.pi * np.repeat([0, 2, 6, 12], [1, 3, 5, 7])
    np.testing.assert_allclose(evals[1:], expected[1:], rtol=0.01)
    assert abs(evals[0]) < 1e-8


def test_eigenvectors_are_mass_orthonormal_on_the_unit_area_scale(bunny):
    evals, evecs = laplacian_eigenpairs(bunny, 12)
    _, mass = cotan_laplacian(bunny)
    gram = evecs.T @ (evecs * (mass / mass.sum())[:, None])
    np.testing.assert_allclose(gram, np.eye(12), atol=1e-9)
    assert np.all(np.diff(evals) >= 0)


def test_hks_invariant_to_rigid_motion_and_scale(bunny):
    rot = Rotation.from_rotvec([0.3, -1.1, 0.7]).as_matrix()
    moved = Mesh(3.7 * bunny.vertices @ rot.T + [1.0, -2.0, 5.0], bunny.faces)
    h1 = heat_kernel_signature(bunny, 8, k=32)
    h2 = heat_kernel_signature(moved, 8, k=32)
    np.testing.assert_allclose(h1, h2, atol=1e-8)
    # negative control: a non-isometric deformation (stretch along x) changes the signature
    stretched = Mesh(bunny.vertices * [2.0, 1.0, 1.0], bunny.faces)
    assert np.abs(heat_kernel_signature(stretched, 8, k=32) - h1).max() > 0.05


def test_hks_long_time_limit_is_the_inverse_area():
    """As t grows only lambda_0 = 0 survives: HKS -> phi_0^2 = 1 / area = 1 on the unit-area scale."""
    h = heat_kernel_signature(shapes.icosphere(3), 2, k=8, times=(50.0, 100.0))
    np.testing.assert_allclose(h, 0.0, atol=1e-9)


def test_errors():
    with pytest.raises(ValueError, match="Mesh"):
        cotan_laplacian(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="k must"):
        laplacian_eigenpairs(shapes.icosphere(1), 2.5)
    with pytest.raises(ValueError, match="times"):
        heat_kernel_signature(shapes.icosphere(1), 4, times=(1.0, 0.1))
