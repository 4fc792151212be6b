r"""One toolkit, two paths: a :class:`~gaugeconv.nn.GemConv` on the chart path's connection is an
:class:`~.conv.IcoConv` seen through the Fourier transform over the 6 orientations.

**Statement (exact).** Let ``conv`` be a ``GemConv`` (SO(2) or O(2)) with input and output orders
``L_in, L_out <= 2``, **one** radial ring, on the gauge graph :func:`.connection.hex_gauge_graph`
(level r), and let ``x`` (V, C_in, 2 L_in + 1) vanish at the 12 pentagons. Then, with
``icoconv_from_gem(conv)`` and the transforms of :mod:`.fourier`,

.. math::
    \mathrm{GemConv}(x)_i \;=\; \mathcal F\big(\mathrm{IcoConv}(\mathcal F^{-1} x)\big)_i
    \qquad \text{at every hexagonal vertex } i \text{ (all but the 12 pentagons)},

where ``F^{-1}`` turns an order-0 feature into a scalar field and an order ``<= 2`` feature into a
regular field with zero order-3 part (:func:`gem_to_fields`), and ``F`` reads back orders
``0..L_out`` (:func:`fields_to_gem`); the order-3 part of the chart output is exactly zero.

**Why.** At a hexagonal vertex i of ``hex_gauge_graph`` the six neighbours lie at angles
``theta = 60 k`` degrees, the transports are multiples of 60 degrees and the degree is 6, so

    GemConv(x)_i = (1 / 7) (S x_i + sum_k K(60 k) rho(g_k) x_{n_k(i)}) + beta,

with ``K(theta) = rho_out(theta) W rho_in(-theta)`` (one ring: the radial profile is constant) and
the self-interaction ``S``. The chart convolution computes
``out_i = W_c f_i + sum_k W_k f~_{n_k(i)} + b`` with ``f~`` the neighbour read in i's gauge. The
Fourier transform intertwines the regular representation with the irreps (``rho_n(g)`` on the
coefficients = the orientation shift on the regular field), so choosing

    W_k = E_out K(60 k) P_in / 7,    W_c = E_out S P_in / 7,    b = beta

(``P_in`` = analysis of orders ``0..L_in``, ``E_out`` = synthesis of orders ``0..L_out``, the identity
for scalar fields) makes the two sides equal term by term. These ``W_k`` satisfy the chart path's C6
constraint ``W_{k+1} = R W_k R^{-1}`` because ``K(theta + 60) = rho_out(60) K(theta) rho_in(-60)``:
the sampled GEM kernel lies in the ``IcoConv`` kernel space, and ``icoconv_from_gem`` checks that
its expansion reproduces them to rounding.

**What does not match.**

- *Parameter spaces.* Per field pair the chart kernels have 42 (regular -> regular), 7 (scalar ->
  regular, regular -> scalar) and 2 (scalar -> scalar) parameters; the GEM kernels with one ring
  (SO(2), no band limit) 25 + 5 = 30, 5 + 1 = 6, 5 + 1 = 6 and 1 + 1 = 2. The map from GEM
  parameters to chart kernels is injective, and its image is exactly the chart kernels with no
  order-3 component (no row or column of the sign representation): 42 = 30 + 12 with 12 = ring
  terms sign -> orders 0..2 (5), orders 0..2 -> sign (5), sign -> sign (1) and the sign -> sign
  centre (1); 7 = 6 + 1 (the ring term between the scalar and the sign part). The ring parts agree
  because on a hexagonal stencil both spaces are "any matrix ``W`` at direction 0, rotated to the
  others", and ``K(0) = W`` is an arbitrary map between irreps for GEM.
- *Order 3.* A GEM feature of order 3 restricted to C6 is two copies of the sign representation
  (2 real components against the regular field's 1), so orders ``> 2`` have no one-to-one
  counterpart; regular fields in turn carry the sign part that GEM features of order ``<= 2`` lack.
- *Pentagons.* The chart path carries no features at the 12 pentagons (zero in, zero out); GEM
  treats them as 5-neighbour vertices (angles 72 m degrees, normalisation 1/6). Their outputs differ
  and pentagon inputs must be zero; their hexagonal neighbours still agree (they see a zero).
- *Radial profile.* With more than one ring the hat functions are sampled at the chords to the six
  neighbours, which differ from neighbour to neighbour on the geodesic icosphere, so the GEM kernel
  is not the same on the six taps of the hexagon: no chart kernel matches.
- *Geometry.* On the mesh's intrinsic gauge graph (``gauge_graph(icosphere(r))``) the neighbour
  angles deviate from ``60 k`` by up to about 12 degrees and the transports are not multiples of 60
  degrees, so GEM there computes a different function; the statement is about the chart path's own
  connection written as a gauge graph.
- *Normalisation.* GEM's ``1 / (deg + 1) = 1/7`` is folded into the chart weights; the bias is not.
"""

