r"""Gauge-equivariant hexagonal convolution on the atlas: one ``conv2d`` per layer.

``IcoConv(in_type, out_type)`` maps a chart tensor (B, 5, C_in, H, W) to (B, 5, C_out, H, W):

1. pad each chart from its neighbours, regular channels shifted into the chart's gauge
   (:func:`.padding.pad_charts`), pentagon inputs zeroed;
2. one ``F.conv2d`` over the (B * 5) padded charts with the 3 x 3 expansion of the C6-steerable
   hexagonal kernel (:mod:`.kernels`) and the field-wise bias;
3. the 10 pentagon cells of the output are set to zero.

Equivariance: with ``f`` the input and ``n_k(v)`` the neighbour of v in direction k (its value read in
v's gauge through the padding shift), ``out(v)[o] = sum_k,o' W[o, o', k] f(n_k(v))[o'] + bias``. A
rotation of the icosahedron moves v to v', ``n_k(v)`` to ``n_{k+s}(v')`` and rolls regular fields by
``s``; the kernel constraint ``W[o + s, o' + s, k + s] = W[o, o', k]`` makes the output roll by the
same ``s``. It holds exactly at every non-pentagon point; pentagons carry zeros.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .atlas import IcoAtlas, get_atlas, level_of_chart_shape
from .fields import FieldType
from .kernels import hex_bias_index, hex_kernel_index
from .padding import pad_charts, zero_pentagons

__all__ = ["IcoConv", "ico_conv"]


def ico_conv(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    in_type: FieldType,
    atlas: IcoAtlas | None = None,
) -> torch.Tensor:
    """Functional form: ``x`` (B, 5, C_in, H, W), ``weight`` (C_out, C_in, 3, 3) -> (B, 5, C_out, H, W).

    The weight is used as given (the constraint lives in :class:`IcoConv`; a free 3 x 3 weight here
    is *not* equivariant)."""
    if atlas is None:
        atlas = get_atlas(level_of_chart_shape(x))
    b = x.shape[0]
    xp = pad_charts(x, in_type, atlas)
    out = F.conv2d(xp, weight, bias)
    out = out.view(b, 5, weight.shape[0], atlas.H, atlas.W)
    return zero_pentagons(out, atlas)


class IcoConv(nn.Module):
    """Hexagonal C6-equivariant convolution between field types (scalar and/or regular)."""

    def __init__(self, in_type: FieldType, out_type: FieldType, bias: bool = True) -> None:
        super().__init__()
        if not isinstance(in_type, FieldType) or not isinstance(out_type, FieldType):
            raise ValueError("in_type and out_type must be FieldType instances")
        self.in_type, self.out_type = in_type, out_type
        index, n_params = hex_kernel_index(in_type, out_type)
        index[index < 0] = n_params  # fixed zeros read the entry appended to the parameters
        self.register_buffer("weight_index", torch.as_tensor(index), persistent=False)
        self.params = nn.Parameter(torch.randn(n_params) * math.sqrt(2.0 / (7 * in_type.size)))
        if bias:
            bindex, n_bias = hex_bias_index(out_type)
            self.register_buffer("bias_index", torch.as_tensor(bindex), persistent=False)
            self.bias = nn.Parameter(torch.zeros(n_bias))
        else:
            self.register_parameter("bias", None)

    @property
    def n_free_parameters(self) -> int:
        return self.params.numel()

    def expanded_weight(self) -> torch.Tensor:
        """The (C_out, C_in, 3, 3) conv2d weight."""
        ext = torch.cat([self.params, self.params.new_zeros(1)])
        flat = ext.index_select(0, self.weight_index.reshape(-1))
        return flat.view(self.weight_index.shape)

    def expanded_bias(self) -> torch.Tensor | None:
        return None if self.bias is None else self.bias.index_select(0, self.bias_index)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        atlas = get_atlas(level_of_chart_shape(x))
        self.in_type.check_channels(x.shape[2])
        return ico_conv(x, self.expanded_weight(), self.expanded_bias(), self.in_type, atlas)

    def extra_repr(self) -> str:
        return f"{self.in_type} -> {self.out_type}, bias={self.bias is not None}"
