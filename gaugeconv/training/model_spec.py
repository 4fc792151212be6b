"""Model specs: JSON-compatible recipes that rebuild a task's network from a checkpoint alone.

A spec is ``{"builder": name, "kwargs": {...}, "inputs": {...}}``: ``builder`` is one of
:data:`BUILDERS` (a fixed allow-list, so a spec read from a stranger's checkpoint can only call these
constructors), ``kwargs`` its keyword arguments (JSON values: lists stand for tuples), and
``inputs`` what the network reads (feature kind, graph options, normalisation statistics, ...),
which the task that wrote the checkpoint documents. Every task builds its networks through
:func:`build_model_from_spec`, so the spec stored in a checkpoint is by construction the recipe of
the network whose weights it holds.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import torch

#: builder name -> "module:attribute" of the constructor or factory it calls
BUILDERS = {
    "GemResNet": "gaugeconv.models:GemResNet",
    "GemClassifier": "gaugeconv.models:GemClassifier",
    "IcoUNet": "gaugeconv.models:IcoUNet",
    "ChartUNet": "gaugeconv.models:ChartUNet",
    "mobius": "gaugeconv.mobius.models:build_model",
}


def model_spec(builder: str, *, inputs: dict | None = None, **kwargs: Any) -> dict:
    """A spec for ``BUILDERS[builder](**kwargs)``; raises ``ValueError`` for an unknown builder or
    values that are not JSON-compatible."""
    if builder not in BUILDERS:
        raise ValueError(f"unknown model builder {builder!r}; expected one of {sorted(BUILDERS)}")
    spec = {"builder": builder, "kwargs": kwargs, "inputs": dict(inputs or {})}
    try:
        return json.loads(json.dumps(spec))  # a JSON round trip: plain values, tuples -> lists
    except TypeError as exc:
        raise ValueError(f"model spec of {builder} is not JSON-compatible: {exc}") from None


def build_model_from_spec(spec: dict) -> torch.nn.Module:
    """The untrained network a spec describes (load the checkpoint's ``model`` weights into it)."""
    if not isinstance(spec, dict) or spec.get("builder") not in BUILDERS:
        raise ValueError(
            f"not a model spec (expected a dict with a builder from {sorted(BUILDERS)}): {spec!r}"
        )
    module, attr = BUILDERS[spec["builder"]].split(":")
    return getattr(importlib.import_module(module), attr)(**dict(spec.get("kwargs", {})))
