r"""Test helpers for gauge-equivariant models: check the transformation law on your own modules.

Modelled on escnn's ``check_equivariance`` and e3nn's ``assert_equivariant``: apply a random
transformation, run the module on the original and the transformed input, compare in float64, and
return the measured error (or raise ``AssertionError`` stating it).

* :func:`assert_gauge_equivariant` - a random gauge per vertex (rotations; flips too for O(2)):
  ``f(T x, T graph) == T' f(x, graph)`` with ``T`` the gauge law of the contract
  (``docs/design.md``, "Gauge transformations") on the graph fields and the input features, and
  ``T'`` the same law on feature outputs, the identity on invariant outputs.
* :func:`assert_rotation_invariant` - rotate the mesh in 3-D, rebuild the gauge graph and the
  input features, compare the outputs: scalars must not change and order-n coefficients neither
  (the frames turn with the mesh, so tangent vectors turn with it).
* :func:`gauge_transform_graph`, :func:`random_gauge` - the gauge change itself, for your own checks.

Feed non-scalar inputs with random (non-zero) biases and weights: a check whose input is all
scalars, or whose output is zero, cannot fail (an all-zero output is refused).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch_geometric.data import Data

from .features import invariant_features
from .geometry.mesh import Mesh
from .graph import gauge_graph
from .groups.so2 import StructureGroup, gauge_transform, get_group

__all__ = [
    "assert_gauge_equivariant",
    "assert_rotation_invariant",
    "gauge_transform_graph",
    "random_gauge",
]

#: default relative tolerances per dtype (the project's standard)
DEFAULT_RTOL = {torch.float64: 1e-9, torch.float32: 1e-5}
#: default relative tolerances of :func:`assert_rotation_invariant` (the graph is rebuilt)
ROTATION_RTOL = {torch.float64: 1e-8, torch.float32: 1e-4}


def _wrap(angle: torch.Tensor) -> torch.Tensor:
    """Angles in (-pi, pi]."""
    return math.pi - torch.remainder(math.pi - angle, 2 * math.pi)


def random_gauge(
    n: int,
    *,
    flips: bool = False,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Random gauge change for ``n`` vertices: angles ``alpha`` uniform in (-pi, pi] and, with
    ``flips``, a flip with probability 1/2 per vertex (else ``None``)."""
    alpha = (torch.rand(n, generator=generator, dtype=dtype) * 2 - 1) * math.pi
    flip = torch.rand(n, generator=generator) < 0.5 if flips else None
    return alpha, flip


def gauge_transform_graph(
    graph: Data, alpha: torch.Tensor, flip: torch.Tensor | None = None
) -> Data:
    r"""The graph after the gauge change "flip at vertex v (where ``flip[v]``), then rotate its
    frame by ``alpha[v]``", for every field of the contract. For an edge j -> i:

    * flip at i: ``theta -> -theta``, ``g -> -g``, reflect toggles; flip at j: reflect toggles;
    * then ``theta' = theta - alpha_i`` and ``g' = g + alpha_j - alpha_i`` (``g - alpha_j - alpha_i``
      on reflecting edges);
    * ``e1' = cos(a) e1 + sin(a) e2``, ``e2' = -sin(a) e1 + cos(a) e2`` (after ``e2 -> -e2`` where
      flipped) and ``normal' = e1' x e2'``.

    Other fields are kept. Coarse hierarchy levels (``pool_*`` fields) are not supported.
    """
    if getattr(graph, "pool_transport", None) is not None or "level1_edge_index" in graph:
        raise ValueError("gauge_transform_graph does not transform hierarchy (pool_*) fields")
    out = copy.copy(graph)
    j, i = graph.edge_index
    theta = graph.edge_log[:, 1]
    g = graph.edge_transport
    reflect = graph.edge_reflect
    a = alpha.to(device=theta.device, dtype=theta.dtype)
    if flip is not None:
        flip = flip.to(theta.device)
        theta = torch.where(flip[i], -theta, theta)
        g = torch.where(flip[i], -g, g)
        reflect = reflect ^ flip[i] ^ flip[j]
    theta = theta - a[i]
    g = torch.where(reflect, g - a[j] - a[i], g + a[j] - a[i])
    out.edge_log = torch.stack([graph.edge_log[:, 0], _wrap(theta)], 1)
    out.edge_transport = _wrap(g)
    out.edge_reflect = reflect
    if getattr(graph, "frame", None) is not None:
        e1, e2 = graph.frame[:, 0], graph.frame[:, 1]
        af = alpha.to(device=e1.device, dtype=e1.dtype)
        if flip is not None:
            e2 = torch.where(flip[:, None], -e2, e2)
        c, s = torch.cos(af)[:, None], torch.sin(af)[:, None]
        out.frame = torch.stack([c * e1 + s * e2, -s * e1 + c * e2], 1)
        out.normal = torch.linalg.cross(out.frame[:, 0], out.frame[:, 1])
    return out


