r"""Regular C6 fields <-> SO(2) irreps: the real discrete Fourier transform over the 6 orientations.

A regular field ``f[o]``, ``o = 0..5`` (the value for direction ``60 o`` degrees, :mod:`.fields`)
decomposes into the irreducible representations of C6: orders 0, 1, 2 (restrictions of the SO(2)
irreps of the same orders) and the one-dimensional "sign" representation of order 3
(``(-1)^k`` under a rotation by ``60 k`` degrees). With ``w = pi / 3``:

.. math::
    a_0 = \tfrac16 \sum_o f[o], \qquad
    z_n = c_n + i s_n = \tfrac13 \sum_o f[o]\, e^{i n w o} \;(n = 1, 2), \qquad
    a_3 = \tfrac16 \sum_o (-1)^o f[o],

    f[o] = a_0 + \sum_{n=1}^{2} \big(c_n \cos(n w o) + s_n \sin(n w o)\big) + a_3 (-1)^o.

The irreps coordinates are ordered ``(a_0, c_1, s_1, c_2, s_2, a_3)``: the first ``2L + 1`` of them
are exactly the layout of a gaugeconv feature of orders ``0..L`` (DESIGN section 2), the last is the
order-3 part, which has no counterpart among SO(2) features of order <= 2.

**Transformation law.** Rotating the gauge by ``60 k`` degrees maps ``f'[o] = f[o + k]`` (regular
fields) and ``z_n' = e^{-i n 60 k} z_n`` (irreps, DESIGN: ``R(-n alpha)``), ``a_3' = (-1)^k a_3``:
the transform commutes with gauge transformations. Parallel transport by ``g = -60 t`` degrees
(the chart path reading a neighbour's field as ``f[o + t]``) is ``rho_n(g)`` on ``z_n``.
"""

from __future__ import annotations

import numpy as np
import torch

from .fields import ORDER

__all__ = ["ANALYSIS", "SYNTHESIS", "irreps_to_regular", "regular_sign_part", "regular_to_irreps"]


def _analysis() -> np.ndarray:
    o = np.arange(ORDER)
    w = np.pi / 3
    rows = [np.full(ORDER, 1 / 6)]
    for n in (1, 2):
        rows += [np.cos(n * w * o) / 3, np.sin(n * w * o) / 3]
    rows.append((-1.0) ** o / 6)
    return np.stack(rows)


#: (6, 6) regular values -> irreps coordinates (a0, c1, s1, c2, s2, a3)
ANALYSIS = _analysis()
#: (6, 6) irreps coordinates -> regular values (the inverse of ANALYSIS)
SYNTHESIS = np.linalg.inv(ANALYSIS)


def _matrix(m: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(m, dtype=like.dtype, device=like.device)


def regular_to_irreps(f: torch.Tensor, order: int = 2) -> torch.Tensor:
    """(..., 6) regular values -> (..., 2 order + 1) irreps coordinates of orders ``0..order``
    (``order <= 2``; the order-3 part is :func:`regular_sign_part`)."""
    if not 0 <= order <= 2:
        raise ValueError(f"order must be 0, 1 or 2 (order 3 is the sign part), got {order}")
    if f.shape[-1] != ORDER:
        raise ValueError(f"expected 6 orientation values on the last axis, got {tuple(f.shape)}")
    return f @ _matrix(ANALYSIS[: 2 * order + 1].T, f)


def regular_sign_part(f: torch.Tensor) -> torch.Tensor:
    """(..., 6) regular values -> (...) their order-3 ('sign') coordinate ``a_3``."""
    if f.shape[-1] != ORDER:
        raise ValueError(f"expected 6 orientation values on the last axis, got {tuple(f.shape)}")
    return f @ _matrix(ANALYSIS[-1], f)


def irreps_to_regular(z: torch.Tensor, sign: torch.Tensor | None = None) -> torch.Tensor:
    """(..., 2L + 1) irreps coordinates of orders ``0..L`` (L <= 2) and an optional order-3 part
    (...) -> (..., 6) regular values (missing orders are zero)."""
    d = z.shape[-1]
    if d not in (1, 3, 5):
        raise ValueError(f"expected 2L + 1 = 1, 3 or 5 components (L <= 2), got {d}")
    out = z @ _matrix(SYNTHESIS[:, :d].T, z)
    if sign is not None:
        out = out + sign[..., None] * _matrix(SYNTHESIS[:, -1], z)
    return out
