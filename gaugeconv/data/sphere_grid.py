"""Latitude-longitude grids and points on the unit sphere: coordinates, local bases, resampling.

Conventions: z is the north pole, longitude 0 lies in the x-z half-plane with x > 0, longitudes grow
eastwards (towards +y). Points are **normalised to the unit sphere before** latitude is computed
(``atan2(z, hypot(x, y))``), so mesh vertices slightly off the sphere get the right latitude.

The local east and north unit vectors at a point of latitude phi and longitude lambda are
``east = (-sin lambda, cos lambda, 0)`` and ``north = (-sin phi cos lambda, -sin phi sin lambda,
cos phi)``; at the poles (where they are undefined) the limit along the meridian ``lambda = atan2(y, x)``
(``lambda = 0`` exactly at the pole) is used. A wind with eastward component U and northward
component V is the tangent vector ``U east + V north``; :func:`tangent_components` expresses it in a
gauge graph's frames (an order-1 feature in the sense of ``docs/design.md``, "Features").

:class:`LatLonResampler` maps fields on a global lat-lon grid (any size; latitudes strictly monotonic,
not necessarily uniform; longitudes uniform and covering the full circle, starting anywhere) to
arbitrary points: bilinear in (latitude, longitude) with periodic longitude for continuous fields,
and the great-circle-nearest of the four surrounding grid nodes for labels. Points beyond the first
or last grid latitude (near the poles when the grid does not include them) take the value of the
nearest grid row (constant extrapolation in latitude).
"""

from __future__ import annotations

import numpy as np


