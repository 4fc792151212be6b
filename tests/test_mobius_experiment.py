"""The Möbius digits experiment: outputs, atomic checkpoints, resumption identical to a full run."""

import importlib.util
import json
from pathlib import Path

import pytest
import torch

import gaugeconv.training.loop as loop
from gaugeconv.mobius.experiment import run_mobius_digits
from gaugeconv.training import load_checkpoint

from .mobius_harness import single_thread

pytestmark = pytest.mark.usefixtures(single_thread.__name__)
pytest.importorskip("sklearn")  # the embedded digits

REPO = Path(__file__).resolve().parents[1]
TINY = dict(
    models=["regular", "cnn_params"],
    quick=True,
    epochs=2,
    n_train=64,
    n_test=40,
    width=1,
    size=16,
    batch_size=32,
    seed=0,
    progress=False,
)


def _comparable(metrics):
    """Everything that must agree between an interrupted+resumed run and an uninterrupted one."""
    return {
        name: {
            run: {"acc": res["test_accuracy"], "hist": res["history"]}
            for run, res in entry["runs"].items()
        }
        for name, entry in metrics["models"].items()
    }


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    return out, run_mobius_digits(out, **TINY)


def test_outputs(full_run):
    out, metrics = full_run
    on_disk = json.loads((out / "metrics.json").read_text())
    assert on_disk["test_accuracy"] == metrics["test_accuracy"]
    for name in TINY["models"]:
        for run in ("train_centered", "train_shifted"):
            for test in ("centered", "shifted"):
                assert 0.0 <= metrics["test_accuracy"][name][f"{run}/test_{test}"] <= 1.0
            ckpt = load_checkpoint(out / "checkpoints" / f"{name}__{run}.pt")
            assert ckpt["epoch"] == 2 and len(ckpt["history"]) == 2 and ckpt["task"] == "mobius"
    assert metrics["models"]["regular"]["published_params"] == 751_914
    assert metrics["table"]["columns"][:2] == ["model", "params"]
    assert len(metrics["table"]["rows"]) == 2
    assert "regular" in metrics["table_text"]
    assert (out / "test_errors.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.rglob("*.tmp"))  # atomic writes leave no temporaries


def test_resume_after_interruption_matches_uninterrupted_run(full_run, tmp_path, monkeypatch):
    _, reference = full_run
    real_save = loop.save_checkpoint
    calls = {"n": 0}

    def save_then_die(path, state):
        real_save(path, state)
        calls["n"] += 1
        if calls["n"] == 3:  # regular/centered finished (2 saves), regular/shifted 1 of 2 epochs
            raise KeyboardInterrupt("killed")

    monkeypatch.setattr(loop, "save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        run_mobius_digits(tmp_path, **TINY)
    monkeypatch.setattr(loop, "save_checkpoint", real_save)
    partial = load_checkpoint(tmp_path / "checkpoints" / "regular__train_shifted.pt")
    assert partial["epoch"] == 1

    with pytest.warns(
        UserWarning, match="cnn_params__train_(centered|shifted).pt; starting this run fresh"
    ):
        resumed = run_mobius_digits(tmp_path, resume=True, **TINY)
    assert _comparable(resumed) == _comparable(reference)


def test_resume_skips_finished_runs_and_checks_the_configuration(full_run, monkeypatch):
    out, reference = full_run

    def no_training(*args, **kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(torch.optim.Adam, "step", no_training)
    again = run_mobius_digits(out, resume=True, **TINY)
    assert _comparable(again) == _comparable(reference)
    with pytest.raises(ValueError, match="different run.*n_train: checkpoint 64, now 32"):
        run_mobius_digits(out, resume=True, **{**TINY, "n_train": 32})


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown"):
        run_mobius_digits(tmp_path, models=["resnet"])
    with pytest.raises(ValueError, match="train_on"):
        run_mobius_digits(tmp_path, models=["regular"], train_on=["upside-down"])
    with pytest.raises(ValueError, match="divisible by 4"):
        run_mobius_digits(tmp_path, models=["regular"], size=18)


def test_script_prints_the_table(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        "mobius_digits", REPO / "experiments" / "mobius_digits.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    argv = ["--out", str(tmp_path), "--quick", "--model", "cnn_params", "--epochs", "1"]
    argv += ["--n-train", "32", "--n-test", "16", "--width", "1", "--train-on", "centered"]
    argv += ["--no-progress"]
    assert script.main(argv) == 0
    printed = capsys.readouterr().out
    assert "cnn_params" in printed and "centered->shifted" in printed


@pytest.mark.slow
def test_quick_run_shows_the_gap(tmp_path):
    """The full quick setup (about 1.5-2 minutes): trained on centred digits, the naive CNN fails on
    shifted digits while the gauge CNNs keep their accuracy."""
    metrics = run_mobius_digits(
        tmp_path,
        models=["cnn_channels", "regular"],
        quick=True,
        train_on=["centered"],
        progress=False,
    )
    err = {
        n: e["runs"]["train_centered"]["test_error_percent"] for n, e in metrics["models"].items()
    }
    assert err["cnn_channels"]["shifted"] > 25.0 > 5.0 + err["cnn_channels"]["centered"]
    assert err["regular"]["shifted"] < 15.0
    assert abs(err["regular"]["shifted"] - err["regular"]["centered"]) < 5.0