def _cast_graph(graph: Data, dtype: torch.dtype) -> Data:
    out = copy.copy(graph)
    for key, value in graph.items():
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            out[key] = value.to(dtype)
    return out


def _cast_module(module, dtype: torch.dtype):
    if isinstance(module, nn.Module):
        return copy.deepcopy(module).to(dtype)
    return module


def _has_reflections(module, graph: Data | None) -> bool:
    if graph is not None and bool(graph.edge_reflect.any()):
        return True
    if isinstance(module, nn.Module):
        for sub in module.modules():
            group = getattr(sub, "group", None)
            if isinstance(group, StructureGroup) and group.has_reflections:
                return True
    return False


def _is_feature_output(y: torch.Tensor, x: torch.Tensor) -> bool:
    return y.dim() == x.dim() and y.shape[0] == x.shape[0] and y.shape[-1] % 2 == 1


def _compare(actual: torch.Tensor, expected: torch.Tensor, atol: float, rtol: float, what: str):
    if not isinstance(actual, torch.Tensor) or actual.shape != expected.shape:
        raise AssertionError(
            f"{what}: output shapes differ: {tuple(getattr(actual, 'shape', ()))} vs "
            f"{tuple(expected.shape)}"
        )
    scale = float(expected.detach().norm())
    diff = float((actual.detach() - expected.detach()).norm())
    if scale == 0.0 and float(actual.detach().norm()) == 0.0:
        raise AssertionError(
            f"{what}: the output is identically zero, so the check cannot fail; use random "
            "non-zero weights, biases and non-scalar inputs"
        )
    if not math.isfinite(diff):
        raise AssertionError(f"{what}: the output is not finite")
    error = diff / max(scale, 1e-300)
    if diff > atol + rtol * scale:
        raise AssertionError(
            f"{what}: relative error {error:.3g} exceeds the tolerance (rtol {rtol:g}, atol {atol:g})"
        )
    return error


def assert_gauge_equivariant(
    module: Callable,
    graph: Data | None,
    x: torch.Tensor,
    *,
    group: str | StructureGroup | None = None,
    dtype: torch.dtype = torch.float64,
    atol: float = 0.0,
    rtol: float | None = None,
    seed: int = 0,
    n_trials: int = 3,
    output: str = "auto",
) -> float:
    r"""Check ``module(T x, T graph) == T' module(x, graph)`` for random gauge changes ``T``.

    Parameters
    ----------
    module: an ``nn.Module`` (deep-copied and cast to ``dtype``, so the original is untouched) or
        any callable ``f(x, graph)``; with ``graph=None`` a point-wise map ``f(x)``.
    graph: a gauge graph (or a PyG batch of them); cast to ``dtype``.
    x: input features (N, C, 2L+1) in the layout of the contract; cast to ``dtype``.
    group: ``"SO2"`` (rotations only) or ``"O2"`` (rotations and flips). Default: O(2) if the graph
        has reflecting edges or a submodule has an O(2) ``group``, else SO(2).
    dtype: float64 (default; tolerance 1e-9) or float32 (1e-5).
    atol, rtol: passes when ``|lhs - rhs| <= atol + rtol |rhs|`` (Frobenius norms over the whole
        output); ``rtol`` defaults by dtype (:data:`DEFAULT_RTOL`).
    seed: seeds the gauges (trial k uses ``seed + k``). n_trials: number of random gauges.
    output: ``"features"`` (transforms like the input, per vertex), ``"invariant"`` (must not
        change: logits, gauge invariants, per-graph read-outs) or ``"auto"``: features when the
        output has the input's rank, one row per vertex and an odd last dimension.

    Returns the largest relative error ``|lhs - rhs| / |rhs|`` over the trials; raises
    ``AssertionError`` naming it otherwise (also for an all-zero output).
    """
    if dtype not in DEFAULT_RTOL:
        raise ValueError(f"dtype must be torch.float64 or torch.float32, got {dtype}")
    if output not in ("auto", "features", "invariant"):
        raise ValueError(f"output must be 'auto', 'features' or 'invariant', got {output!r}")
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    rtol = DEFAULT_RTOL[dtype] if rtol is None else rtol
    flips = _has_reflections(module, graph) if group is None else get_group(group).has_reflections
    f = _cast_module(module, dtype)
    x = x.to(dtype)
    g = _cast_graph(graph, dtype) if graph is not None else None
    run = (lambda x_, g_: f(x_)) if g is None else f  # noqa: E731
    y = run(x, g)
    features = _is_feature_output(y, x) if output == "auto" else output == "features"
    worst = 0.0
    for trial in range(n_trials):
        gen = torch.Generator().manual_seed(seed + trial)
        alpha, flip = random_gauge(x.shape[0], flips=flips, generator=gen, dtype=dtype)
        g2 = gauge_transform_graph(g, alpha, flip) if g is not None else None
        y2 = run(gauge_transform(x, alpha, flip), g2)
        expected = gauge_transform(y, alpha, flip) if features else y
        what = (
            f"gauge equivariance ({'O(2)' if flips else 'SO(2)'}, {str(dtype)[6:]}, trial "
            f"{trial}, seed {seed + trial})"
        )
        worst = max(worst, _compare(y2, expected, atol, rtol, what))
    return worst


