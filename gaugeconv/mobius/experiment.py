"""The Möbius digits experiment (Weiler et al. 2021, section 5; issue 5 part 4).

Each model of the zoo is trained on "centered" digits and, separately, on "shifted" digits
(:mod:`.digits`), and tested on both. Gauge CNNs are equivariant to the strip's isometries, so
training on centered digits transfers to shifted ones; the naive CNN does not (mirrored digits).

Outputs in ``out_dir``: ``metrics.json`` (rewritten atomically after every run),
``checkpoints/<model>__train_<placement>.pt`` (the shared checkpoint format of
:mod:`gaugeconv.training.checkpoint`, rewritten atomically after every epoch by the shared
:class:`~gaugeconv.training.loop.Trainer`) and ``test_errors.png``. ``resume=True`` continues every
run from its checkpoint if the checkpoint's configuration (:class:`DigitsConfig` and the data
folder) is the run's; ``epochs`` may grow. The result is identical to an uninterrupted run (data
order comes from a per-epoch generator, dropout from the restored RNG state, Adam and BatchNorm from
the state dicts, the learning rate from the epoch number); finished runs are only re-tested.

Training follows the published setup: Adam (lr 5e-3, weight decay 1e-6), batch 128, learning rate
halved every 4 epochs, 20 epochs, 12,000 MNIST training digits.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F

from ..training.checkpoint import resume_checkpoint, seed_everything, write_json
from ..training.loop import Trainer, step_schedule
from ..training.model_spec import build_model_from_spec, model_spec
from .digits import MobiusDigits, load_mobius_digits
from .models import PUBLISHED_ERRORS, PUBLISHED_PARAMS, ZOO, build_model, count_parameters
from .report import PLACEMENTS, error_table, format_table, save_plot


@dataclass(frozen=True)
class DigitsConfig:
    """Everything that determines a run's result (checkpoints are tied to it)."""

    epochs: int = 20
    width: int = 4
    size: int = 28
    digit_size: int | None = None
    jitter: int = 2
    n_train: int | None = None
    n_test: int | None = None
    batch_size: int = 128
    lr: float = 5e-3
    weight_decay: float = 1e-6
    lr_decay_every: int = 4
    lr_decay_factor: float = 2.0
    seed: int = 0


#: the published setup (on the embedded digits: 28 x 28, the 1,198 training digits)
FULL = DigitsConfig()
#: about 1.5 minutes on 2 idle CPU cores: 16 x 16 strip, width-1 models (a quarter of the paper's
#: channels), all 1,198 embedded training digits, 10 epochs of batch 32
QUICK = DigitsConfig(epochs=10, width=1, size=16, batch_size=32)


