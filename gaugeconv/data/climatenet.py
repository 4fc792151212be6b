"""ClimateNet (netCDF) on the icosphere: extreme-weather segmentation.

ClimateNet (Kashinath et al. 2021, "ClimateNet: an expert-labeled open dataset and deep learning
architecture for enabling high-precision analyses of extreme weather", GMD; files from NERSC, read
by ``climatenet.utils.data.ClimateDatasetLabeled`` with ``xarray.load_dataset``): one netCDF file per
snapshot of CAM5 output on a 768 x 1152 latitude-longitude grid (dimensions ``time`` (length 1),
``lat``, ``lon``) with 16 variables ``TMQ U850 V850 UBOT VBOT QREFHT PS PSL T200 T500 PRECT TS
TREFHT Z1000 Z200 ZBOT`` and ``LABELS`` (0 background, 1 tropical cyclone, 2 atmospheric river).
ClimateNet's own model uses ``TMQ U850 V850 PSL`` (:data:`DEFAULT_VARIABLES`).

:func:`read_climatenet` accepts any global lat-lon size (``lat``/``latitude``, ``lon``/``longitude``
dimensions, with or without a ``time`` dimension; without coordinate values the grid is taken as
``lat = linspace(-90, 90, n_lat)`` and ``lon = arange(n_lon) * 360 / n_lon``).
:class:`ClimateNetIcosphere` resamples every snapshot onto the vertices of
``gaugeconv.shapes.icosphere(level)`` (bilinear with periodic longitude for the inputs, nearest grid
node for the labels; :mod:`gaugeconv.data.sphere_grid`) and normalises channels with
:class:`ChannelStats` (mean/std over a training set, saved and loaded as JSON).

Fields of every graph (besides the icosphere's gauge-graph fields, identical in every sample):

- ``x`` (N, C): the variables, normalised when ``stats`` are given (channel order = ``variables``);
- ``y`` (N,) long: label (0 background, 1 tropical cyclone, 2 atmospheric river);
- ``wind`` (N, 2), when U850 and V850 are among the variables: raw (U850, V850), the eastward and
  northward components in m/s;
- ``wind_gauge`` (N, 2), likewise: the same wind vector in the vertex's gauge frame (an order-1 feature; divided
  by ``stats.wind_rms`` when stats are given);
- ``east``, ``north`` (N, 3): the local east and north unit vectors (3-D) at every vertex.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from ..geometry.shapes import icosphere
from ..graph import gauge_graph
from .dataset import GraphDataset, build_graphs
from .sphere_grid import LatLonResampler, east_north, tangent_components

ALL_VARIABLES = (
    "TMQ", "U850", "V850", "UBOT", "VBOT", "QREFHT", "PS", "PSL",
    "T200", "T500", "PRECT", "TS", "TREFHT", "Z1000", "Z200", "ZBOT",
)  # fmt: skip
DEFAULT_VARIABLES = ("TMQ", "U850", "V850", "PSL")
CLASSES = ("background", "tropical_cyclone", "atmospheric_river")
WIND = ("U850", "V850")
_LAT_NAMES = ("lat", "latitude")
_LON_NAMES = ("lon", "longitude")


@dataclass
class ClimateSnapshot:
    """One snapshot on its lat-lon grid."""

    fields: np.ndarray  # (C, n_lat, n_lon) float64
    labels: np.ndarray | None  # (n_lat, n_lon) int64, or None when the file has no LABELS
    lat: np.ndarray  # (n_lat,) degrees
    lon: np.ndarray  # (n_lon,) degrees
    variables: tuple[str, ...]
    path: Path | None = None


def _dim(names: tuple[str, ...], dims, path, what: str) -> str:
    for n in names:
        if n in dims:
            return n
    raise ValueError(
        f"{path}: no {what} dimension (looked for {names}; the file has {tuple(dims)})"
    )


def read_climatenet(
    path: str | Path,
    variables: tuple[str, ...] | list[str] = DEFAULT_VARIABLES,
    *,
    time_index: int = 0,
    labels: bool = True,
) -> ClimateSnapshot:
    """Read ``variables`` (and ``LABELS``) of a ClimateNet-format netCDF file.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file for a missing
    variable or dimension, a ``time_index`` out of range, non-finite values or labels outside 0..2.
    """
    import xarray as xr

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ClimateNet file not found: {path}")
    try:
        ds = xr.open_dataset(path)
    except Exception as exc:  # noqa: BLE001 - backends raise many types
        raise ValueError(f"could not read netCDF file {path}: {exc}") from exc
    with ds:
        wanted = list(variables) + (["LABELS"] if labels else [])
        missing = [v for v in wanted if v not in ds.variables]
        if missing:
            raise ValueError(
                f"{path}: missing variable(s) {missing}; it has {sorted(map(str, ds.data_vars))}"
            )
        lat_dim = _dim(_LAT_NAMES, ds.dims, path, "latitude")
        lon_dim = _dim(_LON_NAMES, ds.dims, path, "longitude")
        n_lat, n_lon = ds.sizes[lat_dim], ds.sizes[lon_dim]
        lat = (
            np.asarray(ds[lat_dim].values, dtype=np.float64)
            if lat_dim in ds.coords
            else np.linspace(-90.0, 90.0, n_lat)
        )
        lon = (
            np.asarray(ds[lon_dim].values, dtype=np.float64)
            if lon_dim in ds.coords
            else np.arange(n_lon) * 360.0 / n_lon
        )

        def grid(name: str) -> np.ndarray:
            da = ds[name]
            for d in da.dims:
                if d in (lat_dim, lon_dim):
                    continue
                if d == "time" or da.sizes[d] > 1:
                    if time_index >= da.sizes[d] or time_index < -da.sizes[d]:
                        raise ValueError(
                            f"{path}: {name} has {da.sizes[d]} entries along {d!r}, "
                            f"time_index {time_index} is out of range"
                        )
                    da = da.isel({d: time_index})
                else:
                    da = da.isel({d: 0})
            return np.asarray(da.transpose(lat_dim, lon_dim).values)

        fields = np.stack([grid(v).astype(np.float64) for v in variables])
        bad = ~np.isfinite(fields)
        if bad.any():
            c = int(np.flatnonzero(bad.any(axis=(1, 2)))[0])
            raise ValueError(
                f"{path}: variable {variables[c]} has {int(bad[c].sum())} non-finite values"
            )
        lab = None
        if labels:
            raw = grid("LABELS")
            if not np.isfinite(raw).all() or (raw != np.round(raw)).any():
                raise ValueError(f"{path}: LABELS must be integers 0, 1, 2")
            lab = raw.astype(np.int64)
            out = np.unique(lab[(lab < 0) | (lab > 2)])
            if len(out):
                raise ValueError(f"{path}: LABELS has values {out.tolist()} outside 0..2")
    return ClimateSnapshot(fields, lab, lat, lon, tuple(variables), path)


@dataclass
class ChannelStats:
    """Per-channel mean and standard deviation (and the RMS wind speed) for normalisation."""

    variables: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    wind_rms: float | None = None
    info: dict = field(default_factory=dict)

    def normalise(self, x: np.ndarray, variables: tuple[str, ...]) -> np.ndarray:
        """(N, C) channels ``variables`` (a subset of the stats' ones, any order) normalised."""
        idx = [self.variables.index(v) for v in variables]
        return (x - self.mean[idx]) / self.std[idx]

    def save(self, path: str | Path) -> None:
        from ..training.checkpoint import write_json

        write_json(
            path,
            {
                "variables": list(self.variables),
                "mean": [float(m) for m in self.mean],
                "std": [float(s) for s in self.std],
                "wind_rms": self.wind_rms,
                "info": self.info,
            },
        )

    @classmethod
    def load(cls, path: str | Path) -> ChannelStats:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"normalisation statistics not found: {path}")
        try:
            obj = json.loads(path.read_text())
            variables, mean, std = tuple(obj["variables"]), obj["mean"], obj["std"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a statistics file ({exc})") from exc
        if not (len(variables) == len(mean) == len(std)):
            raise ValueError(f"{path}: variables, mean and std have different lengths")
        std = np.asarray(std, dtype=np.float64)
        if not (np.isfinite(std).all() and (std > 0).all()):
            raise ValueError(f"{path}: standard deviations must be positive and finite")
        return cls(
            variables,
            np.asarray(mean, dtype=np.float64),
            std,
            obj.get("wind_rms"),
            obj.get("info", {}),
        )

    def check_covers(self, variables) -> None:
        missing = [v for v in variables if v not in self.variables]
        if missing:
            raise ValueError(f"statistics lack variable(s) {missing}; they cover {self.variables}")


def resolve_stats(
    stats: ChannelStats | str | Path | None,
    samples: list[np.ndarray],
    variables: tuple[str, ...],
    **info,
) -> ChannelStats | None:
    """``stats`` as a loader takes it: ``"compute"`` (from ``samples``), a JSON path, a
    :class:`ChannelStats` or None; checked to cover ``variables``."""
    if isinstance(stats, str) and stats == "compute":
        stats = compute_stats(samples, variables, **info)
    elif isinstance(stats, (str, Path)):
        stats = ChannelStats.load(stats)
    if stats is not None:
        stats.check_covers(variables)
    return stats


def compute_stats(samples: list[np.ndarray], variables: tuple[str, ...], **info) -> ChannelStats:
    """Mean/std per channel over (N, C) arrays (icosphere values: each vertex counts once)."""
    x = np.concatenate([np.asarray(s, dtype=np.float64) for s in samples])
    std = x.std(axis=0)
    std[std == 0] = 1.0
    wind_rms = None
    if all(w in variables for w in WIND):
        u, v = x[:, variables.index(WIND[0])], x[:, variables.index(WIND[1])]
        wind_rms = float(np.sqrt(np.mean(u**2 + v**2))) or 1.0
    return ChannelStats(
        tuple(variables), x.mean(axis=0), std, wind_rms, {"n_values": len(x), **info}
    )


def climatenet_files(source: str | Path | list) -> list[Path]:
    """Sorted ``*.nc`` files of a folder, or the given list of files."""
    if isinstance(source, (list, tuple)):
        files = [Path(p) for p in source]
    else:
        folder = Path(source)
        if not folder.is_dir():
            raise FileNotFoundError(f"ClimateNet folder not found: {folder}")
        files = sorted(folder.glob("*.nc"))
        if not files:
            raise FileNotFoundError(f"no .nc files in {folder}")
    return files


class ClimateNetIcosphere(GraphDataset):
    """ClimateNet snapshots resampled onto an icosphere (see the module docstring).

    Parameters
    ----------
    source: a folder of ``.nc`` files (e.g. ClimateNet's ``train/``) or a list of files.
    level: icosphere level (5: 10,242 vertices).
    variables: input channels. stats: a :class:`ChannelStats`, a path to its JSON, ``"compute"``
        (from this data set, e.g. the training set; then ``dataset.stats.save(path)``) or ``None``
        (no normalisation).
    k, radius, dtype, cache_dir, progress: gauge-graph options.
    """

    n_classes = 3

    def __init__(
        self,
        source: str | Path | list,
        level: int = 5,
        *,
        variables: tuple[str, ...] | list[str] = DEFAULT_VARIABLES,
        stats: ChannelStats | str | Path | None = None,
        time_index: int = 0,
        k: int | None = None,
        radius: float | None = None,
        dtype: torch.dtype = torch.float32,
        cache_dir: str | Path | None = None,
        progress: bool = True,
    ) -> None:
        variables = tuple(variables)
        files = climatenet_files(source)
        mesh = icosphere(level)
        base = gauge_graph(mesh, k=k, radius=radius, dtype=dtype, cache_dir=cache_dir)
        east, north = east_north(mesh.vertices)
        frame = base.frame.double().numpy()
        resamplers: dict = {}
        wind_idx = [variables.index(w) for w in WIND] if all(w in variables for w in WIND) else None

        def sample(path: Path):
            snap = read_climatenet(path, variables, time_index=time_index)
            key = (snap.lat.tobytes(), snap.lon.tobytes())
            if key not in resamplers:
                resamplers[key] = LatLonResampler(snap.lat, snap.lon, mesh.vertices)
            r = resamplers[key]
            return r.bilinear(snap.fields).T, r.nearest(snap.labels)

        raw = build_graphs(files, sample, desc=f"ClimateNet -> ico{level}", progress=progress)
        stats = resolve_stats(stats, [x for x, _ in raw], variables, level=level, files=len(files))
        self.stats = stats
        shared = {k_: base[k_] for k_ in base.keys() if k_ != "num_nodes"}
        east_t, north_t = torch.as_tensor(east, dtype=dtype), torch.as_tensor(north, dtype=dtype)
        graphs = []
        for path, (x, y) in zip(files, raw):
            fields = dict(
                shared, y=torch.as_tensor(y, dtype=torch.long), east=east_t, north=north_t
            )
            fields["x"] = torch.as_tensor(
                stats.normalise(x, variables) if stats is not None else x, dtype=dtype
            )
            if wind_idx is not None:
                u, v = x[:, wind_idx[0]], x[:, wind_idx[1]]
                scale = stats.wind_rms if stats is not None and stats.wind_rms else 1.0
                fields["wind"] = torch.as_tensor(np.stack([u, v], 1), dtype=dtype)
                fields["wind_gauge"] = torch.as_tensor(
                    tangent_components(u, v, east, north, frame) / scale, dtype=dtype
                )
            graphs.append(Data(num_nodes=mesh.n_vertices, name=path.stem, **fields))
        super().__init__(
            graphs,
            name=f"climatenet/ico{level}",
            info={"files": files, "variables": variables, "level": level},
        )
        self.variables = variables
