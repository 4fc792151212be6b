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


def _train(args: argparse.Namespace) -> int:
    import torch

    from .training import distributed

    torch.set_num_threads(max(1, min(torch.get_num_threads(), args.threads)))
    out = args.out or f"runs/{args.task}"
    if args.task in ("segmentation", "correspondence"):
        from .training.mesh_tasks import MODELS, MeshTaskConfig, format_table, run_mesh_task

        models = ["gem"] if args.model is None else args.model
        models = list(MODELS) if "all" in models else models
        cfg = MeshTaskConfig(
            task=args.task,
            out_dir=out,
            models=models,
            data=args.data,
            quick=args.quick,
            epochs=args.epochs,
            lr=args.lr if args.lr is not None else 0.01,
            batch_size=args.batch_size,
            seed=args.seed,
            resume=args.resume,
            progress=not args.no_progress,
            device=args.device,
        )
        metrics = run_mesh_task(cfg)
        if distributed.is_main_process():
            print(format_table(metrics))
            print(f"wrote {out}/metrics.json, checkpoints and plots")
        distributed.teardown()
        return 0
    if args.task == "climate":
        from .training.climate_task import (
            MODELS,
            ClimateTaskConfig,
            format_table,
            run_climate_task,
        )

        models = list(MODELS) if args.model is None or "all" in args.model else args.model
        cfg = ClimateTaskConfig(
            out_dir=out,
            models=models,
            data=args.data,
            data_cache=args.data_cache,
            ugscnn_mesh=args.ugscnn_mesh,
            quick=args.quick,
            level=args.level,
            epochs=args.epochs,
            n_train=args.n_train,
            n_test=args.n_test,
            width=args.width,
            lr=args.lr if args.lr is not None else ClimateTaskConfig.lr,
            batch_size=args.batch_size,
            class_weighting=args.class_weighting,
            seed=args.seed,
            resume=args.resume,
            progress=not args.no_progress,
            device=args.device,
        )
        metrics = run_climate_task(cfg)
        if distributed.is_main_process():
            print(format_table(metrics))
            print(f"wrote {out}/metrics.json, checkpoints and plots")
        distributed.teardown()
        return 0
    raise ValueError(f"unknown task {args.task!r}")


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

    tr = sub.add_parser(
        "train",
        help="train and evaluate a model on a task (embedded synthetic data unless --data is given)",
    )
    tr.add_argument("task", choices=["segmentation", "correspondence", "climate"])
    tr.add_argument(
        "--quick", action="store_true", help="small settings: a few minutes on 2 CPU cores"
    )
    tr.add_argument(
        "--data",
        help="folder of a real data set (FAUST, Maron et al., MeshCNN human_seg; climate: "
        "ClimateNet .nc files in train/ and test/ or one folder, or ugscnn data-*.npz)",
    )
    tr.add_argument("--out", help="output folder (default: runs/<task>)")
    tr.add_argument(
        "--resume", action="store_true", help="continue from the last checkpoint in --out"
    )
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--epochs", type=int, help="override the number of epochs")
    tr.add_argument(
        "--lr", type=float, help="learning rate (segmentation/correspondence: 0.01, climate: 0.003)"
    )
    tr.add_argument("--batch-size", type=int, default=4)
    tr.add_argument(
        "--model",
        nargs="+",
        help="segmentation/correspondence: gem (rotation-invariant inputs, the default), gem-xyz, "
        "isotropic; climate: ico-scalar, ico-vector, chart-cnn (default: all); or all",
    )
    clim = tr.add_argument_group("climate")
    clim.add_argument("--level", type=int, help="icosphere level (quick: 4, full: 5)")
    clim.add_argument("--width", type=int, help="regular fields at the top of the U-Net")
    clim.add_argument("--n-train", type=int, help="synthetic training snapshots")
    clim.add_argument("--n-test", type=int, help="synthetic test snapshots")
    clim.add_argument(
        "--class-weighting",
        choices=["sqrt", "inverse", "none"],
        default="sqrt",
        help="loss weights from the training label frequencies f: 1/sqrt(K f), 1/(K f) or none",
    )
    clim.add_argument("--data-cache", help="folder for the synthetic files (default: OUT/data)")
    clim.add_argument("--ugscnn-mesh", help="ugscnn's icosphere_5.pkl (with ugscnn .npz data)")
    tr.add_argument("--device", default="cpu", help="cpu or cuda")
    tr.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    tr.add_argument("--no-progress", action="store_true", help="no progress bars")
    tr.set_defaults(func=_train)
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
