r"""Reading meshes from disk, with every repair visible and every vertex traceable to the file.

:func:`load_mesh` reads the file's own vertex and face lists without hidden processing: OBJ and
OFF by the parsers here, other formats (PLY, STL, GLB/GLTF, ...) through trimesh with
``process=False`` (which neither merges nor drops vertices), with PLY's announced counts checked.
Then, each with a warning that names the file's vertices:

1. vertices that no face uses are **dropped**;
2. vertices that repeat the position of an earlier used vertex bit for bit (copies made at texture or
   normal seams) are **merged** into it (silently for STL, whose triangles never share vertices);
3. the :class:`~gaugeconv.Mesh` repairs follow (bow-tie vertices split, incoherent winding fixed).

**Numbering.** Vertex and face numbers in messages and maps count from 0 in the order of the file
(the first ``v`` line of an OBJ file is vertex 0; a polygon of the file keeps its number for all
triangles it is cut into). The loaded mesh records, for per-vertex data stored next to the file:

- ``mesh.vertex_origin`` (N,): the file vertex each mesh vertex came from (for merged copies, the
  first one in the file), so ``data_per_mesh_vertex = file_data[mesh.vertex_origin]``;
- ``mesh.vertex_of_origin`` (number of file vertices,): the mesh vertex each file vertex became
  (merged copies map to the shared vertex, a split bow-tie vertex to its first copy), ``-1`` for
  dropped vertices, so ``file_data = mesh_data[mesh.vertex_of_origin]`` where it is not ``-1``;
- ``mesh.face_origin`` (F,): the file face (polygon) each triangle came from.

A file that says more than it delivers (faces that name vertices the file does not define, counts
in a header that the data do not reach, a cut-off last line) raises ``ValueError``: a truncated
file never loads as a silently partial mesh.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .mesh import Mesh, Numbering
from .topology import _fmt


@dataclass(frozen=True)
class MeshFile:
    """The contents of a mesh file in its own numbering, polygons fan-triangulated."""

    vertices: np.ndarray  # (n, 3) float64, every vertex of the file
    faces: np.ndarray  # (F, 3) int64 triangles, indices into vertices
    face_origin: np.ndarray  # (F,) the file's face (polygon) of each triangle
    shares_vertices: bool = True  # False for STL (every triangle lists its own corners)


def _content_lines(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, tokens) of every non-empty line, comments (``#``) removed."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            tokens = line.split("#", 1)[0].split()
            if tokens:
                out.append((lineno, tokens))
    return out


def _triangulate(polygons: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Fan triangulation ``(p0, pi, pi+1)`` of every polygon; returns (faces, face_origin)."""
    sizes = np.fromiter((len(p) for p in polygons), dtype=np.int64, count=len(polygons))
    if len(polygons) == 0:
        return np.zeros((0, 3), dtype=np.int64), np.zeros(0, dtype=np.int64)
    if (sizes == 3).all():
        return np.asarray(polygons, dtype=np.int64).reshape(-1, 3), np.arange(len(polygons))
    faces, origin = [], []
    for i, p in enumerate(polygons):
        for k in range(1, len(p) - 1):
            faces.append((p[0], p[k], p[k + 1]))
            origin.append(i)
    return np.asarray(faces, dtype=np.int64), np.asarray(origin, dtype=np.int64)


def parse_off(path: str | Path, *, triangles_only: bool = False) -> MeshFile:
    """Vertices and faces of an OFF file, in file order; the header's counts are checked.

    The counts may follow the ``OFF`` keyword on the first line or stand on the next line; a
    trailing colour on face lines is ignored; polygons are fan-triangulated (refused with
    ``triangles_only``).
    """
    path = Path(path)
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
            "lines follow (a truncated file?)"
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
    polygons = []
    for i, (lineno, tok) in enumerate(rest[n_v : n_v + n_f]):
        try:
            n = int(tok[0])
            idx = [int(t) for t in tok[1 : 1 + n]]
        except ValueError:
            raise ValueError(
                f"{path}, line {lineno}: face {i} is malformed: {' '.join(tok)!r}"
            ) from None
        if n < 3 or len(idx) != n or (triangles_only and n != 3):
            raise ValueError(
                f"{path}, line {lineno}: face {i} is not a "
                f"{'triangle' if triangles_only else 'polygon'} ({' '.join(tok)!r})"
            )
        if min(idx) < 0 or max(idx) >= n_v:
            raise ValueError(
                f"{path}, line {lineno}: face {i} has vertex index out of range 0..{n_v - 1}: {idx}"
            )
        polygons.append(idx)
    faces, origin = _triangulate(polygons)
    return MeshFile(vertices, faces, origin)


