"""Segmentation metrics of the climate task: average precision against brute force and known values,
confusion-matrix metrics, class weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gaugeconv.training.climate_task import class_weights
from gaugeconv.training.seg_metrics import (
    average_precision,
    class_accuracy,
    class_iou,
    confusion_matrix,
    json_safe,
    segmentation_metrics,
)


def brute_force_ap(scores, positive):
    """AP = sum over thresholds t (distinct scores, descending) of (R(t) - R(t_prev)) P(t), with
    precision and recall of 'score >= t' counted directly."""
    ap, prev_recall = 0.0, 0.0
    for t in sorted(set(scores.tolist()), reverse=True):
        sel = scores >= t
        tp = np.sum(sel & positive)
        precision, recall = tp / sel.sum(), tp / positive.sum()
        ap += (recall - prev_recall) * precision
        prev_recall = recall
    return ap


def test_average_precision_known_values():
    # scikit-learn's documented example: 0.8333...
    assert average_precision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(5 / 6)
    assert average_precision([0.9, 0.8, 0.1, 0.0], [1, 1, 0, 0]) == 1.0  # perfect ranking
    # worst ranking of 1 positive among n: precision 1/n at the only recall step
    assert average_precision([0.9, 0.8, 0.7, 0.1], [0, 0, 0, 1]) == pytest.approx(1 / 4)
    # all scores tied: one threshold, AP = prevalence
    assert average_precision(np.ones(10), np.arange(10) < 3) == pytest.approx(0.3)
    assert math.isnan(average_precision([0.3, 0.2], [0, 0]))  # no positives: undefined
    with pytest.raises(ValueError):
        average_precision([0.1, np.nan], [0, 1])


@pytest.mark.parametrize("seed", range(5))
def test_average_precision_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 300
    positive = rng.random(n) < 0.2
    scores = np.round(rng.random(n) + 0.5 * positive, 1)  # coarse values: many ties
    assert average_precision(scores, positive) == pytest.approx(brute_force_ap(scores, positive))
    # expected AP of a random ranking is close to the prevalence
    rnd = [average_precision(rng.random(2000), rng.random(2000) < 0.1) for _ in range(20)]
    assert abs(np.mean(rnd) - 0.1) < 0.02


def test_confusion_metrics():
    target = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    pred = np.array([0, 0, 1, 0, 1, 0, 2, 1])
    conf = confusion_matrix(pred, target, 3)
    assert conf.tolist() == [[3, 1, 0], [1, 1, 0], [0, 1, 1]]
    assert np.allclose(class_accuracy(conf), [3 / 4, 1 / 2, 1 / 2])
    assert np.allclose(class_iou(conf), [3 / 5, 1 / 4, 1 / 2])
    probs = np.eye(3)[pred] * 0.8 + 0.2 / 3
    m = segmentation_metrics(probs, target, ("a", "b", "c"))
    assert m["accuracy"] == pytest.approx(5 / 8)
    assert m["mean_class_accuracy"] == pytest.approx((3 / 4 + 1 / 2 + 1 / 2) / 3)
    assert m["mean_iou"] == pytest.approx((3 / 5 + 1 / 4 + 1 / 2) / 3)
    for c, name in enumerate("abc"):
        assert m["per_class"][name]["ap"] == pytest.approx(brute_force_ap(probs[:, c], target == c))
        assert m["per_class"][name]["support"] == int((target == c).sum())
    # a class without true points: undefined accuracy and AP, left out of the means
    m2 = segmentation_metrics(probs[:4], target[:4], ("a", "b", "c"))
    assert m2["per_class"]["c"]["accuracy"] != m2["per_class"]["c"]["accuracy"]  # NaN
    assert m2["mean_class_accuracy"] == pytest.approx(3 / 4)
    assert json_safe(m2)["per_class"]["c"]["ap"] is None
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix(np.array([3]), np.array([0]), 3)
    with pytest.raises(ValueError, match="shape"):
        segmentation_metrics(probs[:, :2], target, ("a", "b", "c"))


def test_class_weights():
    y = torch.tensor([0] * 90 + [1] * 4 + [2] * 6)
    w = class_weights(y, 3, "inverse")
    assert torch.allclose(w, torch.tensor([1 / 2.7, 1 / 0.12, 1 / 0.18]))
    assert torch.allclose(class_weights(y, 3, "sqrt"), w.sqrt())
    assert torch.equal(class_weights(y, 3, "none"), torch.ones(3))
    assert class_weights(torch.zeros(5, dtype=torch.long), 3)[1:].tolist() == [1.0, 1.0]
    with pytest.raises(ValueError):
        class_weights(y, 3, "median")
