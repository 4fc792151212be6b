"""Chart conv2d layer of the icosahedral CNN vs a plain conv2d, side by side in one process.

Every *case* builds, for a level and a channel count, a module and an input with the same number of
pixels (grid points) and channels. The cases run interleaved (one repeat of each in turn, several
rounds) and the median time per call is reported, for the forward pass (``torch.no_grad``) and for
forward + backward (gradients of the input and the parameters).

    python benchmarks/ico_bench.py [--levels 5 6] [--fields 16] [--batch 1] [--threads 2 [1 ...]]

To compare another implementation (e.g. message passing with GemConv on ``icosphere(level)``), add a
function ``case_xxx(level, channels, batch, dtype) -> (module, input)`` to ``CASES``; the ratio
column is taken against the ``plain conv2d`` case.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gaugeconv.ico import FieldType, IcoConv, get_atlas  # noqa: E402

Case = Callable[[int, int, int, torch.dtype], tuple[nn.Module, torch.Tensor]]


def case_plain(level: int, channels: int, batch: int, dtype: torch.dtype):
    """nn.Conv2d 3 x 3 (zero padding 1) on one (5 * 2^r) x 2^(r+1) image: the same pixel count."""
    h, w = 5 * 2**level, 2 ** (level + 1)
    conv = nn.Conv2d(channels, channels, 3, padding=1).to(dtype)
    return conv, torch.randn(batch, channels, h, w, dtype=dtype)


def case_chart(level: int, channels: int, batch: int, dtype: torch.dtype):
    """IcoConv regular -> regular (channels / 6 fields), chart tensor (B, 5, C, 2^r, 2^(r+1))."""
    if channels % 6:
        raise ValueError("the chart case needs channels divisible by 6 (regular fields)")
    ft = FieldType.regular_fields(channels // 6)
    conv = IcoConv(ft, ft).to(dtype)
    atlas = get_atlas(level)
    return conv, torch.randn(batch, 5, channels, atlas.H, atlas.W, dtype=dtype)


CASES: dict[str, Case] = {"plain conv2d": case_plain, "IcoConv R2R (chart)": case_chart}
BASELINE = "plain conv2d"


def _time(fn: Callable[[], None]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def bench(level: int, channels: int, batch: int, rounds: int, dtype: torch.dtype) -> dict:
    built = {name: make(level, channels, batch, dtype) for name, make in CASES.items()}
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


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, torch {torch.__version__}"
    )


def _command(argv) -> str:
    args = sys.argv[1:] if argv is None else list(argv)
    return " ".join(["python", "benchmarks/ico_bench.py", *args])


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--levels", type=int, nargs="+", default=[5, 6])
    ap.add_argument("--fields", type=int, default=16, help="regular fields (channels = 6 x fields)")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument(
        "--threads", type=int, nargs="+", default=[2], help="torch thread counts to run, in turn"
    )
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ico_bench.md")
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    channels = 6 * args.fields
    load_before = loadavg()
    results = {}
    for threads in args.threads:
        torch.set_num_threads(threads)
        for level in args.levels:
            results[threads, level] = bench(level, channels, args.batch, args.rounds, torch.float32)
    lines = [
        "# Icosahedral chart conv2d vs plain conv2d",
        "",
        f"- command: `{_command(argv)}`",
        f"- machine: {machine()}",
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- float32, batch {args.batch}, {channels} -> {channels} channels "
        f"({args.fields} regular fields for the chart layer), median of {args.rounds} interleaved "
        "rounds",
        f"- 1-minute load average before / after: {load_before} / {loadavg()} (other processes "
        "on the machine inflate and scatter the times; the cases are interleaved so they share it)",
        "",
        "| threads | level | pixels | case | forward (ms) | ratio | forward+backward (ms) | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (threads, level), res in results.items():
        base_f, base_b = res[BASELINE]
        pixels = 10 * 4**level
        for name, (f, b) in res.items():
            lines.append(
                f"| {threads} | {level} | {pixels} | {name} | {1e3 * f:.1f} | {f / base_f:.2f} | "
                f"{1e3 * b:.1f} | {b / base_b:.2f} |"
            )
    text = "\n".join(lines) + "\n"
    print(text, end="")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return text


if __name__ == "__main__":
    main()