_OBJ_VERTEX = r"[ \t]*\S+[ \t]+\S+[ \t]+\S+[ \t]*"


def _plain_obj(path: Path) -> MeshFile | None:
    """Vectorised reading of the common regular OBJ: ``v x y z`` lines, triangles ``f a b c`` with
    the same ``a/t/n`` layout on every line, positive indices of defined vertices, no comments.
    Returns ``None`` for anything else, which the line-by-line parser then reads (and reports)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if "#" in text or "\\" in text or "//" in text:
        return None
    if re.search(r"^[ \t]+[vf][ \t]|^[vf]\t", text, re.MULTILINE):
        return None
    lines = text.splitlines()
    v_lines = [line[2:] for line in lines if line[:2] == "v "]
    f_lines = [line[2:] for line in lines if line[:2] == "f "]
    if not v_lines or not f_lines:
        return None
    layout = f_lines[0].split()[0].count("/") + 1
    token = r"\d+" + r"/\d+" * (layout - 1)
    face = rf"[ \t]*{token}[ \t]+{token}[ \t]+{token}[ \t]*"
    if not re.fullmatch(rf"{face}(?:\n{face})*", "\n".join(f_lines)):
        return None
    if not re.fullmatch(rf"{_OBJ_VERTEX}(?:\n{_OBJ_VERTEX})*", "\n".join(v_lines)):
        return None
    try:
        vertices = np.array(" ".join(v_lines).split(), dtype=np.float64).reshape(-1, 3)
    except ValueError:
        return None
    numbers = np.array(" ".join(f_lines).replace("/", " ").split(), dtype=np.int64)
    faces = numbers.reshape(len(f_lines), 3 * layout)[:, ::layout] - 1
    if faces.min() < 0 or faces.max() >= len(vertices):
        return None
    return MeshFile(vertices, faces, np.arange(len(faces)))


def parse_obj(path: str | Path, *, triangles_only: bool = False) -> MeshFile:
    """Vertices and faces of a Wavefront OBJ file in file order (``v`` and ``f`` lines only).

    ``f 1/1/1 ...`` takes the vertex index; negative indices count back from the vertices defined
    so far. Polygons are fan-triangulated (refused with ``triangles_only``). A face with fewer than
    three vertices, a vertex with fewer than three coordinates, or a face naming a vertex the file
    does not define raises ``ValueError`` with the line number.
    """
    path = Path(path)
    plain = _plain_obj(path)
    if plain is not None:
        return plain
    vertices: list[list[float]] = []
    polygons: list[list[int]] = []
    lines: list[int] = []
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
            if len(ids) < 3 or (triangles_only and len(ids) != 3):
                raise ValueError(
                    f"{path}, line {lineno}: face {len(polygons)} has {len(ids)} vertices, "
                    + ("only triangles are supported" if triangles_only else "at least 3 needed")
                )
            polygons.append([i - 1 if i > 0 else (len(vertices) + i if i < 0 else -1) for i in ids])
            lines.append(lineno)
    if not polygons:
        raise ValueError(f"{path} contains no faces")
    for face, (lineno, ids) in enumerate(zip(lines, polygons)):
        if min(ids) < 0 or max(ids) >= len(vertices):
            raise ValueError(
                f"{path}, line {lineno}: face {face} refers to a vertex the file does not define "
                f"(vertex numbers {[i + 1 for i in ids]}, the file has {len(vertices)} vertices; "
                "a truncated file?)"
            )
    faces, origin = _triangulate(polygons)
    return MeshFile(np.asarray(vertices, dtype=np.float64).reshape(-1, 3), faces, origin)


def _ply_counts(path: Path) -> dict[str, int]:
    """``{element: count}`` announced by a PLY header (which is ASCII in every PLY variant)."""
    counts: dict[str, int] = {}
    with open(path, "rb") as fh:
        for raw in fh:
            line = raw.decode("ascii", errors="replace").strip()
            if line == "end_header":
                break
            m = re.fullmatch(r"element\s+(\S+)\s+(\d+)", line)
            if m:
                counts[m.group(1)] = int(m.group(2))
    return counts


def _read_with_trimesh(path: Path) -> MeshFile:
    import trimesh

    try:
        loaded = trimesh.load(str(path), force="mesh", process=False)
    except Exception as exc:  # noqa: BLE001 - trimesh raises many types for bad files
        raise ValueError(f"could not read a mesh from {path}: {exc}") from exc
    vertices = np.asarray(getattr(loaded, "vertices", np.zeros((0, 3))), dtype=np.float64)
    faces = np.asarray(getattr(loaded, "faces", np.zeros((0, 3))), dtype=np.int64)
    suffix = path.suffix.lower()
    if suffix == ".ply":
        counts = _ply_counts(path)
        n_v, n_f = counts.get("vertex"), counts.get("face")
        if (n_v is not None and len(vertices) != n_v) or (n_f is not None and len(faces) < n_f):
            raise ValueError(
                f"{path}: the header announces {n_v} vertices and {n_f} faces, but "
                f"{len(vertices)} vertices and {len(faces)} triangles could be read "
                "(a truncated file?)"
            )
    return MeshFile(vertices, faces, np.arange(len(faces)), shares_vertices=suffix != ".stl")


def read_mesh_file(path: str | Path) -> MeshFile:
    """The raw contents of a mesh file (module docstring); ``FileNotFoundError`` if missing."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no mesh file at {path}")
    suffix = path.suffix.lower()
    if suffix == ".obj":
        raw = parse_obj(path)
    elif suffix == ".off":
        raw = parse_off(path)
    else:
        raw = _read_with_trimesh(path)
    if len(raw.faces) == 0:
        raise ValueError(f"{path} contains no triangle faces")
    if len(raw.vertices) == 0:
        raise ValueError(f"{path} contains no vertices")
    bad = np.flatnonzero((raw.faces < 0).any(1) | (raw.faces >= len(raw.vertices)).any(1))
    if len(bad):
        raise ValueError(
            f"{path}: faces {_fmt(np.unique(raw.face_origin[bad]))} name vertices outside "
            f"0..{len(raw.vertices) - 1} (a truncated or corrupt file?)"
        )
    return raw


