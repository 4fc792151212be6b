"""Atomic file writes shared by checkpoints, result files and the geometry cache.

``atomic_write(path, write)`` calls ``write(fh)`` on a temporary file in the destination folder,
flushes and fsyncs it, and renames it over ``path`` (``os.replace``): an interrupted write leaves the
previous file intact, never a truncated one. The new file gets the permissions an ordinary
``open(path, "w")`` would give it (``0o666`` minus the user's umask), not ``mkstemp``'s ``0o600``.

Temporary files are named ``.<name>.pid<PID>.<random>.tmp``. A write killed by ``SIGKILL`` cannot
remove its temporary file; the next write of the same destination removes every such orphan whose
process no longer runs on this machine (temporaries of live writers, e.g. another process filling the
same cache folder, are left alone). The geometry cache cleans its folder once per process.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: the process exists but belongs to someone else
        return True
    return True


def remove_orphans(folder: Path, name: str | None = None) -> list[Path]:
    """Remove temporary files (of destination ``name``, or of every destination) in ``folder`` left
    behind by writers that no longer run; returns them."""
    stem = re.escape(name) if name is not None else ".+"
    pattern = re.compile(rf"^\.{stem}\.pid(\d+)\.[^.]+\.tmp$")
    removed = []
    try:
        candidates = list(Path(folder).iterdir())
    except OSError:
        return removed
    for p in candidates:
        m = pattern.match(p.name)
        if m and not _alive(int(m.group(1))):
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed


def atomic_write(
    path: str | Path, write: Callable[[Any], None], mode: str = "wb", *, clean: bool = True
) -> None:
    """Call ``write(fh)`` on a temporary file next to ``path``, then rename it onto ``path``.

    ``clean`` removes orphaned temporaries of ``path`` first (callers that write many files into
    one folder, like the geometry cache, pass ``False`` and call :func:`remove_orphans` once).
    Raises ``OSError`` when the folder cannot be created or written (read-only, full disk); the
    destination is then unchanged and no temporary file is left behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if clean:
        remove_orphans(path.parent, path.name)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.pid{os.getpid()}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, mode) as fh:
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; use the usual permissions
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
