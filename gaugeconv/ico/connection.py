r"""The chart path's discrete connection as a gauge graph (DESIGN section 2 fields).

The chart convolution uses the *hexagonal* connection of the grid, not the intrinsic one: at a
non-pentagon vertex i the neighbour in lattice direction k has log-map angle exactly
``theta = 60 k`` degrees, and reading the neighbour j in i's gauge shifts regular channels by the
padding's frame shift ``t`` (``f_j[(o + t) mod 6]``), i.e. direction ``o`` at i is direction
``o + t`` at j: transport ``g = -60 t`` degrees (DESIGN rule: angle ``phi`` at j arrives as
``phi + g`` at i). ``hex_gauge_graph`` writes this out as a ``torch_geometric`` graph so that a
message-passing layer (``GemConv``) can run on exactly the chart path's geometry; with the mesh's
intrinsic angles (``gaugeconv.gauge_graph``) the two paths differ, because on the geodesic icosphere
the intrinsic angles of the six neighbours, read in the chart gauge, deviate from ``60 k`` by up to
about 12 degrees (and the transports likewise).

Frames: at hexagonal vertices the chart frame of :func:`.vectors.chart_frames` (e1 = "angle 0");
at the 12 pentagons (where the chart path carries no features) e1 points to the first neighbour in
counter-clockwise order, the five neighbours get ``theta = 72 m`` degrees, and the transports on
their edges follow from the rule ``theta_i(j) + 180 = theta_j(i) + g`` (mod 360) that every edge
satisfies. ``edge_log[:, 0]`` is the edge length (chord), as for the 1-ring of ``gauge_graph``.
"""

from __future__ import annotations

import numpy as np
import torch

from .atlas import N_PENTAGONS, get_atlas
from .vectors import chart_frames

__all__ = ["hex_gauge_graph"]


def _wrap(a: np.ndarray) -> np.ndarray:
    w = np.mod(a + np.pi, 2 * np.pi) - np.pi
    return np.where(w == -np.pi, np.pi, w)


def hex_gauge_graph(level: int, dtype: torch.dtype = torch.float64):
    """Gauge graph of the level grid with the chart path's hexagonal connection (module doc)."""
    from torch_geometric.data import Data

    atlas = get_atlas(level)
    pos = atlas.positions
    nv = len(pos)
    normal = pos / np.linalg.norm(pos, axis=1, keepdims=True)
    frames = chart_frames(atlas)
    theta = {}  # (i, j) -> angle of j in i's gauge
    for i in range(N_PENTAGONS, nv):
        for k in range(6):
            theta[(i, int(atlas.neighbours[i, k]))] = k * np.pi / 3
    for p in range(N_PENTAGONS):
        ring = atlas.pentagon_neighbours[p]
        d = pos[ring] - pos[p]
        d -= normal[p] * (d @ normal[p])[:, None]
        e1 = d[0] / np.linalg.norm(d[0])
        e2 = np.cross(normal[p], e1)
        ang = np.mod(np.arctan2(d @ e2, d @ e1), 2 * np.pi)
        for m, j in enumerate(ring[np.argsort(ang)]):
            theta[(p, int(j))] = m * 2 * np.pi / 5
        frames[p] = (e1, e2)
    pairs = np.array(sorted(theta))  # (E, 2): (target i, source j)
    i, j = pairs[:, 0], pairs[:, 1]
    th_ij = np.array([theta[(a, b)] for a, b in pairs])
    th_ji = np.array([theta[(b, a)] for a, b in pairs])
    g = _wrap(th_ij + np.pi - th_ji)
    r = np.linalg.norm(pos[i] - pos[j], axis=1)
    return Data(
        num_nodes=nv,
        pos=torch.as_tensor(pos, dtype=dtype),
        normal=torch.as_tensor(normal, dtype=dtype),
        frame=torch.as_tensor(frames, dtype=dtype),
        edge_index=torch.as_tensor(np.stack([j, i]), dtype=torch.long),
        edge_log=torch.as_tensor(np.stack([r, _wrap(th_ij)], 1), dtype=dtype),
        edge_transport=torch.as_tensor(g, dtype=dtype),
        edge_reflect=torch.zeros(len(i), dtype=torch.bool),
    )