def merge_duplicate_vertices(
    vertices: np.ndarray, faces: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge vertices with bit-identical positions (copies made at texture or normal seams).

    Vertices keep the order of their first occurrence. Returns ``(vertices, faces, first,
    index)``: ``first[i]`` is the input index of the first occurrence of merged vertex i, and
    ``index[j]`` the merged vertex of input vertex j.
    """
    _, first, inv = np.unique(vertices, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)  # unique rows in order of first occurrence
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    index = rank[inv.reshape(-1)]
    return vertices[first[order]], index[faces], first[order], index


def load_mesh(path: str | Path) -> Mesh:
    """Load a triangle mesh from ``path`` and validate it (module docstring).

    Unused vertices are dropped and vertices with bit-identical positions merged, each with a
    warning naming the file's vertices (``spot.obj`` loads with its 2930 vertices, one per ``v``
    line); the result records ``vertex_origin``, ``vertex_of_origin`` and ``face_origin`` in the
    file's numbering. Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for
    anything unreadable, truncated or invalid (see :class:`Mesh`), naming vertices and faces as the
    file numbers them.
    """
    path = Path(path)
    raw = read_mesh_file(path)
    n_file = len(raw.vertices)
    used = np.zeros(n_file, dtype=bool)
    used[raw.faces.reshape(-1)] = True
    kept = np.flatnonzero(used)  # file index of every used vertex, in file order
    if len(kept) < n_file:
        unused = np.flatnonzero(~used)
        warnings.warn(
            f"{path}: dropping {len(unused)} vertices that no face uses: file vertices "
            f"{_fmt(unused)}",
            stacklevel=2,
        )
    remap = np.cumsum(used) - 1
    vertices, faces, first, index = merge_duplicate_vertices(raw.vertices[kept], remap[raw.faces])
    origin = kept[first]
    to_input = np.full(n_file, -1, dtype=np.int64)  # file vertex -> vertex given to Mesh
    to_input[kept] = index
    if len(origin) < len(kept) and raw.shares_vertices:
        is_first = np.zeros(n_file, dtype=bool)
        is_first[origin] = True
        copies = kept[~is_first[kept]]
        warnings.warn(
            f"{path}: merging {len(copies)} vertices that repeat the position of an earlier "
            f"vertex (texture or normal seams): file vertices {_fmt(copies)}",
            stacklevel=2,
        )
    numbering = Numbering(
        vertex=origin,
        face=raw.face_origin,
        source_to_input=to_input,
        context=f"{path} (vertices and faces numbered from 0 in file order): ",
    )
    return Mesh.from_source(vertices, faces, numbering)