def latlon_of(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Latitude in [-90, 90] and longitude in [0, 360) (degrees) of (N, 3) points."""
    p = np.asarray(points, dtype=np.float64)
    norm = np.linalg.norm(p, axis=1, keepdims=True)
    if (norm == 0).any():
        raise ValueError(
            f"points at the origin have no latitude: {np.flatnonzero(norm[:, 0] == 0)[:10]}"
        )
    p = p / norm
    lat = np.degrees(np.arctan2(p[:, 2], np.hypot(p[:, 0], p[:, 1])))
    lon = np.mod(np.degrees(np.arctan2(p[:, 1], p[:, 0])), 360.0)
    return lat, lon


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """(..., 3) unit vectors of latitudes/longitudes in degrees (broadcast together)."""
    phi, lam = np.radians(lat), np.radians(lon)
    phi, lam = np.broadcast_arrays(phi, lam)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=-1)


def east_north(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3) local east and north unit vectors at (N, 3) points (see the module docstring)."""
    return east_north_of_latlon(*latlon_of(points))


def east_north_of_latlon(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., 3) local east and north unit vectors at latitudes/longitudes in degrees (broadcast)."""
    phi, lam = np.broadcast_arrays(np.radians(lat), np.radians(lon))
    east = np.stack([-np.sin(lam), np.cos(lam), np.zeros_like(lam)], axis=-1)
    north = np.stack([-np.sin(phi) * np.cos(lam), -np.sin(phi) * np.sin(lam), np.cos(phi)], axis=-1)
    return east, north


def tangent_components(
    u: np.ndarray, v: np.ndarray, east: np.ndarray, north: np.ndarray, frame: np.ndarray
) -> np.ndarray:
    """(N, 2) coordinates in the gauge ``frame`` (N, 2, 3) of the vectors ``u east + v north``.

    The tangent plane of the unit sphere and of the mesh differ slightly at a vertex; the 3-D vector
    is projected onto the frame's vectors e1, e2.
    """
    w = np.asarray(u)[:, None] * east + np.asarray(v)[:, None] * north
    return np.einsum("nd,nkd->nk", w, np.asarray(frame))


def _check_grid(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, float, float]:
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    if lat.ndim != 1 or lon.ndim != 1 or len(lat) < 2 or len(lon) < 2:
        raise ValueError(f"lat and lon must be 1-D with >= 2 entries, got {lat.shape}, {lon.shape}")
    if not (np.isfinite(lat).all() and np.isfinite(lon).all()):
        raise ValueError("lat/lon coordinates contain NaN or inf")
    step = np.diff(lat)
    if not ((step > 0).all() or (step < 0).all()):
        raise ValueError("latitudes must be strictly increasing or strictly decreasing")
    if np.abs(lat).max() > 90 + 1e-9:
        raise ValueError(f"latitudes must lie in [-90, 90], got range {lat.min()}..{lat.max()}")
    dlon = np.diff(lon)
    d = float(np.mean(dlon))
    if d <= 0 or np.abs(dlon - d).max() > 1e-4 * abs(d) + 1e-9:
        raise ValueError("longitudes must be uniformly spaced and increasing")
    if abs(len(lon) * d - 360.0) > 1e-3 * d:
        raise ValueError(
            f"longitudes must cover the full circle: {len(lon)} x {d:.6g} deg = {len(lon) * d:.6g} "
            "deg, expected 360 (regional grids are not supported)"
        )
    return lat, float(lon[0]), 360.0 / len(lon)


class LatLonResampler:
    """Interpolation weights from a global lat-lon grid to fixed points (see the module docstring).

    Parameters
    ----------
    lat, lon: 1-D grid coordinates in degrees (fields are indexed ``[..., lat, lon]``).
    points: (N, 3) target points (normalised to the unit sphere internally).
    """

    def __init__(self, lat: np.ndarray, lon: np.ndarray, points: np.ndarray) -> None:
        lat, lon0, dlon = _check_grid(lat, lon)
        self.shape = (len(lat), int(round(360.0 / dlon)))
        self.flip = lat[0] > lat[-1]
        lat_inc = lat[::-1] if self.flip else lat
        tlat, tlon = latlon_of(points)
        n_lat, n_lon = self.shape
        i = np.clip(np.searchsorted(lat_inc, tlat, side="right") - 1, 0, n_lat - 2)
        t = np.clip((tlat - lat_inc[i]) / (lat_inc[i + 1] - lat_inc[i]), 0.0, 1.0)
        u = np.mod(tlon - lon0, 360.0) / dlon
        j = np.floor(u).astype(np.int64)
        s = u - j
        j %= n_lon
        self.i, self.t, self.j, self.j1, self.s = i, t, j, (j + 1) % n_lon, s
        # nearest of the four corners by great-circle distance
        corners = [(i, j), (i, self.j1), (i + 1, j), (i + 1, self.j1)]
        p = np.asarray(points, dtype=np.float64)
        p = p / np.linalg.norm(p, axis=1, keepdims=True)
        dots = np.stack(
            [
                np.einsum("nd,nd->n", unit_vectors(lat_inc[ci], lon0 + cj * dlon), p)
                for ci, cj in corners
            ]
        )
        best = np.argmax(dots, axis=0)
        self.nearest_i = np.choose(best, [c[0] for c in corners])
        self.nearest_j = np.choose(best, [c[1] for c in corners])

    def _oriented(self, field: np.ndarray) -> np.ndarray:
        field = np.asarray(field)
        if field.shape[-2:] != self.shape:
            raise ValueError(f"field has grid shape {field.shape[-2:]}, expected {self.shape}")
        return field[..., ::-1, :] if self.flip else field

    def bilinear(self, field: np.ndarray) -> np.ndarray:
        """(..., N) bilinear values of a (..., n_lat, n_lon) field (periodic in longitude)."""
        f = self._oriented(field).astype(np.float64, copy=False)
        i, j, j1, t, s = self.i, self.j, self.j1, self.t, self.s
        return (1 - t) * ((1 - s) * f[..., i, j] + s * f[..., i, j1]) + t * (
            (1 - s) * f[..., i + 1, j] + s * f[..., i + 1, j1]
        )

    def nearest(self, field: np.ndarray) -> np.ndarray:
        """(..., N) value of the nearest grid node (for labels; dtype preserved)."""
        return self._oriented(field)[..., self.nearest_i, self.nearest_j]
