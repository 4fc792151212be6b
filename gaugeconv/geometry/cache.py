"""On-disk cache of computed geometry, keyed by the content of the input arrays.

The key is a SHA-256 of the arrays' dtypes, shapes and bytes plus the options (which include the
geometry version key). Each entry is an ``.npz`` file holding the key itself, read with
``np.load(allow_pickle=False)``: entries are plain numeric arrays, and loading one (also one made by
someone else) never runs code. An entry is returned only if it can be read, carries the right key
and passes the caller's ``validate`` check (for gauge geometry: every field present with the right
dtype and shape, finite, and consistent with the mesh it is for); otherwise it is recomputed and
rewritten, with a warning, never trusted.

Writes are atomic (:mod:`gaugeconv._atomic`: temporary file + ``os.replace``, permissions from the
user's umask), so an interrupted write never leaves a half-written entry behind and concurrent
writers never see each other's partial files; temporaries of killed writers are removed by the
next process that writes to the folder. A cache folder that cannot be written (read-only,
full disk, no permission) costs nothing but the caching: the result is computed and returned, with
one warning per folder and process.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .._atomic import atomic_write, remove_orphans

#: cache folders this process could not write to (warned about once)
_UNWRITABLE: set[str] = set()
#: cache folders whose orphaned temporaries this process has removed
_CLEANED: set[str] = set()


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
    """Write an ``.npz`` of numeric arrays atomically (refuses object arrays: no pickles)."""
    for name, a in arrays.items():
        if np.asarray(a).dtype.kind not in "biufU":
            raise TypeError(f"cache array {name!r} has dtype {np.asarray(a).dtype}")
    folder = str(path.parent.resolve())
    if folder not in _CLEANED:
        _CLEANED.add(folder)
        remove_orphans(path.parent)
    atomic_write(path, lambda fh: np.savez(fh, **arrays), clean=False)


def load_or_compute(
    cache_dir: Path,
    content: Sequence[np.ndarray],
    options: dict,
    compute: Callable[[], dict[str, np.ndarray]],
    validate: Callable[[dict[str, np.ndarray]], str | None] | None = None,
) -> dict[str, np.ndarray]:
    """Return the cached arrays for (content, options), computing and storing them on a miss.

    ``validate(arrays)`` returns ``None`` for a usable entry or a reason to rebuild it.
    """
    key = content_key(content, options)
    cache_dir = Path(cache_dir)
    path = cache_dir / f"{key[:32]}.npz"
    if path.exists():
        cached = _read(path, key)
        reason = "unreadable or stale" if cached is None else (validate and validate(cached))
        if not reason:
            return cached
        warnings.warn(f"rebuilding cache entry {path}: {reason}", stacklevel=3)
    arrays = compute()
    try:
        atomic_savez(path, {**arrays, "__key__": np.array(key)})
    except OSError as exc:
        folder = str(cache_dir.resolve())
        if folder not in _UNWRITABLE:
            _UNWRITABLE.add(folder)
            warnings.warn(
                f"cannot write the geometry cache in {cache_dir} ({exc}); computing without "
                "caching",
                stacklevel=3,
            )
    return arrays
