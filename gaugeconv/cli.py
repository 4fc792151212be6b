"""The ``gaugeconv`` command."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DEFAULT_MESH = "spot"


def _preprocess(args: argparse.Namespace) -> int:
    import torch

    from .data.shipped import SHIPPED_MESHES, shipped_mesh_path
    from .geometry.io import load_mesh
    from .graph import gauge_graph
    from .summary import format_summary, mesh_summary

    source = args.mesh
    path = shipped_mesh_path(source) if source in SHIPPED_MESHES else Path(source)
    t0 = time.perf_counter()
    mesh = load_mesh(path)
    t1 = time.perf_counter()
    graph = gauge_graph(
        mesh,
        k=args.k,
        radius=args.radius,
        angles=args.angles,
        dtype=torch.float64 if args.float64 else torch.float32,
        cache_dir=args.cache_dir,
    )
    t2 = time.perf_counter()
    print(f"mesh                {path}")
    print(format_summary(mesh_summary(mesh)))
    print(f"graph edges         {graph.edge_index.shape[1]} (directed)")
    print(f"reflecting edges    {int(graph.edge_reflect.sum())}")
    print(f"time                load {t1 - t0:.3f} s, geometry {t2 - t1:.3f} s")
    out = Path(args.out) if args.out else Path(f"{path.stem}_gauge_graph.pt")
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(graph.to_dict(), out)
    print(f"wrote               {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gaugeconv", description="Gauge-equivariant CNNs on meshes and manifolds."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    pre = sub.add_parser(
        "preprocess",
        help="mesh -> gauge graph: print a summary and write the graph (a dict of tensors)",
    )
    pre.add_argument(
        "mesh",
        nargs="?",
        default=DEFAULT_MESH,
        help="mesh file (obj, ply, off, stl, glb, ...) or a shipped mesh name: spot, bunny "
        f"(default: {DEFAULT_MESH})",
    )
    pre.add_argument("--out", help="output file (default: <mesh name>_gauge_graph.pt)")
    group = pre.add_mutually_exclusive_group()
    group.add_argument("--k", type=int, help="k-ring neighbourhoods instead of the 1-ring")
    group.add_argument("--radius", type=float, help="geodesic-radius neighbourhoods")
    pre.add_argument("--angles", choices=["intrinsic", "projected"], default="intrinsic")
    pre.add_argument("--float64", action="store_true", help="store geometry in float64")
    pre.add_argument("--cache-dir", help="cache geometry on disk in this folder")
    pre.set_defaults(func=_preprocess)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"gaugeconv: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
