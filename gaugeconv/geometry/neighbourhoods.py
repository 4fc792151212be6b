r"""Log maps and transports for k-ring and geodesic-radius neighbourhoods.

Starting from the exact 1-ring data, neighbourhoods grow one ring at a time by *affine local*
composition along edges (the idea behind geometry-central's ``AffineLocal`` log map):

    log_i(w) = log_i(u) + T_{u->i} log_u(w),        T_{w->i} = T_{u->i} o T_{w->u},

where ``u`` is a vertex already reached from i and ``w`` a 1-ring neighbour of u, and a tangent vector
is a complex number ``r e^{i theta}`` (a reflecting transport conjugates before rotating). When w can
be reached through several u, the candidate with the shortest log map wins. On an intrinsically flat
region the result is exact; on curved surfaces it is the usual first-order approximation, and
transports are path-dependent at the order of the enclosed curvature.

**Size cap.** A neighbourhood that covers most of the mesh (``radius=1e9``, ``k=1000``) would build
a dense graph with N^2 edges. Growth stops with a ``ValueError`` as soon as the graph would hold
more than :data:`MAX_MEAN_DEGREE` neighbours per vertex on average (meshes of up to 513 vertices
may still be covered completely): a layer on such a graph is no longer a local convolution, and
its memory grows quadratically.
"""

from __future__ import annotations

import numbers

import numpy as np

from .intrinsic import EdgeGeometry, wrap_angle

#: most neighbours per vertex (on average) a k-ring or radius neighbourhood may give
MAX_MEAN_DEGREE = 512


def check_neighbourhood_options(k, radius) -> None:
    """``ValueError`` unless ``k`` is None or an int >= 1 and ``radius`` None or a finite number > 0
    (not both given)."""
    if k is not None and radius is not None:
        raise ValueError("give at most one of k (rings) and radius (geodesic distance)")
    if k is not None and (isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1):
        raise ValueError(f"k must be an integer >= 1 (rings), got {k!r}")
    if radius is not None and (
        isinstance(radius, bool)
        or not isinstance(radius, numbers.Real)
        or not np.isfinite(radius)
        or not radius > 0
    ):
        raise ValueError(f"radius must be a finite number > 0, got {radius!r}")


def _compose(z_iu, g_iu, b_iu, z_uw, g_uw, b_uw):
    """Compose (log_i(u), T_{u->i}) with (log_u(w), T_{w->u}); returns (log_i(w), T_{w->i})."""
    t = np.where(b_iu, np.conj(z_uw), z_uw) * np.exp(1j * g_iu)
    g = np.where(b_iu, -g_uw, g_uw) + g_iu
    return z_iu + t, g, b_iu ^ b_uw


def grow_neighbourhoods(
    ring: EdgeGeometry, n_vertices: int, *, k: int | None = None, radius: float | None = None
) -> EdgeGeometry:
    """Edges (j -> i) for every j in the k-ring of i, or within geodesic distance ``radius`` of i.

    Exactly one of ``k`` (>= 1) and ``radius`` (> 0) must be given. With ``radius`` the neighbourhood
    grows until no new vertex falls inside the radius; the 1-ring is always kept so the graph stays
    connected where edges are longer than the radius.
    """
    if (k is None) == (radius is None):
        raise ValueError("give exactly one of k (rings) and radius (geodesic distance)")
    check_neighbourhood_options(k, radius)
    cap = MAX_MEAN_DEGREE * n_vertices

    n = np.int64(n_vertices)
    # 1-ring by target u: edges (w -> u)
    order = np.argsort(ring.target, kind="stable")
    r_src, r_tgt = ring.source[order], ring.target[order]
    r_z = ring.length[order] * np.exp(1j * ring.theta[order])
    r_g, r_b = ring.transport[order], ring.reflect[order]
    start = np.searchsorted(r_tgt, np.arange(n_vertices + 1))
    deg = np.diff(start)

    tgt, src = ring.target.copy(), ring.source.copy()
    z = ring.length * np.exp(1j * ring.theta)
    g, b = ring.transport.copy(), ring.reflect.copy()
    path = ring.length.copy()  # length of the edge path each log map was composed along
    r_len = ring.length[order]
    known = np.sort(tgt * n + src)
    frontier = np.arange(len(tgt))
    hops = 1
    while len(frontier) and (k is None or hops < k):
        fu = src[frontier]
        rep = deg[fu]
        idx = np.repeat(frontier, rep)
        # position of each expansion inside the 1-ring list of u
        offs = np.arange(rep.sum()) - np.repeat(np.cumsum(rep) - rep, rep)
        e = np.repeat(start[fu], rep) + offs
        ci, cw = tgt[idx], r_src[e]
        keep = cw != ci
        key = ci * n + cw
        pos = np.searchsorted(known, key)
        keep &= known[np.minimum(pos, len(known) - 1)] != key
        idx, e, ci, cw, key = idx[keep], e[keep], ci[keep], cw[keep], key[keep]
        cz, cg, cb = _compose(z[idx], g[idx], b[idx], r_z[e], r_g[e], r_b[e])
        cp = path[idx] + r_len[e]
        # several paths to one new pair: keep the log map composed along the shortest edge path
        # (the shortest *composed vector* would favour paths whose steps cancel, up to hundreds of
        # times shorter than the chord)
        best = np.lexsort((cp, key))
        first = np.ones(len(best), dtype=bool)
        first[1:] = key[best][1:] != key[best][:-1]
        sel = best[first]
        if radius is not None:
            sel = sel[np.abs(cz[sel]) <= radius]
        if len(sel) == 0:
            break
        if len(tgt) + len(sel) > cap:
            what = f"k={k}" if k is not None else f"radius={radius:g}"
            raise ValueError(
                f"{what} gives more than {MAX_MEAN_DEGREE} neighbours per vertex on average "
                f"({len(tgt) + len(sel)} edges for {n_vertices} vertices after {hops + 1} rings): "
                "a dense graph; choose a smaller neighbourhood (the mean 1-ring edge length is "
                f"{ring.length.mean():.3g})"
            )
        new = np.arange(len(tgt), len(tgt) + len(sel))
        tgt = np.concatenate([tgt, ci[sel]])
        src = np.concatenate([src, cw[sel]])
        z = np.concatenate([z, cz[sel]])
        g = np.concatenate([g, cg[sel]])
        b = np.concatenate([b, cb[sel]])
        path = np.concatenate([path, cp[sel]])
        known = np.sort(np.concatenate([known, key[sel]]))
        frontier = new
        hops += 1
    o = np.lexsort((src, tgt))
    return EdgeGeometry(
        source=src[o],
        target=tgt[o],
        length=np.abs(z[o]),
        theta=wrap_angle(np.angle(z[o])),
        transport=wrap_angle(g[o]),
        reflect=b[o],
    )
