r"""Per-class segmentation metrics: accuracy, IoU, average precision (no scikit-learn needed).

All metrics pool the labelled points (e.g. the vertices of every test sample) into one set; each
point counts once (no area weighting). With ``C[a, b]`` the number of points of true class ``a``
predicted as ``b`` (:func:`confusion_matrix`):

- **class accuracy** (recall) ``C[c, c] / sum_b C[c, b]``; its mean over the classes is the "mean
  class accuracy" that the climate-segmentation papers report (also called balanced accuracy);
- **IoU** ``C[c, c] / (sum_b C[c, b] + sum_a C[a, c] - C[c, c])``;
- **average precision** of class c (one vs. rest), from the scores ``s_i`` (softmax probability of
  class c): with the distinct score values ``t_1 > t_2 > ... > t_m`` as thresholds, ``P_n`` and
  ``R_n`` the precision and recall of "predict c where ``s >= t_n``",

  .. math:: \mathrm{AP} = \sum_{n=1}^{m} (R_n - R_{n-1})\, P_n, \qquad R_0 = 0,

  the step-wise (non-interpolated) area under the precision-recall curve; points with tied scores
  enter together at one threshold. This is the definition of scikit-learn's
  ``average_precision_score``; its mean over classes is the "mAP" of the papers.

A metric of a class with no true points (accuracy, AP) or with an empty union (IoU) is undefined:
it is returned as NaN and left out of the means (and written as ``null`` to JSON by
:func:`json_safe`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "average_precision",
    "class_accuracy",
    "class_iou",
    "confusion_matrix",
    "json_safe",
    "segmentation_metrics",
]


def confusion_matrix(pred: np.ndarray, target: np.ndarray, n_classes: int) -> np.ndarray:
    """(K, K) int64 counts ``C[true, predicted]`` of integer label arrays of equal shape."""
    pred, target = np.asarray(pred).reshape(-1), np.asarray(target).reshape(-1)
    if pred.shape != target.shape:
        raise ValueError(f"pred and target differ in size: {pred.size} vs {target.size}")
    for name, a in (("pred", pred), ("target", target)):
        if a.size and (a.min() < 0 or a.max() >= n_classes):
            raise ValueError(f"{name} has labels outside 0..{n_classes - 1}")
    flat = target.astype(np.int64) * n_classes + pred.astype(np.int64)
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def class_accuracy(conf: np.ndarray) -> np.ndarray:
    """(K,) recall of each class (NaN for a class with no true points)."""
    conf = np.asarray(conf, dtype=np.float64)
    support = conf.sum(1)
    return np.divide(np.diag(conf), support, out=np.full(len(conf), np.nan), where=support > 0)


def class_iou(conf: np.ndarray) -> np.ndarray:
    """(K,) intersection over union of each class (NaN where the union is empty)."""
    conf = np.asarray(conf, dtype=np.float64)
    inter = np.diag(conf)
    union = conf.sum(0) + conf.sum(1) - inter
    return np.divide(inter, union, out=np.full(len(conf), np.nan), where=union > 0)


def average_precision(scores: np.ndarray, positive: np.ndarray) -> float:
    """Average precision of a binary ranking (module docstring); NaN if nothing is positive.

    ``scores`` (N,) real, higher = more confident; ``positive`` (N,) bool."""
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    y = np.asarray(positive, dtype=bool).reshape(-1)
    if s.shape != y.shape:
        raise ValueError(f"scores and positive differ in size: {s.size} vs {y.size}")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or inf")
    n_pos = int(y.sum())
    if n_pos == 0:
        return math.nan
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    tp = np.cumsum(y)
    last = np.concatenate([np.flatnonzero(np.diff(s) != 0), [len(s) - 1]])  # end of each tie group
    tp = tp[last]
    precision = tp / (last + 1)
    recall = tp / n_pos
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def segmentation_metrics(probs: np.ndarray, target: np.ndarray, class_names: Sequence[str]) -> dict:
    """Metrics of per-point class probabilities ``probs`` (N, K) against labels ``target`` (N,).

    Returns ``accuracy`` (overall), ``mean_class_accuracy``, ``mean_iou``, ``mean_ap`` and
    ``per_class`` = {name: {accuracy, iou, ap, support, predicted}}, plus the confusion matrix.
    The prediction is ``argmax(probs)``."""
    probs = np.asarray(probs, dtype=np.float64)
    target = np.asarray(target).reshape(-1)
    k = len(class_names)
    if probs.ndim != 2 or probs.shape != (len(target), k):
        raise ValueError(f"probs must have shape ({len(target)}, {k}), got {probs.shape}")
    pred = probs.argmax(1)
    conf = confusion_matrix(pred, target, k)
    acc, iou = class_accuracy(conf), class_iou(conf)
    ap = np.array([average_precision(probs[:, c], target == c) for c in range(k)])

    def mean(a: np.ndarray) -> float:
        return float(np.nanmean(a)) if np.isfinite(a).any() else math.nan

    return {
        "accuracy": float(np.trace(conf) / max(conf.sum(), 1)),
        "mean_class_accuracy": mean(acc),
        "mean_iou": mean(iou),
        "mean_ap": mean(ap),
        "per_class": {
            name: {
                "accuracy": float(acc[c]),
                "iou": float(iou[c]),
                "ap": float(ap[c]),
                "support": int(conf[c].sum()),
                "predicted": int(conf[:, c].sum()),
            }
            for c, name in enumerate(class_names)
        },
        "confusion": conf.tolist(),
    }


def json_safe(obj):
    """``obj`` with every non-finite float replaced by ``None`` (strict JSON has no NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj
