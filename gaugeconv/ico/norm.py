r"""Normalisation of chart fields with statistics shared over the 6 orientations of regular fields.

Statistics are taken over the non-pentagon cells only (pentagons carry no features) and, for a
regular field, over its 6 orientation channels together: a rotation permutes cells and rolls the
orientations, so these sums are invariant and the normalisation commutes with it. The affine part is
one scale and one shift per field (shared by its orientations; a constant over orientations is the
invariant part of the regular representation). Outputs are zero at the pentagon cells.

- ``IcoBatchNorm``: statistics over (batch, cells, orientations) per field, running estimates for
  evaluation as in ``torch.nn.BatchNorm``;
- ``IcoLayerNorm``: statistics per sample over all fields, orientations and cells.
"""

from __future__ import annotations

import torch
from torch import nn

from .atlas import get_atlas, level_of_chart_shape
from .fields import FieldType
from .padding import zero_pentagons

__all__ = ["IcoBatchNorm", "IcoLayerNorm"]


class _FieldNorm(nn.Module):
    def __init__(self, ftype: FieldType, eps: float, affine: bool) -> None:
        super().__init__()
        self.ftype, self.eps = ftype, eps
        self.register_buffer(
            "field_index", torch.as_tensor(ftype.field_of_channel()), persistent=False
        )
        counts = torch.bincount(self.field_index, minlength=ftype.n_fields).to(torch.float64)
        self.register_buffer("channels_per_field", counts, persistent=False)
        if affine:
            self.weight = nn.Parameter(torch.ones(ftype.n_fields))
            self.bias = nn.Parameter(torch.zeros(ftype.n_fields))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def _mask(self, x: torch.Tensor):
        atlas = get_atlas(level_of_chart_shape(x))
        self.ftype.check_channels(x.shape[2])
        mask = atlas.cached(
            ("cellmask", str(x.device), x.dtype),
            lambda: torch.as_tensor(atlas.cell_mask(), dtype=x.dtype, device=x.device)[:, None],
        )  # (5, 1, H, W)
        return atlas, mask

    def _per_field(self, per_channel: torch.Tensor) -> torch.Tensor:
        """Sum (..., C) over the channels of each field -> (..., F)."""
        shape = (*per_channel.shape[:-1], self.ftype.n_fields)
        out = per_channel.new_zeros(shape)
        return out.index_add(-1, self.field_index, per_channel)

    def _affine(self, y: torch.Tensor) -> torch.Tensor:
        if self.weight is None:
            return y
        w = self.weight[self.field_index][:, None, None]
        b = self.bias[self.field_index][:, None, None]
        return y * w + b


class IcoBatchNorm(_FieldNorm):
    """Batch norm of a chart tensor (B, 5, C, H, W) of type ``ftype`` (see module doc)."""

    def __init__(
        self, ftype: FieldType, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True
    ) -> None:
        super().__init__(ftype, eps, affine)
        self.momentum = momentum
        self.register_buffer("running_mean", torch.zeros(ftype.n_fields))
        self.register_buffer("running_var", torch.ones(ftype.n_fields))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        atlas, mask = self._mask(x)
        if self.training:
            n = x.shape[0] * mask.sum() * self.channels_per_field.to(x.dtype)  # (F,)
            mean = self._per_field((x * mask).sum((0, 1, 3, 4))) / n
            dev = (x - mean[self.field_index][:, None, None]) * mask
            var = self._per_field((dev * dev).sum((0, 1, 3, 4))) / n
            with torch.no_grad():
                unbiased = var * n / (n - 1).clamp_min(1)
                self.running_mean.lerp_(mean.to(self.running_mean.dtype), self.momentum)
                self.running_var.lerp_(unbiased.to(self.running_var.dtype), self.momentum)
        else:
            mean, var = self.running_mean.to(x.dtype), self.running_var.to(x.dtype)
        scale = torch.rsqrt(var + self.eps)[self.field_index][:, None, None]
        y = (x - mean[self.field_index][:, None, None]) * scale
        return zero_pentagons(self._affine(y), atlas)


class IcoLayerNorm(_FieldNorm):
    """Per-sample normalisation over all fields, orientations and non-pentagon cells."""

    def __init__(self, ftype: FieldType, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__(ftype, eps, affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        atlas, mask = self._mask(x)
        n = mask.sum() * x.shape[2]
        mean = (x * mask).sum((1, 2, 3, 4), keepdim=True) / n
        dev = (x - mean) * mask
        var = (dev * dev).sum((1, 2, 3, 4), keepdim=True) / n
        y = (x - mean) * torch.rsqrt(var + self.eps)
        return zero_pentagons(self._affine(y), atlas)
