r"""C6-steerable 7-tap hexagonal kernels, expanded into 3 x 3 ``conv2d`` weights.

A hexagonal kernel has a centre tap and six ring taps ``k = 0..5`` (direction ``60 k`` degrees, the
3 x 3 position ``(1 + dh, 1 + dw)`` with ``(dh, dw) = OFFSETS[k]``; the two remaining corners are 0).
Gauge equivariance under C6 asks, for every pair of fields,
``W[o_out + 1, o_in + 1, k + 1] = W[o_out, o_in, k]`` (indices mod 6, the centre fixed), where the
orientation index is dropped for scalars. The free parameters per (output field, input field) are

==================  ====================================================  ========
scalar -> scalar    centre, ring (one value for all six ring taps)         2
scalar -> regular   ``W[o, k] = ring[(k - o) mod 6]``, ``W[o, c] = centre``  7
regular -> scalar   ``W[o, k] = ring[(k - o) mod 6]``, ``W[o, c] = centre``  7
regular -> regular  ``ring[(o_in - o_out) mod 6, (k - o_out) mod 6]``,      42
                    ``centre[(o_in - o_out) mod 6]``
==================  ====================================================  ========

Biases: one per scalar output channel and one per regular output field, shared by its 6
orientations (a constant over orientations is the invariant part of the regular representation).
"""

from __future__ import annotations

import numpy as np

from .atlas import OFFSETS
from .fields import ORDER, FieldType

__all__ = ["hex_kernel_index", "hex_bias_index", "TAP_POSITIONS"]

#: 3 x 3 position of the ring taps k = 0..5, then the centre
TAP_POSITIONS = np.concatenate([OFFSETS + 1, [[1, 1]]]).astype(np.int64)


def hex_kernel_index(in_type: FieldType, out_type: FieldType) -> tuple[np.ndarray, int]:
    """(C_out, C_in, 3, 3) index of each weight entry into the free parameter vector (-1 = fixed 0)
    and the number of free parameters."""
    fo, oo = out_type.field_of_channel(), out_type.orientation_of_channel()
    fi, oi = in_type.field_of_channel(), in_type.orientation_of_channel()
    so, ro, si, ri = out_type.scalars, out_type.regular, in_type.scalars, in_type.regular
    sizes = {"s2s": so * si * 2, "s2r": ro * si * 7, "r2s": so * ri * 7, "r2r": ro * ri * 42}
    base = dict(zip(sizes, np.cumsum([0, *sizes.values()])[:-1]))
    n_params = int(sum(sizes.values()))

    o_out = oo[:, None, None]  # (C_out, 1, 1)
    o_in = oi[None, :, None]  # (1, C_in, 1)
    a = fo[:, None, None]
    b = fi[None, :, None]
    k = np.arange(7)[None, None, :]  # taps, 6 = centre
    ring = k < 6
    reg_out, reg_in = o_out >= 0, o_in >= 0
    a_r, b_r = a - so, b - si  # regular field indices
    idx_s2s = base["s2s"] + (a * si + b) * 2 + np.where(ring, 1, 0)
    idx_s2r = base["s2r"] + (a_r * si + b) * 7 + np.where(ring, (k - o_out) % ORDER, 6)
    idx_r2s = base["r2s"] + (a * ri + b_r) * 7 + np.where(ring, (k - o_in) % ORDER, 6)
    rel = (o_in - o_out) % ORDER
    idx_r2r = (
        base["r2r"]
        + (a_r * ri + b_r) * 42
        + np.where(ring, rel * ORDER + (k - o_out) % ORDER, 36 + rel)
    )
    idx = np.where(
        reg_out,
        np.where(reg_in, idx_r2r, idx_s2r),
        np.where(reg_in, idx_r2s, idx_s2s),
    )  # (C_out, C_in, 7)
    full = np.full((out_type.size, in_type.size, 3, 3), -1, dtype=np.int64)
    full[:, :, TAP_POSITIONS[:, 0], TAP_POSITIONS[:, 1]] = idx
    return full, n_params


def hex_bias_index(out_type: FieldType) -> tuple[np.ndarray, int]:
    """(C_out,) index of each output channel's bias into the bias vector, and its length."""
    return out_type.field_of_channel(), out_type.n_fields
