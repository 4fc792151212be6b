"""Training utilities shared by the experiments: atomic checkpoints, results, seeding."""

from .checkpoint import (
    atomic_write,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    seed_everything,
    set_rng_state,
    write_json,
)

__all__ = [
    "atomic_write",
    "load_checkpoint",
    "rng_state",
    "save_checkpoint",
    "seed_everything",
    "set_rng_state",
    "write_json",
]
