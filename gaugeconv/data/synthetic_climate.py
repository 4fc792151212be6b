"""Synthetic ClimateNet-format snapshots: the embedded default data for climate segmentation.

:func:`write_synthetic_climatenet` writes netCDF files laid out like ClimateNet's (variables on
``(time=1, lat, lon)``, ``LABELS`` on ``(lat, lon)``, latitude ``linspace(-90, 90, n_lat)``,
longitude ``arange(n_lon) * 360 / n_lon``; all 16 ClimateNet variables) on any grid size, e.g.
96 x 144 for tests and quick runs or 768 x 1152 like the real data. Each snapshot holds:

- **background** fields with a latitude structure: moist tropics (TMQ), easterly trade winds and
  mid-latitude westerlies (U850), subtropical highs and subpolar lows (PSL), warm tropics (TS, T500),
  plus smooth random perturbations periodic in longitude;
- **tropical cyclones** (label 1) at 8-30 degrees latitude: a vortex with low pressure (PSL drop of
  20-60 hPa), high moisture (TMQ) and tangential wind ``V_max (r / r_m) exp((1 - (r / r_m)^2) / 2)``
  rotating **counter-clockwise seen from above in the northern hemisphere and clockwise in the
  southern** (cyclonic in both); labelled within ``2.5 r_m`` of the centre;
- **atmospheric rivers** (label 2): long (25-45 degrees of arc), narrow (half-width 2.5-4.5
  degrees) moist filaments starting in the subtropics and running poleward and eastward, with strong
  wind along the river; labelled within the half-width of the axis. Cyclone labels win where the two
  overlap.

Values are float32, labels int64. Everything is deterministic given ``seed``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from .climatenet import ALL_VARIABLES
from .sphere_grid import east_north_of_latlon, unit_vectors


def _smooth_noise(rng, lat, lon, amplitude: float, n_modes: int = 6) -> np.ndarray:
    """Sum of random low-order harmonics, periodic in longitude."""
    phi, lam = np.radians(lat)[:, None], np.radians(lon)[None, :]
    out = np.zeros((len(lat), len(lon)))
    for _ in range(n_modes):
        m, n = rng.integers(1, 5), rng.integers(1, 5)
        out += np.cos(m * lam + rng.uniform(0, 2 * np.pi)) * np.cos(
            n * phi + rng.uniform(0, 2 * np.pi)
        )
    return amplitude * out / np.sqrt(n_modes)


def synthetic_snapshot(
    rng: np.random.Generator,
    n_lat: int = 96,
    n_lon: int = 144,
    n_cyclones: tuple[int, int] = (1, 4),
    n_rivers: tuple[int, int] = (1, 3),
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, list[dict]]:
    """``(fields, labels, lat, lon, events)`` of one synthetic snapshot (see the module docstring).

    ``events`` describes what was placed (kind, centre or start latitude/longitude, hemisphere).
    """
    lat = np.linspace(-90.0, 90.0, n_lat)
    lon = np.arange(n_lon) * 360.0 / n_lon
    p = unit_vectors(lat[:, None], lon[None, :])  # (n_lat, n_lon, 3)
    east, north = east_north_of_latlon(lat[:, None], lon[None, :])
    phi = lat[:, None] * np.ones((1, n_lon))
    a = np.abs(phi)
    tmq = 5 + 45 * np.exp(-((phi / 25) ** 2)) + _smooth_noise(rng, lat, lon, 3)
    psl = (
        101300
        + 800 * np.exp(-(((a - 30) / 10) ** 2))
        - 1500 * np.exp(-(((a - 60) / 15) ** 2))
        + _smooth_noise(rng, lat, lon, 300)
    )
    u = (
        -6 * np.exp(-((phi / 12) ** 2))
        + 12 * np.exp(-(((a - 45) / 12) ** 2))
        + _smooth_noise(rng, lat, lon, 2)
    )
    v = _smooth_noise(rng, lat, lon, 2)
    labels = np.zeros((n_lat, n_lon), dtype=np.int64)
    tc_mask = np.zeros((n_lat, n_lon), dtype=bool)
    events: list[dict] = []

    for _ in range(int(rng.integers(n_rivers[0], n_rivers[1] + 1))):
        hemi = rng.choice([-1, 1])
        start = np.array([hemi * rng.uniform(15, 25), rng.uniform(0, 360)])
        bearing = np.radians(rng.uniform(30, 60) if hemi > 0 else rng.uniform(120, 150))
        length, step = rng.uniform(25, 45), 0.5
        pts, tans = [], []
        x = unit_vectors(*start)
        for _k in range(int(length / step)):
            e_ = np.cross([0.0, 0.0, 1.0], x)
            e_ /= np.linalg.norm(e_)
            t = np.cos(bearing) * np.cross(x, e_) + np.sin(bearing) * e_
            pts.append(x)
            tans.append(t)
            d = np.radians(step)
            x = np.cos(d) * x + np.sin(d) * t
            x /= np.linalg.norm(x)
            bearing += rng.normal(0, 0.03)
        pts, tans = np.array(pts), np.array(tans)
        chord, nearest = cKDTree(pts).query(p.reshape(-1, 3))
        dist = np.degrees(2 * np.arcsin(np.clip(chord / 2, 0, 1))).reshape(n_lat, n_lon)
        width = rng.uniform(2.5, 4.5)
        prof = np.exp(-((dist / width) ** 2))
        speed = rng.uniform(15, 25) * prof
        along = tans[nearest].reshape(n_lat, n_lon, 3)
        u += speed * np.einsum("abk,abk->ab", along, east)
        v += speed * np.einsum("abk,abk->ab", along, north)
        tmq += rng.uniform(20, 30) * prof
        labels[dist < width] = 2
        events.append(
            {"kind": "atmospheric_river", "lat": start[0], "lon": start[1], "hemisphere": int(hemi)}
        )

    for _ in range(int(rng.integers(n_cyclones[0], n_cyclones[1] + 1))):
        hemi = rng.choice([-1, 1])
        clat, clon = hemi * rng.uniform(8, 30), rng.uniform(0, 360)
        c = unit_vectors(clat, clon)
        r = np.degrees(np.arccos(np.clip(p @ c, -1, 1)))  # angular distance in degrees
        rm = rng.uniform(1.5, 3.0)
        vmax = rng.uniform(25, 50)
        vt = vmax * (r / rm) * np.exp((1 - (r / rm) ** 2) / 2)
        # counter-clockwise about the outward axis c in the north, clockwise in the south
        swirl = np.cross(c, p)
        swirl /= np.maximum(np.linalg.norm(swirl, axis=-1, keepdims=True), 1e-12)
        w3 = hemi * vt[..., None] * swirl
        u += np.einsum("abk,abk->ab", w3, east)
        v += np.einsum("abk,abk->ab", w3, north)
        psl -= rng.uniform(2000, 6000) * np.exp(-((r / (2 * rm)) ** 2))
        tmq += rng.uniform(20, 35) * np.exp(-((r / (2.5 * rm)) ** 2))
        tc_mask |= r < 2.5 * rm
        events.append(
            {"kind": "tropical_cyclone", "lat": clat, "lon": clon, "hemisphere": int(hemi)}
        )
    labels[tc_mask] = 1

    ts = 250 + 50 * np.cos(np.radians(phi)) + _smooth_noise(rng, lat, lon, 2)
    fields = {
        "TMQ": tmq,
        "U850": u,
        "V850": v,
        "UBOT": 0.7 * u,
        "VBOT": 0.7 * v,
        "QREFHT": 4e-4 * tmq,
        "PS": psl - 1500 + _smooth_noise(rng, lat, lon, 500),
        "PSL": psl,
        "T200": 216 + 4 * np.cos(np.radians(phi)) + _smooth_noise(rng, lat, lon, 1),
        "T500": 240 + 25 * np.cos(np.radians(phi)) + _smooth_noise(rng, lat, lon, 1),
        "PRECT": 1e-9 * np.maximum(tmq - 20, 0) ** 1.5,
        "TS": ts,
        "TREFHT": ts - 1.0,
        "Z1000": (psl - 100000) / 12.0,
        "Z200": 11800 + 500 * np.cos(np.radians(phi)) + _smooth_noise(rng, lat, lon, 40),
        "ZBOT": 60 + 0.002 * (ts - 288),
    }
    fields = {k: fields[k].astype(np.float32) for k in ALL_VARIABLES}
    return fields, labels, lat, lon, events


def write_synthetic_climatenet(
    folder: str | Path,
    n_files: int = 8,
    *,
    n_lat: int = 96,
    n_lon: int = 144,
    seed: int = 0,
    n_cyclones: tuple[int, int] = (1, 4),
    n_rivers: tuple[int, int] = (1, 3),
) -> list[Path]:
    """Write ``n_files`` synthetic snapshots ``data-<date>-01-1_<i>.nc`` into ``folder``.

    File i depends only on ``(seed, i)``. Writes are atomic (a temporary file renamed into place).
    """
    import os

    import xarray as xr

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n_files):
        rng = np.random.default_rng([seed, i])
        fields, labels, lat, lon, _ = synthetic_snapshot(rng, n_lat, n_lon, n_cyclones, n_rivers)
        day = np.datetime64("2106-01-01") + np.timedelta64(i, "D")
        ds = xr.Dataset(
            {k: (("time", "lat", "lon"), f[None]) for k, f in fields.items()}
            | {"LABELS": (("lat", "lon"), labels)},
            coords={"time": [day], "lat": lat, "lon": lon},
        )
        ds["lat"].attrs.update(units="degrees_north", long_name="latitude")
        ds["lon"].attrs.update(units="degrees_east", long_name="longitude")
        ds.attrs["source"] = (
            f"gaugeconv synthetic ClimateNet-format snapshot (seed {seed}, file {i})"
        )
        path = folder / f"data-{str(day)}-01-1_{i}.nc"
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            ds.to_netcdf(tmp, engine="netcdf4", format="NETCDF4")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        paths.append(path)
    return paths
