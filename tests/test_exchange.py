"""Plain-array mesh sets shared with other tools: round trip, no pickles, alignment, errors."""

import numpy as np
import pytest
import torch

from gaugeconv import shapes
from gaugeconv.data.exchange import (
    MeshArrays,
    graph_arrays,
    load_mesh_sets,
    mesh_graph_from_arrays,
    save_mesh_sets,
)


def _sample(seed, label=-1):
    mesh = shapes.icosphere(1)
    rng = np.random.default_rng(seed)
    return MeshArrays(mesh.vertices, mesh.faces, rng.integers(0, 5, mesh.n_vertices), label)


def test_round_trip_keeps_every_array_bit_for_bit(tmp_path):
    sets = {"train": [_sample(0), _sample(1, label=3)], "test": [_sample(2)], "empty": []}
    cloud = MeshArrays(np.random.default_rng(3).normal(size=(20, 3)), np.zeros((0, 3)), [])
    sets["cloud"] = [cloud]
    save_mesh_sets(tmp_path / "sets.npz", sets)
    back = load_mesh_sets(tmp_path / "sets.npz")
    assert list(back) == ["train", "test", "empty", "cloud"]
    for name, samples in sets.items():
        assert len(back[name]) == len(samples)
        for a, b in zip(samples, back[name]):
            for field in ("vertices", "faces", "labels"):
                np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
            assert a.label == b.label
    assert back["cloud"][0].is_point_cloud and not back["train"][0].is_point_cloud


def test_files_load_without_pickle(tmp_path):
    np.savez(tmp_path / "evil.npz", names=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="not a mesh-set file"):
        load_mesh_sets(tmp_path / "evil.npz")


def test_graph_round_trip_keeps_targets_aligned():
    sample = _sample(4, label=2)
    graph = mesh_graph_from_arrays(sample, target="y", dtype=torch.float64)
    np.testing.assert_array_equal(graph.y.numpy(), sample.labels)
    np.testing.assert_array_equal(graph.pos.numpy(), sample.vertices)
    again = graph_arrays(graph, "y")
    np.testing.assert_array_equal(again.faces, sample.faces)
    np.testing.assert_array_equal(again.labels, sample.labels)
    assert again.label == 2


def test_errors():
    with pytest.raises(ValueError, match="one entry per vertex"):
        MeshArrays(np.zeros((4, 3)), [[0, 1, 2]], [1, 2])
    with pytest.raises(ValueError, match="outside"):
        MeshArrays(np.zeros((4, 3)), [[0, 1, 7]], [])
    mesh = shapes.icosphere(1)
    extra = np.vstack([mesh.vertices, [[5.0, 5.0, 5.0]]])  # an unreferenced vertex is dropped
    with pytest.warns(UserWarning):
        with pytest.raises(ValueError, match="misaligned"):
            mesh_graph_from_arrays(MeshArrays(extra, mesh.faces, np.zeros(len(extra))))
