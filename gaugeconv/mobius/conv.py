"""Convolutions on the Möbius strip grid: gauge-equivariant (:class:`MobiusConv`) and naive.

:class:`MobiusConv` computes, for input fields ``f`` of type ``rho_in`` and output type ``rho_out``,

    ``(K * f)(w, l) = sum_{a, b} K(a, b) [P f](w + a, l + b) + beta``

where ``P`` is the transport padding of :mod:`.padding` (columns beyond the seam arrive
width-reversed with rho_in(s) applied), the width edges are zero-padded, ``K`` satisfies the
reflection steerability constraint ``K(flip x) = rho_out(s) K(x) rho_in(s)^{-1}`` (complete basis from
:mod:`.kernels`) and the bias ``beta`` lies in the rho_out(s)-invariant subspace (one value per
scalar field and per regular field, added to both of its channels; none for sign-flip fields).

Transformation law: for every shift ``t`` of the strip (:func:`~gaugeconv.mobius.shift`),
``conv(shift(f, t, rho_in)) = shift(conv(f), t, rho_out)``; with ``t = L`` this is the global gauge
flip. The whole layer is one ``conv2d`` call on the padded input with the expanded kernel.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .fields import KIND_DIM, KINDS, FieldType, as_field_type
from .kernels import KernelBasis, expand_block
from .padding import naive_pad, transport_pad


def _check_kernel_size(kernel_size: int) -> int:
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, int):
        raise ValueError(f"kernel_size must be an odd int, got {kernel_size!r}")
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(
            f"kernel_size must be a positive odd int (centred kernels), got {kernel_size}"
        )
    return kernel_size


class MobiusConv(nn.Module):
    """Reflection-steerable convolution between feature spaces of the Möbius strip.

    Args:
        in_fields: input :class:`FieldType` (or multiplicity triple ``(n_scalar, n_sign, n_regular)``).
        out_fields: output field type.
        kernel_size: odd size ``k`` of the square kernel (width x length taps).
        bias: add a bias on the invariant directions of the output.

    Shapes: ``(B, in_fields.channels, W, L) -> (B, out_fields.channels, W, L)``.

    Parameters: one tensor ``weight_<out>_<in>`` of shape ``(m_out, m_in, d)`` per pair of field
    kinds present (``d`` = dimension of that pair's solution space), ``bias_scalar`` and
    ``bias_regular``. Every parameter is free; the constraint holds exactly for any values.
    """

    def __init__(
        self,
        in_fields: FieldType | tuple[int, int, int],
        out_fields: FieldType | tuple[int, int, int],
        kernel_size: int,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.in_fields = as_field_type(in_fields)
        self.out_fields = as_field_type(out_fields)
        if self.in_fields.channels == 0 or self.out_fields.channels == 0:
            raise ValueError(
                f"MobiusConv needs at least one input and one output field, got "
                f"in_fields={self.in_fields}, out_fields={self.out_fields}"
            )
        self.kernel_size = _check_kernel_size(kernel_size)
        # follows the module's dtype/device even when no parameter does (e.g. k = 1, scalar -> sign)
        self.register_buffer("_ref", torch.zeros(0), persistent=False)
        self._pairs: list[tuple[str, str]] = []
        for out_kind in KINDS:
            for in_kind in KINDS:
                m_out = self.out_fields.multiplicities[out_kind]
                m_in = self.in_fields.multiplicities[in_kind]
                if m_out == 0 or m_in == 0:
                    continue
                tables = KernelBasis.for_kinds(out_kind, in_kind, kernel_size)
                if tables.dim == 0:
                    continue
                name = f"{out_kind}_{in_kind}"
                self._pairs.append((out_kind, in_kind))
                self.register_parameter(
                    f"weight_{name}", nn.Parameter(torch.empty(m_out, m_in, tables.dim))
                )
                self.register_buffer(f"_index_{name}", tables.index, persistent=False)
                self.register_buffer(f"_sign_{name}", tables.sign.float(), persistent=False)
        if bias and self.out_fields.n_scalar:
            self.bias_scalar = nn.Parameter(torch.empty(self.out_fields.n_scalar))
        else:
            self.register_parameter("bias_scalar", None)
        if bias and self.out_fields.n_regular:
            self.bias_regular = nn.Parameter(torch.empty(self.out_fields.n_regular))
        else:
            self.register_parameter("bias_regular", None)
        self.reset_parameters()

    def reset_parameters(self, gain: float = math.sqrt(2.0)) -> None:
        """He-normal init: every kernel entry is +-1 times one parameter, so ``std = gain / sqrt(fan_in)``
        with ``fan_in = in_channels * k^2`` gives the expanded kernel the usual variance. Biases = 0."""
        std = gain / math.sqrt(self.in_fields.channels * self.kernel_size**2)
        for out_kind, in_kind in self._pairs:
            nn.init.normal_(getattr(self, f"weight_{out_kind}_{in_kind}"), 0.0, std)
        for b in (self.bias_scalar, self.bias_regular):
            if b is not None:
                nn.init.zeros_(b)

    def expand_kernel(self) -> torch.Tensor:
        """The full steerable kernel ``(C_out, C_in, k, k)`` built from the free parameters."""
        k = self.kernel_size
        ref = self._ref
        rows = []
        for out_kind in KINDS:
            m_out = self.out_fields.multiplicities[out_kind]
            if m_out == 0:
                continue
            blocks = []
            for in_kind in KINDS:
                m_in = self.in_fields.multiplicities[in_kind]
                if m_in == 0:
                    continue
                if (out_kind, in_kind) in self._pairs:
                    name = f"{out_kind}_{in_kind}"
                    index = getattr(self, f"_index_{name}")
                    sign = getattr(self, f"_sign_{name}").to(ref.dtype)
                    blocks.append(expand_block(getattr(self, f"weight_{name}"), index, sign))
                else:
                    shape = (m_out * KIND_DIM[out_kind], m_in * KIND_DIM[in_kind], k, k)
                    blocks.append(ref.new_zeros(shape))
            rows.append(torch.cat(blocks, dim=1))
        return torch.cat(rows, dim=0)

    def expand_bias(self) -> torch.Tensor | None:
        """The bias ``(C_out,)``: scalars, zeros on sign-flip fields, each regular value twice."""
        if self.bias_scalar is None and self.bias_regular is None:
            return None
        ref = self._ref
        parts = [
            self.bias_scalar if self.bias_scalar is not None else ref.new_zeros(0),
            ref.new_zeros(self.out_fields.n_sign),
        ]
        if self.bias_regular is not None:
            parts.append(self.bias_regular.repeat_interleave(2))
        return torch.cat(parts)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.in_fields.check(x)
        pad = self.kernel_size // 2
        padded = transport_pad(x, self.in_fields, pad)
        return F.conv2d(padded, self.expand_kernel(), self.expand_bias(), padding=(pad, 0))

    def extra_repr(self) -> str:
        return (
            f"in_fields={self.in_fields}, out_fields={self.out_fields}, "
            f"kernel_size={self.kernel_size}, bias={self.bias_scalar is not None or self.bias_regular is not None}"
        )


class NaiveMobiusConv(nn.Module):
    """Conventional (coordinate-dependent) convolution on the strip: the CNN baseline.

    Same interface and topology as :class:`MobiusConv` (the seam is glued with the width flip),
    but the kernel is unconstrained, the bias is free and channels are NOT transformed across the
    seam (:func:`~gaugeconv.mobius.naive_pad`). Field types only fix the channel counts; the
    layer is not equivariant under shifts that carry features across the seam.
    """

    def __init__(
        self,
        in_fields: FieldType | tuple[int, int, int] | int,
        out_fields: FieldType | tuple[int, int, int] | int,
        kernel_size: int,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.in_fields = as_field_type(in_fields)
        self.out_fields = as_field_type(out_fields)
        if self.in_fields.channels == 0 or self.out_fields.channels == 0:
            raise ValueError("NaiveMobiusConv needs at least one input and one output channel")
        self.kernel_size = _check_kernel_size(kernel_size)
        k = kernel_size
        self.weight = nn.Parameter(
            torch.empty(self.out_fields.channels, self.in_fields.channels, k, k)
        )
        self.bias = nn.Parameter(torch.empty(self.out_fields.channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self, gain: float = math.sqrt(2.0)) -> None:
        std = gain / math.sqrt(self.in_fields.channels * self.kernel_size**2)
        nn.init.normal_(self.weight, 0.0, std)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def expand_kernel(self) -> torch.Tensor:
        return self.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.in_fields.check(x)
        pad = self.kernel_size // 2
        return F.conv2d(naive_pad(x, pad), self.weight, self.bias, padding=(pad, 0))

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_fields.channels}, out_channels={self.out_fields.channels}, "
            f"kernel_size={self.kernel_size}, bias={self.bias is not None}"
        )
