"""Checkpoints run no code when loaded, and --resume continues only the same run (issue 10)."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

from gaugeconv.cli import main
from gaugeconv.training import checkpoint as ckpt_module
from gaugeconv.training.checkpoint import (
    CHECKPOINT_VERSION,
    load_checkpoint,
    plain,
    resume_checkpoint,
    save_checkpoint,
)
from gaugeconv.training.mesh_tasks import input_features, run_mesh_task
from gaugeconv.training.model_spec import build_model_from_spec, model_spec

from .test_training import tiny

REPO = Path(__file__).resolve().parents[1]


class _CreatesFile:
    """Unpickling this object calls ``open(marker, "w")``: it creates a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _malicious_checkpoint(path: Path, marker: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"format": "gaugeconv-checkpoint", "version": 1, "epoch": 0, "x": _CreatesFile(marker)}
    torch.save(state, path)


def test_malicious_checkpoint_runs_nothing(tmp_path):
    path, marker = tmp_path / "checkpoint.pt", tmp_path / "pwned"
    _malicious_checkpoint(path, marker)
    # the crafted file really would run code under an unrestricted load
    with open(path, "rb") as fh:
        torch.load(fh, weights_only=False)
    assert marker.exists()
    marker.unlink()
    with pytest.raises(
        ValueError, match="checkpoint.pt is not a readable gaugeconv checkpoint"
    ) as e:
        load_checkpoint(path)
    assert "\n" not in str(e.value)
    assert not marker.exists()


@pytest.mark.parametrize("task", ["segmentation", "climate", "mobius"])
def test_cli_resume_refuses_malicious_checkpoint_before_making_data(tmp_path, task, capsys):
    marker = tmp_path / "pwned"
    out = tmp_path / "run"
    where = {
        "segmentation": out / "gem" / "checkpoint.pt",
        "climate": out / "ico-scalar" / "checkpoint.pt",
        "mobius": out / "checkpoints" / "regular__train_centered.pt",
    }[task]
    _malicious_checkpoint(where, marker)
    argv = ["train", task, "--quick", "--resume", "--out", str(out), "--no-progress"]
    argv += {"segmentation": [], "climate": ["--model", "ico-scalar"], "mobius": []}[task]
    argv += ["--model", "regular", "--train-on", "centered"] if task == "mobius" else []
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gaugeconv: error: ") and str(where) in err and "\n" not in err
    assert not marker.exists()
    # nothing was generated: no synthetic climate files, no metrics
    assert sorted(p.name for p in out.iterdir()) == [where.relative_to(out).parts[0]]


