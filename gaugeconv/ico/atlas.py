r"""The icosahedral atlas: 5 charts of the level-r icosphere on a sheared hexagonal lattice.

**Grid.** The level-r grid is the vertex set of :func:`gaugeconv.shapes.icosphere` (r), 10 * 4**r + 2
points, in that vertex order. The two poles (vertex 0 = north, vertex 11 = south) are not stored in
charts; the other points are stored exactly once in 5 charts of shape ``H x W = 2**r x 2**(r+1)``.

**Charts.** Let ``u_i`` = vertex ``1 + i`` (upper ring), ``l_i`` = vertex ``6 + i`` (lower ring),
``N`` = 0, ``S`` = 11 and indices mod 5. Chart ``i`` is the strip of four faces
``(N, u_i, u_i+1), (u_i, l_i, u_i+1), (u_i+1, l_i, l_i+1), (l_i, S, l_i+1)`` developed into the plane
as the parallelogram with corners

    u_i = (h, w) = (0, 0),   N = (H, 0),   S = (0, W),   l_i+1 = (H, W)    [also l_i = (0, H),
    u_i+1 = (H, H)]

The ``h`` axis runs from ``u_i`` to ``N`` (direction ``b`` at 60 degrees in the developed net), the
``w`` axis from ``u_i`` over ``l_i`` to ``S`` (direction ``d`` at -60 degrees). Cell ``(i, h, w)`` is
the point ``u_i + (h b + w d) / 2**r`` of the net, i.e. the geodesic-lattice point of the face that
contains it (:mod:`.geodesic`); the chart holds the half-open parallelogram ``0 <= h < H``,
``0 <= w < W``. Consequences: the nesting ``coarse (i, h, w) = fine (i, 2h, 2w)`` (the same vertex
index, since level r-1 vertices are a prefix of level r), and the 10 pentagonal points inside
charts are the cells ``(i, 0, 0) = u_i`` and ``(i, 0, H) = l_i``.

**Hexagonal lattice and gauge.** Direction ``k`` (angle ``60 k`` degrees, counter-clockwise seen from
outside the sphere) at a cell is the lattice step ``OFFSETS[k]``:
``(+1, +1), (+1, 0), (0, -1), (-1, -1), (-1, 0), (0, +1)`` in ``(dh, dw)``. In 3-D, "angle 0" at a
grid point is the direction towards its lattice neighbour ``(h + 1, w + 1)`` (through the padding
when that lies outside the chart; for ``u_i`` it points along the upper ring towards ``u_i+1``).
Inside a chart transport between neighbours is trivial (all cells share the chart's frame).

**Padding (derived, not tabulated).** Each chart is extended by one ring of cells
``-1 <= h <= H, -1 <= w <= W``. The faces of the icosahedron adjacent to the chart across its six
boundary edges are *developed* into the chart's plane (the apex of the neighbouring face is the
reflection ``p + q - r`` of the chart face's apex ``r`` across the shared edge ``p q``). A padding
cell lying in such a developed face gets the 3-D geodesic-lattice position of its barycentric
coordinates there; the source cell is the grid point at that position (matched in 3-D). The frame
shift ``t`` is the rotation, in units of 60 degrees, between the two charts' developments of a face
containing the point: direction ``o`` of the padded chart is direction ``o + t`` of the source
chart, so a regular field is padded with ``src[(o + t) mod 6]`` (:mod:`.padding`). Cells whose
source is a pentagon, the "angle-deficit" cell ``(-1, -1)`` next to ``u_i`` and the two unused
corners ``(-1, W)``, ``(H, -1)`` (no hexagonal kernel reaches them) are padded with zeros.

**Pentagons.** The 12 icosahedron vertices have 5 neighbours and no C6 gauge (a rotation about one
turns its tangent plane by 72 degrees). Every layer of :mod:`gaugeconv.ico` ignores the values at
the pentagon cells (treats them as zero) and writes zeros there; :meth:`IcoAtlas.from_charts` can
refill the 12 vertices of scalar fields with the mean of their 5 neighbours
(:meth:`IcoAtlas.smooth_pentagons`).

**Layout.** A chart tensor has shape ``(B, 5, C, H, W)`` (charts next to the batch, so that
``x.view(B * 5, C, H, W)`` feeds ``conv2d`` without a copy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch
from scipy.spatial import cKDTree

from ..geometry.shapes import icosahedron, icosphere
from .geodesic import face_lattice

__all__ = [
    "N_CHARTS",
    "NORTH",
    "OFFSETS",
    "SOUTH",
    "IcoAtlas",
    "chart_corners",
    "get_atlas",
    "level_of_chart_shape",
    "level_of_vertices",
    "n_vertices",
]

N_CHARTS = 5
NORTH, SOUTH = 0, 11
N_PENTAGONS = 12
#: lattice step (dh, dw) of direction k (angle 60 k degrees, counter-clockwise from outside)
OFFSETS = np.array([(1, 1), (1, 0), (0, -1), (-1, -1), (-1, 0), (0, 1)], dtype=np.int64)
#: physical plane vectors of the lattice axes h and w in the developed net
_AXES = np.array([[0.5, np.sqrt(3) / 2], [0.5, -np.sqrt(3) / 2]])


def n_vertices(level: int) -> int:
    """Number of grid points ``10 * 4**level + 2``."""
    return 10 * 4**level + 2


def level_of_vertices(n: int) -> int:
    """The level r with ``10 * 4**r + 2 == n``; ValueError otherwise."""
    r = 0
    while n_vertices(r) < n:
        r += 1
    if n_vertices(r) != n:
        raise ValueError(
            f"{n} vertices is not an icosphere grid (10 * 4**r + 2 = 12, 42, 162, 642, 2562, ...)"
        )
    return r


def level_of_chart_shape(y) -> int:
    """The level r of a chart tensor (B, 5, C, 2**r, 2**(r+1)); ValueError for any other shape."""
    shape = tuple(y.shape)
    if len(shape) != 5 or shape[1] != N_CHARTS:
        raise ValueError(f"expected a chart tensor (B, 5, C, H, W), got shape {shape}")
    h, w = shape[3], shape[4]
    if h < 1 or h & (h - 1) or w != 2 * h:
        raise ValueError(f"chart shape must be (2**r, 2**(r+1)), got ({h}, {w})")
    return h.bit_length() - 1


def chart_corners(i: int) -> dict[int, tuple[int, int]]:
    """Icosahedron vertex -> level-0 lattice coordinates (h, w) of the six corners of chart ``i``."""
    j = (i + 1) % N_CHARTS
    return {
        1 + i: (0, 0),
        NORTH: (1, 0),
        6 + i: (0, 1),
        1 + j: (1, 1),
        SOUTH: (0, 2),
        6 + j: (1, 2),
    }


@dataclass(frozen=True)
class _DevFace:
    """One icosahedron face developed into a chart's plane."""

    face: int  # index into icosahedron()[1]
    verts: tuple[int, int, int]  # the face's vertices, in its own (counter-clockwise) order
    plane: np.ndarray  # (3, 2) level-0 lattice coordinates of verts
    own: bool  # True for the chart's four faces, False for developed neighbours


