r"""Extreme-weather segmentation on the icosphere with icosahedral CNNs (ClimateNet-style data).

Every vertex of the level-r icosphere (:func:`gaugeconv.shapes.icosphere`) is classified as
background (0), tropical cyclone (1) or atmospheric river (2) from the variables ``TMQ U850 V850 PSL``
(ClimateNet's own choice; ``variables`` in the config).

**Data.** By default synthetic ClimateNet-format netCDF files
(:func:`~gaugeconv.data.write_synthetic_climatenet`; independent seeds for the two splits) are
written into ``<out>/data/{train,test}`` (or ``data_cache``) and read back through the real loader
:class:`~gaugeconv.data.ClimateNetIcosphere`, exactly as real files would be. ``data=PATH`` reads real
files instead:

- a folder with ``train/`` and ``test/`` subfolders of ClimateNet ``.nc`` files (the layout of the
  ClimateNet release), or a folder of ``.nc`` files, of which the last ``test_fraction`` in sorted
  (= chronological, for ClimateNet's ``data-YYYY-MM-DD-...`` names) order is the test split, so that
  consecutive, strongly correlated snapshots do not straddle the split;
- ugscnn's preprocessed ``data-*.npz`` files (Jiang et al. 2019) with their mesh
  ``icosphere_5.pkl`` (in the folder or ``ugscnn_mesh``); their own ``train_split.txt`` /
  ``test_split.txt`` if present, else the rule above. Their vertices are not ours, so the values are
  interpolated linearly in their triangles onto our icosphere (labels: nearest vertex)
  (:class:`~gaugeconv.data.mesh_resample.SphereMeshResampler`).

Inputs are normalised per channel with the mean and standard deviation of the **training split**
(written to ``<out>/stats.json``).

**Models** (``models``):

==============  ===================================================================================
``ico-scalar``  :class:`~gaugeconv.models.IcoUNet`, every variable a scalar field, winds included
                (the published works' choice: U850 and V850 enter as two numbers)
``ico-vector``  the same network with the wind (U850, V850) as one tangent-vector field
                (``vector_pairs``), scaled by the training RMS wind speed (a rotation-invariant
                scale; a per-component mean/std would break the vector's transformation law)
``chart-cnn``   :class:`~gaugeconv.models.ChartUNet`: the same U-Net with free 3 x 3 kernels and
                scalar padding, a non-equivariant CNN on the unfolded icosahedron (baseline)
==============  ===================================================================================

**Loss.** Cross-entropy weighted by class (``class_weighting``) with weights from the training label
frequencies ``f_c`` (K = 3 classes): ``"sqrt"`` (default) ``w_c = 1 / sqrt(K f_c)``, ``"inverse"``
``w_c = 1 / (K f_c)`` ("balanced": every class carries the same total weight, which targets the mean
class accuracy the papers report, but over-predicts the rare classes: low IoU, and an overall
accuracy that can fall below the majority-class rate), ``"none"``. With the synthetic frequencies
(about 98 % / 0.7 % / 1.3 %) the square root gives weights of about 0.58 / 7.1 / 5.1.
``F.cross_entropy`` divides by the summed weights of the batch's labels, so only the ratios matter.

**Metrics** (:mod:`.seg_metrics`; pooled over all test vertices): overall accuracy, per-class
accuracy, IoU and average precision (from softmax scores) and their means, and the majority-class
rate for reference. Each model is also evaluated on the test set moved by one random icosahedral
rotation per sample (scalars permuted, winds rotated as vectors): ``rotation_consistency`` is the
fraction of vertices where the prediction on the rotated input equals the rotated prediction (1 for
``ico-vector``, which is exactly equivariant; the other two see rotated winds as new numbers).

**Outputs** in ``out_dir``: ``metrics.json``, ``stats.json``, ``<model>/checkpoint.pt`` and
``<model>/history.json`` (per epoch, atomic, exact resume via :class:`~.loop.Trainer`; a checkpoint
stores the run configuration and the model spec with the input statistics, and ``resume=True``
refuses a checkpoint of another configuration, :data:`RESUMABLE_KEYS` aside, before any data are
made),
``curves.png`` (loss and accuracies per epoch) and ``predictions.png`` (a test snapshot's labels and
every model's prediction on a world map).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..data.climatenet import CLASSES, DEFAULT_VARIABLES, WIND, ChannelStats
from . import distributed
from .checkpoint import resume_checkpoint, seed_everything, write_json
from .loop import Trainer, cosine_schedule, shuffled_batches
from .model_spec import build_model_from_spec, model_spec
from .seg_metrics import json_safe, segmentation_metrics

MODELS = ("ico-scalar", "ico-vector", "chart-cnn")
WEIGHTINGS = ("inverse", "sqrt", "none")
#: published results on the real data (mean class accuracy, mean AP), for comparison only
REFERENCES = {
    "Mudigonda et al. 2017": {"mean_class_accuracy": 0.7867, "mean_ap": None},
    "ugscnn (Jiang et al. 2019)": {"mean_class_accuracy": 0.9467, "mean_ap": None},
    "Ico-CNN R2R (Cohen et al. 2019)": {"mean_class_accuracy": 0.977, "mean_ap": 0.759},
}

# quick / full defaults: level, n_train, n_test, epochs, width, depth, (n_lat, n_lon)
_QUICK = (4, 24, 8, 12, 4, 2, (96, 144))
_FULL = (5, 96, 32, 40, 8, 3, (192, 288))


@dataclass
class ClimateTaskConfig:
    """Settings of :func:`run_climate_task` (``None`` = the quick or full default)."""

    out_dir: str = "runs/climate"
    models: list[str] = field(default_factory=lambda: list(MODELS))
    data: str | None = None
    data_cache: str | None = None  # synthetic files go here (default: <out_dir>/data)
    ugscnn_mesh: str | None = None
    quick: bool = False
    level: int | None = None
    epochs: int | None = None
    n_train: int | None = None  # synthetic data only
    n_test: int | None = None  # synthetic data only
    grid: tuple[int, int] | None = None  # synthetic lat-lon grid (n_lat, n_lon)
    variables: tuple[str, ...] = DEFAULT_VARIABLES
    width: int | None = None
    depth: int | None = None
    lr: float = (
        0.003  # Adam; 0.01 (ugscnn's) let one level-5 run collapse to never predict cyclones
    )
    batch_size: int = 4
    class_weighting: str = "sqrt"
    test_fraction: float = 0.2
    seed: int = 0
    resume: bool = False
    progress: bool = True
    device: str = "cpu"
    plots: bool = True

    def __post_init__(self) -> None:
        bad = [m for m in self.models if m not in MODELS]
        if bad or not self.models:
            raise ValueError(f"unknown model(s) {bad or self.models}; choose from {MODELS}")
        if self.class_weighting not in WEIGHTINGS:
            raise ValueError(
                f"class_weighting must be one of {WEIGHTINGS}, got {self.class_weighting!r}"
            )
        if not 0 < self.test_fraction < 1:
            raise ValueError(f"test_fraction must lie in (0, 1), got {self.test_fraction}")
        if self.batch_size < 1 or self.lr <= 0:
            raise ValueError("batch_size must be >= 1 and lr > 0")
        self.variables = tuple(self.variables)
        level, n_train, n_test, epochs, width, depth, grid = _QUICK if self.quick else _FULL
        self.level = level if self.level is None else self.level
        self.n_train = n_train if self.n_train is None else self.n_train
        self.n_test = n_test if self.n_test is None else self.n_test
        self.epochs = epochs if self.epochs is None else self.epochs
        self.width = width if self.width is None else self.width
        self.depth = min(depth, self.level - 1) if self.depth is None else self.depth
        self.grid = tuple(grid if self.grid is None else self.grid)
        if self.level < 1:
            raise ValueError(f"level must be >= 1, got {self.level}")
        if not 0 <= self.depth <= self.level - 1:
            raise ValueError(f"depth must lie in 0..level-1 = 0..{self.level - 1}")
        if min(self.n_train, self.n_test, self.epochs, self.width) < 1:
            raise ValueError("n_train, n_test, epochs and width must be >= 1")
        if "ico-vector" in self.models and not all(w in self.variables for w in WIND):
            raise ValueError(f"model 'ico-vector' needs the wind variables {WIND} among variables")

    def run_config(self) -> dict:
        """The configuration stored in checkpoints (input paths made absolute)."""
        out = asdict(self)
        for key in ("data", "ugscnn_mesh"):
            if out[key] is not None:
                out[key] = str(Path(out[key]).resolve())
        return out


#: config keys a resumed run may change (outputs, display, device, which models to run, where the
#: synthetic files are kept; ``quick`` only chooses defaults, whose resolved values are compared)
RESUMABLE_KEYS = (
    "out_dir",
    "models",
    "data_cache",
    "quick",
    "resume",
    "progress",
    "device",
    "plots",
)


# --------------------------------------------------------------------------- data
@dataclass
class ClimateSplit:
    """One split on the icosphere: normalised variables, raw wind, labels."""

    x: torch.Tensor  # (n, C, V) normalised variables (channel order = variables)
    wind: torch.Tensor | None  # (n, 2, V) raw (eastward, northward) wind in m/s, or None
    y: torch.Tensor  # (n, V) labels
    names: list[str]

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class ClimateData:
    train: ClimateSplit
    test: ClimateSplit
    stats: ChannelStats
    variables: tuple[str, ...]
    source: str


def synthetic_files(cfg: ClimateTaskConfig) -> tuple[Path, Path]:
    """Write (or reuse) the synthetic train/test netCDF folders; returns them."""
    from ..data.synthetic_climate import write_synthetic_climatenet

    root = Path(cfg.data_cache) if cfg.data_cache else Path(cfg.out_dir) / "data"
    n_lat, n_lon = cfg.grid
    folders = []
    for split, n, seed in (
        ("train", cfg.n_train, cfg.seed),
        ("test", cfg.n_test, cfg.seed + 1_000_003),
    ):
        folder = root / split
        manifest = {"n_files": n, "n_lat": n_lat, "n_lon": n_lon, "seed": seed, "version": 1}
        mpath = folder / "manifest.json"
        have = json.loads(mpath.read_text()) if mpath.is_file() else None
        if have != manifest or len(list(folder.glob("*.nc"))) != n:
            if distributed.is_main_process():
                for old in folder.glob("*.nc"):
                    old.unlink()
                write_synthetic_climatenet(folder, n, n_lat=n_lat, n_lon=n_lon, seed=seed)
                write_json(mpath, manifest)
        folders.append(folder)
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()  # the other ranks read what rank 0 wrote
    return folders[0], folders[1]


def _split_files(files: list[Path], fraction: float) -> tuple[list[Path], list[Path]]:
    if len(files) < 2:
        raise ValueError(f"need at least 2 files to split into train and test, got {len(files)}")
    n_test = min(len(files) - 1, max(1, int(np.ceil(fraction * len(files)))))
    return files[:-n_test], files[-n_test:]


def _from_graphs(ds) -> ClimateSplit:
    x = torch.stack([g.x.t() for g in ds]).contiguous()
    wind = torch.stack([g.wind.t() for g in ds]).contiguous() if "wind" in ds[0] else None
    y = torch.stack([g.y for g in ds])
    return ClimateSplit(x, wind, y, [str(g.name) for g in ds])


def _netcdf_data(cfg: ClimateTaskConfig, train_src, test_src, source: str) -> ClimateData:
    from ..data.climatenet import ClimateNetIcosphere

    opts = {"variables": cfg.variables, "progress": cfg.progress}
    train = ClimateNetIcosphere(train_src, cfg.level, stats="compute", **opts)
    test = ClimateNetIcosphere(test_src, cfg.level, stats=train.stats, **opts)
    return ClimateData(_from_graphs(train), _from_graphs(test), train.stats, cfg.variables, source)


def _ugscnn_data(cfg: ClimateTaskConfig, root: Path) -> ClimateData:
    from ..data.climatenet import compute_stats
    from ..data.mesh_resample import SphereMeshResampler
    from ..data.ugscnn import UGSCNN_CHANNELS, load_ugscnn_npz, read_split_file, read_ugscnn_mesh
    from ..geometry.shapes import icosphere

    mesh_path = Path(cfg.ugscnn_mesh) if cfg.ugscnn_mesh else root / "icosphere_5.pkl"
    if not mesh_path.is_file():
        raise FileNotFoundError(
            f"ugscnn data needs their mesh file icosphere_5.pkl (in {root} or ugscnn_mesh)"
        )
    missing = [v for v in cfg.variables if v not in UGSCNN_CHANNELS]
    if missing:
        raise ValueError(f"variables {missing} are not in the ugscnn files")
    files = sorted(root.glob("data-*.npz"))
    if (root / "train_split.txt").is_file() and (root / "test_split.txt").is_file():
        train_f = [root / n for n in read_split_file(root / "train_split.txt")]
        test_f = [root / n for n in read_split_file(root / "test_split.txt")]
    else:
        train_f, test_f = _split_files(files, cfg.test_fraction)
    v, f = read_ugscnn_mesh(mesh_path)
    resampler = SphereMeshResampler(v, f, icosphere(cfg.level).vertices)
    cols = [UGSCNN_CHANNELS.index(c) for c in cfg.variables]
    wind_cols = [UGSCNN_CHANNELS.index(w) for w in WIND]

    def load(paths):
        raw, wind, lab = [], [], []
        for p in paths:
            data, labels = load_ugscnn_npz(p)
            if len(data) != len(v):
                raise ValueError(f"{p}: {len(data)} vertices, but the mesh has {len(v)}")
            raw.append(resampler.linear(data[:, cols].T).T)
            wind.append(resampler.linear(data[:, wind_cols].T))
            lab.append(resampler.nearest(labels))
        return raw, wind, lab, [p.stem for p in paths]

    tr, te = load(train_f), load(test_f)
    stats = compute_stats(tr[0], cfg.variables, level=cfg.level, files=len(train_f))

    def split(parts) -> ClimateSplit:
        raw, wind, lab, names = parts
        x = np.stack([stats.normalise(r, cfg.variables).T for r in raw])
        return ClimateSplit(
            torch.as_tensor(x, dtype=torch.float32),
            torch.as_tensor(np.stack(wind), dtype=torch.float32),
            torch.as_tensor(np.stack(lab), dtype=torch.long),
            names,
        )

    return ClimateData(split(tr), split(te), stats, cfg.variables, f"ugscnn npz: {root}")


def load_climate_data(cfg: ClimateTaskConfig) -> ClimateData:
    """Train and test splits on the level-``cfg.level`` icosphere (module docstring)."""
    if cfg.data is None:
        train_dir, test_dir = synthetic_files(cfg)
        return _netcdf_data(cfg, train_dir, test_dir, "synthetic ClimateNet-format files")
    root = Path(cfg.data)
    if not root.is_dir():
        raise FileNotFoundError(f"no climate data folder at {root}")
    if (root / "train").is_dir() and (root / "test").is_dir():
        return _netcdf_data(cfg, root / "train", root / "test", f"ClimateNet files: {root}")
    if any(root.glob("data-*.npz")):
        return _ugscnn_data(cfg, root)
    files = sorted(root.glob("*.nc"))
    if not files:
        raise FileNotFoundError(
            f"{root}: expected train/ and test/ folders of .nc files, .nc files, or ugscnn "
            "data-*.npz files"
        )
    train_f, test_f = _split_files(files, cfg.test_fraction)
    return _netcdf_data(cfg, train_f, test_f, f"ClimateNet files: {root}")


def class_weights(y: torch.Tensor, n_classes: int, mode: str = "inverse") -> torch.Tensor:
    """Loss weights from the label frequencies ``f_c`` of ``y`` (module docstring); a class that
    does not occur gets weight 1 (it never enters the loss)."""
    if mode not in WEIGHTINGS:
        raise ValueError(f"class weighting must be one of {WEIGHTINGS}, got {mode!r}")
    counts = torch.bincount(y.reshape(-1), minlength=n_classes).double()
    freq = counts / counts.sum()
    if mode == "none":
        w = torch.ones(n_classes, dtype=torch.float64)
    else:
        w = 1.0 / (n_classes * freq.clamp_min(1e-12))
        if mode == "sqrt":
            w = w.sqrt()
    return torch.where(counts > 0, w, torch.ones_like(w)).float()


# --------------------------------------------------------------------------- models and inputs
def climate_model_spec(
    kind: str, n_in: int, cfg: ClimateTaskConfig, stats: ChannelStats | None = None
) -> dict:
    """The model spec (:mod:`.model_spec`) of model ``kind``. ``inputs`` records the input
    variables in channel order, the icosphere level, the classes, and (with ``stats``) the
    training statistics that normalise the inputs (:func:`model_inputs`)."""
    inputs = {
        "variables": list(cfg.variables),
        "level": cfg.level,
        "classes": list(CLASSES),
        "wind_as_vector": kind == "ico-vector",
    }
    if stats is not None:
        inputs["stats"] = {
            "variables": list(stats.variables),
            "mean": [float(m) for m in stats.mean],
            "std": [float(v) for v in stats.std],
            "wind_rms": None if stats.wind_rms is None else float(stats.wind_rms),
        }
    opts = {"in_channels": n_in, "num_classes": len(CLASSES), "level": cfg.level}
    opts.update(width=cfg.width, depth=cfg.depth)
    if kind == "chart-cnn":
        return model_spec("ChartUNet", inputs=inputs, **opts)
    pairs = [[cfg.variables.index(w) for w in WIND]] if kind == "ico-vector" else []
    return model_spec("IcoUNet", inputs=inputs, vector_pairs=pairs, **opts)


def build_model(kind: str, n_in: int, cfg: ClimateTaskConfig) -> torch.nn.Module:
    return build_model_from_spec(climate_model_spec(kind, n_in, cfg))


def model_inputs(
    kind: str, x: torch.Tensor, wind: torch.Tensor | None, data: ClimateData
) -> torch.Tensor:
    """(n, C, V) network input: the normalised variables; for ``ico-vector`` the wind channels are
    replaced by the raw wind divided by the training RMS wind speed."""
    if kind != "ico-vector":
        return x
    if wind is None or not data.stats.wind_rms:
        raise ValueError("model 'ico-vector' needs wind (U850, V850) data")
    out = x.clone()
    for k, w in enumerate(WIND):
        out[:, data.variables.index(w)] = wind[:, k] / data.stats.wind_rms
    return out


def rotated_split(split: ClimateSplit, data: ClimateData, level: int, seed: int):
    """The split moved by one random icosahedral rotation per sample: ``(x, wind, y, g)`` where
    scalars and labels are permuted and the wind is rotated as a tangent vector (its normalised
    channels in ``x`` recomputed from the rotated raw wind)."""
    from ..ico.fields import FieldType
    from ..ico.rotations import get_symmetry

    sym = get_symmetry(level)
    rng = np.random.default_rng([seed, 60])
    gs = rng.integers(1, len(sym), size=len(split))
    xs, winds = [], []
    scal = FieldType.scalar(split.x.shape[1])
    for i, g in enumerate(gs.tolist()):
        x = sym.act(g, split.x[i : i + 1], scal)
        w = None
        if split.wind is not None:
            w = sym.act_vectors(g, split.wind[i : i + 1].double()).float()
            for k, name in enumerate(WIND):
                if name in data.variables:
                    c = data.variables.index(name)
                    j = data.stats.variables.index(name)
                    x[:, c] = (w[:, k] - data.stats.mean[j]) / data.stats.std[j]
            winds.append(w)
        xs.append(x)
    wind = torch.cat(winds) if winds else None
    return torch.cat(xs), wind, move_labels(split.y, gs, level), gs


def move_labels(y: torch.Tensor, gs, level: int) -> torch.Tensor:
    """Per-vertex labels (B, V) of sample i moved by the icosahedral rotation ``gs[i]``."""
    from ..ico.fields import FieldType
    from ..ico.rotations import get_symmetry

    sym = get_symmetry(level)
    return torch.cat(
        [
            sym.act(g, y[i : i + 1, None].double(), FieldType.scalar(1))[:, 0].long()
            for i, g in enumerate(list(gs))
        ]
    )


# --------------------------------------------------------------------------- training
@torch.no_grad()
def predict_probs(model, inputs: torch.Tensor, batch_size: int, device) -> torch.Tensor:
    """(n, K, V) softmax probabilities."""
    model.eval()
    out = [
        torch.softmax(model(inputs[i : i + batch_size].to(device)), 1).cpu()
        for i in range(0, len(inputs), batch_size)
    ]
    return torch.cat(out)


def _metrics(probs: torch.Tensor, y: torch.Tensor) -> dict:
    p = probs.permute(0, 2, 1).reshape(-1, probs.shape[1]).double().numpy()
    return segmentation_metrics(p, y.reshape(-1).numpy(), CLASSES)


def train_one(
    kind: str,
    cfg: ClimateTaskConfig,
    data: ClimateData,
    weights,
    out: Path,
    device,
    start_from: dict | None = None,
):
    """Train one model (from the accepted checkpoint ``start_from``, if any); returns (model,
    history)."""
    seed_everything(cfg.seed)
    x_train = model_inputs(kind, data.train.x, data.train.wind, data)
    x_test = model_inputs(kind, data.test.x, data.test.wind, data)
    spec = climate_model_spec(kind, x_train.shape[1], cfg, data.stats)
    model = build_model_from_spec(spec).to(device)
    trainer = Trainer.adam(
        model,
        device,
        out / "checkpoint.pt",
        schedule=cosine_schedule(cfg.lr),
        task="climate",
        model_spec=spec,
        config=cfg.run_config(),
        history_path=out / "history.json",
        progress=cfg.progress,
    )
    w = weights.to(device)

    def batches(epoch):
        return shuffled_batches(len(x_train), cfg.batch_size, cfg.seed, epoch)

    def step(items):
        idx = torch.as_tensor(distributed.shard(items))
        logits = trainer.model(x_train[idx].to(device))
        return F.cross_entropy(logits, data.train.y[idx].to(device), weight=w)

    def evaluate(epoch):
        probs = predict_probs(model, x_test, cfg.batch_size, device)
        loss = F.nll_loss(probs.clamp_min(1e-12).log(), data.test.y, weight=weights)
        m = _metrics(probs, data.test.y)
        return {
            "test_loss": float(loss),
            "test_accuracy": m["accuracy"],
            "mean_class_accuracy": m["mean_class_accuracy"],
            "mean_iou": m["mean_iou"],
            "mean_ap": m["mean_ap"],
        }

    history = trainer.fit(cfg.epochs, batches, step, evaluate, start_from=start_from, desc=kind)
    return model, history


def evaluate_model(kind: str, model, cfg: ClimateTaskConfig, data: ClimateData, device) -> dict:
    """Final metrics of a trained model: test metrics, training accuracy, rotated test set."""
    x_test = model_inputs(kind, data.test.x, data.test.wind, data)
    probs = predict_probs(model, x_test, cfg.batch_size, device)
    m = _metrics(probs, data.test.y)
    m["test_accuracy"] = m.pop("accuracy")
    x_train = model_inputs(kind, data.train.x, data.train.wind, data)
    train_pred = predict_probs(model, x_train, cfg.batch_size, device).argmax(1)
    m["train_accuracy"] = float((train_pred == data.train.y).double().mean())

    xr, wr, yr, gs = rotated_split(data.test, data, cfg.level, cfg.seed)
    probs_r = predict_probs(model, model_inputs(kind, xr, wr, data), cfg.batch_size, device)
    mr = _metrics(probs_r, yr)
    pred = probs.argmax(1)
    moved = move_labels(pred, gs.tolist(), cfg.level)
    m["test_accuracy_rotated"] = mr["accuracy"]
    m["mean_class_accuracy_rotated"] = mr["mean_class_accuracy"]
    m["rotation_consistency"] = float((probs_r.argmax(1) == moved).double().mean())
    m["parameters"] = sum(p.numel() for p in model.parameters())
    m["_example_prediction"] = pred[0]
    return m


def run_climate_task(cfg: ClimateTaskConfig) -> dict:
    """Train and evaluate every model of ``cfg``; write metrics, checkpoints and plots (module doc).

    Returns the metrics dict (also written to ``<out_dir>/metrics.json``): ``models`` (per model:
    ``test_accuracy``, ``mean_class_accuracy``, ``mean_iou``, ``mean_ap``, ``per_class``, ...), the
    first model's headline numbers at the top level, ``data`` (sizes, label frequencies, class
    weights, majority-class rate), ``history`` and the published ``references``."""
    device = torch.device(cfg.device)
    out = Path(cfg.out_dir)
    starts = {  # checked before any data is made or read: a bad checkpoint fails fast
        kind: resume_checkpoint(
            out / kind / "checkpoint.pt",
            resume=cfg.resume,
            task="climate",
            config=cfg.run_config(),
            changeable=RESUMABLE_KEYS,
        )
        for kind in cfg.models
    }
    distributed.setup(device)
    t0 = time.perf_counter()
    data = load_climate_data(cfg)
    if distributed.is_main_process():
        data.stats.save(out / "stats.json")
    n_classes = len(CLASSES)
    weights = class_weights(data.train.y, n_classes, cfg.class_weighting)
    from ..ico.atlas import get_atlas
    from ..ico.rotations import get_symmetry

    for level in range(cfg.level - cfg.depth, cfg.level + 1):  # build (cache) the atlases once,
        get_atlas(level)  # so that train_time_s compares the models alone
    get_symmetry(cfg.level)

    def freqs(y):
        c = torch.bincount(y.reshape(-1), minlength=n_classes).double()
        return {name: float(v) for name, v in zip(CLASSES, c / c.sum())}

    test_freq = freqs(data.test.y)
    info = {
        "source": data.source,
        "level": cfg.level,
        "vertices": int(data.train.y.shape[1]),
        "n_train": len(data.train),
        "n_test": len(data.test),
        "variables": list(data.variables),
        "train_label_frequencies": freqs(data.train.y),
        "test_label_frequencies": test_freq,
        "class_weights": {name: float(w) for name, w in zip(CLASSES, weights)},
        "majority_class_rate": max(test_freq.values()),
        "setup_time_s": time.perf_counter() - t0,  # data, statistics, atlases
    }
    results, histories, examples = {}, {}, {}
    for kind in cfg.models:
        t1 = time.perf_counter()
        model, history = train_one(kind, cfg, data, weights, out / kind, device, starts[kind])
        t2 = time.perf_counter()
        res = evaluate_model(kind, model, cfg, data, device)
        examples[kind] = res.pop("_example_prediction")
        res["train_time_s"] = t2 - t1
        results[kind] = res
        histories[kind] = history
    first = results[cfg.models[0]]
    metrics = {
        "task": "climate",
        "config": asdict(cfg),
        "data": info,
        "models": results,
        "test_accuracy": first["test_accuracy"],
        "mean_class_accuracy": first["mean_class_accuracy"],
        "mean_iou": first["mean_iou"],
        "mean_ap": first["mean_ap"],
        "history": histories,
        "references": {
            "note": "published on the real ClimateNet/Mudigonda data, not reproducible here "
            "(no download); the numbers above come from the data named in data.source",
            **REFERENCES,
        },
        "total_time_s": time.perf_counter() - t0,
    }
    metrics = json_safe(metrics)
    if distributed.is_main_process():
        write_json(out / "metrics.json", metrics)
        if cfg.plots:
            from . import climate_plots

            climate_plots.training_curves(histories, out / "curves.png")
            climate_plots.prediction_map(
                data.test.y[0],
                examples,
                cfg.level,
                out / "predictions.png",
                background=data.test.x[0, 0],
                background_name=data.variables[0],
                title=data.test.names[0],
            )
    return metrics


def format_table(metrics: dict) -> str:
    """Markdown table of the per-model results (per-class accuracy / IoU / AP in percent)."""
    head = "| model | acc | mean class acc | mIoU | mAP | " + " | ".join(
        f"{c} acc / IoU / AP" for c in CLASSES
    )
    rows = [head + " | rotation consistency | params |", "|" + "---|" * (7 + len(CLASSES))]

    def pct(v):
        return "n/a" if v is None else f"{100 * v:.1f}"

    for kind, r in metrics["models"].items():
        per = " | ".join(
            f"{pct(p['accuracy'])} / {pct(p['iou'])} / {pct(p['ap'])}"
            for p in r["per_class"].values()
        )
        rows.append(
            f"| {kind} | {pct(r['test_accuracy'])} | {pct(r['mean_class_accuracy'])} | "
            f"{pct(r['mean_iou'])} | {pct(r['mean_ap'])} | {per} | "
            f"{pct(r['rotation_consistency'])} | {r['parameters']:,} |"
        )
    rows.append(
        f"\nmajority-class rate (background) on the test set: "
        f"{pct(metrics['data']['majority_class_rate'])} %"
    )
    return "\n".join(rows)
