"""Numerical cross-check: our GemConv reproduces the reference GEM-CNN layer.

    python benchmarks/crosscheck_reference.py [--reference PATH] [--no-write]

Matched geometry: the reference is fed our gauge graph's log maps (r, theta) and transports g (plus
self-loops with r = 0 for its self-interaction), with its own radial normalisation by the largest r
(equal to our per-mesh scale) and its mean aggregation over the closed neighbourhood (equal to ours).
Matched weights: our kernel ``K(theta) w = A e^{i(m-n)theta} w + B e^{i(m+n)theta} conj(w)`` is
the reference's ``rho_m(theta) M rho_n(-theta)`` with the real block
``M = [[Re A + Re B, Im B - Im A], [Im A + Im B, Re A - Re B]]`` (fewer rows/columns for order 0),
and our self-interaction ``S z`` is ``Re S * I + Im S * J`` in its self-interaction basis.
Biases are zero on both sides (the reference adds its bias to every component of every message).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import append_markdown, import_reference  # noqa: E402


def reference_weights(conv):
    """Our GemConv's parameters in the reference layout: (rings, C_in, d_in, C_out, d_out), self."""
    import torch

    L_in, L_out, R = conv.in_order, conv.out_order, conv.n_rings
    c_in, c_out = conv.in_channels, conv.out_channels
    W = torch.zeros(R, c_in, 2 * L_in + 1, c_out, 2 * L_out + 1, dtype=torch.float64)
    for (n, m), terms in conv._terms.items():
        w = conv.weights[f"{n}_{m}"].detach().double()
        cols = [0] if n == 0 else [2 * n - 1, 2 * n]
        rows = [0] if m == 0 else [2 * m - 1, 2 * m]
        for q in range(R):
            A = B = torch.zeros(c_in, c_out, dtype=torch.complex128)
            off = 0
            for t in terms:
                re = w[q, off]
                im = w[q, off + 1] if t.complex_param else torch.zeros_like(re)
                off += t.n_params
                if t.conj:
                    B = torch.complex(re, im)
                else:
                    A = torch.complex(re, im)
            if n == 0 and m == 0:
                M = [[A.real]]
            elif n == 0:
                M = [[A.real], [A.imag]]
            elif m == 0:
                M = [[A.real, -A.imag]]
            else:
                M = [[A.real + B.real, B.imag - A.imag], [A.imag + B.imag, A.real - B.real]]
            for a, r in enumerate(rows):
                for b, c in enumerate(cols):
                    W[q, :, c, :, r] = M[a][b]
    n_self = min(L_in, L_out)
    S = torch.zeros(2 * n_self + 1, c_in, c_out, dtype=torch.float64)
    for m in range(n_self + 1):
        s = conv.self_weights[str(m)].detach().double()
        if m == 0:
            S[0] = s[0]
        else:
            S[2 * m - 1] = s[0]
            S[2 * m] = s[1] if s.shape[0] == 2 else 0
    return W, S


def crosscheck(mesh_name: str, L_in: int, L_out: int, rings: int, channels: int = 8) -> float:
    import torch
    from gem_cnn.nn.gem_conv import GemConv as RefConv
    from gem_cnn.transform import GemPrecomp

    import gaugeconv as gc
    from gaugeconv.data import shipped_mesh_path
    from gaugeconv.nn import GemConv

    torch.manual_seed(0)
    mesh = (
        gc.load_mesh(shipped_mesh_path(mesh_name))
        if mesh_name != "ico4"
        else gc.shapes.icosphere(4)
    )
    graph = gc.gauge_graph(mesh, dtype=torch.float64)
    ours = GemConv(channels, channels, L_in, L_out, n_rings=rings, bias=False).double()
    ref = RefConv(channels, channels, L_in, L_out, n_rings=rings).double()
    W, S = reference_weights(ours)
    with torch.no_grad():
        ref.weight.copy_(W)
        ref.self_weight.weight.copy_(S)
        ref.bias.zero_()
    n = mesh.n_vertices
    j, i = graph.edge_index
    loops = torch.arange(n)
    from torch_geometric.data import Data

    data = Data(
        edge_index=torch.cat(
            [torch.stack([i, j]), torch.stack([loops, loops])], 1
        ),  # row 0: target
        edge_coords=torch.cat([graph.edge_log, torch.zeros(n, 2, dtype=torch.float64)]),
        connection=torch.cat([graph.edge_transport, torch.zeros(n, dtype=torch.float64)]),
        num_nodes=n,
    )
    precomp = GemPrecomp(n_rings=rings, max_order=max(L_in, L_out))(data).precomp
    x = torch.randn(n, channels, 2 * L_in + 1, dtype=torch.float64)
    with torch.no_grad():
        y_ref = ref(x, data.edge_index, precomp, data.connection)
        y = ours(x, graph)
    return float((y - y_ref).norm() / y_ref.norm())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not import_reference(args.reference):
        sys.exit("no reference checkout: see benchmarks/README.md")
    lines = ["| mesh | orders in -> out | rings | relative difference |", "|---|---|---|---|"]
    worst = 0.0
    for mesh in ("bunny", "spot", "ico4"):
        for a, b, r in ((2, 2, 2), (0, 2, 2), (2, 0, 3), (1, 3, 2)):
            err = crosscheck(mesh, a, b, r)
            worst = max(worst, err)
            lines.append(f"| {mesh} | {a} -> {b} | {r} | {err:.2e} |")
            print(lines[-1], flush=True)
    table = "\n".join(lines)
    print(f"worst relative difference {worst:.2e}")
    if not args.no_write:
        append_markdown(
            "Numerical cross-check against the reference GemConv (float64)",
            "python benchmarks/crosscheck_reference.py",
            table,
            f"Worst relative difference: {worst:.1e}. Matched geometry and weights as described in the script.",
        )


if __name__ == "__main__":
    main()
