"""Training utilities shared by the experiments: safe checkpoints, resume, results, seeding."""

from .checkpoint import (
    CHECKPOINT_VERSION,
    atomic_write,
    load_checkpoint,
    plain,
    resume_checkpoint,
    rng_state,
    save_checkpoint,
    seed_everything,
    set_rng_state,
    write_json,
)
from .model_spec import build_model_from_spec, model_spec

__all__ = [
    "CHECKPOINT_VERSION",
    "atomic_write",
    "build_model_from_spec",
    "load_checkpoint",
    "model_spec",
    "plain",
    "resume_checkpoint",
    "rng_state",
    "save_checkpoint",
    "seed_everything",
    "set_rng_state",
    "write_json",
]
