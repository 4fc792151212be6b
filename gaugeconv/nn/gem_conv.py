r"""The gauge-equivariant mesh convolution (GEM-CNN, de Haan et al. 2020), for SO(2) and O(2)."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..groups.so2 import feature_dim, get_group
from .kernels import KernelTerm, kernel_terms, n_kernel_params, self_interaction_params
from .operators import gem_operators

#: padded neighbour slots per chunk (bounds the temporary memory of one chunk)
DEFAULT_CHUNK_SLOTS = {"cpu": 1 << 12, "cuda": 1 << 20}


class GemConv(nn.Module):
    r"""Gauge-equivariant convolution on a gauge graph.

    .. math::
        y_i = \frac{1}{\deg_i + 1}\Big( S\, x_i + \sum_{j \to i} \sum_q w_q(r_{ij})\,
              K_q(\theta_{ij})\, \rho_{in}(g_{ij})\, F^{b_{ij}} x_j \Big) + \beta

    with :math:`K_q(\theta) = \rho_{out}(\theta) W_q \rho_{in}(-\theta)` (the complete kernel space,
    :mod:`gaugeconv.nn.kernels`), hat-function radial profiles :math:`w_q` on a fixed per-mesh scale,
    :math:`F = \rho(s)` on reflecting edges, a self-interaction :math:`S` commuting with the group,
    and a bias :math:`\beta` on scalar (order-0) outputs only.

    **Transformation law.** If every vertex's gauge is flipped (O(2) only; where chosen) and rotated
    by :math:`\alpha_i`, so that the graph fields and input features transform as in DESIGN.md
    section 2 (``x_i -> rho(-alpha_i) rho(s)^f_i x_i``), the output transforms the same way:
    ``y_i -> rho_out(-alpha_i) rho_out(s)^f_i y_i``. This holds exactly (up to rounding) for every
    value of the parameters. SO(2) layers are equivariant to rotations only; use ``group="O2"`` on
    non-orientable surfaces (reflecting transports).

    Parameters
    ----------
    in_channels, out_channels: channels C_in, C_out.
    in_order, out_order: maximal orders L_in, L_out; features have shape (N, C, 2L + 1).
    group: ``"SO2"`` or ``"O2"``.
    n_rings: number of radial hat functions on [0, R].
    band_limit: drop kernel terms whose angular frequency exceeds it (default: none).
    radius: fixed radial scale R; default: per mesh, the longest edge of the graph (never a batch
        statistic: each graph of a batch uses its own).
    bias: learn a bias on the scalar outputs.

    Real parameters per channel pair: ``n_rings * n_kernel_params(L_in, L_out) + self`` where, with
    no band limit, SO(2) has ``(2 L_in + 1)(2 L_out + 1)`` kernel parameters per ring and O(2) roughly
    half (see :func:`~gaugeconv.nn.kernels.n_kernel_params`).

    Shapes: ``x`` (N, C_in, 2 L_in + 1) -> (N, C_out, 2 L_out + 1); ``graph`` a gauge graph (or a
    PyG batch of them) with the contract fields; geometry-only operators derived from its fields are
    cached and rebuilt when a field changes.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        in_order: int,
        out_order: int,
        *,
        group: str = "SO2",
        n_rings: int = 2,
        band_limit: int | None = None,
        radius: float | None = None,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if min(in_channels, out_channels) < 1:
            raise ValueError("in_channels and out_channels must be >= 1")
        if min(in_order, out_order) < 0:
            raise ValueError("orders must be >= 0")
        if n_rings < 1:
            raise ValueError(f"n_rings must be >= 1, got {n_rings}")
        if radius is not None and not radius > 0:
            raise ValueError(f"radius must be positive, got {radius}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.in_order, self.out_order = in_order, out_order
        self.group = get_group(group)
        self.n_rings, self.band_limit, self.radius = n_rings, band_limit, radius

        # operator rows per input order n, ordered by (m, ring, term); row slices per (n, m)
        self._rows: dict[int, list[tuple[int, KernelTerm]]] = {}
        self._slices: dict[tuple[int, int], tuple[int, int]] = {}
        self._terms: dict[tuple[int, int], list[KernelTerm]] = {}
        for n in range(in_order + 1):
            rows: list[tuple[int, KernelTerm]] = []
            pos = 0
            for m in range(out_order + 1):
                terms = kernel_terms(n, m, self.group, band_limit)
                start = pos
                for ring in range(n_rings):
                    for t in terms:
                        rows.append((ring, t))
                        pos += t.n_rows
                if terms:
                    self._terms[(n, m)] = terms
                    self._slices[(n, m)] = (start, pos)
            self._rows[n] = rows

        self.weights = nn.ParameterDict()
        for (n, m), terms in self._terms.items():
            n_par = sum(t.n_params for t in terms)
            self.weights[f"{n}_{m}"] = nn.Parameter(
                torch.empty(n_rings, n_par, in_channels, out_channels)
            )
        self.self_weights = nn.ParameterDict()
        for m in range(min(in_order, out_order) + 1):
            k = self_interaction_params(m, m, self.group)
            self.self_weights[str(m)] = nn.Parameter(torch.empty(k, in_channels, out_channels))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.chunk_slots: int | None = None  # override the default chunking (testing, tuning)
        self.reset_parameters()

    @property
    def params_per_channel_pair(self) -> int:
        kernel = self.n_rings * n_kernel_params(
            self.in_order, self.out_order, self.group, self.band_limit
        )
        selfp = sum(
            self_interaction_params(m, m, self.group)
            for m in range(min(self.in_order, self.out_order) + 1)
        )
        return kernel + selfp

    def reset_parameters(self) -> None:
        # each real output is a sum over ~ C_in * (rings * (2 L_in + 1) + 1) aggregated inputs
        fan_in = self.in_channels * (self.n_rings * feature_dim(self.in_order) + 1)
        bound = math.sqrt(3.0 / fan_in)
        for p in list(self.weights.values()) + list(self.self_weights.values()):
            nn.init.uniform_(p, -bound, bound)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, in_order={self.in_order}, "
            f"out_order={self.out_order}, group={self.group}, n_rings={self.n_rings}, "
            f"band_limit={self.band_limit}, radius={self.radius}"
        )

    # ------------------------------------------------------------------ weights
    @staticmethod
    def _complex_block(re: torch.Tensor, im: torch.Tensor, real_output: bool, real_input: bool):
        """Real matrix of multiplication by ``re + i im`` on (Re, Im) rows x (cos, sin) columns."""
        if real_output:
            return re if real_input else torch.cat([re, -im], 0)
        top = torch.cat([re, im], 1)
        bottom = torch.cat([-im, re], 1)
        return torch.cat([top, bottom], 0)

    def _kernel_matrix(self, n: int, m: int) -> torch.Tensor:
        w = self.weights[f"{n}_{m}"]
        blocks = []
        for ring in range(self.n_rings):
            off = 0
            for t in self._terms[(n, m)]:
                re = w[ring, off]
                im = w[ring, off + 1] if t.complex_param else torch.zeros_like(re)
                off += t.n_params
                blocks.append(self._complex_block(re, im, t.real_output, t.real_input))
        return torch.cat(blocks, 0)

    def _self_matrix(self, m: int) -> torch.Tensor:
        s = self.self_weights[str(m)]
        im = s[1] if s.shape[0] == 2 else torch.zeros_like(s[0])
        return self._complex_block(s[0], im, m == 0, m == 0)

    # ------------------------------------------------------------------ forward
    def _check_input(self, x: torch.Tensor, graph) -> None:
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise ValueError("x must be a floating-point tensor of shape (N, C, 2L+1)")
        expect = (self.in_channels, feature_dim(self.in_order))
        if x.dim() != 3 or tuple(x.shape[1:]) != expect:
            raise ValueError(
                f"x must have shape (N, {expect[0]}, {expect[1]}) (channels, 2*in_order+1 "
                f"components for in_order={self.in_order}), got {tuple(x.shape)}"
            )
        if x.shape[0] != graph.num_nodes:
            raise ValueError(
                f"x has {x.shape[0]} rows but the graph has {graph.num_nodes} vertices"
            )

    def forward(self, x: torch.Tensor, graph) -> torch.Tensor:
        self._check_input(x, graph)
        slots = self.chunk_slots or DEFAULT_CHUNK_SLOTS.get(x.device.type, 1 << 16)
        ops = gem_operators(graph, self._rows, self.n_rings, self.radius, x.dtype, slots)
        if self.group.has_reflections is False and ops.has_reflections:
            raise ValueError(
                "the graph has reflecting transports (a non-orientable surface); "
                'SO(2) layers cannot be equivariant there: use group="O2"'
            )
        mats = {nm: self._kernel_matrix(*nm) for nm in self._terms}
        for m in range(min(self.in_order, self.out_order) + 1):
            mats[m] = self._self_matrix(m)
        names = tuple(mats)
        plan = _Plan(self, ops, names)
        y = _GemFunction.apply(x.transpose(1, 2).contiguous(), plan, *mats.values())
        y = y.view(x.shape[0], feature_dim(self.out_order), self.out_channels).transpose(1, 2)
        if self.bias is not None:
            y = torch.cat([y[:, :, :1] + self.bias[:, None], y[:, :, 1:]], 2)
        return y.contiguous()