from __future__ import annotations

import numpy as np
import torch

from .fields import ORDER, FieldType
from .fourier import ANALYSIS, SYNTHESIS, irreps_to_regular, regular_to_irreps
from .kernels import TAP_POSITIONS

__all__ = [
    "field_type_of_order",
    "fields_to_gem",
    "gem_kernel",
    "gem_self_interaction",
    "gem_to_fields",
    "icoconv_from_gem",
]

#: closed-neighbourhood normalisation of GemConv at a hexagonal vertex: 1 / (6 + 1)
HEX_NORMALISATION = 1.0 / 7.0


def field_type_of_order(channels: int, order: int) -> FieldType:
    """The chart field type carrying ``channels`` GEM features of orders ``0..order``: scalars for
    order 0, regular fields for order 1 or 2."""
    if not 0 <= order <= 2:
        raise ValueError(f"only orders 0..2 have a chart counterpart, got {order}")
    return FieldType.scalar(channels) if order == 0 else FieldType.regular_fields(channels)


def _check_conv(conv) -> None:
    from ..nn.gem_conv import GemConv

    if not isinstance(conv, GemConv):
        raise ValueError(f"expected a GemConv, got {type(conv).__name__}")
    if conv.n_rings != 1:
        raise ValueError(
            f"the GemConv has {conv.n_rings} radial rings; only one ring (a constant radial "
            "profile) is the same on the six hexagonal taps"
        )
    if max(conv.in_order, conv.out_order) > 2:
        raise ValueError(
            f"orders {conv.in_order} -> {conv.out_order}: only orders <= 2 have a chart "
            "counterpart (order 3 restricted to C6 is two copies of the sign representation)"
        )


def _coefficients(conv):
    """(term, complex (C_in, C_out) coefficient) of every kernel term of ring 0."""
    for (n, m), terms in conv._terms.items():
        w = conv.weights[f"{n}_{m}"].detach().to("cpu", torch.float64).numpy()
        off = 0
        for t in terms:
            im = w[0, off + 1] if t.complex_param else 0.0
            yield t, w[0, off] + 1j * im
            off += t.n_params


def gem_kernel(conv, theta: float) -> np.ndarray:
    """The GEM kernel ``K(theta)`` of ring 0 acting on the transported neighbour feature, as a real
    array (C_out, 2 L_out + 1, C_in, 2 L_in + 1) (float64)."""
    _check_conv(conv)
    d_out, d_in = 2 * conv.out_order + 1, 2 * conv.in_order + 1
    K = np.zeros((conv.out_channels, d_out, conv.in_channels, d_in))
    for t, c in _coefficients(conv):
        basis = [(0, 1.0 + 0j)] if t.n == 0 else [(2 * t.n - 1, 1.0 + 0j), (2 * t.n, 1j)]
        for col, w in basis:
            v = (c * np.exp(1j * t.k * theta) * (np.conj(w) if t.conj else w)).T  # (C_out, C_in)
            if t.m == 0:
                K[:, 0, :, col] += v.real
            else:
                K[:, 2 * t.m - 1, :, col] += v.real
                K[:, 2 * t.m, :, col] += v.imag
    return K


def gem_self_interaction(conv) -> np.ndarray:
    """The self-interaction ``S`` as a real array (C_out, 2 L_out + 1, C_in, 2 L_in + 1)."""
    _check_conv(conv)
    d_out, d_in = 2 * conv.out_order + 1, 2 * conv.in_order + 1
    S = np.zeros((conv.out_channels, d_out, conv.in_channels, d_in))
    for key, s in conv.self_weights.items():
        m = int(key)
        s = s.detach().to("cpu", torch.float64).numpy()
        re, im = s[0].T, (s[1].T if s.shape[0] == 2 else 0.0 * s[0].T)
        if m == 0:
            S[:, 0, :, 0] = re
        else:  # multiplication by re + i im on (cos, sin)
            c, si = 2 * m - 1, 2 * m
            S[:, c, :, c], S[:, c, :, si] = re, -im
            S[:, si, :, c], S[:, si, :, si] = im, re
    return S


