r"""Positions of the geodesic lattice on one face of the icosahedron (numpy only).

The level-r icosphere (:func:`gaugeconv.shapes.icosphere`) is made by r rounds of 1-to-4 subdivision,
each new vertex being the normalised sum of the two ends of the edge it splits. Inside one face
``(c0, c1, c2)`` of the icosahedron every level-r vertex therefore has integer barycentric
coordinates ``(a0, a1, a2)``, ``a0 + a1 + a2 = n = 2**r``, and its position follows by the same
recursion: if all three are even it is the level-(r-1) point ``(a0, a1, a2) / 2``; otherwise exactly
two are odd, say ``ai, aj``, and it is ``normalise(P(.. ai - 1, aj + 1 ..) + P(.. ai + 1, aj - 1 ..))``
(the two ends of the coarse edge through it). Points on an edge of the face depend only on that
edge's two corners, so neighbouring faces agree there.
"""

from __future__ import annotations

import numpy as np

__all__ = ["face_lattice"]


def face_lattice(corners: np.ndarray, level: int) -> np.ndarray:
    """(n+1, n+1, 3) positions ``T[a1, a2]`` of the level-``level`` point with barycentric coordinates
    ``(n - a1 - a2, a1, a2) / n`` on the geodesic face with ``corners`` (3, 3); NaN where
    ``a1 + a2 > n``."""
    corners = np.asarray(corners, dtype=np.float64)
    if corners.shape != (3, 3):
        raise ValueError(f"corners must have shape (3, 3), got {corners.shape}")
    table = np.full((2, 2, 3), np.nan)
    table[0, 0], table[1, 0], table[0, 1] = corners
    for k in range(level):
        n = 2 << k  # fine lattice size of this round
        fine = np.full((n + 1, n + 1, 3), np.nan)
        a1, a2 = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
        inside = a1 + a2 <= n
        a1, a2 = a1[inside], a2[inside]
        even = (a1 % 2 == 0) & (a2 % 2 == 0)
        fine[a1[even], a2[even]] = table[a1[even] // 2, a2[even] // 2]
        o1, o2 = a1 % 2 == 1, a2 % 2 == 1
        # the two coarse ends of the edge through each odd point (all coordinates even)
        d1 = np.where(o1 & o2, -1, np.where(o1, -1, 0))  # change of a1 towards end 1
        d2 = np.where(o1 & o2, 1, np.where(o2, -1, 0))  # change of a2 towards end 1
        odd = ~even
        e1 = (a1[odd] + d1[odd], a2[odd] + d2[odd])
        e2 = (a1[odd] - d1[odd], a2[odd] - d2[odd])
        mid = table[e1[0] // 2, e1[1] // 2] + table[e2[0] // 2, e2[1] // 2]
        mid /= np.linalg.norm(mid, axis=1, keepdims=True)
        fine[a1[odd], a2[odd]] = mid
        table = fine
    return table
