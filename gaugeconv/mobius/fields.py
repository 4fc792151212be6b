"""Feature field types on the Möbius strip: representations of the flip group {e, s}.

The structure group of the (flat) Möbius strip is the reflection group G = {e, s} with s^2 = e. A
feature space is a direct sum of fields, each transforming under one of three representations:

=============  ====  ======================  =========================================
field          dim   rho(s)                  meaning
=============  ====  ======================  =========================================
scalar         1     ``[[1]]``               invariant (trivial representation)
sign-flip      1     ``[[-1]]``              negated (sign representation)
regular        2     ``[[0, 1], [1, 0]]``    the two channels are swapped
=============  ====  ======================  =========================================

Channel layout of a feature tensor ``(B, C, W, L)``: ``[scalars | signs | regular pairs]``, where
the regular part is interleaved: regular field ``r`` owns channels ``n_scalar + n_sign + 2r`` and
``n_scalar + n_sign + 2r + 1``. A feature space is described by its multiplicity triple
``FieldType(n_scalar, n_sign, n_regular)``.

Every rho(s) here is a signed permutation matrix, which is what :mod:`.kernels` relies on.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import torch

#: the three field kinds in channel order, with dimension and rho(s)
KINDS: tuple[str, ...] = ("scalar", "sign", "regular")
KIND_DIM: dict[str, int] = {"scalar": 1, "sign": 1, "regular": 2}
KIND_REP: dict[str, tuple[tuple[int, ...], ...]] = {
    "scalar": ((1,),),
    "sign": ((-1,),),
    "regular": ((0, 1), (1, 0)),
}


@dataclass(frozen=True)
class FieldType:
    """Multiplicities ``(n_scalar, n_sign, n_regular)`` of the fields of one feature space.

    ``channels = n_scalar + n_sign + 2 * n_regular``. ``action(x)`` applies rho(s) to the channel
    axis (dim 1) of a tensor laid out as described in the module docstring.
    """

    n_scalar: int = 0
    n_sign: int = 0
    n_regular: int = 0

    def __post_init__(self) -> None:
        for name in ("n_scalar", "n_sign", "n_regular"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"FieldType.{name} must be a non-negative int, got {value!r}")

    # ------------------------------------------------------------------ layout
    @property
    def channels(self) -> int:
        """Number of tensor channels: ``n_scalar + n_sign + 2 n_regular``."""
        return self.n_scalar + self.n_sign + 2 * self.n_regular

    @property
    def multiplicities(self) -> dict[str, int]:
        return {"scalar": self.n_scalar, "sign": self.n_sign, "regular": self.n_regular}

    def slice(self, kind: str) -> slice:
        """Channel range of all fields of ``kind`` ("scalar", "sign" or "regular")."""
        if kind == "scalar":
            return slice(0, self.n_scalar)
        if kind == "sign":
            return slice(self.n_scalar, self.n_scalar + self.n_sign)
        if kind == "regular":
            start = self.n_scalar + self.n_sign
            return slice(start, start + 2 * self.n_regular)
        raise ValueError(f"unknown field kind {kind!r}; expected one of {KINDS}")

    @property
    def is_scalar(self) -> bool:
        """True if every field is a scalar (the feature space is gauge invariant)."""
        return self.n_sign == 0 and self.n_regular == 0

    @property
    def invariant_dim(self) -> int:
        """Dimension of the rho(s)-invariant subspace (where a bias may live)."""
        return self.n_scalar + self.n_regular

    def __mul__(self, factor: int) -> FieldType:
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        return FieldType(factor * self.n_scalar, factor * self.n_sign, factor * self.n_regular)

    __rmul__ = __mul__

    def __str__(self) -> str:
        return f"({self.n_scalar}, {self.n_sign}, {self.n_regular})"

    # ------------------------------------------------------------------ action
    def representation(
        self, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None
    ) -> torch.Tensor:
        """The ``channels x channels`` matrix rho(s) (block diagonal, a signed permutation)."""
        rho = torch.zeros(self.channels, self.channels, dtype=dtype, device=device)
        idx = torch.arange(self.n_scalar, device=device)
        rho[idx, idx] = 1.0
        idx = torch.arange(self.n_scalar, self.n_scalar + self.n_sign, device=device)
        rho[idx, idx] = -1.0
        even = torch.arange(self.slice("regular").start, self.channels, 2, device=device)
        rho[even, even + 1] = 1.0
        rho[even + 1, even] = 1.0
        return rho

    def permutation(self) -> tuple[torch.Tensor, torch.Tensor]:
        """rho(s) as ``(index, sign)``: ``(rho(s) x)[c] = sign[c] * x[index[c]]``."""
        index = torch.arange(self.channels)
        reg = self.slice("regular")
        index[reg.start :: 2] += 1
        index[reg.start + 1 :: 2] -= 1
        sign = torch.ones(self.channels)
        sign[self.slice("sign")] = -1.0
        return index, sign

    def action(self, x: torch.Tensor) -> torch.Tensor:
        """Apply rho(s) to the channel axis (dim 1) of ``x``; the spatial layout is untouched."""
        self.check(x, min_dim=2)
        reg = self.slice("regular")
        parts = [x[:, : self.n_scalar], -x[:, self.slice("sign")]]
        if self.n_regular:
            pairs = x[:, reg].unflatten(1, (self.n_regular, 2)).flip(2)
            parts.append(pairs.flatten(1, 2))
        return torch.cat(parts, dim=1)

    def check(self, x: torch.Tensor, *, min_dim: int = 4, name: str = "input") -> None:
        """Raise ``ValueError`` unless ``x`` is a ``(B, C, W, L)`` tensor with C = ``channels``."""
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if min_dim == 4 and x.dim() != 4:
            raise ValueError(
                f"{name} must have shape (B, C, W, L) (batch, channels, width, length), "
                f"got shape {tuple(x.shape)}"
            )
        if x.dim() < min_dim:
            raise ValueError(f"{name} must have at least {min_dim} dims, got {tuple(x.shape)}")
        if x.shape[1] != self.channels:
            raise ValueError(
                f"{name} has {x.shape[1]} channels but field type {self} "
                f"(scalar, sign, regular) needs {self.channels}"
            )


def as_field_type(fields: FieldType | tuple[int, int, int] | list[int] | int) -> FieldType:
    """Coerce a multiplicity triple (or an int = that many scalars) to a :class:`FieldType`."""
    if isinstance(fields, FieldType):
        return fields
    if isinstance(fields, int) and not isinstance(fields, bool):
        return FieldType(fields, 0, 0)
    if isinstance(fields, (tuple, list)) and len(fields) == 3:
        try:
            if any(isinstance(f, bool) for f in fields):
                raise TypeError
            triple = [operator.index(f) for f in fields]
        except TypeError:
            raise ValueError(f"field multiplicities must be integers, got {fields!r}") from None
        return FieldType(*triple)
    raise ValueError(
        f"field type must be a FieldType, a (n_scalar, n_sign, n_regular) triple or an int, "
        f"got {fields!r}"
    )
