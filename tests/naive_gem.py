"""A deliberately naive per-edge GEM convolution, written from the docstring formula of GemConv.

Independent of the ELL operators: builds the transported neighbour feature per edge, applies each
kernel term with complex arithmetic, and averages over the closed neighbourhood.
"""

from __future__ import annotations

import torch

from gaugeconv.groups.so2 import transport


def _complex(x, n):
    return (
        torch.complex(x[..., 0], torch.zeros_like(x[..., 0]))
        if n == 0
        else torch.complex(x[..., 2 * n - 1], x[..., 2 * n])
    )


def naive_gem(conv, x, graph):
    j, i = graph.edge_index
    n_nodes = x.shape[0]
    r, theta = graph.edge_log[:, 0], graph.edge_log[:, 1]
    scale = conv.radius if conv.radius is not None else r.max()
    if conv.n_rings == 1:
        w = torch.ones_like(r)[:, None]
    else:
        centres = torch.linspace(0, 1, conv.n_rings, dtype=r.dtype)
        w = (1 - ((r / scale)[:, None] - centres).abs() * (conv.n_rings - 1)).clamp(min=0)
    deg = torch.bincount(i, minlength=n_nodes).to(x.dtype)
    xt = transport(x[j], graph.edge_transport, graph.edge_reflect)  # (E, C, 2L+1)
    out = torch.zeros(n_nodes, conv.out_channels, 2 * conv.out_order + 1, dtype=torch.complex128)
    for (n, m), terms in conv._terms.items():
        wt = conv.weights[f"{n}_{m}"]
        z = _complex(xt, n).to(torch.complex128)  # (E, C)
        for q in range(conv.n_rings):
            off = 0
            for t in terms:
                re = wt[q, off].double()
                im = wt[q, off + 1].double() if t.complex_param else torch.zeros_like(re)
                off += t.n_params
                coef = torch.complex(re, im)  # (C, C')
                base = z.conj() if t.conj else z
                msg = (w[:, q, None] * torch.exp(1j * t.k * theta)[:, None]) * base  # (E, C)
                contrib = msg @ coef  # (E, C')
                if m == 0:
                    out[:, :, 0].index_add_(0, i, contrib.real.to(torch.complex128))
                else:
                    out[:, :, 2 * m - 1].index_add_(0, i, contrib.real.to(torch.complex128))
                    out[:, :, 2 * m].index_add_(0, i, contrib.imag.to(torch.complex128))
    for m_str, s in conv.self_weights.items():
        m = int(m_str)
        coef = torch.complex(
            s[0].double(), s[1].double() if s.shape[0] == 2 else torch.zeros_like(s[0]).double()
        )
        z = _complex(x, m).to(torch.complex128) @ coef
        if m == 0:
            out[:, :, 0] += z.real
        else:
            out[:, :, 2 * m - 1] += z.real
            out[:, :, 2 * m] += z.imag
    y = (out.real / (deg + 1)[:, None, None]).to(x.dtype)
    if conv.bias is not None:
        y[:, :, 0] += conv.bias
    return y