def _epoch_order(cfg: DigitsConfig, epoch: int, n: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(1_000_003 * cfg.seed + epoch)
    return torch.randperm(n, generator=generator)


@torch.no_grad()
def evaluate(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 256
) -> float:
    """Accuracy of ``model`` (eval mode) on ``(x, y)``."""
    model.eval()
    correct = 0
    for i in range(0, len(y), batch_size):
        correct += int((model(x[i : i + batch_size]).argmax(1) == y[i : i + batch_size]).sum())
    return correct / len(y)


def _run_config(cfg: DigitsConfig, data: str | Path | None) -> dict:
    """What a checkpoint is tied to: the whole :class:`DigitsConfig` and the data folder."""
    return {**asdict(cfg), "data": None if data is None else str(Path(data).resolve())}


def _checkpoint_path(out_dir: Path, name: str, placement: str) -> Path:
    return out_dir / "checkpoints" / f"{name}__train_{placement}.pt"


def _train_run(
    name: str,
    placement: str,
    data: MobiusDigits,
    cfg: DigitsConfig,
    config: dict,
    ckpt_path: Path,
    start_from: dict | None,
    progress: bool,
) -> dict:
    """Train one model on one placement (from the accepted checkpoint ``start_from``, if any) with
    the shared :class:`~gaugeconv.training.loop.Trainer`, then test it on both placements."""
    seed_everything(cfg.seed)
    spec = model_spec(
        "mobius",
        inputs={"field": "scalar", "width": cfg.size, "length": cfg.size, "placement": placement},
        name=name,
        width=cfg.width,
    )
    model = build_model_from_spec(spec)
    trainer = Trainer.adam(
        model,
        torch.device("cpu"),
        ckpt_path,
        schedule=step_schedule(cfg.lr, cfg.lr_decay_every, cfg.lr_decay_factor),
        weight_decay=cfg.weight_decay,
        task="mobius",
        model_spec=spec,
        config=config,
        progress=progress,
    )
    x, y = data.inputs("train", placement), data.train_labels
    n_batches = len(y) // cfg.batch_size if len(y) >= cfg.batch_size else 1
    seen = {"correct": 0, "count": 0}

    def batches(epoch):
        order = _epoch_order(cfg, epoch, len(y))
        return [order[b * cfg.batch_size : (b + 1) * cfg.batch_size] for b in range(n_batches)]

    def step(idx):
        logits = model(x[idx])
        seen["correct"] += int((logits.argmax(1) == y[idx]).sum())
        seen["count"] += len(idx)
        return F.cross_entropy(logits, y[idx])

    def train_accuracy(epoch):
        acc = seen["correct"] / max(seen["count"], 1)
        seen.update(correct=0, count=0)
        return {"train_accuracy": acc}

    history = trainer.fit(
        cfg.epochs,
        batches,
        step,
        train_accuracy,
        start_from=start_from,
        desc=f"{name} (train {placement})",
    )
    accuracy = {
        test: evaluate(model, data.inputs("test", test), data.test_labels) for test in PLACEMENTS
    }
    return {
        "test_accuracy": accuracy,
        "test_error_percent": {k: 100.0 * (1.0 - v) for k, v in accuracy.items()},
        "history": history,
        "train_seconds": trainer.train_seconds,
    }


def run_mobius_digits(
    out_dir: str | Path,
    *,
    models: Sequence[str] = ZOO,
    quick: bool = False,
    data: str | Path | None = None,
    epochs: int | None = None,
    seed: int = 0,
    resume: bool = False,
    train_on: Sequence[str] = PLACEMENTS,
    n_train: int | None = None,
    n_test: int | None = None,
    width: int | None = None,
    size: int | None = None,
    batch_size: int | None = None,
    progress: bool = True,
    threads: int | None = None,
) -> dict:
    """Train and test the zoo on Möbius digits; write metrics, checkpoints and a plot to ``out_dir``.

    Args:
        out_dir: output folder (created).
        models: names from :data:`~gaugeconv.mobius.ZOO`.
        quick: the :data:`QUICK` setup (minutes on 2 CPU cores) instead of :data:`FULL`.
        data: ``None`` for the embedded scikit-learn digits, or a folder with the IDX files of
            MNIST or Fashion-MNIST.
        epochs, n_train, n_test, width, size, batch_size: override the chosen setup (``size`` only
            applies to the embedded digits; MNIST is 28 x 28).
        seed: seeds model init, data split, shifts and batch order.
        resume: continue from the checkpoints in ``out_dir`` (finished runs are not retrained).
        train_on: train placements ("centered", "shifted"); each run is tested on both.
        progress: show a tqdm progress bar.
        threads: torch intra-op threads for the run (restored afterwards). Default: 1 with
            ``quick`` (its small convolutions gain little from threading, and a second thread
            competing with other processes for 2 cores made training 10-100x slower in our
            measurements), torch's setting otherwise.

    Returns the metrics dict also written to ``out_dir/metrics.json``: per model the parameter count
    (and the published one), and per training placement ``test_accuracy``/``test_error_percent`` on
    centered and shifted test digits plus the training history; ``test_accuracy`` (model ->
    "train_<a>/test_<b>" -> accuracy), ``table`` (test errors) and ``table_text``.
    """
    unknown = [m for m in models if m not in ZOO]
    if unknown or not models:
        raise ValueError(
            f"unknown or no models {unknown or list(models)}; expected names from {list(ZOO)}"
        )
    bad = [p for p in train_on if p not in PLACEMENTS]
    if bad or not train_on:
        raise ValueError(
            f"train_on must be a non-empty subset of {PLACEMENTS}, got {list(train_on)}"
        )
    cfg = QUICK if quick else FULL
    if threads is None and quick:
        threads = 1
    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
    ):
        raise ValueError(f"threads must be a positive int or None, got {threads!r}")
    overrides = {
        "epochs": epochs,
        "n_train": n_train,
        "n_test": n_test,
        "width": width,
        "size": size,
        "batch_size": batch_size,
    }
    cfg = replace(cfg, seed=seed, **{k: v for k, v in overrides.items() if v is not None})
    if cfg.epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {cfg.epochs}")
    if cfg.size % 4:
        raise ValueError(
            f"size must be divisible by 4 (two poolings along the strip), got {cfg.size}"
        )
    out_dir = Path(out_dir)
    config = _run_config(cfg, data)
    starts = {  # checked before any data is made: a bad checkpoint fails fast
        (name, placement): resume_checkpoint(
            _checkpoint_path(out_dir, name, placement), resume=resume, task="mobius", config=config
        )
        for name in models
        for placement in train_on
    }
    (out_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    digits = load_mobius_digits(
        data,
        n_train=cfg.n_train,
        n_test=cfg.n_test,
        size=cfg.size,
        digit_size=cfg.digit_size,
        jitter=cfg.jitter,
        seed=seed,
    )
    metrics: dict = {
        "experiment": "mobius_digits",
        "config": {
            **asdict(cfg),
            "quick": quick,
            "threads": threads or torch.get_num_threads(),
            "train_on": list(train_on),
            "models": list(models),
        },
        "data": digits.describe(),
        "models": {},
        "published": {
            "params": PUBLISHED_PARAMS,
            "test_error_percent_on_shifted": PUBLISHED_ERRORS,
        },
    }
    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        for name in models:
            params = count_parameters(build_model(name, width=cfg.width))
            entry = {"params": params, "published_params": PUBLISHED_PARAMS[name], "runs": {}}
            metrics["models"][name] = entry
            for placement in train_on:
                entry["runs"][f"train_{placement}"] = _train_run(
                    name,
                    placement,
                    digits,
                    cfg,
                    config,
                    _checkpoint_path(out_dir, name, placement),
                    starts[name, placement],
                    progress,
                )
                _finish(metrics, out_dir, t_start)
    finally:
        torch.set_num_threads(previous_threads)
    _finish(metrics, out_dir, t_start)
    save_plot(metrics, out_dir / "test_errors.png")
    return metrics


def _finish(metrics: dict, out_dir: Path, t_start: float) -> None:
    metrics["test_accuracy"] = {
        name: {
            f"{run}/test_{te}": acc
            for run, result in entry["runs"].items()
            for te, acc in result["test_accuracy"].items()
        }
        for name, entry in metrics["models"].items()
    }
    metrics["table"] = error_table(metrics)
    metrics["table_text"] = format_table(metrics)
    metrics["runtime_seconds"] = time.perf_counter() - t_start
    metrics["plot"] = "test_errors.png"
    write_json(out_dir / "metrics.json", metrics)


# ---------------------------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Arguments of ``experiments/mobius_digits.py`` (and ``gaugeconv train mobius``)."""
    parser.add_argument("--out", default="runs/mobius_digits", help="output folder")
    models = [*ZOO, "all"]
    parser.add_argument(
        "--model", dest="models", nargs="+", default=list(ZOO), choices=models, help="or all"
    )
    parser.add_argument(
        "--models", dest="models", nargs="+", choices=models, action=_DeprecatedModels,
        help=argparse.SUPPRESS,
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="the few-minute CPU setup")
    parser.add_argument(
        "--data",
        help="folder with MNIST-layout IDX files: MNIST or Fashion-MNIST, e.g. "
        "/usr/share/datasets/fashion-mnist (default: embedded digits)",
    )
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true", help="continue from checkpoints in --out")
    parser.add_argument("--train-on", nargs="+", default=list(PLACEMENTS), choices=list(PLACEMENTS))
    parser.add_argument("--n-train", type=int)
    parser.add_argument("--n-test", type=int)
    parser.add_argument("--width", type=int, help="units in the first conv block (paper: 4)")
    parser.add_argument("--size", type=int, help="strip size for the embedded digits")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--threads", type=int, help="torch threads (default: 1 with --quick)")
    parser.add_argument("--no-progress", action="store_true")
    return parser


class _DeprecatedModels(argparse.Action):
    """``--models``: the old spelling of ``--model`` (same values), with a warning."""

    def __call__(self, parser, namespace, values, option_string=None):
        print("gaugeconv: warning: --models is deprecated; use --model", file=sys.stderr)
        setattr(namespace, self.dest, values)


def cli_command(args: argparse.Namespace) -> int:
    """``gaugeconv train mobius``: :func:`run_from_args`, exit status 0."""
    run_from_args(args)
    return 0


def run_from_args(args: argparse.Namespace) -> dict:
    """Run :func:`run_mobius_digits` with parsed :func:`add_arguments` and print the table."""
    metrics = run_mobius_digits(
        args.out,
        models=list(ZOO) if "all" in args.models else args.models,
        quick=args.quick,
        data=args.data,
        epochs=args.epochs,
        seed=args.seed,
        resume=args.resume,
        train_on=args.train_on,
        n_train=args.n_train,
        n_test=args.n_test,
        width=args.width,
        size=args.size,
        batch_size=args.batch_size,
        progress=not args.no_progress,
        threads=args.threads,
    )
    print(metrics["table_text"])
    print(f"runtime {metrics['runtime_seconds']:.1f} s; results in {args.out}")
    return metrics
