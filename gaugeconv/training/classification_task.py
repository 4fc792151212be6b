r"""Whole-shape classification with GEM-CNNs: data, models, training, evaluation.

Models (``--model``), as for the mesh tasks (:mod:`gaugeconv.training.mesh_tasks`), each a
:class:`~gaugeconv.models.GemClassifier` (GEM residual body, gauge-invariant mean and max pooling of
scalars and norms, MLP):

=============  =================================================================================
``gem``        rotation-invariant inputs (:func:`~gaugeconv.features.invariant_features`, orders
               0..1): its predictions do not change when a shape is rotated in 3-D
``gem-xyz``    raw XYZ coordinates as scalars: not rotation invariant
``isotropic``  order 0 throughout on the invariant scalars (an isotropic graph convolution)
=============  =================================================================================

**Data.** By default :class:`~gaugeconv.data.SyntheticShapeClasses`: eight generated shape classes
(bent spot and bunny, torus, trefoil tube, three lobed spheres, rounded boxes) under smooth random
deformations, anisotropic scaling and random remeshing at 200-600 vertices (``--quick``: 150-400),
normalised in position and size; trained and tested in the canonical orientation.
``data=PATH`` reads a real data set instead, recognised by its layout: SHREC'11 (a
``categories.txt``/``*.cla`` class list with ``T<id>.off`` meshes; :class:`~gaugeconv.data.SHREC11`)
or one folder per class with ``train/`` and ``test/`` (ModelNet, MeshCNN's ``shrec_16``;
:class:`~gaugeconv.data.MeshClassFolders`).

**Evaluation.** Accuracy (the fraction of test shapes classified correctly) on every set of
:func:`evaluation_sets`: the test shapes as they are and each under a random 3-D rotation (gauge
graph recomputed). Further sets (re-meshed copies, point clouds) plug in there and become columns
of the table. Results go to ``metrics.json`` (with the confusion matrix of the first model), the
curves to ``accuracy.png``, a gallery of test shapes with their predicted classes to ``shapes.png``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..models import GemClassifier
from . import distributed, mesh_tasks
from .checkpoint import resume_checkpoint, seed_everything, write_json
from .mesh_tasks import (
    FEATURES,
    MODELS,
    RESUMABLE_KEYS,
    fit,
    model_orders,
    predict,
    random_rotations,
    rotated_copy,
)
from .model_spec import build_model_from_spec, model_spec
from .seg_metrics import confusion_matrix

#: result columns of the table (percentages), in this order
COLUMNS = {
    "test_accuracy": "test accuracy",
    "test_accuracy_rotated": "under random 3-D rotations",
    "train_accuracy": "train accuracy",
}


@dataclass
class ClassificationConfig:
    out_dir: str = "runs/classification"
    models: list[str] = field(default_factory=lambda: ["gem"])
    data: str | None = None
    quick: bool = False
    epochs: int | None = None
    lr: float = 0.005
    batch_size: int = 2
    width: int = 16
    order: int = 2
    n_blocks: int = 3
    n_train: int | None = None  # synthetic data: shapes per class
    n_test: int | None = None
    vertices: tuple[int, int] | None = None  # synthetic data: vertex-count range
    seed: int = 0
    resume: bool = False
    progress: bool = True
    device: str = "cpu"
    plots: bool = True

    def __post_init__(self) -> None:
        bad = [m for m in self.models if m not in MODELS]
        if bad:
            raise ValueError(f"unknown model(s) {bad}; choose from {MODELS}")
        n_train, n_test, epochs, vertices = (
            (8, 6, 20, (150, 400)) if self.quick else (12, 8, 25, (200, 600))
        )
        self.n_train = n_train if self.n_train is None else self.n_train
        self.n_test = n_test if self.n_test is None else self.n_test
        self.epochs = epochs if self.epochs is None else self.epochs
        self.vertices = vertices if self.vertices is None else tuple(self.vertices)

    #: the task name stored in checkpoints
    task = "classification"

    def run_config(self) -> dict:
        """The configuration stored in checkpoints (``data`` as an absolute path)."""
        out = asdict(self)
        out["vertices"] = list(self.vertices)
        if self.data is not None:
            out["data"] = str(Path(self.data).resolve())
        return out


# --------------------------------------------------------------------------- data
def load_datasets(cfg: ClassificationConfig):
    """(train, test, class names) of the configured data set (module docstring)."""
    from ..data import SHREC11, MeshClassFolders, SyntheticShapeClasses

    if cfg.data is None:
        opts = {"seed": cfg.seed, "vertices": cfg.vertices, "progress": cfg.progress}
        train = SyntheticShapeClasses("train", cfg.n_train, **opts)
        test = SyntheticShapeClasses("test", cfg.n_test, **opts)
        return train, test, train.class_names
    from ..data.shape_classes import class_folders, find_class_list

    root = Path(cfg.data)
    if not root.exists():
        raise FileNotFoundError(f"no data set at {root}")
    if find_class_list(root) is not None:
        loader, options = SHREC11, {"seed": cfg.seed}  # the random split follows --seed
    elif class_folders(root):
        loader, options = MeshClassFolders, {}
    else:
        raise FileNotFoundError(
            f"{root} has neither a SHREC'11 class list (categories.txt or *.cla, with T<id>.off "
            "meshes) nor class folders with train/ and test/ sub-folders (ModelNet layout)"
        )
    train, test = (
        loader(root, split=s, progress=cfg.progress, **options) for s in ("train", "test")
    )
    return train, test, train.class_names


def evaluation_sets(cfg: ClassificationConfig, test) -> dict[str, list]:
    """Named test sets, one accuracy column each: ``test_accuracy`` (the test shapes) and
    ``test_accuracy_rotated`` (each rotated by a random 3-D rotation, gauge graph rebuilt)."""
    rotations = random_rotations(len(test), cfg.seed + 12345)
    return {
        "test_accuracy": list(test),
        "test_accuracy_rotated": [rotated_copy(g, r) for g, r in zip(test, rotations)],
    }


# --------------------------------------------------------------------------- models
def classification_model_spec(kind: str, n_classes: int, cfg: ClassificationConfig) -> dict:
    """The model spec of model ``kind``: a :class:`GemClassifier` reading ``inputs.features`` (as
    in :func:`~gaugeconv.training.mesh_tasks.mesh_model_spec`) of the default gauge graph of a
    mesh normalised by :func:`~gaugeconv.data.normalized` (area 4 pi, centred)."""
    in_order, order = model_orders(kind, cfg.order)
    return model_spec(
        "GemClassifier",
        inputs={
            "features": FEATURES[kind],
            "graph": {"k": None, "radius": None, "angles": "intrinsic", "dtype": "float32"},
            "task": "classification",
            "n_classes": n_classes,
            "normalisation": "area 4 pi, centred",
        },
        in_channels=3,
        num_outputs=n_classes,
        in_order=in_order,
        width=cfg.width,
        order=order,
        n_blocks=cfg.n_blocks,
        nonlinearity="gated",
        norm="layer",
        pool=["mean", "max"],
        head=[64],
    )


def build_model(kind: str, n_classes: int, cfg: ClassificationConfig) -> GemClassifier:
    return build_model_from_spec(classification_model_spec(kind, n_classes, cfg))


def shape_accuracy(preds, graphs) -> float:
    """Fraction of graphs whose predicted class (one per graph) equals ``graph.y``."""
    correct = sum(int((p == g.y.cpu()).all()) for p, g in zip(preds, graphs))
    return correct / max(len(graphs), 1)


# --------------------------------------------------------------------------- training
def train_one(
    kind: str,
    cfg: ClassificationConfig,
    train,
    test,
    n_classes: int,
    out,
    device,
    start_from: dict | None = None,
):
    seed_everything(cfg.seed)
    spec = classification_model_spec(kind, n_classes, cfg)
    model = build_model_from_spec(spec).to(device)

    def evaluate(epoch):
        return {"test_accuracy": shape_accuracy(predict(model, kind, test, device), test)}

    target = lambda b: b.y  # noqa: E731
    history = fit(model, spec, kind, cfg, train, target, evaluate, out, device, start_from)
    return model, history


def run_classification(cfg: ClassificationConfig) -> dict:
    """Train every requested model, evaluate it on every set of :func:`evaluation_sets`, write
    ``metrics.json`` (``test_accuracy`` = the first model's), checkpoints and plots to ``out_dir``."""
    device = torch.device(cfg.device)
    out = Path(cfg.out_dir)
    starts = {  # checked before any data is made: a bad checkpoint fails fast
        kind: resume_checkpoint(
            out / kind / "checkpoint.pt",
            resume=cfg.resume,
            task="classification",
            config=cfg.run_config(),
            changeable=RESUMABLE_KEYS,
        )
        for kind in cfg.models
    }
    distributed.setup(device)
    train, test, class_names = load_datasets(cfg)
    sets = evaluation_sets(cfg, test)
    k = len(class_names)
    results, histories, gallery = {}, {}, []
    for kind in cfg.models:
        model, history = train_one(kind, cfg, train, test, k, out / kind, device, starts[kind])
        res = {}
        for name, graphs in sets.items():
            preds = predict(model, kind, graphs, device)
            res[name] = shape_accuracy(preds, graphs)
            if name == "test_accuracy":
                conf = confusion_matrix(
                    torch.cat(preds).numpy(), np.array([int(g.y) for g in graphs]), k
                )
                res["confusion"] = conf.tolist()
                if kind == cfg.models[0]:
                    gallery = [int(p) for p in preds]
        res["train_accuracy"] = shape_accuracy(predict(model, kind, train, device), train)
        res["parameters"] = sum(p.numel() for p in model.parameters())
        results[kind] = res
        histories[kind] = history
    first = results[cfg.models[0]]
    metrics = {
        "task": "classification",
        "config": asdict(cfg),
        "classes": list(class_names),
        "n_train": len(train),
        "n_test": len(test),
        "models": results,
        **{name: first[name] for name in sets},
        "history": histories,
    }
    if distributed.is_main_process():
        write_json(out / "metrics.json", metrics)
        if cfg.plots:
            from . import plots

            plots.accuracy_curves(histories, out / "accuracy.png")
            plots.shape_gallery(list(test), gallery, class_names, out / "shapes.png")
    return metrics


def format_table(metrics: dict) -> str:
    """Markdown results table: one row per model, one accuracy column per evaluation set."""
    columns = dict(COLUMNS)
    for name in metrics["models"][next(iter(metrics["models"]))]:
        if name.startswith("test_accuracy") and name not in columns:
            columns[name] = name.removeprefix("test_accuracy_")  # sets added later
    return mesh_tasks.format_table(metrics, columns)
