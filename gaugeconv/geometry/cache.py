"""On-disk cache of computed geometry, keyed by the content of the input arrays.

The key is a SHA-256 of the arrays' dtypes, shapes and bytes plus the options (which include the
geometry version key). Each entry is an ``.npz`` holding the key itself; an entry that cannot be read,
misses arrays or carries another key is recomputed and rewritten, never trusted. Writes are atomic
(temporary file + ``os.replace``), so an interrupted write never leaves a half-written entry behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


def content_key(arrays: Sequence[np.ndarray], options: dict) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    h.update(json.dumps(options, sort_keys=True).encode())
    return h.hexdigest()


def _read(path: Path, key: str) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["__key__"]) != key:
                return None
            return {k: data[k] for k in data.files if k != "__key__"}
    except Exception:  # noqa: BLE001 - any unreadable entry is rebuilt
        return None


def atomic_savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an ``.npz`` atomically: a crash mid-write leaves the previous file (or none)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_or_compute(
    cache_dir: Path,
    content: Sequence[np.ndarray],
    options: dict,
    compute: Callable[[], dict[str, np.ndarray]],
) -> dict[str, np.ndarray]:
    """Return the cached arrays for (content, options), computing and storing them on a miss."""
    key = content_key(content, options)
    path = cache_dir / f"{key[:32]}.npz"
    if path.exists():
        cached = _read(path, key)
        if cached is not None:
            return cached
        warnings.warn(f"rebuilding unreadable or stale cache entry {path}", stacklevel=3)
    arrays = compute()
    atomic_savez(path, {**arrays, "__key__": np.array(key)})
    return arrays