def _chart_block(kernel: np.ndarray, in_order: int, out_order: int) -> np.ndarray:
    """(C_out, D_out, C_in, D_in) irreps kernel -> (C_out * dim, C_in * dim) chart matrix."""
    e_out = np.ones((1, 1)) if out_order == 0 else SYNTHESIS[:, : 2 * out_order + 1]
    p_in = np.ones((1, 1)) if in_order == 0 else ANALYSIS[: 2 * in_order + 1]
    w = np.einsum("oi,aibj,jp->aobp", e_out, kernel, p_in)
    return w.reshape(w.shape[0] * w.shape[1], w.shape[2] * w.shape[3])


def icoconv_from_gem(conv, dtype: torch.dtype = torch.float64):
    """The :class:`~.conv.IcoConv` with ``F(IcoConv(F^{-1} x)) = conv(x, hex_gauge_graph)`` at the
    hexagonal vertices (module docstring). ValueError for GemConvs that have no chart counterpart
    (more than one ring, orders above 2)."""
    from .conv import IcoConv

    _check_conv(conv)
    li, lo = conv.in_order, conv.out_order
    in_type = field_type_of_order(conv.in_channels, li)
    out_type = field_type_of_order(conv.out_channels, lo)
    full = np.zeros((out_type.size, in_type.size, 3, 3))
    for k in range(ORDER):
        h, w = TAP_POSITIONS[k]
        full[:, :, h, w] = _chart_block(gem_kernel(conv, k * np.pi / 3), li, lo)
    full[:, :, 1, 1] = _chart_block(gem_self_interaction(conv), li, lo)
    full *= HEX_NORMALISATION

    chart = IcoConv(in_type, out_type, bias=conv.bias is not None).to(dtype)
    index = chart.weight_index.cpu().numpy().reshape(-1)
    n_params = chart.n_free_parameters
    values, first = np.unique(index, return_index=True)
    if not np.array_equal(values[:n_params], np.arange(n_params)):
        raise RuntimeError("the IcoConv index does not use every parameter")
    with torch.no_grad():
        chart.params.copy_(torch.as_tensor(full.reshape(-1)[first[:n_params]]))
        if conv.bias is not None:
            chart.bias.copy_(conv.bias.detach())
        got = chart.expanded_weight().detach().to(torch.float64).numpy()
    scale = max(np.abs(full).max(), 1e-300)
    if (
        np.abs(got - full).max() > 1e-12 * scale
    ):  # would mean the sampled kernel is not C6-steerable
        raise RuntimeError(
            f"the sampled GEM kernel is not in the IcoConv space (mismatch "
            f"{np.abs(got - full).max() / scale:.2e})"
        )
    return chart


def gem_to_fields(x: torch.Tensor) -> torch.Tensor:
    """GEM features (V, C, 2L + 1), L <= 2 -> per-vertex chart-path fields (1, C', V): scalars for
    L = 0, regular fields (``F^{-1}``, zero order-3 part) otherwise."""
    if x.dim() != 3 or x.shape[-1] not in (1, 3, 5):
        raise ValueError(f"expected GEM features (V, C, 2L + 1) with L <= 2, got {tuple(x.shape)}")
    if x.shape[-1] == 1:
        return x[..., 0].t()[None].contiguous()
    f = irreps_to_regular(x)  # (V, C, 6)
    return f.reshape(x.shape[0], -1).t()[None].contiguous()


def fields_to_gem(y: torch.Tensor, ftype: FieldType, order: int) -> torch.Tensor:
    """Per-vertex chart-path fields (1, C', V) of type ``ftype`` (all scalar or all regular) ->
    GEM features (V, C, 2 order + 1): scalars as order 0, regular fields through ``F`` (orders
    ``0..order``; their order-3 part is dropped, see :func:`.fourier.regular_sign_part`)."""
    if y.dim() != 3 or y.shape[0] != 1:
        raise ValueError(f"expected per-vertex fields (1, C, V), got {tuple(y.shape)}")
    ftype.check_channels(y.shape[1])
    v = y[0].t()  # (V, C')
    if ftype.regular == 0:
        if order != 0:
            raise ValueError("scalar fields are GEM features of order 0 only")
        return v[..., None].contiguous()
    if ftype.scalars:
        raise ValueError(f"{ftype} mixes scalar and regular fields; convert them separately")
    return regular_to_irreps(v.reshape(v.shape[0], -1, ORDER), order)
