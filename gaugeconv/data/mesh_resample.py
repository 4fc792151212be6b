r"""Values on the vertices of one spherical triangle mesh, resampled at other points of the sphere.

Used to move data given on someone else's icosphere (ugscnn's level-5 mesh, oriented and numbered
differently) onto :func:`gaugeconv.shapes.icosphere`.

For a target point ``p`` (normalised to the unit sphere) the ray ``t p`` (t > 0) meets the triangle
``(a, b, c)`` of the source mesh at ``a + u (b - a) + v (c - a)`` with ``u, v >= 0``, ``u + v <= 1``;
:meth:`SphereMeshResampler.linear` returns ``(1 - u - v) f(a) + u f(b) + v f(c)`` (linear
interpolation in the flat triangle, exact for functions linear in the 3-D coordinates), and
:meth:`SphereMeshResampler.nearest` the value of the nearest source vertex (for labels). Candidate
triangles are the ``k`` triangles whose (normalised) centroids are nearest to ``p``; a point that
lies in none of them (a mesh that does not cover the sphere) raises ``ValueError``.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

__all__ = ["SphereMeshResampler"]


class SphereMeshResampler:
    """Linear / nearest-vertex interpolation from a closed spherical mesh to points (module doc)."""

    def __init__(
        self, vertices: np.ndarray, faces: np.ndarray, points: np.ndarray, k: int = 8
    ) -> None:
        v = np.asarray(vertices, dtype=np.float64)
        f = np.asarray(faces, dtype=np.int64)
        p = np.asarray(points, dtype=np.float64)
        if v.ndim != 2 or v.shape[1] != 3 or p.ndim != 2 or p.shape[1] != 3:
            raise ValueError("vertices and points must have shape (N, 3)")
        if f.ndim != 2 or f.shape[1] != 3 or f.min() < 0 or f.max() >= len(v):
            raise ValueError(f"faces must be (F, 3) indices into the {len(v)} vertices")
        if not (np.isfinite(v).all() and np.isfinite(p).all()):
            raise ValueError("vertices and points must be finite")
        self.n_source = len(v)
        p = p / np.linalg.norm(p, axis=1, keepdims=True)
        centroids = v[f].mean(1)
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        _, cand = cKDTree(centroids).query(p, k=min(k, len(f)))
        cand = cand.reshape(len(p), -1)
        a, b, c = (v[f[cand, i]] for i in range(3))  # (P, k, 3)
        m = np.stack([b - a, c - a, -np.broadcast_to(p[:, None], a.shape)], -1)  # (P, k, 3, 3)
        ok = np.abs(np.linalg.det(m)) > 1e-15
        m = np.where(ok[..., None, None], m, np.eye(3))
        uvt = np.linalg.solve(m, -a[..., None])[..., 0]
        u, w, t = uvt[..., 0], uvt[..., 1], uvt[..., 2]
        eps = 1e-9
        inside = ok & (u >= -eps) & (w >= -eps) & (u + w <= 1 + eps) & (t > 0)
        if not inside.any(1).all():
            bad = np.flatnonzero(~inside.any(1))
            raise ValueError(
                f"{len(bad)} points lie in no triangle of the source mesh (first: {p[bad[0]]}); "
                "is it a closed mesh around the origin?"
            )
        first = inside.argmax(1)
        rows = np.arange(len(p))
        face = f[cand[rows, first]]
        u, w = np.clip(u[rows, first], 0, 1), np.clip(w[rows, first], 0, 1)
        self.index = face  # (P, 3)
        self.weight = np.stack([1 - u - w, u, w], 1)
        _, self.nearest_index = cKDTree(v / np.linalg.norm(v, axis=1, keepdims=True)).query(p)

    def _check(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values)
        if values.shape[-1] != self.n_source:
            raise ValueError(
                f"expected {self.n_source} values on the last axis, got {values.shape}"
            )
        return values

    def linear(self, values: np.ndarray) -> np.ndarray:
        """(..., P) linear interpolation of (..., N_source) vertex values."""
        values = self._check(values).astype(np.float64, copy=False)
        return (values[..., self.index] * self.weight).sum(-1)

    def nearest(self, values: np.ndarray) -> np.ndarray:
        """(..., P) value of the nearest source vertex (dtype preserved)."""
        return self._check(values)[..., self.nearest_index]
