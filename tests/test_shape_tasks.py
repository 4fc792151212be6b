"""The classification task end to end (metrics, checkpoints, plots, rotation invariance of the gem
model's predictions), the CLI on a miniature folder-per-class data set, and the per-face / per-edge
accuracies of the segmentation metrics on hand-made cases."""

import json

import pytest
import torch
from torch_geometric.data import Data

from gaugeconv import shapes
from gaugeconv.cli import main
from gaugeconv.training.checkpoint import load_checkpoint
from gaugeconv.training.classification_task import (
    ClassificationConfig,
    build_model,
    evaluation_sets,
    format_table,
    run_classification,
)
from gaugeconv.training.mesh_tasks import element_accuracies, input_features

from .test_shape_data import _write_off


def tiny(out, **kw):
    base = dict(
        out_dir=str(out),
        n_train=1,
        n_test=1,
        epochs=2,
        width=6,
        n_blocks=2,
        vertices=(80, 140),
        batch_size=4,
        progress=False,
    )
    base.update(kw)
    return ClassificationConfig(**base)


def test_classification_end_to_end_writes_everything(tmp_path):
    cfg = tiny(tmp_path, models=["gem", "gem-xyz"], n_blocks=1)
    metrics = run_classification(cfg)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["n_train"] == 8 and saved["n_test"] == 8 and len(saved["classes"]) == 8
    for kind in ("gem", "gem-xyz"):
        res = saved["models"][kind]
        assert 0 <= res["test_accuracy"] <= 1 and 0 <= res["test_accuracy_rotated"] <= 1
        assert sum(map(sum, res["confusion"])) == 8
        assert (tmp_path / kind / "checkpoint.pt").is_file()
        assert len(json.loads((tmp_path / kind / "history.json").read_text())) == 2
    assert (tmp_path / "accuracy.png").stat().st_size > 10_000
    assert (tmp_path / "shapes.png").stat().st_size > 10_000
    table = format_table(metrics)
    assert "under random 3-D rotations" in table and "| gem-xyz |" in table
    # the gem model's logits do not change under 3-D rotations (float32 geometry)
    model = build_model("gem", 8, cfg)
    model.load_state_dict(load_checkpoint(tmp_path / "gem" / "checkpoint.pt")["model"])
    model.eval()
    sets = evaluation_sets(cfg, _test_graphs(cfg))
    for g, r in zip(sets["test_accuracy"], sets["test_accuracy_rotated"]):
        with torch.no_grad():
            a = model(input_features("gem", g), g)
            b = model(input_features("gem", r), r)
        assert (a - b).abs().max() < 1e-4 * a.abs().max()
        assert not torch.allclose(g.pos, r.pos)


def _test_graphs(cfg):
    from gaugeconv.data import SyntheticShapeClasses

    return SyntheticShapeClasses("test", 1, seed=cfg.seed, vertices=cfg.vertices)


def test_cli_recognises_a_folder_per_class_data_set(tmp_path, capsys):
    for cls, mesh in (("ball", shapes.icosphere(1)), ("ring", shapes.torus(9, 6))):
        for split in ("train", "test"):
            _write_off(tmp_path / "data" / cls / split / f"{cls}_{split}.off", mesh)
    out = tmp_path / "run"
    args = ["train", "classification", "--data", str(tmp_path / "data"), "--out", str(out)]
    assert main(args + ["--epochs", "1", "--no-progress", "--threads", "1"]) == 0
    text = capsys.readouterr().out
    assert "| gem |" in text and "test accuracy" in text
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["classes"] == ["ball", "ring"] and saved["n_test"] == 2
    assert main(["train", "classification", "--data", str(tmp_path / "nothing")]) == 2
    assert "no data set" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["train", "classification", "--data", str(tmp_path / "empty")]) == 2
    assert "neither a SHREC'11 class list" in capsys.readouterr().err


def test_face_and_edge_accuracy_on_a_hand_made_case():
    # a square of two faces (0, 1, 2), (0, 2, 3); logits favour class 0 at vertices 0, 1 and
    # class 1 at vertices 2, 3, strongly at 3
    logits = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 5.0]])
    g = Data(
        num_nodes=4,
        face=torch.tensor([[0, 0], [1, 2], [2, 3]]),
        y_face=torch.tensor([0, 0]),
        label_edge_index=torch.tensor([[0, 1, 2], [1, 2, 3]]),
        y_edge=torch.tensor([0, 1, 1]),
    )
    # face means: (2/3, 1/3) -> 0 (right), (1/3, 2) -> 1 (wrong); edges: 0 (right), tie -> 0
    # (wrong), 1 (right)
    acc = element_accuracies([logits], [g])
    assert acc == {"face_accuracy": 0.5, "edge_accuracy": pytest.approx(2 / 3)}
    assert element_accuracies([logits], [Data(num_nodes=4)]) == {}
    g.y_face = torch.tensor([0, 0, 1])
    with pytest.raises(ValueError, match="3 labels for 2 face"):
        element_accuracies([logits], [g])


def test_human_segmentation_loaders_report_face_and_edge_accuracy(tmp_path):
    from gaugeconv.training.mesh_tasks import MeshTaskConfig, format_table, run_mesh_task

    from .test_data_meshes import make_maron, make_meshcnn

    ico = shapes.icosphere(1)
    make_maron(tmp_path / "maron", ico.vertices, ico.faces)
    make_meshcnn(tmp_path / "meshcnn", ico.vertices, ico.faces)
    opts = dict(epochs=1, width=4, n_blocks=1, batch_size=4, progress=False, plots=False)
    maron = run_mesh_task(
        MeshTaskConfig(data=str(tmp_path / "maron"), out_dir=str(tmp_path / "a"), **opts)
    )
    res = maron["models"]["gem"]
    assert 0 <= res["test_face_accuracy"] <= 1 and "test_edge_accuracy" not in res
    assert "| test accuracy | per face | under random 3-D rotations |" in format_table(maron)
    meshcnn = run_mesh_task(
        MeshTaskConfig(data=str(tmp_path / "meshcnn"), out_dir=str(tmp_path / "b"), **opts)
    )
    res = meshcnn["models"]["gem"]
    assert 0 <= res["test_edge_accuracy"] <= 1 and "test_face_accuracy" not in res
    assert "per edge" in format_table(meshcnn)
