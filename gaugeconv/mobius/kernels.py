"""Reflection-steerable kernels: the complete solution space of the Möbius kernel constraint.

A ``k x k`` kernel ``K`` mapping a field of type ``rho_in`` to one of type ``rho_out`` (a matrix
``dim_out x dim_in`` per kernel tap ``(a, b)``, ``a`` along the width, ``b`` along the length) must
satisfy the reflection steerability constraint

    ``K(flip x) = rho_out(s) K(x) rho_in(s)^{-1}``,   flip: ``(a, b) -> (k - 1 - a, b)``.

Equivalently ``K`` is a fixed point of the involution ``T K (x) = rho_out(s) K(flip x) rho_in(s)^-1``
(``T^2 = id`` since ``s^2 = e``); the solution space is the image of the projector ``(I + T) / 2``.

All three representations are signed permutations, so ``T`` maps every elementary kernel (a single
1 at one tap and one channel pair) to plus or minus another elementary kernel. The orbits of ``T``
give a basis with disjoint supports and entries in {0, +1, -1}:

* an orbit ``{E, T E = +-E'}`` with ``E' != E`` gives the basis kernel ``E +- E'``;
* a fixed point ``T E = E`` gives ``E``; a fixed point ``T E = -E`` gives nothing.

For a ``k x k`` kernel (odd ``k``) the dimensions are

=================  ==============================  ===========================
in -> out          solution                        dimension
=================  ==============================  ===========================
scalar -> scalar   symmetric in the width          ``k (k + 1) / 2``
sign -> sign       symmetric                       ``k (k + 1) / 2``
scalar <-> sign    antisymmetric                   ``k (k - 1) / 2``
scalar <-> reg     one free kernel + its mirror    ``k^2``
sign <-> reg       one free kernel - its mirror    ``k^2``
reg -> reg         two free kernels (group conv)   ``2 k^2``
=================  ==============================  ===========================

Because the supports are disjoint, every kernel entry equals plus or minus exactly one free
parameter (or is zero): :class:`KernelBasis` expands parameters by a gather, not a sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import torch

from .fields import KIND_REP, KINDS


def flip_operator(rho_out: torch.Tensor, rho_in: torch.Tensor, k: int) -> torch.Tensor:
    """Matrix of ``T K = rho_out K(flip .) rho_in^{-1}`` acting on kernels flattened as
    ``(dim_out, dim_in, k, k)`` (row-major)."""
    p, q = rho_out.shape[0], rho_in.shape[0]
    n = p * q * k * k
    eye = torch.eye(n, dtype=torch.float64).reshape(n, p, q, k, k)
    rho_in_inv = torch.linalg.inv(rho_in.to(torch.float64))
    t = torch.einsum("op,npqab,qi->noiab", rho_out.to(torch.float64), eye.flip(3), rho_in_inv)
    return t.reshape(n, n).T  # column j = T(E_j)


def solution_dimension(rho_out: torch.Tensor, rho_in: torch.Tensor, k: int) -> int:
    """Dimension of the constraint's solution space, numerically: ``n - rank(T - I)``."""
    t = flip_operator(rho_out, rho_in, k)
    n = t.shape[0]
    if n == 0:
        return 0
    rank = torch.linalg.matrix_rank(t - torch.eye(n, dtype=torch.float64))
    return int(n - rank)


def steerable_basis(rho_out: torch.Tensor, rho_in: torch.Tensor, k: int) -> torch.Tensor:
    """Orbit basis of the solution space, shape ``(d, dim_out, dim_in, k, k)``, entries in {0, +-1}.

    ``rho_out`` and ``rho_in`` must be signed permutation matrices of an involution.
    """
    _check_signed_involution(rho_out, "rho_out")
    _check_signed_involution(rho_in, "rho_in")
    p, q = rho_out.shape[0], rho_in.shape[0]
    t = flip_operator(rho_out, rho_in, k)
    n = t.shape[0]
    seen = torch.zeros(n, dtype=torch.bool)
    basis = []
    for j in range(n):
        if seen[j]:
            continue
        image = t[:, j]
        (partner,) = torch.nonzero(image).flatten().tolist()
        seen[j] = seen[partner] = True
        element = torch.zeros(n, dtype=torch.float64)
        if partner == j:
            if image[j] < 0:  # T E = -E: antisymmetric fixed point, no solution
                continue
            element[j] = 1.0
        else:
            element[j] = 1.0
            element[partner] = image[partner]
        basis.append(element)
    if not basis:
        return torch.zeros(0, p, q, k, k, dtype=torch.float64)
    return torch.stack(basis).reshape(-1, p, q, k, k)


