"""The toolkit's side of the peer benchmark: shared splits, rotated copies, scoring, and the
benchmark's dry run (no peers needed)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gaugeconv.data.exchange import MeshArrays
from gaugeconv.training.benchmark_data import gaugeconv_recipe, score, task_mesh_sets
from gaugeconv.training.mesh_tasks import MeshTaskConfig, load_datasets

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def seg_sets():
    return task_mesh_sets("segmentation", n_train=2, n_test=2)


def test_sets_are_the_training_data_of_the_task(seg_sets):
    sets, info = seg_sets
    train, test, n_classes, _ = load_datasets(
        MeshTaskConfig(task="segmentation", quick=True, n_train=2, n_test=2, progress=False)
    )
    assert info["n_outputs"] == n_classes == 8
    for samples, graphs in ((sets["train"], train), (sets["test"], test)):
        for s, g in zip(samples, graphs, strict=True):
            np.testing.assert_array_equal(s.vertices, g.pos.double().numpy())
            np.testing.assert_array_equal(s.labels, g.y.numpy())


def test_rotated_copies_are_rigid_motions_with_the_same_labels(seg_sets):
    sets, _ = seg_sets
    for s, r in zip(sets["test"], sets["test_rotated"], strict=True):
        np.testing.assert_array_equal(s.labels, r.labels)
        np.testing.assert_array_equal(s.faces, r.faces)
        d0 = np.linalg.norm(s.vertices[s.faces[:, 0]] - s.vertices[s.faces[:, 1]], axis=1)
        d1 = np.linalg.norm(r.vertices[r.faces[:, 0]] - r.vertices[r.faces[:, 1]], axis=1)
        np.testing.assert_allclose(d0, d1, rtol=1e-12)
        assert np.abs(s.vertices - r.vertices).max() > 0.1  # really moved


def test_recipe_graph_is_aligned_with_the_labels(seg_sets):
    sets, info = seg_sets
    recipe = gaugeconv_recipe("segmentation", "gem", info)
    graph = recipe.graph(sets["test"][0])
    np.testing.assert_array_equal(graph.y.numpy(), sets["test"][0].labels)
    assert recipe.predict(recipe.model().eval(), graph).shape == (graph.num_nodes,)


def test_score_on_hand_made_predictions():
    a = MeshArrays(np.zeros((4, 3)), np.zeros((0, 3)), [0, 1, 2, 3], label=1)
    b = MeshArrays(np.zeros((2, 3)), np.zeros((0, 3)), [5, 5], label=0)
    got = score("segmentation", [a, b], [np.array([0, 1, 0, 0]), np.array([5, 5])], {})
    assert got == {"accuracy": pytest.approx(4 / 6)}
    assert score("classification", [a, b], [1, 1], {}) == {"accuracy": 0.5}
    with pytest.raises(ValueError, match="predictions"):
        score("segmentation", [a], [np.array([0, 1])], {})


def test_correspondence_score_is_zero_error_for_the_truth():
    truth = np.array([0, 10, 500, 2929])
    sample = MeshArrays(np.zeros((4, 3)), np.zeros((0, 3)), truth)
    info = {"template": "spot"}
    exact = score("correspondence", [sample], [truth], info)
    assert exact["within_0.05"] == 1.0 and exact["mean_geodesic_error"] == 0.0
    far = score("correspondence", [sample], [truth[::-1]], info)
    assert far["within_0.05"] < 1.0 and far["mean_geodesic_error"] > 0.1


def test_peers_dry_run_without_peers_says_what_it_would_fetch(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "peers.py"), "--dry-run",
         "--diffusion-net", str(tmp_path / "none"), "--reference", str(tmp_path / "none")],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "would skip: no DiffusionNet checkout" in proc.stdout
    assert "git clone https://github.com/nmwsharp/diffusion-net" in proc.stdout
    assert "gem-reference: would skip" in proc.stdout
    assert "gem: ready" in proc.stdout
