r"""One toolkit, two paths: message passing (GemConv on ``hex_gauge_graph``) and the chart conv2d
path (IcoConv) compute the same function, through the Fourier transform over the 6 orientations.

Exact statement (:mod:`gaugeconv.ico.gem_bridge`): for a GemConv with one radial ring and orders
``<= 2`` there is an IcoConv (built from the GemConv's parameters by ``icoconv_from_gem``) with

    GemConv(x)_i == F(IcoConv(F^{-1} x))_i     at every hexagonal vertex i,

for inputs that vanish at the 12 pentagons (the chart path carries no features there; the pentagon
outputs are excluded, their hexagonal neighbours are not). ``F^{-1}`` maps orders 0..2 to a regular
field with zero order-3 ('sign') part, ``F`` reads orders 0..L back; the chart output's sign part is
exactly zero. GemConv's 1 / (deg + 1) = 1/7 is folded into the chart weights.

What does not match, checked below: the chart kernel space is larger (42 against 30 parameters per
regular field pair; the extra 12 are exactly the kernels touching the sign part); GEM on the mesh's
intrinsic connection is a different function; more than one ring or orders above 2 have no chart
counterpart.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gaugeconv import GemConv, gauge_graph, shapes
from gaugeconv.groups.so2 import gauge_transform
from gaugeconv.ico import IcoConv, chart_frames, get_atlas, hex_gauge_graph
from gaugeconv.ico.fourier import (
    ANALYSIS,
    SYNTHESIS,
    irreps_to_regular,
    regular_sign_part,
    regular_to_irreps,
)
from gaugeconv.ico.gem_bridge import (
    field_type_of_order,
    fields_to_gem,
    gem_to_fields,
    icoconv_from_gem,
)
from gaugeconv.ico.kernels import TAP_POSITIONS

from .ico_harness import one_thread  # noqa: F401  (fixture)


def random_gem(c_in, c_out, l_in, l_out, group="SO2", seed=0):
    torch.manual_seed(seed)
    conv = GemConv(c_in, c_out, l_in, l_out, group=group, n_rings=1).double()
    with torch.no_grad():
        for p in conv.parameters():
            p.normal_()  # every parameter random, biases included
    return conv


def chart_path(chart: IcoConv, x: torch.Tensor, level: int, l_out: int) -> torch.Tensor:
    atlas = get_atlas(level)
    f = atlas.from_charts(chart(atlas.to_charts(gem_to_fields(x))))
    return fields_to_gem(f, chart.out_type, l_out), f


def test_fourier_transform_intertwines_rotations():
    assert np.allclose(SYNTHESIS @ ANALYSIS, np.eye(6), atol=1e-15)
    f = torch.randn(4, 3, 6, dtype=torch.float64)
    z, a3 = regular_to_irreps(f), regular_sign_part(f)
    assert torch.allclose(irreps_to_regular(z, a3), f)
    for k in range(6):  # gauge rotation by 60 k: f'[o] = f[o + k]  <=>  z_n' = R(-n 60 k) z_n
        rolled = torch.roll(f, -k, dims=-1)
        zr = regular_to_irreps(rolled)
        for n in (1, 2):
            a = -n * k * np.pi / 3
            c, s = np.cos(a), np.sin(a)
            want = torch.stack(
                [
                    c * z[..., 2 * n - 1] - s * z[..., 2 * n],
                    s * z[..., 2 * n - 1] + c * z[..., 2 * n],
                ],
                -1,
            )
            assert torch.allclose(zr[..., 2 * n - 1 : 2 * n + 1], want)
        assert torch.allclose(zr[..., 0], z[..., 0])
        assert torch.allclose(regular_sign_part(rolled), (-1) ** k * a3)


@pytest.mark.parametrize(
    "l_in, l_out, group, level",
    [(2, 2, "SO2", 2), (2, 2, "SO2", 3), (0, 2, "SO2", 2), (2, 0, "SO2", 2), (0, 0, "SO2", 2)]
    + [(1, 2, "SO2", 2), (2, 1, "O2", 2)],
)
def test_gemconv_equals_icoconv_through_the_fourier_transform(l_in, l_out, group, level):
    c_in, c_out = 2, 3
    conv = random_gem(c_in, c_out, l_in, l_out, group)
    chart = icoconv_from_gem(conv)
    graph = hex_gauge_graph(level)
    n = graph.num_nodes
    x = torch.randn(n, c_in, 2 * l_in + 1, dtype=torch.float64)
    x[:12] = 0  # the chart path carries no features at the pentagons
    want = conv(x, graph)
    got, fields = chart_path(chart, x, level, l_out)
    hexa = torch.arange(n) >= 12
    err = (got[hexa] - want[hexa]).abs().max().item()
    scale = want[hexa].abs().max().item()
    print(
        f"\n{group} orders {l_in} -> {l_out}, level {level}: max |GEM - F IcoConv F^-1| = "
        f"{err:.2e} (outputs up to {scale:.2f})"
    )
    assert err < 1e-12 * max(scale, 1)
    if l_out > 0:  # nothing leaks into the parts GEM does not have
        reg = fields[0].t().reshape(n, c_out, 6)
        assert regular_sign_part(reg)[hexa].abs().max() < 1e-13
        if l_out == 1:
            assert regular_to_irreps(reg, 2)[hexa][..., 3:].abs().max() < 1e-13
    # the pentagon's neighbours are included above; the pentagons themselves differ
    assert (got[:12] - want[:12]).abs().max() > 1e-3


def test_parameter_spaces():
    """GEM (one ring, orders 0..2, SO(2)) -> chart kernels is injective; its image is exactly the
    chart kernels without an order-3 ('sign') component; 42 = 30 + 12 per regular field pair."""
    counts = {}
    for l_in, l_out in ((2, 2), (0, 2), (2, 0), (0, 0)):
        conv = random_gem(1, 1, l_in, l_out)
        params = [p for name, p in conv.named_parameters() if name != "bias"]
        n_gem = sum(p.numel() for p in params)
        assert n_gem == conv.params_per_channel_pair
        chart_type = (field_type_of_order(1, l_in), field_type_of_order(1, l_out))
        n_chart = IcoConv(*chart_type).n_free_parameters
        # the linear map GEM parameters -> chart parameters, column by column
        cols = []
        for p in params:
            for i in range(p.numel()):
                with torch.no_grad():
                    for q in params:
                        q.zero_()
                    p.view(-1)[i] = 1.0
                cols.append(icoconv_from_gem(conv).params.detach().numpy().copy())
        m = np.stack(cols, 1)  # (n_chart, n_gem)
        assert np.linalg.matrix_rank(m) == n_gem  # injective
        # chart kernels whose Fourier transform has no sign row or column
        basis = np.eye(n_chart)
        sign_parts = []
        for b in basis:
            probe = IcoConv(*chart_type).double()
            with torch.no_grad():
                probe.params.copy_(torch.as_tensor(b))
            w = probe.expanded_weight().detach().numpy()
            taps = np.stack([w[:, :, h, v] for h, v in TAP_POSITIONS], 0)  # (7, C_out, C_in)
            e_out = ANALYSIS if l_out else np.ones((1, 1))
            p_in = SYNTHESIS if l_in else np.ones((1, 1))
            irr = np.einsum("oa,kab,bp->kop", e_out, taps, p_in)  # chart kernel in irreps coords
            parts = []
            if l_out:
                parts.append(irr[:, 5, :].ravel())
            if l_in:
                parts.append(irr[:, :, 5].ravel())
            sign_parts.append(np.concatenate(parts) if parts else np.zeros(1))
        s = np.stack(sign_parts, 1)  # (entries, n_chart)
        n_sign = np.linalg.matrix_rank(s)
        assert n_chart - n_sign == n_gem
        assert np.abs(s @ m).max() < 1e-12  # the image has no sign component ...
        counts[(l_in, l_out)] = (n_chart, n_gem, n_sign)  # ... and fills that subspace (dims)
    print(f"\n(orders in, out): (chart, GEM, sign-involving) parameters = {counts}")
    assert counts == {(2, 2): (42, 30, 12), (0, 2): (7, 6, 1), (2, 0): (7, 6, 1), (0, 0): (2, 2, 0)}


def test_what_does_not_match():
    # GEM on the mesh's intrinsic connection is another function, even with the features read in
    # the same frames (gauge-transformed from the chart frame to the intrinsic one and back): the
    # intrinsic neighbour angles and transports are not multiples of 60 degrees
    level = 2
    conv = random_gem(2, 2, 2, 2)
    chart = icoconv_from_gem(conv)
    graph = gauge_graph(shapes.icosphere(level), dtype=torch.float64)
    e_chart = chart_frames(get_atlas(level))
    e1 = graph.frame[:, 0].numpy()
    alpha = np.arctan2((e1 * e_chart[:, 1]).sum(1), (e1 * e_chart[:, 0]).sum(1))
    alpha = torch.as_tensor(np.where(np.arange(len(alpha)) < 12, 0.0, alpha))
    x = torch.randn(graph.num_nodes, 2, 5, dtype=torch.float64)
    x[:12] = 0
    got, _ = chart_path(chart, x, level, 2)
    want = gauge_transform(conv(gauge_transform(x, alpha), graph), -alpha)
    rel = ((got - want)[12:].abs().max() / want[12:].abs().max()).item()
    print(f"\nintrinsic connection instead of the hexagonal one: relative difference {rel:.2f}")
    assert rel > 1e-2
    # no counterpart: several rings, orders above 2
    with pytest.raises(ValueError, match="ring"):
        icoconv_from_gem(GemConv(1, 1, 2, 2, n_rings=2))
    with pytest.raises(ValueError, match="order"):
        icoconv_from_gem(GemConv(1, 1, 3, 2, n_rings=1))