def _development(i: int, faces: np.ndarray) -> list[_DevFace]:
    """Chart ``i``'s four faces and the six faces across its boundary edges, in its plane."""
    place = chart_corners(i)
    own = [f for f in range(len(faces)) if all(int(v) in place for v in faces[f])]
    if len(own) != 4:
        raise RuntimeError(f"chart {i} should hold 4 faces, found {len(own)}")
    across = {}  # directed edge (a, b) -> face holding it in its winding
    for f, (a, b, c) in enumerate(faces.tolist()):
        across[(a, b)], across[(b, c)], across[(c, a)] = f, f, f
    dev = []
    for f in own:
        verts = tuple(int(v) for v in faces[f])
        dev.append(_DevFace(f, verts, np.array([place[v] for v in verts], float), True))
    for f in own:
        verts = [int(v) for v in faces[f]]
        for k in range(3):
            p, q, r = verts[k], verts[(k + 1) % 3], verts[(k + 2) % 3]
            g = across[(q, p)]
            if g in own:
                continue
            gverts = tuple(int(v) for v in faces[g])
            (s,) = set(gverts) - {p, q}
            pos = {p: np.array(place[p], float), q: np.array(place[q], float)}
            pos[s] = pos[p] + pos[q] - np.array(place[r], float)  # reflect the apex across p q
            dev.append(_DevFace(g, gverts, np.array([pos[v] for v in gverts]), False))
    if len(dev) != 10:
        raise RuntimeError(f"chart {i}: expected 10 developed faces, got {len(dev)}")
    return dev


