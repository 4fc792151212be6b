r"""Field types of the icosahedral chart path: scalars and regular C6 fields.

A feature tensor on the atlas carries ``FieldType(scalars=s, regular=r)``: ``s`` scalar channels
followed by ``r`` regular fields of 6 channels each, ``C = s + 6 r`` channels in all. Channel
``s + 6 f + o`` is orientation ``o`` (direction at angle ``60 o`` degrees in the local gauge) of
regular field ``f``.

Transformation law (C6 gauge group). Rotating the gauge at a point by ``60 k`` degrees (new direction
``o`` = old direction ``o + k``) leaves scalars unchanged and maps a regular field to
``f'[o] = f[(o + k) mod 6]``. A rotation of the sphere that carries direction ``o`` at ``v`` to
direction ``o + s`` at its image ``v'`` moves the field as ``f'(v')[o] = f(v)[(o - s) mod 6]``.
Regular fields are the permutation representation of C6, so pointwise nonlinearities (ReLU, ...)
commute with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ORDER", "FieldType", "cat_fields"]

#: size of the structure group C6 (channels of one regular field)
ORDER = 6


@dataclass(frozen=True)
class FieldType:
    """``scalars`` scalar channels, then ``regular`` regular fields (6 channels each)."""

    scalars: int = 0
    regular: int = 0

    def __post_init__(self) -> None:
        for name in ("scalars", "regular"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"FieldType.{name} must be a non-negative int, got {value!r}")
        if self.scalars + self.regular == 0:
            raise ValueError("a FieldType needs at least one field")

    @classmethod
    def scalar(cls, n: int) -> FieldType:
        return cls(scalars=n)

    @classmethod
    def regular_fields(cls, n: int) -> FieldType:
        return cls(regular=n)

    @property
    def size(self) -> int:
        """Number of channels."""
        return self.scalars + ORDER * self.regular

    @property
    def n_fields(self) -> int:
        return self.scalars + self.regular

    def __add__(self, other: FieldType) -> FieldType:
        """Field type of the channel concatenation made by :func:`cat_fields`."""
        return FieldType(self.scalars + other.scalars, self.regular + other.regular)

    def field_of_channel(self) -> np.ndarray:
        """(C,) index of the field each channel belongs to (scalars first)."""
        return np.concatenate(
            [np.arange(self.scalars), self.scalars + np.repeat(np.arange(self.regular), ORDER)]
        ).astype(np.int64)

    def orientation_of_channel(self) -> np.ndarray:
        """(C,) orientation of each channel; -1 for scalar channels."""
        return np.concatenate(
            [np.full(self.scalars, -1), np.tile(np.arange(ORDER), self.regular)]
        ).astype(np.int64)

    def rotated_channels(self, shift: int) -> np.ndarray:
        """(C,) source channel of each channel after a gauge rotation by ``shift`` steps:
        ``out[c] = in[rotated_channels(shift)[c]]`` realises ``f'[o] = f[(o + shift) mod 6]``."""
        o = self.orientation_of_channel()
        src = np.arange(self.size)
        reg = o >= 0
        src[reg] = src[reg] - o[reg] + (o[reg] + shift) % ORDER
        return src

    def check_channels(self, n_channels: int, what: str = "input") -> None:
        if n_channels != self.size:
            raise ValueError(
                f"{what} has {n_channels} channels, but {self} needs {self.size} "
                f"({self.scalars} scalar + {ORDER} x {self.regular} regular)"
            )


def cat_fields(tensors, types, dim: int = 2):
    """Concatenate chart tensors of the given field types into one of type ``sum(types)``:
    all scalar channels first, then all regular fields (keeps the channel convention)."""
    import torch

    scal, reg = [], []
    for t, ft in zip(tensors, types):
        ft.check_channels(t.shape[dim])
        scal.append(t.narrow(dim, 0, ft.scalars))
        reg.append(t.narrow(dim, ft.scalars, ORDER * ft.regular))
    return torch.cat(scal + reg, dim=dim)
