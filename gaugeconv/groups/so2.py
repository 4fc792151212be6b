r"""SO(2) and O(2) irreducible representations in gaugeconv's feature layout.

A feature tensor has shape ``(N, C, 2L + 1)``: index 0 is the order-0 (scalar) part, indices
``(2n - 1, 2n)`` are the (cos, sin) coordinates of the order-n part. In complex notation the order-n
part is ``z_n = x[..., 2n-1] + i x[..., 2n]`` and

* a rotation by ``phi`` acts as ``rho_n(phi) z_n = e^{i n phi} z_n`` (scalars are invariant);
* the reflection ``s`` (O(2) only) acts as ``rho_n(s) z_n = conj(z_n)``, i.e. ``diag(1, -1)`` on each
  (cos, sin) pair; order-0 features are true scalars (invariant under reflections too). Pseudo-scalars
  (sign flip under reflections) are not used by the layers.

A **gauge transformation** that flips the frame at a vertex (if asked) and then rotates it by
``alpha`` changes the coefficients of a fixed geometric feature to ``rho_n(-alpha) rho_n(s) z_n``
(``docs/design.md``, "Gauge transformations"). Parallel transport along an edge acts as ``rho_n(g)`` or, on reflecting
edges, ``rho_n(g) rho_n(s)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


def feature_dim(order: int) -> int:
    """Number of components of a feature of maximal order L: ``2 L + 1``."""
    if order < 0:
        raise ValueError(f"order must be >= 0, got {order}")
    return 2 * order + 1


def order_of(dim: int) -> int:
    """Maximal order L of a feature with ``dim = 2 L + 1`` components."""
    if dim < 1 or dim % 2 == 0:
        raise ValueError(f"a feature has 2L+1 (odd) components, got {dim}")
    return (dim - 1) // 2


def split_orders(x: torch.Tensor, order: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Scalar parts (..., C, 1) and (cos, sin) pairs (..., C, L, 2) (None if L = 0) of features
    with orders 0..``order``; ``ValueError`` for features of another order."""
    L = order_of(x.shape[-1])
    if L != order:
        raise ValueError(
            f"expected order {order} features ({2 * order + 1} components), got order {L}"
        )
    return x[..., :1], (x[..., 1:].unflatten(-1, (L, 2)) if L else None)


def merge_orders(scalars: torch.Tensor, pairs: torch.Tensor | None) -> torch.Tensor:
    """Inverse of :func:`split_orders`."""
    return scalars if pairs is None else torch.cat([scalars, pairs.flatten(-2)], -1)


def rotate(x: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Apply ``rho(angle)`` per vertex: order-n parts rotate by ``n * angle``.

    ``x``: (N, C, 2L+1); ``angle``: (N,) or a scalar.
    """
    L = order_of(x.shape[-1])
    if L == 0:
        return x
    n = torch.arange(1, L + 1, device=x.device, dtype=x.dtype)
    a = torch.as_tensor(angle, dtype=x.dtype, device=x.device)
    a = a.reshape(-1, *([1] * (x.dim() - 1))) if a.dim() else a
    phase = a * n  # (N, 1, L) or (L,)
    c, s = torch.cos(phase), torch.sin(phase)
    xc, xs = x[..., 1::2], x[..., 2::2]
    out = torch.empty_like(x)
    out[..., 0] = x[..., 0]
    out[..., 1::2] = c * xc - s * xs
    out[..., 2::2] = s * xc + c * xs
    return out


def reflect(x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Apply ``rho(s)`` (negate every sin coordinate), where ``mask`` (N,) is True (all if None)."""
    out = x.clone()
    if mask is None:
        out[..., 2::2] = -out[..., 2::2]
    else:
        m = mask.reshape(-1, *([1] * (x.dim() - 1)))
        out[..., 2::2] = torch.where(m, -x[..., 2::2], x[..., 2::2])
    return out


def gauge_transform(
    x: torch.Tensor, alpha: torch.Tensor, flip: torch.Tensor | None = None
) -> torch.Tensor:
    """Coefficients after the gauge change 'flip (where ``flip``), then rotate the frame by alpha':
    the transport by ``-alpha`` (with the reflection where ``flip``)."""
    return transport(x, -alpha, flip)


def transport(x: torch.Tensor, angle: torch.Tensor, reflection: torch.Tensor | None = None):
    """Parallel transport of features: ``rho(g) rho(s)^reflection`` (reflection applied first)."""
    if reflection is not None:
        x = reflect(x, reflection)
    return rotate(x, angle)


@dataclass(frozen=True)
class StructureGroup:
    """A structure group of the tangent bundle acting on irreps of orders 0..L."""

    name: str
    has_reflections: bool

    def __str__(self) -> str:
        return self.name


SO2 = StructureGroup("SO2", has_reflections=False)
O2 = StructureGroup("O2", has_reflections=True)
GROUPS = {"SO2": SO2, "O2": O2}


def get_group(group: str | StructureGroup) -> StructureGroup:
    """The structure group named ``"SO2"`` or ``"O2"`` (a :class:`StructureGroup` is returned as it
    is); ``ValueError`` for any other name."""
    if isinstance(group, StructureGroup):
        return group
    if group not in GROUPS:
        raise ValueError(f"group must be one of {sorted(GROUPS)}, got {group!r}")
    return GROUPS[group]
