"""Multi-process (DistributedDataParallel) training, launched by ``torchrun``.

``torchrun --nproc_per_node 2 -m gaugeconv.cli train segmentation --quick`` starts two processes;
each sees ``WORLD_SIZE``/``RANK`` in its environment, joins a process group (``gloo`` on CPU,
``nccl`` on CUDA), wraps the model in ``DistributedDataParallel`` and trains on its share of every
batch (``shard``). Gradients are averaged across processes, so with equally sized shards a step
equals the single-process step on the whole batch. Only rank 0 writes checkpoints and results.
"""

from __future__ import annotations

import gc
import os
import time

import torch
import torch.distributed as dist


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return (
        dist.get_rank()
        if dist.is_available() and dist.is_initialized()
        else int(os.environ.get("RANK", "0"))
    )


def is_main_process() -> bool:
    return rank() == 0


def setup(device: torch.device) -> bool:
    """Join the process group if launched by torchrun; returns whether training is distributed."""
    if world_size() <= 1:
        return False
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return True


def wrap(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    if not (dist.is_available() and dist.is_initialized()):
        return model
    ids = [device.index] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)


def shard(items: list) -> list:
    """This process's share of a batch (every world_size-th item, starting at its rank)."""
    if not (dist.is_available() and dist.is_initialized()):
        return items
    return items[rank() :: dist.get_world_size()]


def teardown() -> None:
    """Leave the process group without the gloo shutdown deadlock.

    Destroying a gloo group joins its worker threads while holding the GIL; a worker that is still
    destroying a finished all-reduce needs the GIL for that, so both wait forever. A barrier makes
    all work finish, the short sleep (which releases the GIL) lets the workers dispose of it, and
    only then is the group destroyed.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        gc.collect()
        time.sleep(0.2)
        dist.destroy_process_group()
