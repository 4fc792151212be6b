r"""Mesh segmentation and shape correspondence with GEM-CNNs: data, models, training, evaluation.

Models (``--model``):

=============  =================================================================================
``gem``        :class:`~gaugeconv.models.GemResNet` on rotation-invariant inputs
               (:func:`~gaugeconv.features.invariant_features`, orders 0..1): its predictions do not
               change when the mesh is rotated in 3-D
``gem-xyz``    the same network on raw XYZ coordinates as scalars (the GEM-CNN paper's FAUST input):
               not rotation invariant
``isotropic``  the same network restricted to order 0 (kernels depend on distance only: an isotropic
               graph convolution) on the invariant scalar inputs
=============  =================================================================================

Segmentation is scored per vertex, and per face / per edge where the data label faces (Maron et
al., the embedded data) or edges (MeshCNN), from the mean of the corners' logits
(:func:`element_accuracies`).

Embedded default data: :class:`~gaugeconv.data.SyntheticShapes` (deformed copies of the shipped
``spot`` mesh, or ``bunny``) in its canonical orientation for training; testing happens both in the canonical
orientation and under random 3-D rotations. ``data=PATH`` trains on a real data set instead: FAUST
registrations (correspondence), the Maron et al. human segmentation set or MeshCNN's ``human_seg``
(segmentation), recognised by their files.

Checkpoints (``<out_dir>/<model>/checkpoint.pt``, :mod:`.checkpoint`) store the run configuration
(:meth:`MeshTaskConfig.run_config`) and the model spec (:func:`mesh_model_spec`); ``resume=True``
continues only a run with the same configuration (:data:`RESUMABLE_KEYS` may differ, ``epochs`` may
grow) and checks every checkpoint before any data are made.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch

from ..features import invariant_features, xyz_features
from ..models import GemResNet
from . import distributed
from .checkpoint import resume_checkpoint, seed_everything, write_json
from .loop import Trainer, cosine_schedule, shuffled_batches
from .model_spec import build_model_from_spec, model_spec

MODELS = ("gem", "gem-xyz", "isotropic")
TASKS = ("segmentation", "correspondence")


@dataclass
class MeshTaskConfig:
    task: str = "segmentation"
    out_dir: str = "runs/segmentation"
    template: str = "spot"  # shipped mesh the synthetic data deform (spot or bunny)
    models: list[str] = field(default_factory=lambda: ["gem"])
    data: str | None = None
    quick: bool = False
    epochs: int | None = None
    lr: float = 0.003  # one mesh per step: 4x the steps of batches of 4 (BENCHMARKS.md)
    batch_size: int = 1
    width: int = 32
    order: int = 2
    n_blocks: int = 3
    n_train: int | None = None
    n_test: int | None = None
    seed: int = 0
    resume: bool = False
    progress: bool = True
    device: str = "cpu"
    plots: bool = True

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        bad = [m for m in self.models if m not in MODELS]
        if bad:
            raise ValueError(f"unknown model(s) {bad}; choose from {MODELS}")
        quick = {"segmentation": (24, 8, 15), "correspondence": (24, 8, 15)}[self.task]
        full = {"segmentation": (64, 16, 40), "correspondence": (64, 16, 60)}[self.task]
        n_train, n_test, epochs = quick if self.quick else full
        self.n_train = n_train if self.n_train is None else self.n_train
        self.n_test = n_test if self.n_test is None else self.n_test
        self.epochs = epochs if self.epochs is None else self.epochs

    def run_config(self) -> dict:
        """The configuration stored in checkpoints (``data`` as an absolute path)."""
        out = asdict(self)
        if self.data is not None:
            out["data"] = str(Path(self.data).resolve())
        return out


#: config keys a resumed run may change (outputs, display, device, which models to run; ``quick``
#: only chooses defaults, whose resolved values are compared); ``epochs`` is handled separately
RESUMABLE_KEYS = ("out_dir", "models", "quick", "resume", "progress", "device", "plots")


# --------------------------------------------------------------------------- data
def load_datasets(cfg: MeshTaskConfig):
    """(train, test, n_classes, template) for the task; template is None for real segmentation."""
    from ..data import SyntheticShapes

    if cfg.data is None:
        opts = {
            "mesh": cfg.template,
            "seed": cfg.seed,
            "rotation": "none",
            "progress": cfg.progress,
        }
        train = SyntheticShapes("train", cfg.n_train, **opts)
        test = SyntheticShapes("test", cfg.n_test, **opts)
        n_classes = train.n_classes if cfg.task == "segmentation" else train.n_template_vertices
        return train, test, n_classes, cfg.template
    root = Path(cfg.data)
    if not root.exists():
        raise FileNotFoundError(f"no data set at {root}")
    if cfg.task == "correspondence":
        from ..data import FAUST

        train, test = (
            FAUST(root, split="train", progress=cfg.progress),
            FAUST(root, split="test", progress=cfg.progress),
        )
        return train, test, int(train[0].num_nodes), None
    from ..data import MaronHumanSeg, MeshCNNHumanSeg

    if any(root.rglob("*.eseg")):
        train, test = (
            MeshCNNHumanSeg(root, split=s, progress=cfg.progress) for s in ("train", "test")
        )
    else:
        train, test = (
            MaronHumanSeg(root, split=s, progress=cfg.progress) for s in ("train", "test")
        )
    n_classes = int(max(int(g.y.max()) for g in list(train) + list(test))) + 1
    return train, test, n_classes, None


def target_of(graph, task: str) -> torch.Tensor:
    return graph.y if task == "segmentation" else graph.y_corr


def rotated_copy(graph, rotation: np.ndarray):
    """The same labelled mesh rigidly rotated in 3-D, with its gauge graph recomputed (vertex, face
    and edge labels carried over: the vertex and face numbering is kept)."""
    from ..data.dataset import mesh_graph
    from ..geometry.mesh import Mesh

    pos = graph.pos.double().numpy() @ rotation.T
    mesh = Mesh(pos, graph.face.t().numpy())
    labels = ("y", "y_corr", "y_face", "y_edge", "label_edge_index")
    extra = {k: graph[k] for k in labels if k in graph}
    return mesh_graph(mesh, dtype=graph.pos.dtype, **extra)


def random_rotations(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        q, r = np.linalg.qr(rng.normal(size=(3, 3)))
        q = q * np.sign(np.diag(r))
        out.append(q * np.sign(np.linalg.det(q)))
    return out


# --------------------------------------------------------------------------- models
def input_features(kind: str, graph) -> torch.Tensor:
    if kind == "gem":
        return invariant_features(graph)
    if kind == "gem-xyz":
        return xyz_features(graph)
    return invariant_features(graph)[:, :, :1]  # isotropic: the invariant scalars


#: what each model reads (``inputs.features`` of its model spec)
FEATURES = {"gem": "invariant", "gem-xyz": "xyz", "isotropic": "invariant-scalars"}


def model_orders(kind: str, order: int) -> tuple[int, int]:
    """(input order, hidden order) of model ``kind``: invariant inputs have an order-1 part, XYZ and
    the isotropic model's inputs are scalars; the isotropic model stays at order 0."""
    if kind not in MODELS:
        raise ValueError(f"unknown model {kind!r}; choose from {MODELS}")
    return (1 if kind == "gem" else 0), (0 if kind == "isotropic" else order)


