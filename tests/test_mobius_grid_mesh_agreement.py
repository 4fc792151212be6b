"""The Möbius strip's two paths agree: GemConv (O(2), mesh) and MobiusConv (flip group, grid).

Exact statement. On the flat strip ``mobius_strip(L, W, flat=True)`` choose at every vertex the
*grid-aligned gauge*: e1 along the strip (towards the next column), e2 across it (towards the next
row). In these gauges every log-map angle of an axis neighbour is a multiple of pi/2 and every
transport is the identity except across the seam, where it is the reflection rho(s). An order-1
feature (c, s) then restricts to the flip group as a scalar ``c`` and a sign-flip field ``s``, so an
O(2) GemConv with input/output orders 0..1 is a (scalar, scalar, sign) -> (scalar, scalar, sign)
grid convolution whose 3 x 3 taps are ``K(theta_tap) w(r_tap) / 7`` -- provided the diagonal
neighbours of the triangulation get radial weight 0 (second ring's parameters zero; the grid kernel
has no diagonal taps it could match on both halves of the mirrored triangulation) and the vertex has
the interior degree 6 (GemConv averages over the closed neighbourhood; boundary rows have fewer
neighbours while the grid zero-pads). At those vertices the two paths agree to rounding, including
across the seam, which tests the mesh's reflecting transports against the grid's seam padding.
"""

import numpy as np
import torch

from gaugeconv import gauge_graph, shapes
from gaugeconv.geometry.holonomy import edge_lookup
from gaugeconv.mobius import FieldType, MobiusConv
from gaugeconv.mobius.isometry import grid_to_vertices, vertices_to_grid
from gaugeconv.nn import GemConv, kernel_matrix

from .gauge_law import transform_features, transform_graph, wrap

L, W = 12, 7


def grid_gauge(graph):
    """(alpha, flip) taking each vertex's gauge to the grid-aligned one (see module docstring)."""
    n = L * W
    i, k = np.divmod(np.arange(n), W)
    nxt = np.where(i == L - 1, W - 1 - k, k) + np.where(i == L - 1, 0, i + 1) * W
    up = np.where(k < W - 1, i * W + k + 1, i * W + k - 1)
    ei = graph.edge_index.numpy()
    th = graph.edge_log[:, 1].numpy()
    th_next = th[edge_lookup(ei, n, nxt, np.arange(n))]
    th_up = th[edge_lookup(ei, n, up, np.arange(n))]
    quarter = wrap(torch.as_tensor(th_up - th_next)).numpy()
    quarter = np.where(k < W - 1, quarter, -quarter)  # the top row looks down instead
    flip = quarter < 0  # e2 (towards the next row) sits at -90 degrees: orientation reversed
    alpha = np.where(flip, -th_next, th_next)
    return torch.as_tensor(alpha), torch.as_tensor(flip)


