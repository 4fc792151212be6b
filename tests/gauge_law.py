"""The gauge-transformation law of docs/design.md, written out independently of the library.

Used by the tests to transform graphs and features; kept deliberately naive (loops over orders).
"""

from __future__ import annotations

import numpy as np
import torch


def wrap(a):
    return torch.remainder(a + torch.pi, 2 * torch.pi) - torch.pi


def transform_graph(graph, alpha: torch.Tensor, flip: torch.Tensor | None = None):
    """Graph after the gauge change: at vertex v flip first (if ``flip[v]``), then rotate by alpha_v.

    For an edge j -> i: flipping at i negates theta and g and toggles reflect; flipping at j toggles
    reflect; rotating by alpha gives theta' = theta - alpha_i and g' = g + alpha_j - alpha_i
    (g' = g - alpha_j - alpha_i on reflecting edges). Frames rotate/flip accordingly.
    """
    g = graph.clone()
    j, i = graph.edge_index
    theta = graph.edge_log[:, 1].clone()
    trans = graph.edge_transport.clone()
    refl = graph.edge_reflect.clone()
    if flip is not None:
        fi, fj = flip[i], flip[j]
        theta = torch.where(fi, -theta, theta)
        trans = torch.where(fi, -trans, trans)
        refl = refl ^ fi ^ fj
    a = alpha.to(theta.dtype)
    theta = theta - a[i]
    trans = torch.where(refl, trans - a[j] - a[i], trans + a[j] - a[i])
    g.edge_log = torch.stack([graph.edge_log[:, 0], wrap(theta)], 1)
    g.edge_transport = wrap(trans)
    g.edge_reflect = refl
    if getattr(graph, "frame", None) is not None:
        e1, e2 = graph.frame[:, 0], graph.frame[:, 1]
        if flip is not None:
            e2 = torch.where(flip[:, None], -e2, e2)
        c, s = torch.cos(a)[:, None], torch.sin(a)[:, None]
        g.frame = torch.stack([c * e1 + s * e2, -s * e1 + c * e2], 1)
        g.normal = torch.linalg.cross(g.frame[:, 0], g.frame[:, 1])
    return g


def transform_features(x: torch.Tensor, alpha: torch.Tensor, flip: torch.Tensor | None = None):
    """Features (N, C, 2L+1) after the gauge change: flip ((c, s) -> (c, -s)), then R(-n alpha)."""
    y = x.clone()
    n_orders = (x.shape[-1] - 1) // 2
    for n in range(1, n_orders + 1):
        c, s = y[..., 2 * n - 1].clone(), y[..., 2 * n].clone()
        if flip is not None:
            s = torch.where(flip[:, None], -s, s)
        ca = torch.cos(n * alpha).to(x.dtype)[:, None]
        sa = torch.sin(n * alpha).to(x.dtype)[:, None]
        y[..., 2 * n - 1] = ca * c + sa * s
        y[..., 2 * n] = -sa * c + ca * s
    return y


def random_gauge(n: int, seed: int, flips: bool = False, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    alpha = (torch.rand(n, generator=gen, dtype=dtype) * 2 - 1) * torch.pi
    flip = (torch.rand(n, generator=gen) < 0.5) if flips else None
    return alpha, flip


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.detach(), b.detach()
    return float((a - b).norm() / max(float(b.norm()), 1e-300))


def numpy_graph(graph) -> dict:
    return {k: (v.numpy() if isinstance(v, torch.Tensor) else v) for k, v in graph.items()}


__all__ = [
    "numpy_graph",
    "random_gauge",
    "relative_error",
    "transform_features",
    "transform_graph",
    "wrap",
    "np",
]
