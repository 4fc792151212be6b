"""Climate segmentation task: learns on the synthetic data, writes metrics/plots/checkpoints,
resumes exactly, runs from the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from gaugeconv.cli import main
from gaugeconv.data import ChannelStats, compute_stats, read_climatenet
from gaugeconv.training.checkpoint import load_checkpoint
from gaugeconv.training.climate_task import ClimateTaskConfig, run_climate_task

from .ico_harness import one_thread  # noqa: F401  (fixture)


def tiny(out, **kw):
    base = dict(
        out_dir=str(out),
        models=["ico-scalar"],
        level=3,
        n_train=4,
        n_test=2,
        epochs=3,
        width=2,
        depth=1,
        grid=(48, 72),
        progress=False,
        plots=False,
    )
    base.update(kw)
    return ClimateTaskConfig(**base)


def test_learns_and_writes_everything(tmp_path):
    cfg = ClimateTaskConfig(
        out_dir=str(tmp_path),
        models=["ico-vector"],
        quick=True,  # level 4, 96 x 144 files, width 4, depth 2
        n_train=16,
        n_test=4,
        epochs=8,
        progress=False,
    )
    metrics = run_climate_task(cfg)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    res = saved["models"]["ico-vector"]
    hist = saved["history"]["ico-vector"]
    majority = saved["data"]["majority_class_rate"]
    print(
        f"\nloss {hist[0]['train_loss']:.3f} -> {hist[-1]['train_loss']:.3f}; test accuracy "
        f"{res['test_accuracy']:.4f} (majority {majority:.4f}); mean class accuracy "
        f"{res['mean_class_accuracy']:.3f}; per class {res['per_class']}"
    )
    assert hist[-1]["train_loss"] < 0.3 * hist[0]["train_loss"]
    assert res["test_accuracy"] > majority + 0.003
    assert res["mean_class_accuracy"] > 0.6  # chance: 1/3
    assert saved["test_accuracy"] == res["test_accuracy"] == metrics["test_accuracy"]
    for key in ("mean_class_accuracy", "mean_iou", "mean_ap"):
        assert 0 <= saved[key] <= 1
    for name in ("background", "tropical_cyclone", "atmospheric_river"):
        per = res["per_class"][name]
        assert set(per) >= {"accuracy", "iou", "ap", "support"} and per["support"] > 0
    # winds as a vector field: exactly equivariant, the rotated test set gives the same answers
    assert res["rotation_consistency"] > 0.999
    assert res["test_accuracy_rotated"] == pytest.approx(res["test_accuracy"], abs=1e-3)
    # normalisation statistics come from the training split only
    stats = ChannelStats.load(tmp_path / "stats.json")
    assert stats.info["files"] == 16 and stats.info["n_values"] == 16 * 2562
    files = sorted((tmp_path / "data" / "train").glob("*.nc"))
    assert len(files) == 16 and len(list((tmp_path / "data" / "test").glob("*.nc"))) == 4
    snap = read_climatenet(files[0])
    assert snap.fields.shape == (4, 96, 144)
    for name in ("curves.png", "predictions.png"):
        assert (tmp_path / name).stat().st_size > 20_000
    assert (tmp_path / "ico-vector" / "checkpoint.pt").is_file()
    assert len(json.loads((tmp_path / "ico-vector" / "history.json").read_text())) == 8


def test_resume_reproduces_uninterrupted_run(tmp_path, monkeypatch):
    import gaugeconv.training.loop as loop

    cache = str(tmp_path / "data")
    full = run_climate_task(tiny(tmp_path / "a", data_cache=cache))
    real_save, calls = loop.save_checkpoint, []

    def dying_save(path, state):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt("killed while writing the checkpoint")
        real_save(path, state)

    monkeypatch.setattr(loop, "save_checkpoint", dying_save)
    with pytest.raises(KeyboardInterrupt):
        run_climate_task(tiny(tmp_path / "b", data_cache=cache))
    monkeypatch.undo()
    ckpt = tmp_path / "b" / "ico-scalar" / "checkpoint.pt"
    assert load_checkpoint(ckpt)["epoch"] == 2  # two epochs saved, the third write lost
    resumed = run_climate_task(tiny(tmp_path / "b", data_cache=cache, resume=True))
    assert resumed["history"] == full["history"]
    a = load_checkpoint(tmp_path / "a" / "ico-scalar" / "checkpoint.pt")["model"]
    b = load_checkpoint(ckpt)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed["models"]["ico-scalar"]["per_class"] == full["models"]["ico-scalar"]["per_class"]


def test_cli_climate(tmp_path, capsys):
    args = ["train", "climate", "--quick", "--epochs", "1", "--level", "3", "--n-train", "4"]
    args += ["--n-test", "2", "--out", str(tmp_path), "--no-progress", "--threads", "1"]
    assert main([*args, "--model", "ico-scalar", "chart-cnn", "--width", "2"]) == 0
    out = capsys.readouterr().out
    assert "| ico-scalar |" in out and "| chart-cnn |" in out and "majority-class rate" in out
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics["models"]) == {"ico-scalar", "chart-cnn"}
    assert metrics["config"]["level"] == 3 and metrics["config"]["class_weighting"] == "sqrt"
    assert (tmp_path / "predictions.png").is_file()
    assert main(["train", "climate", "--data", str(tmp_path / "missing")]) == 2
    assert "no climate data folder" in capsys.readouterr().err


def test_config_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown model"):
        ClimateTaskConfig(models=["unet"])
    with pytest.raises(ValueError, match="wind"):
        ClimateTaskConfig(models=["ico-vector"], variables=("TMQ", "PSL"))
    with pytest.raises(ValueError, match="depth"):
        ClimateTaskConfig(level=2, depth=2)
    with pytest.raises(ValueError, match="class_weighting"):
        ClimateTaskConfig(class_weighting="focal")


def test_stats_match_training_files(tmp_path):
    """The task's normalisation equals compute_stats over the training files resampled by the loader."""
    from gaugeconv.data import ClimateNetIcosphere

    cfg = tiny(tmp_path, epochs=1)
    run_climate_task(cfg)
    ds = ClimateNetIcosphere(tmp_path / "data" / "train", 3, progress=False)
    ref = compute_stats([g.x.double().numpy() for g in ds], cfg.variables)
    got = ChannelStats.load(tmp_path / "stats.json")
    assert np.allclose(got.mean, ref.mean, rtol=1e-6) and np.allclose(got.std, ref.std, rtol=1e-6)
