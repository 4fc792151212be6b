"""Readers that keep the file's vertex and face order exactly (labels refer to it).

``gaugeconv.load_mesh`` merges seam duplicates and lets trimesh triangulate; label files of the data
sets below count vertices, faces or edges *as stored in the file*, so these readers return the raw
arrays and report malformed input with the file name and line number:

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


def _require_file(path: str | Path, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    return path


def _content_lines(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, tokens) of every non-empty line, comments (``#``) removed."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            tokens = line.split("#", 1)[0].split()
            if tokens:
                out.append((lineno, tokens))
    return out


def read_off(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (N, 3) float64 and triangles (F, 3) int64 of an OFF file, in file order.

    The counts may follow the ``OFF`` keyword on the first line or stand on the next line; a
    trailing colour on face lines is ignored. Faces that are not triangles are refused (the label files
    count faces, so triangulating would shift them).
    """
    path = _require_file(path, "OFF mesh")
    lines = _content_lines(path)
    if not lines or lines[0][1][0] != "OFF":
        raise ValueError(f"{path}: not an OFF file (the first line must start with 'OFF')")
    counts_line, counts_tokens = lines[0][0], lines[0][1][1:]
    rest = lines[1:]
    if not counts_tokens:  # counts on their own line (the usual layout)
        if not rest:
            raise ValueError(f"{path}: missing the 'n_vertices n_faces n_edges' line")
        (counts_line, counts_tokens), rest = rest[0], rest[1:]
    try:
        n_v, n_f = int(counts_tokens[0]), int(counts_tokens[1])
    except (ValueError, IndexError):
        raise ValueError(
            f"{path}, line {counts_line}: expected 'n_vertices n_faces n_edges', got "
            f"{' '.join(counts_tokens)!r}"
        ) from None
    if len(rest) < n_v + n_f:
        raise ValueError(
            f"{path}: header announces {n_v} vertices and {n_f} faces but only {len(rest)} data "
            "lines follow"
        )
    vertices = np.empty((n_v, 3))
    for i, (lineno, tok) in enumerate(rest[:n_v]):
        try:
            vertices[i] = [float(t) for t in tok[:3]]
            if len(tok) < 3:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"{path}, line {lineno}: vertex {i} needs 3 coordinates, got {' '.join(tok)!r}"
            ) from None
    faces = np.empty((n_f, 3), dtype=np.int64)
    for i, (lineno, tok) in enumerate(rest[n_v : n_v + n_f]):
        try:
            n = int(tok[0])
            idx = [int(t) for t in tok[1 : 1 + n]]
        except ValueError:
            raise ValueError(
                f"{path}, line {lineno}: face {i} is malformed: {' '.join(tok)!r}"
            ) from None
        if n != 3 or len(idx) != 3:
            raise ValueError(
                f"{path}, line {lineno}: face {i} is not a triangle ({' '.join(tok)!r})"
            )
        if min(idx) < 0 or max(idx) >= n_v:
            raise ValueError(
                f"{path}, line {lineno}: face {i} has vertex index out of range 0..{n_v - 1}: {idx}"
            )
        faces[i] = idx
    return vertices, faces


def read_obj(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and triangles of a Wavefront OBJ file, in file order (``v`` and ``f`` lines only)."""
    path = _require_file(path, "OBJ mesh")
    vertices: list[list[float]] = []
    faces: list[list[int]] = []
    for lineno, tok in _content_lines(path):
        if tok[0] == "v":
            try:
                vertices.append([float(t) for t in tok[1:4]])
                if len(tok) < 4:
                    raise ValueError
            except ValueError:
                raise ValueError(
                    f"{path}, line {lineno}: vertex needs 3 coordinates, got {' '.join(tok)!r}"
                ) from None
        elif tok[0] == "f":
            try:
                ids = [int(t.split("/")[0]) for t in tok[1:]]
            except ValueError:
                raise ValueError(
                    f"{path}, line {lineno}: malformed face {' '.join(tok)!r}"
                ) from None
            if len(ids) != 3:
                raise ValueError(
                    f"{path}, line {lineno}: face {len(faces)} has {len(ids)} vertices, "
                    "only triangles are supported"
                )
            ids = [i - 1 if i > 0 else (len(vertices) + i if i < 0 else -1) for i in ids]
            if any(i < 0 or i >= len(vertices) for i in ids):
                raise ValueError(
                    f"{path}, line {lineno}: face {len(faces)} refers to a vertex that is not "
                    f"defined before it ({' '.join(tok[1:])}; {len(vertices)} vertices so far)"
                )
            faces.append(ids)
    if not faces:
        raise ValueError(f"{path} contains no faces")
    return np.asarray(vertices, dtype=np.float64).reshape(-1, 3), np.asarray(faces, dtype=np.int64)


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