def mesh_model_spec(kind: str, n_classes: int, cfg: MeshTaskConfig) -> dict:
    """The model spec (:mod:`.model_spec`) of model ``kind``: a :class:`GemResNet` whose input is
    ``inputs.features`` (``invariant``: :func:`~gaugeconv.features.invariant_features`, ``xyz``:
    :func:`~gaugeconv.features.xyz_features`, ``invariant-scalars``: the order-0 part of the
    invariant features) of the default gauge graph (1-ring, intrinsic angles, float32)."""
    in_order, order = model_orders(kind, cfg.order)
    return model_spec(
        "GemResNet",
        inputs={
            "features": FEATURES[kind],
            "graph": {"k": None, "radius": None, "angles": "intrinsic", "dtype": "float32"},
            "task": cfg.task,
            "n_classes": n_classes,
            "template": cfg.template if cfg.data is None else None,
        },
        in_channels=3,
        num_classes=n_classes,
        in_order=in_order,
        width=cfg.width,
        order=order,
        n_blocks=cfg.n_blocks,
        nonlinearity="gated",
        norm="layer",
        head=[256] if cfg.task == "correspondence" else [128],
    )


def build_model(kind: str, n_classes: int, cfg: MeshTaskConfig) -> GemResNet:
    return build_model_from_spec(mesh_model_spec(kind, n_classes, cfg))


# --------------------------------------------------------------------------- evaluation
@torch.no_grad()
def predict_logits(model, kind: str, graphs, device) -> list[torch.Tensor]:
    """The model's outputs for each graph, one at a time, on the CPU."""
    model.eval()
    return [model(input_features(kind, g.to(device)), g.to(device)).cpu() for g in graphs]


def predict(model, kind: str, graphs, device) -> list[torch.Tensor]:
    return [logits.argmax(1) for logits in predict_logits(model, kind, graphs, device)]


