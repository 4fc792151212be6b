r"""Exact power-of-two rescaling, so that geometry works at every scale float64 can represent.

Norms, Heron's formula and cross products square (or raise to the fourth power) lengths, which
overflows float64 for lengths above about 1e77 and loses everything below about 1e-77, although the
angles they produce are scale-invariant. Rows whose largest magnitude lies outside
``[2**-LIMIT, 2**LIMIT]`` (about 8e-31 to 1.3e30) are therefore multiplied by ``2**-k`` (``k`` the
binary exponent of their largest magnitude) before such computations and the results scaled back by
the matching power of two. Multiplying by a power of two is exact, and rows inside the window are
left untouched (``k = 0``), so results for ordinary meshes are bit for bit what the direct formulas
give.
"""

from __future__ import annotations

import numpy as np

#: rows whose largest magnitude lies in [2**-LIMIT, 2**LIMIT] are not rescaled
LIMIT = 100


def row_exponents(x: np.ndarray, axes: int | tuple[int, ...] = -1) -> np.ndarray:
    """Binary exponent ``k`` per row (reducing ``axes``) that brings the row's largest magnitude
    into [0.5, 1), or 0 where it already lies in the window; keeps the reduced dimensions."""
    m = np.abs(x).max(axis=axes, keepdims=True)
    k = np.frexp(m)[1]
    inside = (m >= 2.0**-LIMIT) & (m <= 2.0**LIMIT)
    return np.where(inside | (m == 0) | ~np.isfinite(m), 0, k)


def scaled_norm(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``np.linalg.norm(x, axis=axis)`` without overflow or underflow at extreme magnitudes."""
    k = row_exponents(x, axis)
    return np.ldexp(np.linalg.norm(np.ldexp(x, -k), axis=axis), np.squeeze(k, axis))
