"""Readers that keep the file's vertex and face order exactly (labels refer to it).

``gaugeconv.load_mesh`` drops unused vertices, merges seam duplicates and triangulates polygons
(recording every change); label files of the data sets below count vertices, faces or edges *as
stored in the file*, so these readers return the raw arrays (triangles only) and report malformed
input with the file name and line number:

- :func:`read_off`: Object File Format (``OFF`` header, counts line, vertices, ``n i j k`` faces),
  as used by Maron et al. 2017's human segmentation benchmark;
- :func:`read_obj`: Wavefront OBJ ``v``/``f`` lines (``f 1/1/1 ...`` takes the vertex index,
  negative indices count from the end), as MeshCNN's ``fill_from_file`` reads them;
- :func:`read_ply`: PLY (ascii or binary) through trimesh without processing (FAUST registrations);
- :func:`read_label_file`: one label (or one row of soft labels) per line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..geometry.io import _content_lines as _file_lines
from ..geometry.io import parse_obj, parse_off


def _require_file(path: str | Path, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    return path


def _content_lines(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, tokens) of every non-empty line, comments (``#``) removed."""
    return _file_lines(path)


def read_off(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (N, 3) float64 and triangles (F, 3) int64 of an OFF file, in file order.

    The counts may follow the ``OFF`` keyword on the first line or stand on the next line; a
    trailing colour on face lines is ignored. Faces that are not triangles are refused (the label files
    count faces, so triangulating would shift them). The parser is
    :func:`gaugeconv.geometry.io.parse_off`, the one :func:`~gaugeconv.load_mesh` uses.
    """
    raw = parse_off(_require_file(path, "OFF mesh"), triangles_only=True)
    return raw.vertices, raw.faces


def read_obj(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and triangles of a Wavefront OBJ file, in file order (``v`` and ``f`` lines only;
    :func:`gaugeconv.geometry.io.parse_obj` with polygons refused)."""
    raw = parse_obj(_require_file(path, "OBJ mesh"), triangles_only=True)
    return raw.vertices, raw.faces


def read_ply(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and triangles of a PLY file (ascii or binary), in file order."""
    import trimesh

    path = _require_file(path, "PLY mesh")
    try:
        loaded = trimesh.load(str(path), file_type="ply", force="mesh", process=False)
    except Exception as exc:  # noqa: BLE001 - trimesh raises many types for bad files
        raise ValueError(f"could not read a PLY mesh from {path}: {exc}") from exc
    vertices = np.asarray(getattr(loaded, "vertices", np.zeros((0, 3))), dtype=np.float64)
    faces = np.asarray(getattr(loaded, "faces", np.zeros((0, 3))), dtype=np.int64)
    if len(vertices) == 0 or len(faces) == 0:
        raise ValueError(
            f"{path} contains no triangle mesh ({len(vertices)} vertices, {len(faces)} faces)"
        )
    return vertices, faces


def read_label_file(
    path: str | Path, *, count: int | None = None, what: str = "labels", columns: int | None = None
) -> np.ndarray:
    """Numbers of a label file, one item per non-empty line.

    ``columns=None`` reads one integer label per line (values like ``3.0`` are accepted, ``3.5`` is
    not) and returns an (M,) int64 array; ``columns=0`` reads rows of floats of any (constant) width
    and returns (M, C) float64; ``count`` is the number of lines the caller expects (the number of
    faces or edges of the mesh), checked with a message that names both numbers.
    """
    path = _require_file(path, f"{what} file")
    rows = []
    width = None
    for lineno, tok in _content_lines(path):
        try:
            vals = [float(t) for t in tok]
        except ValueError:
            raise ValueError(f"{path}, line {lineno}: not a number: {' '.join(tok)!r}") from None
        if not np.isfinite(vals).all():
            raise ValueError(f"{path}, line {lineno}: non-finite value {' '.join(tok)!r}")
        if columns is None:
            if len(vals) != 1 or vals[0] != round(vals[0]):
                raise ValueError(
                    f"{path}, line {lineno}: expected one integer label, got {' '.join(tok)!r}"
                )
        else:
            if width is None:
                width = len(vals)
            if len(vals) != width:
                raise ValueError(
                    f"{path}, line {lineno}: {len(vals)} values, previous lines have {width}"
                )
        rows.append(vals)
    if count is not None and len(rows) != count:
        raise ValueError(f"{path} has {len(rows)} {what}, expected {count} (one per line)")
    if columns is None:
        return np.asarray([r[0] for r in rows], dtype=np.int64)
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), width or 0)
