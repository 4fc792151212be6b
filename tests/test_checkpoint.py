"""Checkpoints are written atomically: an interrupted write keeps the previous checkpoint."""

import pytest
import torch

from gaugeconv.training import load_checkpoint, rng_state, save_checkpoint, set_rng_state


def test_round_trip(tmp_path):
    path = tmp_path / "ckpt.pt"
    assert load_checkpoint(path) is None
    save_checkpoint(path, {"epoch": 3, "w": torch.arange(4.0)})
    state = load_checkpoint(path)
    assert state["epoch"] == 3 and torch.equal(state["w"], torch.arange(4.0))


def test_interrupted_write_leaves_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, {"epoch": 1})
    real_save = torch.save

    def crash(obj, fh, *a, **k):
        real_save({"epoch": "half"}, fh)  # something partial reaches the temporary file
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, {"epoch": 2})
    monkeypatch.undo()
    assert load_checkpoint(path)["epoch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]  # no temporary left behind


def test_rng_state_restores_streams():
    state = rng_state()
    a = torch.rand(3)
    set_rng_state(state)
    assert torch.equal(torch.rand(3), a)