def _check_signed_involution(rho: torch.Tensor, name: str) -> None:
    rho = rho.to(torch.float64)
    if rho.dim() != 2 or rho.shape[0] != rho.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {tuple(rho.shape)}")
    ok = (
        bool(((rho == 0) | (rho.abs() == 1)).all())
        and bool(((rho != 0).sum(0) == 1).all())
        and bool(((rho != 0).sum(1) == 1).all())
        and torch.equal(rho @ rho, torch.eye(rho.shape[0], dtype=torch.float64))
    )
    if not ok:
        raise ValueError(f"{name} must be a signed permutation matrix with {name}^2 = I")


def kind_rep(kind: str) -> torch.Tensor:
    """rho(s) of one field of ``kind`` as a float64 matrix."""
    if kind not in KIND_REP:
        raise ValueError(f"unknown field kind {kind!r}; expected one of {KINDS}")
    return torch.tensor(KIND_REP[kind], dtype=torch.float64)


def kind_basis(out_kind: str, in_kind: str, k: int) -> torch.Tensor:
    """Orbit basis ``(d, p, q, k, k)`` for one ``in_kind -> out_kind`` pair of field kinds."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1 or k % 2 == 0:
        raise ValueError(f"kernel_size must be a positive odd int, got {k!r}")
    return _kind_basis(out_kind, in_kind, k).clone()


@cache
def _kind_basis(out_kind: str, in_kind: str, k: int) -> torch.Tensor:
    return steerable_basis(kind_rep(out_kind), kind_rep(in_kind), k)


@dataclass(frozen=True)
class KernelBasis:
    """Gather tables that expand free parameters into a steerable block kernel.

    For one ``in_kind -> out_kind`` pair with basis ``B`` of shape ``(d, p, q, k, k)``:
    ``index[p, q, a, b]`` is the basis element whose support holds that entry (``d`` = none, which
    reads a zero) and ``sign`` its value there, so ``sum_d w_d B_d = w_ext[index] * sign``.
    """

    basis: torch.Tensor  # (d, p, q, k, k)
    index: torch.Tensor  # (p, q, k, k) long
    sign: torch.Tensor  # (p, q, k, k) float64

    @property
    def dim(self) -> int:
        return self.basis.shape[0]

    @classmethod
    def for_kinds(cls, out_kind: str, in_kind: str, k: int) -> KernelBasis:
        basis = kind_basis(out_kind, in_kind, k)
        d = basis.shape[0]
        support = basis != 0
        if bool((support.sum(0) > 1).any()):  # pragma: no cover - guaranteed by construction
            raise RuntimeError("orbit basis elements overlap")
        index = torch.full(basis.shape[1:], d, dtype=torch.long)
        sign = torch.zeros(basis.shape[1:], dtype=torch.float64)
        for i in range(d):
            index[support[i]] = i
            sign[support[i]] = basis[i][support[i]]
        return cls(basis, index, sign)


def expand_block(weight: torch.Tensor, index: torch.Tensor, sign: torch.Tensor) -> torch.Tensor:
    """Gather-expand ``weight (m_out, m_in, d)`` with a :class:`KernelBasis`'s ``index``/``sign``
    (``(p, q, k, k)``) into the block kernel ``(m_out * p, m_in * q, k, k)``; field ``i`` of a kind
    of dimension ``p`` owns rows ``i p .. i p + p - 1``."""
    m_out, m_in, _ = weight.shape
    p, q, k, _ = index.shape
    padded = torch.cat([weight, weight.new_zeros(m_out, m_in, 1)], dim=2)
    kernel = padded[:, :, index] * sign  # (m_out, m_in, p, q, k, k)
    return kernel.permute(0, 2, 1, 3, 4, 5).reshape(m_out * p, m_in * q, k, k)