def _barycentric(dev: _DevFace, pts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer barycentric coordinates (P, 3) of lattice points ``pts`` (level units) in ``dev`` and
    a mask of the points inside the closed face."""
    p0 = dev.plane[0] * n
    m = np.stack([dev.plane[1] - dev.plane[0], dev.plane[2] - dev.plane[0]], 1) * n
    lam = np.linalg.solve(m, (pts - p0).T).T * n  # (P, 2): a1, a2 in level units
    a12 = np.round(lam)
    exact = np.abs(lam - a12).max(1) < 1e-9
    a12 = a12.astype(np.int64)
    a0 = n - a12.sum(1)
    bary = np.concatenate([a0[:, None], a12], 1)
    inside = exact & (bary >= 0).all(1)
    return np.where(inside[:, None], bary, 0), inside


def _plane_angle(vec: np.ndarray) -> float:
    xy = vec @ _AXES
    return float(np.arctan2(xy[1], xy[0]))


@dataclass(eq=False)
class IcoAtlas:
    """Charts, padding and neighbourhoods of the level-``level`` icosphere grid (see module doc).

    Arrays (numpy, int64 unless noted):

    - ``positions`` (V, 3) float64: the icosphere's vertices;
    - ``cell_vertex`` (5, H, W): vertex of each chart cell; ``vertex_cell`` (V,): flat cell index
      ``(i * H + h) * W + w`` of each vertex, -1 for the poles;
    - ``pad_vertex`` (5, H+2, W+2): vertex at each cell of the padded charts (padded index
      ``(h + 1, w + 1)``), -1 where no point is defined; ``pad_shift``: frame shift t of padded
      cells (0 inside, -1 where undefined: pentagons and empty cells); ``pad_points``
      (5, H+2, W+2, 3) float64: the developed 3-D position of each padded cell (NaN if none);
    - ``neighbours`` (V, 6): the vertex in direction k of each non-pentagon vertex (-1 rows for the
      12 pentagons); ``transport`` (V, 6): the frame shift to read that neighbour in this vertex's
      gauge (``f_nb[(o + t) mod 6]``), -1 where the neighbour is a pentagon;
    - ``pentagon_neighbours`` (12, 5): the five neighbours of each pentagon vertex.
    """

    level: int
    positions: np.ndarray
    cell_vertex: np.ndarray
    vertex_cell: np.ndarray
    pad_vertex: np.ndarray
    pad_shift: np.ndarray
    pad_points: np.ndarray
    neighbours: np.ndarray
    transport: np.ndarray
    pentagon_neighbours: np.ndarray
    _torch_cache: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return (
            f"IcoAtlas(level={self.level}, charts=5 x {self.H} x {self.W}, "
            f"vertices={self.n_vertices})"
        )

    @property
    def H(self) -> int:  # noqa: N802
        return 2**self.level

    @property
    def W(self) -> int:  # noqa: N802
        return 2 ** (self.level + 1)

    @property
    def n_vertices(self) -> int:
        return len(self.positions)

    @property
    def pole_vertices(self) -> tuple[int, int]:
        return (NORTH, SOUTH)

    @property
    def pentagon_cells(self) -> np.ndarray:
        """Flat chart-cell indices of the 10 pentagons stored in charts."""
        return np.flatnonzero(self.cell_vertex.reshape(-1) < N_PENTAGONS)

    @property
    def pentagon_hw(self) -> tuple[list[int], list[int]]:
        """(h list, w list) of the pentagon cells, the same in every chart: (0, 0) and (0, H)."""
        cv = self.cell_vertex
        hs, ws = np.nonzero(cv[0] < N_PENTAGONS)
        if not all((np.nonzero(cv[i] < N_PENTAGONS)[0] == hs).all() for i in range(N_CHARTS)):
            raise RuntimeError("pentagon cells differ between charts")
        return hs.tolist(), ws.tolist()

    def cell_mask(self) -> np.ndarray:
        """(5, H, W) float: 0 at the pentagon cells, 1 elsewhere."""
        m = np.ones(self.cell_vertex.size)
        m[self.pentagon_cells] = 0.0
        return m.reshape(self.cell_vertex.shape)

    # ---------------------------------------------------------------- torch conversions
    def cached(self, key, make):
        """``make()`` on first use of ``key``, then the stored result (tensors per device/dtype)."""
        if key not in self._torch_cache:
            self._torch_cache[key] = make()
        return self._torch_cache[key]

    def _cells(self, device) -> torch.Tensor:
        return self.cached(
            ("cells", str(device)),
            lambda: torch.as_tensor(self.cell_vertex.reshape(-1), device=device),
        )

    def check_vertex_tensor(self, x: torch.Tensor, channels: int | None = None) -> None:
        if x.dim() != 3:
            raise ValueError(f"expected a per-vertex tensor (B, C, V), got shape {tuple(x.shape)}")
        if x.shape[-1] != self.n_vertices:
            raise ValueError(
                f"expected {self.n_vertices} vertices (level {self.level}: 10 * 4**{self.level} + 2),"
                f" got {x.shape[-1]}"
            )
        if channels is not None and x.shape[1] != channels:
            raise ValueError(f"expected {channels} channels, got {x.shape[1]}")

    def check_chart_tensor(self, y: torch.Tensor, channels: int | None = None) -> None:
        want = (N_CHARTS, self.H, self.W)
        if y.dim() != 5 or (y.shape[1], y.shape[3], y.shape[4]) != want:
            raise ValueError(
                f"expected a chart tensor (B, 5, C, {self.H}, {self.W}) for level {self.level}, "
                f"got shape {tuple(y.shape)}"
            )
        if channels is not None and y.shape[2] != channels:
            raise ValueError(f"expected {channels} channels, got {y.shape[2]}")

    def to_charts(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, V) -> (B, 5, C, H, W). Drops the two poles (see :meth:`from_charts`)."""
        self.check_vertex_tensor(x)
        b, c, _ = x.shape
        y = x.index_select(2, self._cells(x.device))
        return y.view(b, c, N_CHARTS, self.H, self.W).transpose(1, 2).contiguous()

    def from_charts(
        self,
        y: torch.Tensor,
        poles: torch.Tensor | None = None,
        smooth_pentagons: bool = False,
    ) -> torch.Tensor:
        """(B, 5, C, H, W) -> (B, C, V), the exact inverse of :meth:`to_charts` when ``poles``
        (B, C, 2) = the values at (north, south) is given; otherwise the poles are 0.

        With ``smooth_pentagons`` (scalar fields only) all 12 pentagon vertices are afterwards set
        to the mean of their 5 neighbours (:meth:`smooth_pentagons`)."""
        self.check_chart_tensor(y)
        b, _, c, _, _ = y.shape
        flat = y.transpose(1, 2).reshape(b, c, -1)
        out = flat.new_zeros(b, c, self.n_vertices)
        out = out.index_copy(2, self._cells(y.device), flat)
        if poles is not None:
            if poles.shape != (b, c, 2):
                raise ValueError(f"poles must have shape {(b, c, 2)}, got {tuple(poles.shape)}")
            idx = torch.tensor([NORTH, SOUTH], device=y.device)
            out = out.index_copy(2, idx, poles.to(out.dtype))
        if smooth_pentagons:
            out = self.smooth_pentagons(out)
        return out

    def poles(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, 2) values of a per-vertex tensor at the (north, south) poles."""
        self.check_vertex_tensor(x)
        return x[..., [NORTH, SOUTH]]

    def smooth_pentagons(self, x: torch.Tensor) -> torch.Tensor:
        """Per-vertex scalar tensor (B, C, V) with the 12 pentagon values replaced by the mean of
        their 5 neighbours (equivariant under the 60 rotations: they permute pentagons and their
        neighbourhoods). Only meaningful for level >= 1."""
        self.check_vertex_tensor(x)
        nb = self.cached(
            ("pent_nb", str(x.device)),
            lambda: torch.as_tensor(self.pentagon_neighbours, device=x.device),
        )
        mean = x[..., nb].mean(-1)  # (B, C, 12)
        return torch.cat([mean, x[..., N_PENTAGONS:]], dim=-1)


def _build(level: int) -> IcoAtlas:
    if not isinstance(level, (int, np.integer)) or level < 0:
        raise ValueError(f"level must be a non-negative int, got {level!r}")
    mesh = icosphere(level)
    pos = mesh.vertices.astype(np.float64)
    nv = len(pos)
    ico_v, ico_f = icosahedron()
    n = 2**level
    H, W = n, 2 * n  # noqa: N806
    tables = [face_lattice(ico_v[f], level) for f in ico_f]
    tree = cKDTree(pos)

    hh, ww = np.meshgrid(np.arange(-1, H + 1), np.arange(-1, W + 1), indexing="ij")
    pts = np.stack([hh.reshape(-1), ww.reshape(-1)], 1).astype(np.float64)
    n_pad = len(pts)
    devs = [_development(i, ico_f) for i in range(N_CHARTS)]
    pad_points = np.full((N_CHARTS, n_pad, 3), np.nan)
    first_face = np.full((N_CHARTS, n_pad), -1)  # index into devs[i] of a face holding the cell
    for i, dev in enumerate(devs):
        for d_idx, d in enumerate(dev):
            bary, inside = _barycentric(d, pts, n)
            p3 = tables[d.face][bary[:, 1], bary[:, 2]]
            seen = inside & (first_face[i] >= 0)
            if seen.any():  # points on shared edges: all faces holding them must agree in 3-D
                gap = np.abs(pad_points[i][seen] - p3[seen]).max()
                if gap > 1e-12:
                    raise RuntimeError(f"chart {i}: developed faces disagree by {gap}")
            new = inside & (first_face[i] < 0)
            pad_points[i][new] = p3[new]
            first_face[i][new] = d_idx

    defined = first_face >= 0
    dist, match = tree.query(np.nan_to_num(pad_points.reshape(-1, 3)))
    dist, match = dist.reshape(N_CHARTS, n_pad), match.reshape(N_CHARTS, n_pad)
    if (dist[defined] > 1e-9).any():
        raise RuntimeError(f"developed points miss the icosphere by {dist[defined].max()}")
    pad_vertex = np.where(defined, match, -1)

    interior = (pts[:, 0] >= 0) & (pts[:, 0] < H) & (pts[:, 1] >= 0) & (pts[:, 1] < W)
    cell_vertex = pad_vertex[:, interior].reshape(N_CHARTS, H, W)
    if (cell_vertex < 0).any():
        raise RuntimeError("a chart cell lies in none of its chart's faces")
    vertex_cell = np.full(nv, -1, dtype=np.int64)
    flat_cv = cell_vertex.reshape(-1)
    vertex_cell[flat_cv] = np.arange(flat_cv.size)
    if len(np.unique(flat_cv)) != flat_cv.size or set(np.flatnonzero(vertex_cell < 0)) != {
        NORTH,
        SOUTH,
    }:
        raise RuntimeError("charts do not cover the grid minus the poles exactly once")

    # frame shifts of padding cells from the two charts' developments of a common face
    pad_shift = np.where(interior[None, :], 0, -1).repeat(N_CHARTS, 0)
    face_pos = [{d.face: d for d in dev} for dev in devs]
    for i in range(N_CHARTS):
        for c in np.flatnonzero(~interior & (pad_vertex[i] >= N_PENTAGONS)):
            v = pad_vertex[i, c]
            j = vertex_cell[v] // (H * W)
            here = devs[i][first_face[i, c]]
            there = face_pos[j].get(here.face)
            if there is None:
                raise RuntimeError(f"chart {i}: face {here.face} not developed in chart {j}")
            ang = _plane_angle(there.plane[1] - there.plane[0]) - _plane_angle(
                here.plane[1] - here.plane[0]
            )
            t = ang / (np.pi / 3)
            if abs(t - np.round(t)) > 1e-9:
                raise RuntimeError(f"chart frames differ by {np.degrees(ang)} degrees")
            pad_shift[i, c] = int(np.round(t)) % 6
            # the source chart's development puts the point exactly on the source cell
            bary, inside = _barycentric(here, pts[c : c + 1], n)
            p_there = (bary[0] / n) @ there.plane * n
            hw = np.array([vertex_cell[v] % (H * W) // W, vertex_cell[v] % W])
            if not inside[0] or np.abs(p_there - hw).max() > 1e-9:
                raise RuntimeError(f"chart {i}: padding cell {c} does not map onto its source")

    pad_vertex = pad_vertex.reshape(N_CHARTS, H + 2, W + 2)
    pad_shift = pad_shift.reshape(N_CHARTS, H + 2, W + 2)

    neighbours = np.full((nv, 6), -1, dtype=np.int64)
    transport = np.full((nv, 6), -1, dtype=np.int64)
    ci, ch, cw = np.meshgrid(np.arange(N_CHARTS), np.arange(H), np.arange(W), indexing="ij")
    ci, ch, cw = ci.reshape(-1), ch.reshape(-1), cw.reshape(-1)
    v = cell_vertex.reshape(-1)
    hexa = v >= N_PENTAGONS
    for k, (dh, dw) in enumerate(OFFSETS):
        nb = pad_vertex[ci, ch + dh + 1, cw + dw + 1]
        tr = pad_shift[ci, ch + dh + 1, cw + dw + 1]
        if (nb[hexa] < 0).any():
            raise RuntimeError("a hexagonal cell lacks a neighbour")
        neighbours[v[hexa], k] = nb[hexa]
        transport[v[hexa], k] = np.where(nb[hexa] >= N_PENTAGONS, tr[hexa], -1)

    f = mesh.faces
    pent_nb = np.zeros((N_PENTAGONS, 5), dtype=np.int64)
    for p in range(N_PENTAGONS):
        ring = np.unique(f[(f == p).any(1)])
        pent_nb[p] = ring[ring != p]

    return IcoAtlas(
        level=int(level),
        positions=pos,
        cell_vertex=cell_vertex,
        vertex_cell=vertex_cell,
        pad_vertex=pad_vertex,
        pad_shift=pad_shift,
        pad_points=pad_points.reshape(N_CHARTS, H + 2, W + 2, 3),
        neighbours=neighbours,
        transport=transport,
        pentagon_neighbours=pent_nb,
    )


@lru_cache(maxsize=16)
def get_atlas(level: int) -> IcoAtlas:
    """The (cached) atlas of the level-``level`` grid."""
    return _build(level)
