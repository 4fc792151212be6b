r"""Pooling and unpooling between the levels of :func:`gaugeconv.hierarchy.mesh_hierarchy`.

``MeshPool``: each coarse vertex averages the features of the finer vertices pooled to it, after
transporting them to its own gauge: ``y_c = mean_{v -> c} rho(g_vc) rho(s)^{b_vc} x_v``.
``MeshUnpool``: each finer vertex receives its coarse vertex's feature transported back by the
inverse transport, ``(rho(g) rho(s)^b)^{-1} = rho(s)^b rho(-g) = rho((-1)^{b+1} g) rho(s)^b``.

**Transformation law.** Coarse vertices are mesh vertices and keep their frames, so a gauge change
acts on all levels at once; both maps commute with it exactly (transports follow the gauge law).
"""

from __future__ import annotations

import torch
from torch import nn

from .._scatter import scatter_mean
from ..groups.so2 import transport


def _check(graph, name: str) -> None:
    for field in ("pool_index", "pool_transport", "pool_reflect"):
        if getattr(graph, field, None) is None:
            raise ValueError(
                f"{name} needs a coarse level graph from gaugeconv.mesh_hierarchy (missing {field})"
            )


class MeshPool(nn.Module):
    r"""Transported average pooling to a coarser level: ``(N_fine, C, 2L+1) -> (N_coarse, C, 2L+1)``.

    ``y_c = mean_{v -> c} rho(g_vc) rho(s)^{b_vc} x_v`` over the finer vertices v pooled to c, with
    the transports of ``coarse`` (a level from :func:`gaugeconv.mesh_hierarchy`, or of a PyG batch
    of them / :func:`gaugeconv.hierarchy.hierarchy_levels`). No parameters. Exactly equivariant:
    a gauge change of the mesh acts on both levels, and pooling commutes with it.
    """

    def forward(self, x: torch.Tensor, coarse) -> torch.Tensor:
        """Pool ``x`` (one row per vertex of the finer level) to the vertices of ``coarse``."""
        _check(coarse, "MeshPool")
        fine, target = coarse.pool_index
        if x.shape[0] != fine.numel():
            raise ValueError(
                f"x has {x.shape[0]} rows, the finer level has {fine.numel()} vertices"
            )
        moved = transport(x[fine], coarse.pool_transport.to(x.dtype), coarse.pool_reflect)
        return scatter_mean(moved, target, coarse.num_nodes)


class MeshUnpool(nn.Module):
    r"""Unpooling from a coarse level: ``(N_coarse, C, 2L+1) -> (N_fine, C, 2L+1)``.

    Each finer vertex v receives the feature of the coarse vertex c it pools to, transported back
    by the inverse transport ``rho(s)^{b_vc} rho(-g_vc)``. No parameters. Exactly equivariant;
    ``MeshPool`` after ``MeshUnpool`` is the identity.
    """

    def forward(self, x: torch.Tensor, coarse) -> torch.Tensor:
        """Copy ``x`` (one row per vertex of ``coarse``) back to the finer level's vertices."""
        _check(coarse, "MeshUnpool")
        fine, target = coarse.pool_index
        if x.shape[0] != coarse.num_nodes:
            raise ValueError(
                f"x has {x.shape[0]} rows, the coarse level has {coarse.num_nodes} vertices"
            )
        g, refl = coarse.pool_transport.to(x.dtype), coarse.pool_reflect
        moved = transport(x[target], torch.where(refl, g, -g), refl)
        return x.new_empty(fine.numel(), *x.shape[1:]).index_copy_(0, fine, moved)
