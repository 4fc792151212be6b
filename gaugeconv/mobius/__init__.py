"""Convolutions on the Möbius strip: the grid path (one ``conv2d`` per layer, seam padding).

Feature tensors are ``(B, C, W, L)``: width (the reflected axis), then length (periodic with a
twist: column ``L`` is column ``0`` with the width reversed). Conventions: :mod:`.isometry`.
"""

from .conv import MobiusConv, NaiveMobiusConv
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
    "shift",
    "solution_dimension",
    "steerable_basis",
    "transport_pad",
    "vertices_to_grid",
]
