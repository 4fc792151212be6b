"""Convolutions on the Möbius strip: the grid path (one ``conv2d`` per layer, seam padding).

Feature tensors are ``(B, C, W, L)``: width (the reflected axis), then length (periodic with a
twist: column ``L`` is column ``0`` with the width reversed). Grid conventions and the relation to
``gaugeconv.shapes.mobius_strip(..., flat=True)``: :mod:`.isometry`. Structure group {e, s};
field types (scalar, sign-flip, regular): :mod:`.fields`.

>>> import torch
>>> from gaugeconv.mobius import FieldType, MobiusConv, shift
>>> f_in, f_out = FieldType(1, 1, 1), FieldType(2, 0, 3)
>>> conv = MobiusConv(f_in, f_out, kernel_size=5).double()
>>> x = torch.randn(2, f_in.channels, 7, 12, dtype=torch.float64)
>>> bool(torch.allclose(conv(shift(x, 5, f_in)), shift(conv(x), 5, f_out)))
True

Layers: :class:`MobiusConv` (reflection-steerable kernels, transport padding), :class:`MobiusELU`,
:class:`MobiusMaxPool` (even shifts), :class:`NaiveMobiusConv` (CNN baseline). Models of the paper:
:func:`build_model` with names in :data:`ZOO`. Experiment: :func:`run_mobius_digits`.
"""

from .conv import MobiusConv, NaiveMobiusConv
from .experiment import run_mobius_digits
from .fields import FieldType, as_field_type
from .isometry import (
    double_cover,
    global_flip,
    grid_to_vertices,
    naive_double_cover,
    shift,
    vertices_to_grid,
)
from .kernels import KernelBasis, solution_dimension, steerable_basis
from .models import (
    GAUGE_UNITS,
    PUBLISHED_ERRORS,
    PUBLISHED_PARAMS,
    ZOO,
    MobiusCNN,
    MobiusGaugeCNN,
    build_model,
    count_parameters,
)
from .nonlinearity import MobiusELU, odd_elu
from .padding import naive_pad, transport_pad
from .pooling import MobiusMaxPool, global_max_pool

__all__ = [
    "GAUGE_UNITS",
    "PUBLISHED_ERRORS",
    "PUBLISHED_PARAMS",
    "ZOO",
    "FieldType",
    "KernelBasis",
    "MobiusCNN",
    "MobiusConv",
    "MobiusELU",
    "MobiusGaugeCNN",
    "MobiusMaxPool",
    "NaiveMobiusConv",
    "as_field_type",
    "build_model",
    "count_parameters",
    "double_cover",
    "global_flip",
    "global_max_pool",
    "grid_to_vertices",
    "naive_double_cover",
    "naive_pad",
    "odd_elu",
    "run_mobius_digits",
    "shift",
    "solution_dimension",
    "steerable_basis",
    "transport_pad",
    "vertices_to_grid",
]