def _rotation(generator: torch.Generator) -> np.ndarray:
    q, r = torch.linalg.qr(torch.randn(3, 3, generator=generator, dtype=torch.float64))
    q = q * torch.sign(torch.diagonal(r))
    return (q * torch.sign(torch.linalg.det(q))).numpy()


def assert_rotation_invariant(
    model: Callable,
    mesh: Mesh | Data,
    *,
    features: Callable[[Data], torch.Tensor] = invariant_features,
    dtype: torch.dtype = torch.float64,
    atol: float = 0.0,
    rtol: float | None = None,
    seed: int = 0,
    n_trials: int = 3,
    **graph_options,
) -> float:
    r"""Check that ``model(features(graph), graph)`` does not change when the mesh is rotated in 3-D.

    For each trial, a random rotation ``R`` (uniform on SO(3)) is applied to the mesh's positions,
    the gauge graph is rebuilt (``gauge_graph(rotated, dtype=dtype, **graph_options)``) and so are
    the inputs (``features``, default :func:`~gaugeconv.invariant_features`). Every output must be
    unchanged: scalars are invariant, and order-n coefficients are unchanged because the frames
    turn with the mesh (so an order-1 output mapped to 3-D with
    :func:`~gaugeconv.features.to_tangent_vectors` turns with it).

    ``mesh`` is a :class:`~gaugeconv.Mesh` or a PyG ``Data`` with ``pos``/``face``; ``model`` an
    ``nn.Module`` (deep-copied, cast to ``dtype``) or a callable ``f(x, graph)``. ``atol``/``rtol``
    as in :func:`assert_gauge_equivariant`, ``rtol`` defaulting to :data:`ROTATION_RTOL` (the
    rebuilt geometry differs by rounding). Returns the largest relative error; raises
    ``AssertionError`` naming it otherwise.
    """
    if dtype not in ROTATION_RTOL:
        raise ValueError(f"dtype must be torch.float64 or torch.float32, got {dtype}")
    rtol = ROTATION_RTOL[dtype] if rtol is None else rtol
    f = _cast_module(model, dtype)

    def outputs(surface) -> torch.Tensor:
        graph = gauge_graph(surface, dtype=dtype, **graph_options)
        return f(features(graph).to(dtype), graph)

    y = outputs(mesh)
    worst = 0.0
    for trial in range(n_trials):
        gen = torch.Generator().manual_seed(seed + trial)
        r = _rotation(gen)
        if isinstance(mesh, Mesh):
            rotated = mesh.rotated(r)
        else:
            rotated = copy.copy(mesh)
            rotated.pos = mesh.pos.double() @ torch.as_tensor(r).T
        what = f"rotation invariance ({str(dtype)[6:]}, trial {trial}, seed {seed + trial})"
        worst = max(worst, _compare(outputs(rotated), y, atol, rtol, what))
    return worst