def test_grid_aligned_gauge_has_axis_angles_and_seam_reflections():
    graph = gauge_graph(shapes.mobius_strip(L, W, flat=True), dtype=torch.float64)
    alpha, flip = grid_gauge(graph)
    g = transform_graph(graph, alpha, flip)
    r, th = g.edge_log[:, 0], g.edge_log[:, 1]
    axis = r < r.max() - 1e-9  # axis neighbours (diagonals are the longest edges)
    multiples = th[axis] / (np.pi / 2)
    assert (multiples - multiples.round()).abs().max() < 1e-12
    assert wrap(g.edge_transport).abs().max() < 1e-12  # identity transport ...
    j, i = g.edge_index
    seam = ((i // W == L - 1) & (j // W == 0)) | ((i // W == 0) & (j // W == L - 1))
    assert torch.equal(g.edge_reflect, seam)  # ... reflecting exactly across the seam


def test_gem_conv_equals_mobius_conv_at_interior_vertices():
    torch.manual_seed(0)
    mesh = shapes.mobius_strip(L, W, flat=True)
    graph = gauge_graph(mesh, dtype=torch.float64)
    alpha, flip = grid_gauge(graph)

    conv = GemConv(1, 1, 1, 1, group="O2", n_rings=2, bias=False).double()
    with torch.no_grad():
        for p in conv.parameters():
            p.normal_()
        for w in conv.weights.values():
            w[1] = 0  # second ring (at the diagonal length): the grid has no diagonal taps
    x_mesh = torch.randn(mesh.n_vertices, 1, 3, dtype=torch.float64)
    y_mesh = conv(x_mesh, graph)
    # by gauge equivariance this is the output expressed in the grid-aligned gauges
    y_grid_gauge = transform_features(y_mesh, alpha, flip)
    x_grid_gauge = transform_features(x_mesh, alpha, flip)

    # matched grid kernel: taps K(theta) * w(r) / (deg + 1) on the components [x0, c, s]
    r = graph.edge_log[:, 0]
    R = float(r.max())
    du, dv = 2 * np.pi / L, 0.8 / (W - 1)  # strip length 2 pi R (R = 1), width 2 * 0.4
    coeffs = {}
    for (n, m), terms in conv._terms.items():
        off = 0
        for t in terms:
            coeffs[t] = float(conv.weights[f"{n}_{m}"][0, off].detach())
            off += t.n_params
    s0, s1 = (float(conv.self_weights[k][0, 0, 0].detach()) for k in ("0", "1"))
    S = np.diag([s0, s1, s1])
    taps = np.zeros((3, 3, 3, 3))  # (out comp, in comp, width offset, length offset)
    taps[:, :, 1, 1] = S
    for (a, b), theta, dist in (
        ((0, 1), 0.0, du),
        ((1, 0), np.pi / 2, dv),
        ((0, -1), np.pi, du),
        ((-1, 0), -np.pi / 2, dv),
    ):
        taps[:, :, 1 + a, 1 + b] = kernel_matrix(theta, coeffs, 1, 1) * (1 - dist / R)
    taps /= 7.0
    # grid layout: channels [scalar x0, scalar c, sign s]; the same order as the components
    grid = MobiusConv(FieldType(2, 1, 0), FieldType(2, 1, 0), 3, bias=False).double()
    params = list(grid.parameters())
    sizes = [p.numel() for p in params]
    basis = []
    for idx in range(sum(sizes)):
        vec = torch.zeros(sum(sizes), dtype=torch.float64)
        vec[idx] = 1
        with torch.no_grad():
            for p, chunk in zip(params, vec.split(sizes)):
                p.copy_(chunk.view_as(p))
        basis.append(grid.expand_kernel().flatten())
    basis = torch.stack(basis, 1)
    target = torch.as_tensor(taps)
    sol = torch.linalg.lstsq(basis, target.flatten()).solution
    assert (basis @ sol - target.flatten()).abs().max() < 1e-12  # the matched kernel is steerable
    with torch.no_grad():
        for p, chunk in zip(params, sol.split(sizes)):
            p.copy_(chunk.view_as(p))

    x_grid = vertices_to_grid(x_grid_gauge[:, 0, :][None], W, L)  # (1, 3, W, L)
    y_grid = grid_to_vertices(grid(x_grid))[0]  # (L * W, 3)
    deg = torch.bincount(graph.edge_index[1], minlength=mesh.n_vertices)
    interior = (deg == 6) & torch.as_tensor(~mesh.boundary_vertex_mask)
    assert interior.sum() >= L * (W - 2) - 2
    seam_cols = torch.as_tensor(np.isin(np.arange(mesh.n_vertices) // W, [0, L - 1]))
    assert (interior & seam_cols).any()
    diff = (y_grid - y_grid_gauge[:, 0, :])[interior].abs().max()
    assert diff < 1e-12
    # negative control: the grid conv with naive padding at the seam (no rho(s)) disagrees there
    from gaugeconv.mobius.padding import naive_pad

    naive = torch.nn.functional.conv2d(naive_pad(x_grid, 1), grid.expand_kernel(), padding=(1, 0))
    wrong = (grid_to_vertices(naive)[0] - y_grid_gauge[:, 0, :])[interior & seam_cols].abs().max()
    assert wrong > 1e-3
