"""Checkpoints: one safe, self-describing format shared by every task; atomic result files.

**Safe to load.** A checkpoint is a dict written with ``torch.save`` and read back only with
``torch.load(..., weights_only=True)``, whose unpickler admits tensors and plain Python values and
nothing that could run code. :func:`save_checkpoint` enforces this on the writing side: everything
in a checkpoint is a tensor, ``int``, ``float``, ``bool``, ``str``, ``None``, or a list, tuple or
dict of these (numpy values are converted; anything else is refused with ``TypeError``), so every
checkpoint gaugeconv writes loads under ``weights_only=True``, and a crafted file that needs more is
refused by :func:`load_checkpoint` with a one-line ``ValueError`` naming the file.

**Layout** (format version :data:`CHECKPOINT_VERSION`):

=================  ================================================================================
key                value
=================  ================================================================================
``format``         ``"gaugeconv-checkpoint"``
``version``        ``1``; a checkpoint from a newer gaugeconv is refused
``task``           ``"segmentation"``, ``"correspondence"``, ``"climate"`` or ``"mobius"``
``model_spec``     JSON-compatible recipe of the network: ``{"builder": name, "kwargs": {...},
                   "inputs": {...}}``; :func:`~gaugeconv.training.model_spec.build_model_from_spec`
                   rebuilds the untrained network from it alone, ``inputs`` says what the network
                   reads (feature kind, graph options, normalisation statistics, ...)
``config``         the run's configuration (JSON-compatible dict); ``--resume`` compares it
``epoch``          number of completed epochs
``model``          the network's ``state_dict``
``optimizer``      the optimiser's ``state_dict``
``history``        one dict of numbers per completed epoch (``epoch``, ``lr``, ``train_loss``, ...)
``rng``            RNG states as plain values (:func:`rng_state`)
``train_seconds``  training time so far (float)
=================  ================================================================================

**Resume means the same run.** :func:`resume_checkpoint` refuses a checkpoint of another task or
with a different configuration, naming the keys that differ; only the keys a task lists as
changeable may differ (outputs, progress bars, device, the set of models to run, ...). ``epochs``
may change to any value not below the completed epochs; how the learning-rate schedule continues
is documented in :mod:`gaugeconv.training.loop`.

Every file is written atomically (:mod:`gaugeconv._atomic`): an interrupted write leaves the
previous file intact, and orphaned temporary files of killed writers are removed by the next write.
"""

from __future__ import annotations

import json
import random
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._atomic import atomic_write

FORMAT = "gaugeconv-checkpoint"
#: version of the checkpoint layout written by this code (documented in the module docstring)
CHECKPOINT_VERSION = 1

__all__ = [
    "CHECKPOINT_VERSION",
    "atomic_write",
    "load_checkpoint",
    "plain",
    "resume_checkpoint",
    "rng_state",
    "save_checkpoint",
    "seed_everything",
    "set_rng_state",
    "write_json",
]


