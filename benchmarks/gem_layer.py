"""One GEM layer and the reference's FAUST model stack: ours vs. the reference implementation.

    python benchmarks/gem_layer.py [--levels 5 6] [--reference PATH] [--no-write]

Configuration (both sides): float32, 64 -> 64 channels, orders 0..2 -> 0..2, 2 radial rings, trimesh
icospheres (10,242 / 40,962 vertices), 2 threads, the mesh's 1-ring plus self-loops (so that the
reference's self-interaction term exists, as ours does). Forward and forward+backward (gradients for
the input and the weights); median of 5 calls after a warm-up; peak memory = peak extra resident
memory during the timed calls. Geometry preprocessing is not timed here (see preprocess.py).
The FAUST stack is the reference's ``experiments/faust_direct.py`` network (3 GemResNetBlocks of
width 16, orders 0 -> 2 -> 2 -> 0, regular nonlinearity with 7 samples, 6890-way head) and our
``GemResNet`` with the same structure; its gauge-equivariance error is measured too.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import append_markdown, import_reference, measure, run_worker  # noqa: E402

N_CLASSES = 6890  # FAUST's vertex count


def _ours_setup(level: int, dtype):
    import torch
    import trimesh

    import gaugeconv as gc

    tm = trimesh.creation.icosphere(subdivisions=level)
    mesh = gc.Mesh(tm.vertices, tm.faces)
    return gc.gauge_graph(mesh, dtype=dtype), torch


def _ref_data(level: int, self_loops: bool = True):
    import torch
    import trimesh
    from gem_cnn.transform import SimpleGeometry, compute_normals_edges_from_mesh
    from torch_geometric.data import Data

    tm = trimesh.creation.icosphere(subdivisions=level)
    data = Data(
        pos=torch.tensor(tm.vertices, dtype=torch.float32),
        face=torch.tensor(tm.faces.T.copy(), dtype=torch.long),
    )
    data = SimpleGeometry()(compute_normals_edges_from_mesh(data))
    if self_loops:
        n = data.num_nodes
        loops = torch.arange(n)
        data.edge_index = torch.cat([data.edge_index, torch.stack([loops, loops])], 1)
        data.edge_coords = torch.cat([data.edge_coords, torch.zeros(n, 2)])
        data.connection = torch.cat([data.connection, torch.zeros(n)])
    return data


def worker(side: str, what: str, level: int, mode: str) -> dict:
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(0)
    if side == "ours":
        graph, _ = _ours_setup(level, torch.float32)
        if what == "layer":
            from gaugeconv.nn import GemConv

            model = GemConv(64, 64, 2, 2, n_rings=2)
            x = torch.randn(graph.num_nodes, 64, 5, requires_grad=mode == "fb")

            def fwd():
                return model(x, graph)
        else:
            from gaugeconv.features import xyz_features
            from gaugeconv.models import faust_gem_resnet

            model = faust_gem_resnet(N_CLASSES)
            x = xyz_features(graph)
            blocks_only = what == "faust-blocks"

            def fwd():
                if not blocks_only:
                    return model(x, graph)
                y = x
                for block in model.blocks:
                    y = block(y, graph)
                return y
    else:
        import_reference()
        from gem_cnn.transform import GemPrecomp

        data = _ref_data(level, self_loops=what == "layer")
        precomp = GemPrecomp(n_rings=2, max_order=2)(data)
        if what == "layer":
            from gem_cnn.nn.gem_conv import GemConv as RefConv

            model = RefConv(64, 64, 2, 2, n_rings=2)
            x = torch.randn(data.num_nodes, 64, 5, requires_grad=mode == "fb")

            def fwd():
                return model(x, data.edge_index, precomp.precomp, data.connection)
        else:
            model = _ref_faust_net(data.num_nodes, blocks_only=what == "faust-blocks")
            x = data.pos[:, :, None]

            def fwd():
                return model(x, data.edge_index, precomp.precomp, data.connection)

    if mode == "f":

        def step():
            with torch.no_grad():
                fwd()
    else:

        def step():
            model.zero_grad(set_to_none=True)
            fwd().sum().backward()

    return measure(step)


def _ref_faust_net(n_vertices: int, blocks_only: bool = False):
    import torch.nn.functional as F
    from gem_cnn.nn import GemResNetBlock
    from torch import nn

    class Net(nn.Module):  # the reference's experiments/faust_direct.py network
        def __init__(self):
            super().__init__()
            kw = dict(n_rings=2, band_limit=2, num_samples=7, checkpoint=True, batch=100000)
            self.conv1 = GemResNetBlock(3, 16, 0, 2, **kw)
            self.conv2 = GemResNetBlock(16, 16, 2, 2, **kw)
            self.conv3 = GemResNetBlock(16, 16, 2, 0, **kw)
            self.lin1 = nn.Linear(16, 256)
            self.lin2 = nn.Linear(256, N_CLASSES)

        def forward(self, x, edge_index, precomp, connection):
            x = self.conv1(x, edge_index, precomp, connection)
            x = self.conv2(x, edge_index, precomp, connection)
            x = self.conv3(x, edge_index, precomp, connection)
            if blocks_only:
                return x
            x = x[:, :, 0]
            x = F.dropout(F.relu(self.lin1(x)), training=self.training)
            return F.log_softmax(self.lin2(x), dim=1)

    return Net()


def equivariance_errors(level: int) -> dict:
    """Relative gauge-equivariance error of the FAUST stacks (eval mode, float64 where possible)."""
    import torch

    from gaugeconv.features import xyz_features
    from gaugeconv.models import faust_gem_resnet

    torch.manual_seed(0)
    graph, _ = _ours_setup(level, torch.float64)
    n = graph.num_nodes
    alpha = (torch.rand(n, dtype=torch.float64) * 2 - 1) * math.pi
    moved = graph.clone()
    j, i = graph.edge_index
    moved.edge_log = torch.stack([graph.edge_log[:, 0], graph.edge_log[:, 1] - alpha[i]], 1)
    moved.edge_transport = graph.edge_transport + alpha[j] - alpha[i]
    out = {}
    for kind in ("regular", "norm"):
        model = faust_gem_resnet(N_CLASSES, nonlinearity=kind).double().eval()
        with torch.no_grad():
            for p in model.parameters():  # biases randomised too
                p.normal_(0, 0.3)
            y, y2 = model(xyz_features(graph), graph), model(xyz_features(moved), moved)
        out[f"ours ({kind} nonlinearity)"] = float((y2 - y).norm() / y.norm())
    if import_reference():
        from gem_cnn.transform import GemPrecomp

        data = _ref_data(level, self_loops=False)
        net = _ref_faust_net(n).double().eval()
        with torch.no_grad():
            for p in net.parameters():  # same randomisation as ours (biases included)
                p.normal_(0, 0.3)
        to = data.edge_index[0]
        frm = data.edge_index[1]
        a = alpha.double()
        data.edge_coords = data.edge_coords.double()
        data.connection = data.connection.double()
        pre = GemPrecomp(2, 2)(data.clone()).precomp
        data2 = data.clone()
        data2.edge_coords = torch.stack([data.edge_coords[:, 0], data.edge_coords[:, 1] - a[to]], 1)
        data2.connection = data.connection + a[frm] - a[to]
        pre2 = GemPrecomp(2, 2)(data2).precomp
        x = data.pos.double()[:, :, None]
        with torch.no_grad():
            y = net(x, data.edge_index, pre, data.connection).exp()
            y2 = net(x, data.edge_index, pre2, data2.connection).exp()
        out["reference"] = float((y2 - y).norm() / y.norm())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[5, 6])
    parser.add_argument("--reference", type=Path)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--side")
    parser.add_argument(
        "--what",
        nargs="+",
        default=["layer", "faust", "faust-blocks"],
        help="layer, faust (the whole stack), faust-blocks (the stack without its dense head)",
    )
    parser.add_argument("--mode")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.side, args.what[0], args.levels[0], args.mode)))
        return
    have_ref = import_reference(args.reference)
    sides = ["ours", "ref"] if have_ref else ["ours"]
    rows = []
    for what in args.what:
        for level in args.levels:
            res = {}
            for side in sides:
                for mode in ("f", "fb"):
                    r = run_worker(
                        Path(__file__),
                        ["--side", side, "--what", what, "--levels", str(level), "--mode", mode],
                    )
                    res[(side, mode)] = r
                    print(what, level, side, mode, r, flush=True)
            rows.append((what, level, res))
    lines = [
        "| model | mesh | side | forward (s) | fwd+bwd (s) | peak fwd+bwd (MB) | speed-up fwd+bwd | memory ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = {
        "layer": "one GemConv 64->64, orders 2->2",
        "faust": "FAUST stack (3 blocks, w16, 6890-way head)",
        "faust-blocks": "FAUST stack without its dense head",
    }
    for what, level, res in rows:
        verts = 10 * 4**level + 2
        for side in sides:
            f, fb = res[(side, "f")], res[(side, "fb")]
            if "error" in f or "error" in fb:
                lines.append(
                    f"| {names[what]} | ico{level} ({verts}) | {side} | error: {f.get('error') or fb.get('error')} | | | | |"
                )
                continue
            speed = mem = ""
            if side == "ours" and have_ref and "error" not in res[("ref", "fb")]:
                speed = f"{res[('ref', 'fb')]['time_s'] / fb['time_s']:.1f}x"
                mem = f"{res[('ref', 'fb')]['peak_mb'] / max(fb['peak_mb'], 1e-9):.1f}x less"
            label = "gaugeconv" if side == "ours" else "reference"
            lines.append(
                f"| {names[what]} | ico{level} ({verts}) | {label} | {f['time_s']:.3f} | {fb['time_s']:.3f} | "
                f"{fb['peak_mb']:.0f} | {speed} | {mem} |"
            )
    errs = equivariance_errors(args.levels[0]) if "faust" in args.what else {}
    notes = "Relative gauge-equivariance error of the FAUST stack (random gauge per vertex, float64, all parameters of both sides drawn from N(0, 0.3^2), biases included):\n\n"
    notes += "\n".join(f"- {k}: {v:.2e}" for k, v in errs.items())
    print("\n".join(lines))
    print(notes)
    if not args.no_write:
        cmd = "python benchmarks/gem_layer.py " + " ".join(sys.argv[1:])
        append_markdown(
            "GEM layer and FAUST stack: gaugeconv vs. reference GEM-CNN",
            cmd.strip(),
            "\n".join(lines),
            notes,
        )


if __name__ == "__main__":
    main()
