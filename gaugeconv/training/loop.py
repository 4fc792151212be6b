"""A small training loop that never loses work.

* After every epoch the model, optimiser, scheduler, history and all RNG states are written to
  ``<out>/checkpoint.pt`` atomically (:func:`~gaugeconv.training.checkpoint.save_checkpoint`).
* ``resume=True`` continues after the last completed epoch. Batch order depends only on
  ``(seed, epoch)`` and the RNG states are restored, so a resumed run reproduces an uninterrupted one
  exactly.
* Under ``torchrun`` (``WORLD_SIZE > 1``) only rank 0 writes files; see
  :mod:`gaugeconv.training.distributed`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch

from .checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state, write_json
from .distributed import is_main_process, wrap


def shuffled_batches(n: int, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Indices ``0..n-1`` in an order fixed by ``(seed, epoch)``, cut into batches."""
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return [order[i : i + batch_size].tolist() for i in range(0, n, batch_size)]


class Trainer:
    """Epoch loop with atomic checkpoints, exact resume and a progress bar."""

    def __init__(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        out_dir: str | Path,
        *,
        scheduler=None,
        progress: bool = True,
    ) -> None:
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.out_dir = Path(out_dir)
        self.progress = progress and is_main_process()
        self.checkpoint_path = self.out_dir / "checkpoint.pt"

    @classmethod
    def adam_cosine(
        cls,
        model: torch.nn.Module,
        lr: float,
        epochs: int,
        out_dir: str | Path,
        device,
        progress: bool = True,
    ) -> Trainer:
        """Adam with a cosine learning-rate schedule over ``epochs``; ``trainer.model`` is the model
        wrapped for distributed training when running under ``torchrun``."""
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
        return cls(wrap(model, device), opt, out_dir, scheduler=sched, progress=progress)

    def _state(self, epoch: int, history: list) -> dict:
        model = getattr(self.model, "module", self.model)  # unwrap DistributedDataParallel
        return {
            "epoch": epoch,
            "model": model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "history": history,
            "rng": rng_state(),
        }

    def resume_point(self) -> tuple[int, list]:
        """Load the checkpoint (if any); returns (first epoch to run, history so far)."""
        state = load_checkpoint(self.checkpoint_path)
        if state is None:
            return 0, []
        getattr(self.model, "module", self.model).load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        set_rng_state(state["rng"])
        return state["epoch"] + 1, list(state["history"])

    def fit(
        self,
        epochs: int,
        batches: Callable[[int], Iterable],
        step: Callable[[object], torch.Tensor],
        evaluate: Callable[[int], dict],
        *,
        resume: bool = False,
        desc: str = "train",
    ) -> list[dict]:
        """Train for ``epochs`` epochs; ``batches(epoch)`` yields batches, ``step(batch)`` returns
        the loss, ``evaluate(epoch)`` returns metrics recorded in the history."""
        from tqdm.auto import tqdm

        start, history = self.resume_point() if resume else (0, [])
        if start >= epochs and history:
            return history
        for epoch in range(start, epochs):
            self.model.train()
            total, count = 0.0, 0
            bar = tqdm(
                list(batches(epoch)),
                desc=f"{desc} {epoch + 1}/{epochs}",
                disable=not self.progress,
                leave=False,
            )
            for batch in bar:
                self.optimizer.zero_grad(set_to_none=True)
                loss = step(batch)
                loss.backward()
                self.optimizer.step()
                total += float(loss.detach())
                count += 1
                bar.set_postfix(loss=f"{total / count:.4f}")
            if self.scheduler is not None:
                self.scheduler.step()
            self.model.eval()
            record = {"epoch": epoch + 1, "train_loss": total / max(count, 1), **evaluate(epoch)}
            history.append(record)
            if is_main_process():
                save_checkpoint(self.checkpoint_path, self._state(epoch, history))
                write_json(self.out_dir / "history.json", history)
                if self.progress:
                    shown = ", ".join(
                        f"{k} {v:.4f}"
                        for k, v in record.items()
                        if k != "epoch" and isinstance(v, float)
                    )
                    tqdm.write(f"epoch {epoch + 1}/{epochs}: {shown}")
        return history