def plain(obj: Any, where: str = "state") -> Any:
    """A copy of ``obj`` made of tensors and plain Python values only (numpy values converted).

    Raises ``TypeError`` naming the first value of any other type (``where`` is its key path).
    """
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if isinstance(obj, torch.Tensor):
        return obj
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"{where}: numpy array of dtype {obj.dtype} cannot be checkpointed")
        return torch.from_numpy(np.ascontiguousarray(obj))
    if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
        return obj.item()
    for base in (bool, int, float, str):  # subclasses (IntEnum, ...): the plain value
        if isinstance(obj, base):
            return base(obj)
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if type(k) not in (str, int):
                raise TypeError(f"{where}: dict key {k!r} is not a str or int")
            out[k] = plain(v, f"{where}[{k!r}]")
        return out
    if isinstance(obj, (list, tuple)):
        items = [plain(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        return items if isinstance(obj, list) else tuple(items)
    raise TypeError(
        f"{where}: a {type(obj).__module__}.{type(obj).__qualname__} cannot be checkpointed "
        "(checkpoints hold tensors, numbers, strings, lists and dicts only)"
    )


def save_checkpoint(path: str | Path, state: dict) -> None:
    """Atomically ``torch.save`` a checkpoint dict (module docstring) after :func:`plain` checks it;
    ``format`` and ``version`` are filled in."""
    state = plain({"format": FORMAT, "version": CHECKPOINT_VERSION, **state})
    atomic_write(path, lambda fh: torch.save(state, fh))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip().rstrip(":")


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict | None:
    """Load a checkpoint written by :func:`save_checkpoint`; ``None`` if there is no file.

    Only ``torch.load(weights_only=True)`` is used, so loading runs no code from the file. Raises a
    one-line ``ValueError`` naming the file if it is unreadable (corrupt, truncated), needs anything
    but tensors and plain values (a crafted or foreign pickle), is not a gaugeconv checkpoint, or
    comes from a newer gaugeconv.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, pickle and torch errors of every kind
        raise ValueError(
            f"{path} is not a readable gaugeconv checkpoint (corrupt, truncated, or it holds "
            f"objects other than tensors and plain values): {_one_line(exc)}"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a gaugeconv checkpoint (no format {FORMAT!r} entry)")
    version = state.get("version")
    if type(version) is not int or version > CHECKPOINT_VERSION:
        raise ValueError(
            f"{path} has checkpoint version {version!r}; this gaugeconv reads versions up to "
            f"{CHECKPOINT_VERSION}"
        )
    return state


def _differences(saved: dict, current: dict, changeable: Iterable[str]) -> list[str]:
    skip = set(changeable) | {"epochs"}
    keys = sorted((set(saved) | set(current)) - skip)
    missing = object()
    return [
        f"{k}: checkpoint {saved.get(k, '<absent>')!r}, now {current.get(k, '<absent>')!r}"
        for k in keys
        if _json(saved.get(k, missing)) != _json(current.get(k, missing))
    ]


def _json(value: Any) -> str:
    """Canonical JSON text of a config value (tuples and lists compare equal)."""
    try:
        return json.dumps(value, sort_keys=True)
    except TypeError:
        return repr(value)


def resume_checkpoint(
    path: str | Path,
    *,
    resume: bool,
    task: str,
    config: dict,
    changeable: Iterable[str] = (),
) -> dict | None:
    """The checkpoint a run continues from: ``None`` for a fresh start.

    With ``resume=False`` nothing is read. With ``resume=True`` and no file at ``path`` a warning
    says that the run starts fresh. Otherwise the checkpoint must belong to ``task`` and its stored
    config must equal ``config`` except for the keys in ``changeable`` and ``epochs``, which may be
    any value not below the completed epochs; a ``ValueError`` names the file and every differing
    key. Call this before generating or loading data, so that a bad checkpoint fails fast.
    """
    if not resume:
        return None
    path = Path(path)
    state = load_checkpoint(path)
    if state is None:
        warnings.warn(f"resume: no checkpoint at {path}; starting this run fresh", stacklevel=2)
        return None
    missing = [
        k for k in ("task", "config", "epoch", "model", "optimizer", "rng") if k not in state
    ]
    if missing:
        raise ValueError(f"{path} is incomplete: no {', '.join(missing)} entry")
    if state["task"] != task:
        raise ValueError(f"{path} belongs to task {state['task']!r}, not {task!r}")
    diff = _differences(dict(state["config"]), config, changeable)
    if diff:
        raise ValueError(
            f"{path} was written by a different run; refusing to resume (use another output "
            "folder, or drop --resume to start over). Differences: " + "; ".join(diff)
        )
    epochs = config.get("epochs")
    if epochs is not None and state["epoch"] > epochs:
        raise ValueError(
            f"{path} holds {state['epoch']} completed epochs, more than the {epochs} asked for"
        )
    return state


def write_json(path: str | Path, obj: Any) -> None:
    """Atomically write ``obj`` as indented JSON."""
    text = json.dumps(obj, indent=2, sort_keys=True, default=float) + "\n"
    atomic_write(path, lambda fh: fh.write(text), mode="w")


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - the global stream other libraries draw from
    torch.manual_seed(seed)


def rng_state() -> dict:
    """Snapshot of all RNG states as plain values (checkpointable), for exact resumption."""
    version, internal, gauss = random.getstate()
    np_state = np.random.get_state(legacy=False)  # noqa: NPY002
    return {
        "python": {
            "version": version,
            "state": torch.tensor(internal, dtype=torch.int64),
            "gauss": gauss,
        },
        "numpy": {
            "bit_generator": np_state["bit_generator"],
            "key": torch.from_numpy(np_state["state"]["key"].astype(np.int64)),
            "pos": int(np_state["state"]["pos"]),
            "has_gauss": int(np_state["has_gauss"]),
            "gauss": float(np_state["gauss"]),
        },
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
    }


def set_rng_state(state: dict) -> None:
    """Restore the RNG states saved by :func:`rng_state`."""
    py = state["python"]
    random.setstate((int(py["version"]), tuple(int(x) for x in py["state"].tolist()), py["gauss"]))
    npy = state["numpy"]
    np.random.set_state(  # noqa: NPY002
        {
            "bit_generator": npy["bit_generator"],
            "state": {"key": npy["key"].numpy().astype(np.uint32), "pos": int(npy["pos"])},
            "has_gauss": int(npy["has_gauss"]),
            "gauss": float(npy["gauss"]),
        }
    )
    torch.set_rng_state(state["torch"])
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