class _Plan:
    """What the autograd function needs besides tensors: the layer's layout and the operators."""

    def __init__(self, conv: GemConv, ops, names: tuple) -> None:
        self.ops = ops
        self.names = names
        self.in_order, self.out_order = conv.in_order, conv.out_order
        self.c_in, self.c_out = conv.in_channels, conv.out_channels
        self.slices = conv._slices

    @staticmethod
    def comps(order: int) -> slice:
        return slice(0, 1) if order == 0 else slice(2 * order - 1, 2 * order + 1)

    @staticmethod
    def width(order: int) -> int:
        return 1 if order == 0 else 2

    def tables(self, xp: torch.Tensor) -> list[torch.Tensor]:
        """Per input order n, the features in sorted vertex order as an (N, width_n * C) table."""
        xs = xp[self.ops.order]
        return [
            xs[:, self.comps(n), :].reshape(xs.shape[0], -1).contiguous()
            for n in range(self.in_order + 1)
        ]

    def gather_buffers(self, like: torch.Tensor) -> list[torch.Tensor]:
        """Reusable buffers for the gathered neighbour features, sized for the largest chunk."""
        slots = max(c.neighbours.shape[0] for c in self.ops.chunks)
        return [like.new_empty(slots, self.width(n) * self.c_in) for n in range(self.in_order + 1)]

    def agg_buffers(self, like: torch.Tensor) -> list[torch.Tensor]:
        """Reusable buffers for the aggregations U_n, sized for the largest chunk."""
        chunks = self.ops.chunks
        return [
            like.new_empty(
                max(c.coeff[n].shape[0] * c.coeff[n].shape[1] for c in chunks) * self.c_in
            )
            for n in range(self.in_order + 1)
        ]

    def aggregate(self, chunk, tables, gather, agg) -> list[torch.Tensor]:
        """U_n = (ELL operator of order n) x (gathered neighbour features), per input order."""
        nc = chunk.stop - chunk.start
        u = []
        for n, table in enumerate(tables):
            g = torch.index_select(
                table, 0, chunk.neighbours, out=gather[n][: chunk.neighbours.shape[0]]
            )
            g = g.view(nc, -1, self.c_in)  # (Nc, D * width_n, C)
            rows = chunk.coeff[n].shape[1]
            u.append(
                torch.bmm(chunk.coeff[n], g, out=agg[n][: nc * rows * self.c_in].view(nc, rows, -1))
            )
        return u