def element_accuracies(logits, graphs) -> dict:
    """Per-face and per-edge accuracy of per-vertex ``logits`` (one (N, K) tensor per graph).

    A face (an edge) is predicted as ``argmax`` of the mean of its corners' (ends') logits
    (:func:`~gaugeconv.nn.face_readout`, gauge invariant like the logits). ``face_accuracy``: the
    fraction of faces whose prediction equals ``y_face``, pooled over the graphs that have
    ``y_face`` (Maron et al.'s measure); ``edge_accuracy``: the same for the labelled edges
    ``label_edge_index`` / ``y_edge`` (MeshCNN's ``human_seg``; every edge counts once, where MeshCNN
    weights edges by area and accepts either label on part boundaries). Keys are left out when no
    graph carries the labels.
    """
    from ..nn.readout import edge_readout, face_readout

    counts = {"face_accuracy": [0, 0], "edge_accuracy": [0, 0]}
    for out, g in zip(logits, graphs):
        for key, label, elements, readout in (
            ("face_accuracy", "y_face", "face", face_readout),
            ("edge_accuracy", "y_edge", "label_edge_index", edge_readout),
        ):
            if label in g and elements in g:
                truth, index = g[label].cpu(), g[elements].cpu()
                if truth.shape[0] != index.shape[1]:
                    raise ValueError(
                        f"{label} has {truth.shape[0]} labels for {index.shape[1]} {elements} rows"
                    )
                counts[key][0] += int((readout(out, index).argmax(1) == truth).sum())
                counts[key][1] += int(truth.shape[0])
    return {k: c / n for k, (c, n) in counts.items() if n}


def accuracy(preds, graphs, task: str) -> float:
    correct = sum(int((p == target_of(g, task)).sum()) for p, g in zip(preds, graphs))
    return correct / max(sum(int(g.num_nodes) for g in graphs), 1)


def geodesic_errors(preds, graphs, template_name: str) -> np.ndarray:
    """Per vertex of ``graphs``: :func:`template_geodesic_errors` of the predicted template vertex."""
    true = np.concatenate([target_of(g, "correspondence").numpy() for g in graphs])
    pred = np.concatenate([p.numpy() for p in preds])
    return template_geodesic_errors(pred, true, template_name)


def template_geodesic_errors(pred: np.ndarray, true: np.ndarray, template_name: str) -> np.ndarray:
    """Geodesic distance on the template between predicted and true template vertices, divided by
    sqrt(template area); graph geodesics (Dijkstra along edges), an upper bound of the surface
    geodesic distance."""
    from scipy.sparse.csgraph import dijkstra

    from ..data.synthetic_shapes import template
    from ..data.template_parts import edge_graph

    mesh = template(template_name).mesh
    adj = edge_graph(mesh)
    errors = np.empty(len(true))
    for start in range(0, mesh.n_vertices, 512):
        sources = np.arange(start, min(start + 512, mesh.n_vertices))
        sel = (true >= sources[0]) & (true <= sources[-1])
        if sel.any():
            dist = dijkstra(adj, directed=False, indices=sources)
            errors[sel] = dist[true[sel] - sources[0], pred[sel]]
    return errors / np.sqrt(mesh.face_areas().sum())


# --------------------------------------------------------------------------- training
def fit(
    model,
    spec: dict,
    kind: str,
    cfg,
    train,
    target,
    evaluate,
    out: Path,
    device,
    start_from: dict | None = None,
) -> list[dict]:
    """Train ``model`` (built from ``spec``) on ``train`` with the shared loop: Adam + cosine
    schedule over ``cfg.epochs``, batches of ``cfg.batch_size`` graphs in an order fixed by
    ``(cfg.seed, epoch)``, cross-entropy of ``model(input_features(kind, batch), batch)`` against
    ``target(batch)``, ``evaluate(epoch)`` after every epoch, checkpoints in ``out`` (continuing
    from the accepted checkpoint ``start_from``, if any)."""
    trainer = Trainer.adam(
        model,
        device,
        out / "checkpoint.pt",
        schedule=cosine_schedule(cfg.lr),
        task=cfg.task,
        model_spec=spec,
        config=cfg.run_config(),
        history_path=out / "history.json",
        progress=cfg.progress,
    )

    def batches(epoch):
        return shuffled_batches(len(train), cfg.batch_size, cfg.seed, epoch)

    def step(items):
        batch = Batch.from_data_list([train[i] for i in distributed.shard(items)]).to(device)
        logits = trainer.model(input_features(kind, batch), batch)
        return F.cross_entropy(logits, target(batch))

    return trainer.fit(cfg.epochs, batches, step, evaluate, start_from=start_from, desc=kind)


