"""Training: end to end with metrics/checkpoints/plots, exact resume, DDP equals single process."""

import json
import os
import socket
import time

import pytest
import torch
import torch.multiprocessing as mp
from torch_geometric.data import Batch

from gaugeconv.cli import main
from gaugeconv.training.checkpoint import load_checkpoint
from gaugeconv.training.mesh_tasks import MeshTaskConfig, build_model, input_features, run_mesh_task


def tiny(out, task="segmentation", **kw):
    base = dict(
        task=task,
        out_dir=str(out),
        n_train=4,
        n_test=2,
        epochs=2,
        width=8,
        n_blocks=2,
        batch_size=2,
        progress=False,
    )
    base.update(kw)
    return MeshTaskConfig(**base)


def test_segmentation_end_to_end_writes_everything(tmp_path):
    metrics = run_mesh_task(tiny(tmp_path, models=["gem", "gem-xyz", "isotropic"]))
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert 0 <= saved["test_accuracy"] <= 1 and set(saved["models"]) == {
        "gem",
        "gem-xyz",
        "isotropic",
    }
    for kind in ("gem", "gem-xyz", "isotropic"):
        assert (tmp_path / kind / "checkpoint.pt").is_file()
        assert len(json.loads((tmp_path / kind / "history.json").read_text())) == 2
    assert (tmp_path / "accuracy.png").stat().st_size > 10_000
    assert (tmp_path / "segmentation.png").stat().st_size > 10_000
    # rotation-invariant inputs: identical predictions under random 3-D rotations
    gem = metrics["models"]["gem"]
    assert gem["test_accuracy_rotated"] == pytest.approx(gem["test_accuracy"], abs=1e-3)


def test_correspondence_end_to_end(tmp_path):
    metrics = run_mesh_task(tiny(tmp_path, task="correspondence", epochs=1))
    res = metrics["models"]["gem"]
    assert 0 <= res["mean_geodesic_error"] < 2
    assert (tmp_path / "geodesic_error.png").stat().st_size > 5_000


def test_resume_reproduces_uninterrupted_run(tmp_path, monkeypatch):
    import gaugeconv.training.loop as loop

    full = run_mesh_task(tiny(tmp_path / "a", epochs=3, plots=False))
    # kill the second run while it writes its third checkpoint: the second one must survive
    real_save, calls = loop.save_checkpoint, []

    def dying_save(path, state):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt("killed while writing the checkpoint")
        real_save(path, state)

    monkeypatch.setattr(loop, "save_checkpoint", dying_save)
    with pytest.raises(KeyboardInterrupt):
        run_mesh_task(tiny(tmp_path / "b", epochs=3, plots=False))
    monkeypatch.undo()
    assert (
        load_checkpoint(tmp_path / "b" / "gem" / "checkpoint.pt")["epoch"] == 2
    )  # two completed epochs saved
    resumed = run_mesh_task(tiny(tmp_path / "b", epochs=3, resume=True, plots=False))
    assert resumed["history"]["gem"] == full["history"]["gem"]
    a = load_checkpoint(tmp_path / "a" / "gem" / "checkpoint.pt")["model"]
    b = load_checkpoint(tmp_path / "b" / "gem" / "checkpoint.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_cli_quick_runs(tmp_path, capsys):
    assert (
        main(
            [
                "train",
                "segmentation",
                "--quick",
                "--epochs",
                "1",
                "--out",
                str(tmp_path),
                "--no-progress",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "| gem |" in out and (tmp_path / "metrics.json").is_file()
    assert main(["train", "segmentation", "--data", str(tmp_path / "missing")]) == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _one_step(model, graphs, kind="gem"):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    batch = Batch.from_data_list(graphs)
    loss = torch.nn.functional.cross_entropy(model(input_features(kind, batch), batch), batch.y)
    opt.zero_grad()
    loss.backward()
    opt.step()


def _ddp_worker(rank, world, port, graphs, state, out):
    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world)
    )
    torch.set_num_threads(1)
    from gaugeconv.training import distributed

    distributed.setup(torch.device("cpu"))
    model = build_model("gem", 8, tiny(out))
    model.load_state_dict(state)
    ddp = distributed.wrap(model, torch.device("cpu"))
    _one_step(ddp, distributed.shard(graphs))
    if rank == 0:
        torch.save(model.state_dict(), out / "ddp.pt")
    del ddp
    distributed.teardown()


def test_ddp_two_processes_match_single_process(tmp_path):
    from gaugeconv.data import SyntheticShapes

    graphs = list(SyntheticShapes("train", 2, rotation="none", mesh="bunny"))
    torch.manual_seed(0)
    model = build_model("gem", 8, tiny(tmp_path))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    _one_step(model, graphs)
    ctx = mp.spawn(
        _ddp_worker, args=(2, _free_port(), graphs, state, tmp_path), nprocs=2, join=False
    )
    deadline = time.monotonic() + 240
    while not ctx.join(timeout=2):
        if time.monotonic() > deadline:  # never hang the test suite
            for p in ctx.processes:
                p.kill()
            pytest.fail("DDP workers did not finish within 240 s")
    ddp_state = torch.load(tmp_path / "ddp.pt")
    for k, v in model.state_dict().items():
        torch.testing.assert_close(ddp_state[k], v, atol=1e-6, rtol=1e-5)
    assert any(not torch.equal(state[k], v) for k, v in model.state_dict().items())  # it did train
