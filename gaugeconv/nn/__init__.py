"""Gauge-equivariant layers: kernel spaces, GemConv, nonlinearities, norms, pooling, blocks."""

from .blocks import GemResBlock
from .gem_conv import GemConv
from .kernels import KernelTerm, kernel_matrix, kernel_terms, n_kernel_params
from .linear import EquivariantLinear
from .nonlinearities import (
    GatedNonlinearity,
    NormNonlinearity,
    RegularNonlinearity,
    regular_nonlinearity_error,
)
from .norms import GaugeBatchNorm, GaugeLayerNorm
from .pooling import MeshPool, MeshUnpool
from .readout import GaugeInvariants, GlobalReadout, edge_readout, face_readout

__all__ = [
    "EquivariantLinear",
    "GatedNonlinearity",
    "GaugeBatchNorm",
    "GaugeInvariants",
    "GaugeLayerNorm",
    "GemConv",
    "GemResBlock",
    "GlobalReadout",
    "KernelTerm",
    "MeshPool",
    "MeshUnpool",
    "NormNonlinearity",
    "RegularNonlinearity",
    "edge_readout",
    "face_readout",
    "kernel_matrix",
    "kernel_terms",
    "n_kernel_params",
    "regular_nonlinearity_error",
]
