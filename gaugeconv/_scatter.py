"""Scatter helpers shared by the feature and pooling code."""

from __future__ import annotations

import torch


def scatter_mean(src: torch.Tensor, index: torch.Tensor, n: int) -> torch.Tensor:
    """``out[k] = mean of src[e] over e with index[e] == k`` (0 where no e), for k < n."""
    out = src.new_zeros(n, *src.shape[1:]).index_add_(0, index, src)
    count = torch.bincount(index, minlength=n).clamp(min=1).to(src.dtype)
    return out / count.view(-1, *([1] * (src.dim() - 1)))
