r"""The space of gauge-equivariant kernels between irreps, as used by :class:`GemConv`.

A GEM kernel maps an order-n input feature at a neighbour, already transported to the target, to an
order-m output, depending on the neighbour's polar angle theta in the target's gauge. The constraint
``K(theta + a) = rho_m(a) K(theta) rho_n(-a)`` (gauge equivariance) is solved by
``K(theta) = rho_m(theta) W rho_n(-theta)`` with W any linear map between the two irreps. Writing
order-n parts as complex numbers (``z = cos + i sin``) and ``W[w] = A w + B conj(w)``:

    K(theta) w = A e^{i (m - n) theta} w + B e^{i (m + n) theta} conj(w)

so the complete solution has angular frequencies ``|m - n|`` and ``m + n``. Real parameters per
channel pair and radial ring:

=============  ======  ==========================================================
orders         SO(2)   O(2) (additionally ``K(-theta) = F K(theta) F``, F = rho(s))
=============  ======  ==========================================================
n = m = 0      1       1
n = 0, m > 0   2       1   (cos m theta only)
n > 0, m = 0   2       1
n, m > 0       4       2   (A, B real)
=============  ======  ==========================================================

(for m = 0 only ``Re(A e^{-i n theta} w)`` is an output; ``B`` adds nothing there). A band limit
drops the terms whose frequency exceeds it. The **self-interaction** (the constraint at r = 0, the
target's own feature) must commute with rotations: ``S z`` with S complex for n = m > 0 (2
parameters; 1 real for O(2), which must also commute with reflections), a real number for n = m = 0,
and zero between different orders.

Each term contributes a geometric factor ``e^{i (k theta + s g)}`` per edge (g the transport angle)
applied to the transported neighbour feature ``T z = e^{i n g} z`` (or ``e^{i n g} conj(z)`` on
reflecting edges): ``k = m - n, s = +n`` on ``z`` for A terms and ``k = m + n, s = -n`` on
``conj(z)`` for B terms. Those factors, times the radial profile, form the geometry-only operators.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..groups.so2 import StructureGroup, feature_dim


@dataclass(frozen=True)
class KernelTerm:
    """One term of the kernel between input order n and output order m."""

    n: int
    m: int
    k: int  # frequency of theta
    s: int  # multiplier of the transport angle g
    conj: bool  # acts on conj(transported feature) (B terms)
    complex_param: bool  # complex coefficient (SO(2)) or real (O(2), or n = m = 0)

    @property
    def real_output(self) -> bool:
        """Output order 0: only the real part is kept."""
        return self.m == 0

    @property
    def real_input(self) -> bool:
        """Operator has no imaginary part (k = s = 0 on a scalar): one row instead of two."""
        return self.k == 0 and self.s == 0

    @property
    def n_params(self) -> int:
        return 2 if self.complex_param else 1

    @property
    def n_rows(self) -> int:
        """Rows of the aggregated feature this term needs: (Re, Im), or Re only."""
        return 1 if self.real_input else 2


def kernel_terms(
    n: int, m: int, group: StructureGroup, band_limit: int | None = None
) -> list[KernelTerm]:
    """Terms of the complete kernel space from order n to order m (A term first, then B)."""
    reflections = group.has_reflections
    terms = []
    scalar_pair = n == 0 and m == 0
    if band_limit is None or abs(m - n) <= band_limit:
        terms.append(KernelTerm(n, m, m - n, n, False, not (reflections or scalar_pair)))
    if n > 0 and m > 0 and (band_limit is None or m + n <= band_limit):
        terms.append(KernelTerm(n, m, m + n, -n, True, not reflections))
    return terms


def self_interaction_params(n: int, m: int, group: StructureGroup) -> int:
    """Real parameters per channel pair of the self-interaction between orders n and m."""
    if n != m:
        return 0
    return 1 if (n == 0 or group.has_reflections) else 2


def n_kernel_params(
    in_order: int, out_order: int, group: StructureGroup, band_limit: int | None = None
) -> int:
    """Real parameters per channel pair and radial ring (all orders 0..in_order -> 0..out_order)."""
    return sum(
        t.n_params
        for n in range(in_order + 1)
        for m in range(out_order + 1)
        for t in kernel_terms(n, m, group, band_limit)
    )


def kernel_matrix(theta: float, coeffs: dict, in_order: int, out_order: int) -> np.ndarray:
    """Evaluate ``K(theta)`` as a real ``(2 out_order + 1, 2 in_order + 1)`` matrix (one channel).

    ``coeffs`` maps each :class:`KernelTerm` to its complex coefficient (real for real terms). The
    matrix acts on the *transported* neighbour feature. Used to verify the constraint and
    completeness numerically; the layer never builds per-edge kernels.
    """
    K = np.zeros((feature_dim(out_order), feature_dim(in_order)))
    for term, c in coeffs.items():
        n, m = term.n, term.m
        basis_in = [(1.0, 0.0)] if n == 0 else [(1.0, 0.0), (0.0, 1.0)]
        cols = [0] if n == 0 else [2 * n - 1, 2 * n]
        for col, (re, im) in zip(cols, basis_in):
            w = complex(re, im)
            v = c * np.exp(1j * term.k * theta) * (np.conj(w) if term.conj else w)
            if m == 0:
                K[0, col] += v.real
            else:
                K[2 * m - 1, col] += v.real
                K[2 * m, col] += v.imag
    return K
