"""Chart conv2d layer of the icosahedral CNN vs a plain conv2d and vs message passing, side by side.

Every *case* builds, for a level and a channel count, a module and an input on the same grid (or an
image with the same number of pixels). The cases run interleaved (one repeat of each in turn,
several rounds) and the median time per call is reported, for the forward pass (``torch.no_grad``)
and for forward + backward (gradients of the input and the parameters).

    python benchmarks/ico_bench.py [--levels 5 6] [--fields 16] [--batch 1] [--threads 2 [1 ...]]
                                   [--cases plain chart gem] [--out FILE]

Cases:

- ``plain conv2d``: ``nn.Conv2d`` 3 x 3 on one (5 * 2^r) x 2^(r+1) image, 6 F -> 6 F channels;
- ``IcoConv R2R (chart)``: F regular fields -> F regular fields (6 F channels), one ``conv2d``;
- ``GemConv L<=2 (message passing)``: :class:`~gaugeconv.nn.GemConv` with F channels of orders
  0..2 -> 0..2 (5 real components each), one radial ring, SO(2), on
  :func:`~gaugeconv.ico.hex_gauge_graph` (the same level-r grid, 6 neighbours per vertex, all
  10 * 4^r + 2 vertices). Channel matching: one GEM channel per regular field, because this GemConv
  *is* the chart layer restricted to kernels without the order-3 component
  (:mod:`gaugeconv.ico.gem_bridge`, ``tests/test_ico_gem_agreement.py``): it computes the same kind
  of function with 80 instead of 96 numbers per vertex (the sign part dropped), i.e. slightly less
  arithmetic than the chart layer. This is gaugeconv's GemConv: geometry-only sparse operators,
  the weights applied once per vertex (DESIGN section 4);
- ``reference GEM-CNN (PyG message passing)``: the public implementation's ``GemConv``
  (Qualcomm-AI-research/gauge-equivariant-mesh-cnn, a ``torch_geometric`` ``MessagePassing`` layer
  that builds a kernel per edge) with the same channels, orders and one ring on the same graph
  (``edge_coords`` = our ``edge_log``, ``connection`` = our ``edge_transport``, plus the self-loops
  its self-interaction needs). Only when a checkout is found (``GEM_CNN_REF``, default
  ``/tmp/ref/gem``, with the stand-ins of ``benchmarks/README.md``; never committed); timing only,
  its outputs are not compared here (``crosscheck_reference.py`` does that).

Ratios are taken against ``plain conv2d`` and against the chart case. To compare another
implementation add a function ``case_xxx(level, fields, batch, dtype) -> (module, input)`` to
``CASES``.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import machine  # noqa: E402

from gaugeconv.ico import FieldType, IcoConv, get_atlas  # noqa: E402

Case = Callable[[int, int, int, torch.dtype], tuple[nn.Module, torch.Tensor]]


def case_plain(level: int, fields: int, batch: int, dtype: torch.dtype):
    """nn.Conv2d 3 x 3 (zero padding 1), 6 F channels, on one (5 * 2^r) x 2^(r+1) image: the same
    pixel count as the charts."""
    h, w, channels = 5 * 2**level, 2 ** (level + 1), 6 * fields
    conv = nn.Conv2d(channels, channels, 3, padding=1).to(dtype)
    return conv, torch.randn(batch, channels, h, w, dtype=dtype)


def case_chart(level: int, fields: int, batch: int, dtype: torch.dtype):
    """IcoConv regular -> regular (F fields, 6 F channels), chart tensor (B, 5, 6F, 2^r, 2^(r+1))."""
    ft = FieldType.regular_fields(fields)
    conv = IcoConv(ft, ft).to(dtype)
    atlas = get_atlas(level)
    return conv, torch.randn(batch, 5, ft.size, atlas.H, atlas.W, dtype=dtype)


class _GemOnGraph(nn.Module):
    """``GemConv`` bound to one (batched) gauge graph: x (B * V, C, 5) -> (B * V, C, 5)."""

    def __init__(self, conv: nn.Module, graph) -> None:
        super().__init__()
        self.conv, self.graph = conv, graph

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x, self.graph)


def case_gem(level: int, fields: int, batch: int, dtype: torch.dtype):
    """GemConv F -> F channels, orders 0..2, one ring, on hex_gauge_graph(level) (B copies)."""
    from torch_geometric.data import Batch

    from gaugeconv.ico import hex_gauge_graph
    from gaugeconv.nn import GemConv

    graph = hex_gauge_graph(level, dtype=dtype)
    if batch > 1:
        graph = Batch.from_data_list([graph] * batch)
    conv = GemConv(fields, fields, 2, 2, n_rings=1).to(dtype)
    return _GemOnGraph(conv, graph), torch.randn(graph.num_nodes, fields, 5, dtype=dtype)


def case_reference(level: int, fields: int, batch: int, dtype: torch.dtype):
    """The public GEM-CNN GemConv (PyG MessagePassing), F -> F channels, orders 0..2, one ring."""
    if batch != 1:
        raise ValueError("the reference case runs with batch 1")
    from _common import import_reference
    from torch_geometric.data import Data

    from gaugeconv.ico import hex_gauge_graph

    if not import_reference():
        raise FileNotFoundError("no reference GEM-CNN checkout (set GEM_CNN_REF)")
    from gem_cnn.nn.gem_conv import GemConv as RefConv
    from gem_cnn.transform import GemPrecomp

    g = hex_gauge_graph(level, dtype=dtype)
    n = g.num_nodes
    loops = torch.arange(n)
    data = Data(
        num_nodes=n,
        edge_index=torch.cat([g.edge_index, torch.stack([loops, loops])], 1),
        edge_coords=torch.cat([g.edge_log, torch.zeros(n, 2, dtype=dtype)]),
        connection=torch.cat([g.edge_transport, torch.zeros(n, dtype=dtype)]),
    )
    precomp = GemPrecomp(n_rings=1, max_order=2)(data).precomp.to(dtype)
    conv = RefConv(fields, fields, 2, 2, n_rings=1).to(dtype)

    class _Ref(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = conv

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.conv(x, data.edge_index, precomp, data.connection)

    return _Ref(), torch.randn(n, fields, 5, dtype=dtype)


def reference_available() -> bool:
    from _common import REFERENCE

    return (REFERENCE / "gem_cnn").is_dir()


CASES: dict[str, Case] = {
    "plain conv2d": case_plain,
    "IcoConv R2R (chart)": case_chart,
    "GemConv L<=2 (gaugeconv, message passing)": case_gem,
    "reference GEM-CNN (PyG message passing)": case_reference,
}
SHORT = dict(zip(("plain", "chart", "gem", "ref"), CASES))
BASELINE, CHART = "plain conv2d", "IcoConv R2R (chart)"


def _time(fn: Callable[[], None]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def bench(
    level: int, fields: int, batch: int, rounds: int, dtype: torch.dtype, cases: list[str]
) -> dict:
    built = {name: CASES[name](level, fields, batch, dtype) for name in cases}
    fwd = {name: [] for name in built}
    bwd = {name: [] for name in built}

    def forward(mod, x):
        def run():
            with torch.no_grad():
                mod(x)

        return run

    def backward(mod, x):
        xg = x.clone().requires_grad_(True)

        def run():
            mod.zero_grad(set_to_none=True)
            xg.grad = None
            mod(xg).square().mean().backward()

        return run

    runs = {n: (forward(*built[n]), backward(*built[n])) for n in built}
    for f, b in runs.values():  # warm up (caches, allocator)
        f(), b(), f(), b()
    for _ in range(rounds):
        for name, (f, b) in runs.items():
            fwd[name].append(_time(f))
            bwd[name].append(_time(b))
    return {n: (statistics.median(fwd[n]), statistics.median(bwd[n])) for n in built}


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "n/a"


def _command(argv) -> str:
    args = sys.argv[1:] if argv is None else list(argv)
    return " ".join(["python", "benchmarks/ico_bench.py", *args])


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--levels", type=int, nargs="+", default=[5, 6])
    ap.add_argument(
        "--fields",
        type=int,
        default=16,
        help="regular fields F (6 F channels; GemConv: F channels of orders 0..2)",
    )
    ap.add_argument(
        "--cases",
        nargs="+",
        choices=sorted(SHORT),
        help="cases to run (default: all; 'ref' only where a reference checkout exists)",
    )
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument(
        "--threads", type=int, nargs="+", default=[2], help="torch thread counts to run, in turn"
    )
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ico_bench.md")
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    short = args.cases or [c for c in SHORT if c != "ref" or reference_available()]
    cases = [SHORT[c] for c in short]
    channels = 6 * args.fields
    load_before = loadavg()
    results = {}
    for threads in args.threads:
        torch.set_num_threads(threads)
        for level in args.levels:
            results[threads, level] = bench(
                level, args.fields, args.batch, args.rounds, torch.float32, cases
            )
    lines = [
        "# Icosahedral chart conv2d vs plain conv2d vs message passing (GemConv)",
        "",
        f"- command: `{_command(argv)}`",
        f"- machine: {machine()}",
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- float32, batch {args.batch}; plain conv2d and chart layer {channels} -> {channels} "
        f"channels ({args.fields} regular fields); GemConv {args.fields} -> {args.fields} channels "
        "of orders 0..2 (5 components each), one ring, on hex_gauge_graph (the chart layer "
        "without its order-3 part, see the script's docstring), ours and (if present) the public "
        "reference implementation; median of "
        f"{args.rounds} interleaved rounds",
        f"- 1-minute load average before / after: {load_before} / {loadavg()} (other processes "
        "on the machine inflate and scatter the times; the cases are interleaved so they share it)",
        "",
        "| threads | level | pixels | case | forward (ms) | / plain | / chart "
        "| forward+backward (ms) | / plain | / chart |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def ratio(x, ref):
        return f"{x / ref:.2f}" if ref else "-"

    for (threads, level), res in results.items():
        base_f, base_b = res.get(BASELINE, (0.0, 0.0))
        chart_f, chart_b = res.get(CHART, (0.0, 0.0))
        pixels = 10 * 4**level
        for name, (f, b) in res.items():
            lines.append(
                f"| {threads} | {level} | {pixels} | {name} | {1e3 * f:.1f} | {ratio(f, base_f)} "
                f"| {ratio(f, chart_f)} | {1e3 * b:.1f} | {ratio(b, base_b)} | "
                f"{ratio(b, chart_b)} |"
            )
    text = "\n".join(lines) + "\n"
    print(text, end="")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return text


if __name__ == "__main__":
    main()
