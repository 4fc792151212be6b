r"""The one training loop of every task: atomic checkpoints, exact resume, a learning-rate schedule.

* After every epoch the model, optimiser, history, RNG states, the run's configuration and the
  model spec are written to the checkpoint atomically (layout: :mod:`.checkpoint`).
* A run continues from a checkpoint that :func:`~.checkpoint.resume_checkpoint` has accepted (same
  task, same configuration). Batch order depends only on ``(seed, epoch)`` and the RNG states are
  restored, so a resumed run reproduces an uninterrupted one exactly.
* **Learning rate.** The rate of epoch ``e`` (0-based) is a pure function ``schedule(e, T)`` of the
  epoch and the run's number of epochs ``T``, set on the optimiser at the start of the epoch and
  recorded as ``lr`` in the epoch's history record. :func:`cosine_schedule` (mesh and climate
  tasks) is ``lr (1 + cos(pi e / T)) / 2``, the values torch's ``CosineAnnealingLR`` steps through
  once per epoch; :func:`step_schedule` (Möbius experiment) halves the rate every few epochs.
  Because the rate is a function of ``(e, T)`` and not of the previous rate, a run resumed with a
  different number of epochs ``T'`` (``--epochs``, at least the completed epochs) trains every
  remaining epoch with exactly the rate an uninterrupted ``T'``-epoch run gives it: an extended
  cosine run anneals to zero at its new end. The completed epochs keep the rates they were trained
  with (see their ``lr``); when a finished run is extended, the rate therefore rises again at the
  first new epoch (a warm restart), which is the price of a schedule planned for fewer epochs.
* Under ``torchrun`` (``WORLD_SIZE > 1``) only rank 0 writes files; see
  :mod:`gaugeconv.training.distributed`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch

from .checkpoint import rng_state, save_checkpoint, set_rng_state, write_json
from .distributed import is_main_process, wrap

Schedule = Callable[[int, int], float]


def shuffled_batches(n: int, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Indices ``0..n-1`` in an order fixed by ``(seed, epoch)``, cut into batches."""
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return [order[i : i + batch_size].tolist() for i in range(0, n, batch_size)]


def cosine_schedule(lr: float) -> Schedule:
    """``schedule(e, T) = lr (1 + cos(pi e / T)) / 2``: cosine annealing towards 0 at epoch T."""
    return lambda epoch, epochs: lr * (1 + math.cos(math.pi * epoch / epochs)) / 2


def step_schedule(lr: float, every: int, factor: float) -> Schedule:
    """``schedule(e, T) = lr / factor ** (e // every)`` (independent of T)."""
    return lambda epoch, epochs: lr / factor ** (epoch // every)


class Trainer:
    """Epoch loop with atomic checkpoints, exact resume, a schedule and a progress bar.

    ``task``, ``model_spec`` and ``config`` are stored in every checkpoint (:mod:`.checkpoint`);
    ``history_path`` (optional) receives the history as JSON after every epoch.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        checkpoint_path: str | Path,
        *,
        schedule: Schedule,
        task: str,
        model_spec: dict,
        config: dict,
        history_path: str | Path | None = None,
        progress: bool = True,
    ) -> None:
        self.model, self.optimizer, self.schedule = model, optimizer, schedule
        self.checkpoint_path = Path(checkpoint_path)
        self.history_path = None if history_path is None else Path(history_path)
        self.task, self.model_spec, self.config = task, model_spec, config
        self.progress = progress and is_main_process()
        self.train_seconds = 0.0

    @classmethod
    def adam(
        cls,
        model: torch.nn.Module,
        device,
        checkpoint_path: str | Path,
        *,
        schedule: Schedule,
        weight_decay: float = 0.0,
        **kwargs,
    ) -> Trainer:
        """Adam (rate from ``schedule``); ``trainer.model`` is the model wrapped for distributed
        training when running under ``torchrun``. ``kwargs`` go to :class:`Trainer`."""
        opt = torch.optim.Adam(model.parameters(), lr=schedule(0, 1), weight_decay=weight_decay)
        return cls(wrap(model, device), opt, checkpoint_path, schedule=schedule, **kwargs)

    @property
    def network(self) -> torch.nn.Module:
        """The model without a ``DistributedDataParallel`` wrapper."""
        return getattr(self.model, "module", self.model)

    def _state(self, epochs_done: int, history: list) -> dict:
        return {
            "task": self.task,
            "model_spec": self.model_spec,
            "config": self.config,
            "epoch": epochs_done,
            "model": self.network.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "history": history,
            "rng": rng_state(),
            "train_seconds": self.train_seconds,
        }

    def _restore(self, state: dict) -> tuple[int, list]:
        """Load an accepted checkpoint; returns (epochs done, history so far)."""
        path = self.checkpoint_path
        try:
            self.network.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            set_rng_state(state["rng"])
        except (RuntimeError, KeyError, TypeError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"{path}: the checkpoint does not fit this model ({first})") from None
        self.train_seconds = float(state.get("train_seconds", 0.0))
        return int(state["epoch"]), list(state["history"])

    def fit(
        self,
        epochs: int,
        batches: Callable[[int], Iterable],
        step: Callable[[object], torch.Tensor],
        evaluate: Callable[[int], dict],
        *,
        start_from: dict | None = None,
        desc: str = "train",
    ) -> list[dict]:
        """Train until ``epochs`` epochs are done; ``batches(epoch)`` yields batches, ``step(batch)``
        returns the loss, ``evaluate(epoch)`` returns metrics recorded in the history.

        ``start_from`` is a checkpoint accepted by :func:`~.checkpoint.resume_checkpoint` (or
        ``None`` for a fresh run); a finished run is returned without training.
        """
        from tqdm.auto import tqdm

        start, history = self._restore(start_from) if start_from is not None else (0, [])
        if self.progress and start:
            tqdm.write(f"{desc}: resuming after epoch {start} of {epochs} ({self.checkpoint_path})")
        for epoch in range(start, epochs):
            t0 = time.perf_counter()
            lr = float(self.schedule(epoch, epochs))
            for group in self.optimizer.param_groups:
                group["lr"] = lr
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
            self.train_seconds += time.perf_counter() - t0
            self.model.eval()
            record = {
                "epoch": epoch + 1,
                "lr": lr,
                "train_loss": total / max(count, 1),
                **evaluate(epoch),
            }
            history.append(record)
            if is_main_process():
                save_checkpoint(self.checkpoint_path, self._state(epoch + 1, history))
                if self.history_path is not None:
                    write_json(self.history_path, history)
                if self.progress:
                    shown = ", ".join(
                        f"{k} {v:.4f}"
                        for k, v in record.items()
                        if k not in ("epoch", "lr") and isinstance(v, float)
                    )
                    tqdm.write(f"epoch {epoch + 1}/{epochs}: {shown}")
        return history