def test_corrupt_truncated_and_foreign_checkpoints(tmp_path):
    good = tmp_path / "good.pt"
    save_checkpoint(good, {"epoch": 1, "w": torch.arange(100.0)})
    data = good.read_bytes()
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(data[: len(data) // 2])
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, foreign)
    newer = tmp_path / "newer.pt"
    torch.save({"format": "gaugeconv-checkpoint", "version": CHECKPOINT_VERSION + 1}, newer)
    for path, pattern in [
        (truncated, "truncated.pt is not a readable"),
        (garbage, "garbage.pt is not a readable"),
        (foreign, "foreign.pt is not a gaugeconv checkpoint"),
        (newer, f"newer.pt has checkpoint version {CHECKPOINT_VERSION + 1}"),
    ]:
        with pytest.raises(ValueError, match=pattern) as e:
            load_checkpoint(path)
        assert "\n" not in str(e.value)


def test_only_plain_values_are_checkpointed(tmp_path):
    import numpy as np

    state = plain({"a": np.float64(1.5), "b": np.arange(3), "c": [np.int64(2), (True, None)]})
    assert type(state["a"]) is float and torch.equal(state["b"], torch.arange(3))
    assert type(state["c"][0]) is int
    with pytest.raises(TypeError, match=r"state\['x'\]\[1\]: a pathlib"):
        plain({"x": [1, Path("/")]})
    with pytest.raises(TypeError):
        save_checkpoint(tmp_path / "c.pt", {"opt": torch.optim.SGD})
    assert not (tmp_path / "c.pt").exists()


def test_orphaned_temporaries_are_removed_by_the_next_write(tmp_path):
    path = tmp_path / "checkpoint.pt"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    orphan = tmp_path / f".checkpoint.pt.pid{dead}.k1ll3d.tmp"
    orphan.write_bytes(b"half a checkpoint")
    live = tmp_path / f".checkpoint.pt.pid{os.getpid()}.busy.tmp"  # a writer still at work
    live.write_bytes(b"being written")
    other = tmp_path / f".other.pt.pid{dead}.k1ll3d.tmp"  # another file's orphan: not ours
    other.write_bytes(b"x")
    save_checkpoint(path, {"epoch": 1})
    assert not orphan.exists() and live.exists() and other.exists()
    assert load_checkpoint(path)["epoch"] == 1


def test_checkpoint_files_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        save_checkpoint(tmp_path / "c.pt", {"epoch": 1})
    finally:
        os.umask(old)
    assert (tmp_path / "c.pt").stat().st_mode & 0o777 == 0o640


def test_model_spec_allows_only_known_builders():
    with pytest.raises(ValueError, match="unknown model builder"):
        model_spec("os.system")
    with pytest.raises(ValueError, match="not a model spec"):
        build_model_from_spec({"builder": "builtins:eval", "kwargs": {}})


# ------------------------------------------------------------------------ resume = the same run
@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("seg")
    cfg = tiny(out, epochs=2, plots=False)
    return out, cfg, run_mesh_task(cfg)


@pytest.mark.parametrize(
    "change, key",
    [
        ({"seed": 1}, "seed"),
        ({"lr": 0.5}, "lr"),
        ({"batch_size": 1}, "batch_size"),
        ({"width": 4}, "width"),
        ({"n_train": 6}, "n_train"),
        ({"template": "bunny"}, "template"),
    ],
)
def test_resume_refuses_another_configuration(finished_run, change, key, monkeypatch):
    out, cfg, _ = finished_run
    import gaugeconv.training.mesh_tasks as mesh_tasks

    monkeypatch.setattr(mesh_tasks, "load_datasets", lambda cfg: pytest.fail("data were made"))
    with pytest.raises(ValueError, match=rf"different run.*Differences: {key}: checkpoint"):
        run_mesh_task(tiny(out, epochs=2, plots=False, resume=True, **change))


def test_resume_refuses_other_task_and_fewer_epochs(finished_run, monkeypatch):
    out, cfg, _ = finished_run
    import gaugeconv.training.mesh_tasks as mesh_tasks

    monkeypatch.setattr(mesh_tasks, "load_datasets", lambda cfg: pytest.fail("data were made"))
    with pytest.raises(ValueError, match="belongs to task 'segmentation', not 'correspondence'"):
        run_mesh_task(tiny(out, task="correspondence", epochs=2, resume=True))
    with pytest.raises(ValueError, match="holds 2 completed epochs, more than the 1 asked for"):
        run_mesh_task(tiny(out, epochs=1, resume=True))


def test_resume_may_change_outputs_and_display(finished_run, tmp_path):
    out, cfg, metrics = finished_run
    moved = tmp_path / "moved"
    shutil.copytree(out, moved)
    again = run_mesh_task(
        tiny(moved, epochs=2, resume=True, progress=False, plots=True, models=["gem"])
    )
    assert again["history"] == metrics["history"]  # nothing retrained, same answers
    assert again["models"]["gem"]["test_accuracy"] == metrics["models"]["gem"]["test_accuracy"]


def test_resume_with_more_epochs_continues_the_longer_schedule(finished_run, tmp_path):
    out, cfg, metrics = finished_run
    longer = tmp_path / "longer"
    shutil.copytree(out, longer)
    extended = run_mesh_task(tiny(longer, epochs=4, resume=True, plots=False))["history"]["gem"]
    assert [h["epoch"] for h in extended] == [1, 2, 3, 4]
    assert extended[:2] == metrics["history"]["gem"]  # completed epochs kept as they were
    lrs = [h["lr"] for h in extended]
    cosine = [
        cfg.lr * (1 + math.cos(math.pi * e / t)) / 2 for e, t in ((0, 2), (1, 2), (2, 4), (3, 4))
    ]
    assert lrs == pytest.approx(cosine, rel=1e-15)
    # the optimiser really trained epochs 3-4 at those rates: the weights moved on
    a = load_checkpoint(out / "gem" / "checkpoint.pt")["model"]
    b = load_checkpoint(longer / "gem" / "checkpoint.pt")["model"]
    assert any(not torch.equal(a[k], b[k]) for k in a)


def test_resume_without_checkpoint_says_it_starts_fresh(tmp_path):
    with pytest.warns(UserWarning, match="no checkpoint at .*gem.*starting this run fresh"):
        state = resume_checkpoint(
            tmp_path / "gem" / "checkpoint.pt", resume=True, task="segmentation", config={}
        )
    assert state is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resume_checkpoint(tmp_path / "x.pt", resume=False, task="t", config={}) is None


def test_checkpoint_rebuilds_the_model_alone(finished_run):
    """What ``gaugeconv predict CHECKPOINT MESH`` needs: the checkpoint alone rebuilds the trained
    network, and it loads with torch's restricted unpickler."""
    from gaugeconv.data import SyntheticShapes

    out, cfg, metrics = finished_run
    with open(out / "gem" / "checkpoint.pt", "rb") as fh:
        state = torch.load(fh, weights_only=True)
    assert state["task"] == "segmentation" and state["config"]["seed"] == cfg.seed
    spec = state["model_spec"]
    assert spec["builder"] == "GemResNet" and spec["inputs"]["features"] == "invariant"
    model = build_model_from_spec(spec)
    model.load_state_dict(state["model"])
    model.eval()
    test = SyntheticShapes("test", cfg.n_test, mesh=cfg.template, seed=cfg.seed, rotation="none")
    with torch.no_grad():
        pred = [model(input_features("gem", g), g).argmax(1) for g in test]
    acc = sum(int((p == g.y).sum()) for p, g in zip(pred, test)) / sum(g.num_nodes for g in test)
    assert acc == metrics["models"]["gem"]["test_accuracy"]


def test_python_and_numpy_rng_states_round_trip():
    import random

    import numpy as np

    state = ckpt_module.rng_state()
    saved = plain(state)
    a = (random.random(), np.random.rand(), torch.rand(1))  # noqa: NPY002
    ckpt_module.set_rng_state(saved)
    b = (random.random(), np.random.rand(), torch.rand(1))  # noqa: NPY002
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])
