r"""Intrinsic spectral geometry: the cotan Laplacian from edge lengths and heat-kernel signatures.

**Cotan Laplacian.** For a triangle with edge lengths ``l_ab, l_bc, l_ca`` and area ``A`` (Heron), the
cotangent of the corner at c is ``(l_bc^2 + l_ca^2 - l_ab^2) / (4 A)``; the weak Laplacian is

.. math::  (L u)_i = \sum_{j} w_{ij} (u_i - u_j), \qquad
           w_{ij} = \tfrac12 (\cot \alpha_{ij} + \cot \beta_{ij})

(one cotangent per face adjacent to edge ij), positive semi-definite, with the lumped (barycentric)
mass ``M_ii = sum of A/3 over the faces at i``. Only edge lengths enter, so it is defined for embedded
and intrinsic meshes alike and is invariant to rigid motions of an embedding. It equals
potpourri3d's ``cotan_laplacian`` / ``vertex_areas`` (tested).

**Scale.** Eigenpairs are computed on the mesh scaled to **unit total area** (``L`` is scale-free in 2-D,
``M`` scales with the area), so ``L phi = lambda M phi`` with ``phi^T M phi = 1`` gives eigenvalues
and eigenvectors that do not depend on the size of the shape.

**Heat-kernel signature** (Sun, Ovsjanikov, Guibas 2009). ``HKS(i, t) = sum_k exp(-lambda_k t)
phi_k(i)^2``, the heat that stays at i after time t, truncated to the first K eigenpairs. It is
intrinsic (isometry invariant), invariant to rigid motions and, on the unit-area scale, to scaling;
it is a set of *scalars* (order-0 features) in gaugeconv's layout. :func:`heat_kernel_signature`
returns ``log HKS`` at ``n_times`` log-spaced times ``t`` in ``[t_min, t_max]`` (unit-area scale).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

from .mesh import Mesh

#: heat times on the unit-area scale (the shortest resolves ~1/30 of the shape's width)
DEFAULT_TIMES = (2e-3, 2e-1)


def _face_areas(lengths: np.ndarray) -> np.ndarray:
    a, b, c = np.sort(lengths, axis=1).T[::-1]  # a >= b >= c: Kahan's stable Heron formula
    return 0.25 * np.sqrt(
        np.clip((a + (b + c)) * (c - (a - b)) * (c + (a - b)) * (a + (b - c)), 0.0, None)
    )


def cotan_laplacian(mesh: Mesh) -> tuple[sp.csr_matrix, np.ndarray]:
    """``(L, mass)``: the (N, N) cotan Laplacian (positive semi-definite) and the lumped mass (N,).

    Built from ``mesh.edge_lengths`` only (module docstring).
    """
    if not isinstance(mesh, Mesh):
        raise ValueError(f"expected a gaugeconv.Mesh, got {type(mesh).__name__}")
    f, lengths = mesh.faces, mesh.edge_lengths  # lengths[:, k] = |f[k] f[k+1]|
    area = _face_areas(lengths)
    n = mesh.n_vertices
    rows, cols, vals = [], [], []
    sq = lengths**2
    for k in range(3):
        # edge k joins f[k] and f[k+1]; the opposite corner is f[k+2], between edges k+1 and k+2
        cot = (sq[:, (k + 1) % 3] + sq[:, (k + 2) % 3] - sq[:, k]) / (4.0 * area)
        i, j = f[:, k], f[:, (k + 1) % 3]
        w = 0.5 * cot
        rows += [i, j, i, j]
        cols += [j, i, i, j]
        vals += [-w, -w, w, w]
    L = sp.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    ).tocsr()
    mass = np.bincount(f.reshape(-1), np.repeat(area / 3.0, 3), minlength=n)
    return L, mass


def laplacian_eigenpairs(mesh: Mesh, k: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` smallest eigenpairs of ``L phi = lambda M phi`` on the unit-area scale.

    Returns ``(evals (k,), evecs (N, k))`` with ``evecs.T @ diag(mass) @ evecs = I`` (unit-area
    mass). ``k`` is capped at ``N - 1``. Eigenvalues are clipped at 0 (the first is 0 up to rounding
    on each closed component).
    """
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    L, mass = cotan_laplacian(mesh)
    total = mass.sum()
    mass = mass / total  # unit area; L is scale-free
    n = mesh.n_vertices
    k = int(min(k, n - 1))
    M = sp.diags(mass)
    # shift-invert about a small negative shift: L - sigma M is positive definite
    shift = -1e-2 * float(L.diagonal().mean() / mass.mean()) / n
    evals, evecs = sla.eigsh(L.tocsc(), k=k, M=M.tocsc(), sigma=shift, which="LM")
    order = np.argsort(evals)
    return np.clip(evals[order], 0.0, None), evecs[:, order]


def heat_kernel_signature(
    mesh: Mesh,
    n_times: int = 16,
    *,
    k: int = 64,
    times: tuple[float, float] = DEFAULT_TIMES,
    eigenpairs: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """(N, n_times) ``log HKS(i, t)`` at ``n_times`` log-spaced times in ``times`` (unit-area scale).

    ``eigenpairs`` reuses the output of :func:`laplacian_eigenpairs`.
    """
    if n_times < 1:
        raise ValueError(f"n_times must be >= 1, got {n_times}")
    t_min, t_max = times
    if not 0 < t_min <= t_max:
        raise ValueError(f"times must satisfy 0 < t_min <= t_max, got {times}")
    evals, evecs = eigenpairs if eigenpairs is not None else laplacian_eigenpairs(mesh, k)
    t = np.geomspace(t_min, t_max, n_times)
    hks = (evecs**2) @ np.exp(-np.outer(evals, t))  # (N, T)
    return np.log(np.maximum(hks, 1e-12))
