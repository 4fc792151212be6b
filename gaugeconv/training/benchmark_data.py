"""What a side-by-side benchmark (``benchmarks/peers.py``) takes from gaugeconv's tasks.

* :func:`task_mesh_sets`: a task's embedded data as plain arrays (:mod:`gaugeconv.data.exchange`),
  with the same train/test samples as ``gaugeconv train <task>`` and the test variants every
  method is scored on: ``test``, ``test_rotated`` (each test mesh under the same random 3-D rotation
  the task's evaluation uses), and re-meshed / point-cloud copies where available.
* :func:`gaugeconv_recipe`: gaugeconv's side of the comparison, built from the task's own code
  (model, input features, batch size, optimiser and schedule of ``gaugeconv train``).
* :func:`score`: the task's metrics from per-vertex (or per-shape) predictions: accuracy, and for
  correspondence the fraction of vertices within ``0.05 sqrt(area)`` of the truth on the template.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..data.exchange import MeshArrays, graph_arrays, mesh_graph_from_arrays

#: task -> (key of the headline metric in :func:`score`, its column label)
METRIC = {
    "segmentation": ("accuracy", "accuracy %"),
    "correspondence": ("within_0.05", "within 0.05 %"),
    "classification": ("accuracy", "accuracy %"),
}
_TARGET = {"segmentation": "y", "correspondence": "y_corr"}


def default_epochs(task: str, size: str = "quick") -> int:
    """The epochs ``gaugeconv train <task>`` uses at this size."""
    from .mesh_tasks import MeshTaskConfig

    return int(MeshTaskConfig(task=task, quick=size == "quick").epochs)


def task_mesh_sets(
    task: str,
    *,
    quick: bool = True,
    seed: int = 0,
    n_train: int | None = None,
    n_test: int | None = None,
) -> tuple[dict[str, list[MeshArrays]], dict]:
    """``(sets, info)``: named lists of samples and what methods need to know (outputs, template).

    ``n_train``/``n_test`` override the task's sizes (tests use a few meshes)."""
    from .mesh_tasks import MeshTaskConfig, load_datasets, random_rotations

    if task not in _TARGET:
        raise ValueError(f"task must be one of {sorted(_TARGET)}, got {task!r}")
    cfg = MeshTaskConfig(
        task=task, quick=quick, seed=seed, progress=False, n_train=n_train, n_test=n_test
    )
    train, test, n_classes, template_name = load_datasets(cfg)
    target = _TARGET[task]
    sets = {
        "train": [graph_arrays(g, target) for g in train],
        "test": [graph_arrays(g, target) for g in test],
    }
    rotations = random_rotations(len(test), seed + 12345)
    sets["test_rotated"] = [
        MeshArrays(s.vertices @ r.T, s.faces, s.labels, s.label)
        for s, r in zip(sets["test"], rotations)
    ]
    info = {"task": task, "n_outputs": int(n_classes), "template": template_name, "seed": seed}
    return sets, info


def score(task: str, samples: list[MeshArrays], preds: list, info: dict) -> dict[str, float]:
    """Metrics of ``preds`` (per-vertex label arrays, or one class per shape) against ``samples``."""
    if task == "classification":
        truth = np.array([s.label for s in samples])
        return {"accuracy": float(np.mean(np.asarray(preds) == truth))}
    pred = np.concatenate([np.asarray(p).reshape(-1) for p in preds])
    truth = np.concatenate([s.labels for s in samples])
    if pred.shape != truth.shape:
        raise ValueError(f"{len(pred)} predictions for {len(truth)} labelled vertices")
    out = {"accuracy": float(np.mean(pred == truth))}
    if task == "correspondence":
        from .mesh_tasks import template_geodesic_errors

        err = template_geodesic_errors(pred, truth, info["template"])
        out["within_0.05"] = float(np.mean(err <= 0.05))
        out["mean_geodesic_error"] = float(err.mean())
    return out


@dataclass
class GaugeconvRecipe:
    """gaugeconv's model ``kind`` for ``task`` exactly as ``gaugeconv train`` builds and trains it."""

    task: str
    kind: str
    info: dict

    def __post_init__(self) -> None:
        from .mesh_tasks import MeshTaskConfig

        self.cfg = MeshTaskConfig(task=self.task, quick=True, models=[self.kind], progress=False)
        self.batch_size = self.cfg.batch_size

    def graph(self, sample: MeshArrays):
        return mesh_graph_from_arrays(sample, target=_TARGET[self.task])

    def model(self) -> torch.nn.Module:
        from .mesh_tasks import build_model

        return build_model(self.kind, self.info["n_outputs"], self.cfg)

    def optimizer(self, model, epochs: int):
        from .loop import cosine_schedule

        schedule = cosine_schedule(self.cfg.lr)
        return torch.optim.Adam(model.parameters(), lr=self.cfg.lr), schedule

    def _logits(self, model, graph):
        from .mesh_tasks import input_features

        return model(input_features(self.kind, graph), graph)

    def loss(self, model, graphs):
        from torch_geometric.data import Batch

        batch = Batch.from_data_list(graphs)
        return F.cross_entropy(self._logits(model, batch), batch[_TARGET[self.task]])

    def predict(self, model, graph):
        return self._logits(model, graph).argmax(1).numpy()


def gaugeconv_recipe(task: str, kind: str, info: dict) -> GaugeconvRecipe:
    """gaugeconv's side of a benchmark for ``task`` and model ``kind`` (``gem``, ``gem-xyz``)."""
    return GaugeconvRecipe(task, kind, info)