def train_one(
    kind: str,
    cfg: MeshTaskConfig,
    train,
    test,
    n_classes: int,
    out: Path,
    device,
    start_from: dict | None = None,
) -> tuple:
    """Train model ``kind`` (from the accepted checkpoint ``start_from``, if any)."""
    seed_everything(cfg.seed)
    spec = mesh_model_spec(kind, n_classes, cfg)
    model = build_model_from_spec(spec).to(device)

    def evaluate(epoch):
        return {"test_accuracy": accuracy(predict(model, kind, test, device), test, cfg.task)}

    target = lambda b: target_of(b, cfg.task)  # noqa: E731
    history = fit(model, spec, kind, cfg, train, target, evaluate, out, device, start_from)
    return model, history


def run_mesh_task(cfg: MeshTaskConfig) -> dict:
    """Train every requested model, evaluate it with and without test-time rotations, write
    ``metrics.json`` (``test_accuracy`` = the first model's), checkpoints and plots to ``out_dir``."""
    device = torch.device(cfg.device)
    out = Path(cfg.out_dir)
    starts = {  # checked before any data is made: a bad checkpoint fails fast
        kind: resume_checkpoint(
            out / kind / "checkpoint.pt",
            resume=cfg.resume,
            task=cfg.task,
            config=cfg.run_config(),
            changeable=RESUMABLE_KEYS,
        )
        for kind in cfg.models
    }
    distributed.setup(device)
    train, test, n_classes, template_name = load_datasets(cfg)
    rotations = random_rotations(len(test), cfg.seed + 12345)
    test_rotated = [rotated_copy(g, r) for g, r in zip(test, rotations)]
    results, histories, examples = {}, {}, {}
    for kind in cfg.models:
        model, history = train_one(
            kind, cfg, train, test, n_classes, out / kind, device, starts[kind]
        )
        logits = predict_logits(model, kind, test, device)
        preds = [x.argmax(1) for x in logits]
        preds_rot = predict(model, kind, test_rotated, device)
        res = {
            "test_accuracy": accuracy(preds, test, cfg.task),
            "test_accuracy_rotated": accuracy(preds_rot, test_rotated, cfg.task),
            "train_accuracy": accuracy(predict(model, kind, train, device), train, cfg.task),
            "parameters": sum(p.numel() for p in model.parameters()),
        }
        if cfg.task == "segmentation":
            res.update({f"test_{k}": v for k, v in element_accuracies(logits, test).items()})
        if cfg.task == "correspondence" and template_name is not None:
            err = geodesic_errors(preds, test, template_name)
            res["mean_geodesic_error"] = float(err.mean())
            res["fraction_within_0.05"] = float((err <= 0.05).mean())
            examples[kind] = err
        elif cfg.task == "segmentation":
            examples[kind] = preds[0]
        results[kind] = res
        histories[kind] = history
    metrics = {
        "task": cfg.task,
        "config": asdict(cfg),
        "models": results,
        "test_accuracy": results[cfg.models[0]]["test_accuracy"],
        "test_accuracy_rotated": results[cfg.models[0]]["test_accuracy_rotated"],
        "history": histories,
    }
    if distributed.is_main_process():
        write_json(out / "metrics.json", metrics)
        if cfg.plots:
            from . import plots

            plots.accuracy_curves(histories, out / "accuracy.png")
            if cfg.task == "segmentation":
                first = cfg.models[0]
                plots.segmented_mesh(
                    test[0], examples[first], out / "segmentation.png", title=first
                )
            elif examples:
                plots.geodesic_error_curves(examples, out / "geodesic_error.png")
    return metrics


#: result keys shown as percentage columns of the results tables, in this order, with their titles
COLUMNS = {
    "test_accuracy": "test accuracy",
    "test_face_accuracy": "per face",
    "test_edge_accuracy": "per edge",
    "test_accuracy_rotated": "under random 3-D rotations",
}


def format_table(metrics: dict, columns: dict | None = None) -> str:
    """Markdown table of ``metrics["models"]``: one row per model, one column per percentage in
    ``columns`` (default :data:`COLUMNS`; keys no model has are left out) and the parameters."""
    columns = COLUMNS if columns is None else columns
    results = metrics["models"].values()
    shown = [k for k in columns if any(k in r for r in results)]
    rows = [
        "| model | " + " | ".join(columns[k] for k in shown) + " | parameters |",
        "|---|" + "---|" * len(shown) + "---|",
    ]
    for kind, r in metrics["models"].items():
        cells = [f"{100 * r[k]:.1f} %" if k in r else "-" for k in shown]
        rows.append(f"| {kind} | " + " | ".join(cells) + f" | {r['parameters']:,} |")
    return "\n".join(rows)
