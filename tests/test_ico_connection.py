"""The chart path's hexagonal connection as a gauge graph, and a naive message-passing convolution
on it that must reproduce IcoConv."""

from __future__ import annotations

import numpy as np
import torch

from gaugeconv import check_gauge_graph
from gaugeconv.ico import FieldType, IcoConv, get_atlas
from gaugeconv.ico.connection import hex_gauge_graph
from gaugeconv.ico.kernels import TAP_POSITIONS

from .ico_harness import one_thread  # noqa: F401  (fixture)


def test_hex_gauge_graph_follows_the_contract_and_the_atlas():
    level = 2
    atlas = get_atlas(level)
    graph = hex_gauge_graph(level)
    check_gauge_graph(graph)
    j, i = graph.edge_index.numpy()
    theta = graph.edge_log[:, 1].numpy()
    g = graph.edge_transport.numpy()
    assert len(j) == 2 * 3 * (atlas.n_vertices - 2)  # both directions of every edge
    lookup = {(int(a), int(b)): e for e, (a, b) in enumerate(zip(i, j))}
    for v in range(12, atlas.n_vertices):
        for k in range(6):
            e = lookup[(v, int(atlas.neighbours[v, k]))]
            assert np.isclose(np.cos(theta[e] - k * np.pi / 3), 1)
            if atlas.transport[v, k] >= 0:
                assert np.isclose(np.cos(g[e] + atlas.transport[v, k] * np.pi / 3), 1)
    # DESIGN transport rule: the edge direction at j, transported to i, points away from j
    back = np.array([lookup[(int(b), int(a))] for a, b in zip(i, j)])
    assert np.allclose(np.cos(theta[back] + g - theta - np.pi), 1)


def test_message_passing_on_the_hex_connection_reproduces_icoconv():
    level = 2
    atlas = get_atlas(level)
    graph = hex_gauge_graph(level)
    tin, tout = FieldType(1, 2), FieldType(2, 1)
    conv = IcoConv(tin, tout).double()
    with torch.no_grad():
        conv.bias.normal_()
    w = conv.expanded_weight().detach().numpy()  # (C_out, C_in, 3, 3)
    taps = w[:, :, TAP_POSITIONS[:, 0], TAP_POSITIONS[:, 1]]  # (C_out, C_in, 7): ring k, centre
    bias = conv.expanded_bias().detach().numpy()
    x = torch.randn(1, tin.size, atlas.n_vertices, dtype=torch.float64)
    x[..., :12] = 0  # pentagons carry no features
    want = atlas.from_charts(conv(atlas.to_charts(x)))[0].detach().numpy()

    xn = x[0].numpy()
    out = taps[:, :, 6] @ xn + bias[:, None]
    j, i = graph.edge_index.numpy()
    k = np.round(graph.edge_log[:, 1].numpy() / (np.pi / 3)).astype(int) % 6
    t = np.round(-graph.edge_transport.numpy() / (np.pi / 3)).astype(int) % 6
    for e in np.flatnonzero(i >= 12):
        # neighbour j read in i's gauge: regular orientation o <- o + t
        xj = xn[tin.rotated_channels(int(t[e])), j[e]]
        out[:, i[e]] += taps[:, :, k[e]] @ xj
    out[:, :12] = 0
    assert np.abs(out - want).max() < 1e-12
