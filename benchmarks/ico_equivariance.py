"""Equivariance errors of the icosahedral chart layers under the 60 rotations, and of the negative
controls, as a markdown table (stdout and ``benchmarks/results/ico_equivariance.md``).

    python benchmarks/ico_equivariance.py [--level 3]

Error = max over the 60 rotations g of ``max |f(g x) - g f(x)| / max |f(x)|`` with random inputs
(regular fields where the layer takes them), random weights and random biases.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gaugeconv.ico import (  # noqa: E402
    FieldType,
    IcoBatchNorm,
    IcoConv,
    IcoLayerNorm,
    IcoPool,
    IcoUnpool,
    get_atlas,
    get_symmetry,
    ico_conv,
)
from gaugeconv.ico.kernels import TAP_POSITIONS  # noqa: E402
from gaugeconv.models import IcoUNet  # noqa: E402

S, R = FieldType.scalar, FieldType.regular_fields


def randomise(module, dtype):
    module = module.to(dtype)
    with torch.no_grad():
        for p in module.parameters():
            p.normal_()
    return module


def chart_error(fn, level, tin, tout, dtype):
    sym = get_symmetry(level)
    atlas = get_atlas(level)
    x = torch.randn(2, 5, tin.size, atlas.H, atlas.W, dtype=dtype)
    out = fn(x)
    scale = out.abs().max().item()
    return max(
        (fn(sym.act_charts(g, x, tin)) - sym.act_charts(g, out, tout)).abs().max().item() / scale
        for g in range(60)
    )


def unet_error(level, dtype):
    torch.manual_seed(0)
    model = IcoUNet(3, 4, level, width=2, depth=2, vector_pairs=[(1, 2)])
    model = randomise(model, dtype)
    sym = get_symmetry(level)
    x = torch.randn(2, 3, get_atlas(level).n_vertices, dtype=dtype)
    y = model(x)
    err = 0.0
    for g in range(60):
        xr = torch.cat([sym.act(g, x[:, :1], S(1)), sym.act_vectors(g, x[:, 1:])], 1)
        err = max(err, (model(xr) - sym.act(g, y, S(4))).abs().max().item())
    return err / y.abs().max().item()


def rows(level):
    tin, tout = R(2), R(3)
    out = []
    for dtype in (torch.float64, torch.float32):
        name = str(dtype).replace("torch.", "")
        for label, (a, b) in {
            "IcoConv S2S": (S(2), S(3)),
            "IcoConv S2R": (S(2), R(2)),
            "IcoConv R2R": (R(2), R(3)),
            "IcoConv R2S": (R(2), S(3)),
            "IcoConv mixed": (FieldType(2, 2), FieldType(1, 3)),
        }.items():
            err = chart_error(randomise(IcoConv(a, b), dtype), level, a, b, dtype)
            out.append((label, name, level, err))
        ft = FieldType(1, 2)
        for mode in ("max", "mean"):
            out.append(
                (
                    f"IcoPool {mode}",
                    name,
                    level,
                    chart_error(IcoPool(ft, mode), level, ft, ft, dtype),
                )
            )
        out.append(
            ("IcoUnpool", name, level - 1, chart_error(IcoUnpool(ft), level - 1, ft, ft, dtype))
        )
        out.append(
            (
                "IcoBatchNorm (train)",
                name,
                level,
                chart_error(randomise(IcoBatchNorm(ft), dtype), level, ft, ft, dtype),
            )
        )
        out.append(
            (
                "IcoLayerNorm",
                name,
                level,
                chart_error(randomise(IcoLayerNorm(ft), dtype), level, ft, ft, dtype),
            )
        )
        out.append(("IcoUNet (scalar + wind vector in)", name, level, unet_error(level, dtype)))
    # negative controls (float64)
    dt = torch.float64
    conv = randomise(IcoConv(tin, tout), dt)
    atlas = get_atlas(level)
    flat = dataclasses.replace(
        atlas, pad_shift=np.where(atlas.pad_shift > 0, 0, atlas.pad_shift), _torch_cache={}
    )
    w, b = conv.expanded_weight(), conv.expanded_bias()
    out.append(
        (
            "control (a): R2R, no orientation shift in padding",
            "float64",
            level,
            chart_error(lambda t: ico_conv(t, w, b, tin, flat), level, tin, tout, dt),
        )
    )

    def bilinear(y):
        bb, _, c, h, ww = y.shape
        up = F.interpolate(y.reshape(bb * 5, c, h, ww), scale_factor=2, mode="bilinear")
        return up.reshape(bb, 5, c, 2 * h, 2 * ww)

    out.append(
        (
            "control (b): per-chart bilinear upsampling",
            "float64",
            level - 1,
            chart_error(bilinear, level - 1, S(2), S(2), dt),
        )
    )
    w7 = torch.zeros(1, 1, 3, 3, dtype=dt)
    w7[0, 0, TAP_POSITIONS[:, 0], TAP_POSITIONS[:, 1]] = torch.randn(7, dtype=dt)
    out.append(
        (
            "control (c): S2S kernel with 7 free taps",
            "float64",
            level,
            chart_error(lambda t: ico_conv(t, w7, None, S(1)), level, S(1), S(1), dt),
        )
    )

    def pool2x2(y):
        bb, _, c, h, ww = y.shape
        return F.max_pool2d(y.reshape(bb * 5, c, h, ww), 2).reshape(bb, 5, c, h // 2, ww // 2)

    out.append(
        (
            "control: per-chart 2x2 max pooling",
            "float64",
            level,
            chart_error(pool2x2, level, S(1), S(1), dt),
        )
    )
    return out


def _command(argv) -> str:
    args = sys.argv[1:] if argv is None else list(argv)
    return " ".join(["python", "benchmarks/ico_equivariance.py", *args])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--level", type=int, default=3)
    ap.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "ico_equivariance.md"
    )
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    lines = [
        "# Icosahedral chart path: equivariance under the 60 rotations",
        "",
        f"- command: `{_command(argv)}`",
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}, torch {torch.__version__}",
        "- error: max over g of max|f(g x) - g f(x)| / max|f(x)|; random regular inputs, weights, biases",
        "",
        "| layer | dtype | level | relative error |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d:.1e} |" for a, b, c, d in rows(args.level)]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