class _GemFunction(torch.autograd.Function):
    """y = GEM convolution of xp (N, 2L_in+1, C) with the assembled kernel/self matrices.

    Works chunk by chunk in degree-sorted vertex order, reusing gather/aggregation buffers; the
    backward pass recomputes each chunk's aggregation instead of storing it, so memory stays at the
    inputs, outputs, gradients and one chunk's temporaries.
    """

    @staticmethod
    def forward(ctx, xp: torch.Tensor, plan: _Plan, *mats: torch.Tensor) -> torch.Tensor:
        lookup = dict(zip(plan.names, mats))
        ops = plan.ops
        tables = plan.tables(xp)
        gather, agg = plan.gather_buffers(xp), plan.agg_buffers(xp)
        outs = [
            xp.new_empty(ops.n_nodes, plan.width(m) * plan.c_out) for m in range(plan.out_order + 1)
        ]
        for chunk in ops.chunks:
            a0, b0 = chunk.start, chunk.stop
            nc = b0 - a0
            u = plan.aggregate(chunk, tables, gather, agg)
            for m, out in enumerate(outs):
                dst = out[a0:b0]
                first = True
                for n in range(plan.in_order + 1):
                    if (n, m) in plan.slices:
                        a, b = plan.slices[(n, m)]
                        feats = u[n][:, a:b, :].reshape(nc, -1)
                        if first:
                            torch.mm(feats, lookup[(n, m)], out=dst)
                        else:
                            dst.addmm_(feats, lookup[(n, m)])
                        first = False
                if m in lookup:
                    own = tables[m][a0:b0] * ops.inv_deg[a0:b0]
                    if first:
                        torch.mm(own, lookup[m], out=dst)
                    else:
                        dst.addmm_(own, lookup[m])
                    first = False
                if first:
                    dst.zero_()
        ctx.plan = plan
        ctx.save_for_backward(xp, *mats)
        return torch.cat(outs, 1)[ops.inverse_order]

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_y: torch.Tensor):
        plan: _Plan = ctx.plan
        ops = plan.ops
        xp, *mats = ctx.saved_tensors
        lookup = dict(zip(plan.names, mats))
        need_x = ctx.needs_input_grad[0]
        need_w = any(ctx.needs_input_grad[2:])
        gs = grad_y[ops.order]
        dys, pos = [], 0
        for m in range(plan.out_order + 1):
            w = plan.width(m) * plan.c_out
            dys.append(gs[:, pos : pos + w].contiguous())
            pos += w
        tables = plan.tables(xp)
        if need_w:
            gather, agg = plan.gather_buffers(xp), plan.agg_buffers(xp)
        grad_mats = {k: torch.zeros_like(v) for k, v in lookup.items()} if need_w else {}
        d_tables = [torch.zeros_like(t) for t in tables] if need_x else None
        d_agg = plan.agg_buffers(xp) if need_x else None
        for chunk in ops.chunks:
            a0, b0 = chunk.start, chunk.stop
            nc = b0 - a0
            u = plan.aggregate(chunk, tables, gather, agg) if need_w else None
            du = (
                [
                    d_agg[n][: nc * c.shape[1] * plan.c_in].view(nc, c.shape[1], -1)
                    for n, c in enumerate(chunk.coeff)
                ]
                if need_x
                else None
            )
            for m, dy in enumerate(dys):
                dym = dy[a0:b0]
                for n in range(plan.in_order + 1):
                    if (n, m) not in plan.slices:
                        continue
                    a, b = plan.slices[(n, m)]
                    if need_w:
                        grad_mats[(n, m)].addmm_(u[n][:, a:b, :].reshape(nc, -1).t(), dym)
                    if need_x:
                        du[n][:, a:b, :] = (dym @ lookup[(n, m)].t()).view(nc, b - a, -1)
                if m in lookup:
                    if need_w:
                        own = tables[m][a0:b0] * ops.inv_deg[a0:b0]
                        grad_mats[m].addmm_(own.t(), dym)
                    if need_x:
                        d_tables[m][a0:b0] += (dym @ lookup[m].t()) * ops.inv_deg[a0:b0]
            if need_x:
                for n, c in enumerate(chunk.coeff):
                    dg = torch.bmm(c.transpose(1, 2), du[n])  # (Nc, D * width_n, C)
                    d_tables[n].index_add_(
                        0, chunk.neighbours, dg.view(chunk.neighbours.shape[0], -1)
                    )
        grad_xp = None
        if need_x:
            dxs = torch.empty_like(xp)
            for n, dt in enumerate(d_tables):
                dxs[:, plan.comps(n), :] = dt.view(ops.n_nodes, plan.width(n), plan.c_in)
            grad_xp = dxs[ops.inverse_order]
        grads = [grad_mats.get(k) if need_w else None for k in plan.names]
        return (grad_xp, None, *grads)
