"""Climate data: lat-lon -> icosphere resampling, ClimateNet netCDF, synthetic snapshots, ugscnn npz."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
import xarray as xr

from gaugeconv import shapes
from gaugeconv.data import (
    ChannelStats,
    ClimateNetIcosphere,
    LatLonResampler,
    UgscnnClimate,
    east_north,
    latlon_of,
    load_ugscnn_npz,
    read_climatenet,
    synthetic_snapshot,
    write_synthetic_climatenet,
)
from gaugeconv.data.sphere_grid import unit_vectors

N_LAT, N_LON = 19, 36


def grid(n_lat=N_LAT, n_lon=N_LON, lon0=0.0):
    return np.linspace(-90, 90, n_lat), lon0 + np.arange(n_lon) * 360.0 / n_lon


@pytest.fixture(scope="module")
def ico3():
    return shapes.icosphere(3).vertices


# ----------------------------------------------------------------------------- resampling


def test_latlon_and_local_bases(ico3):
    lat, lon = latlon_of(ico3)
    lat2, lon2 = latlon_of(3.7 * ico3)  # normalised before computing latitude
    assert np.allclose(lat, lat2) and np.allclose(lon, lon2)
    assert lat[0] == 90.0  # vertex 0 is the north pole
    assert np.allclose(unit_vectors(lat, lon), ico3 / np.linalg.norm(ico3, axis=1, keepdims=True))
    east, north = east_north(ico3)
    p = ico3 / np.linalg.norm(ico3, axis=1, keepdims=True)
    for a in (east, north):
        assert np.allclose(np.linalg.norm(a, axis=1), 1) and np.allclose((a * p).sum(1), 0)
    assert np.allclose((east * north).sum(1), 0)
    assert np.allclose(np.cross(east, north), p)  # east, north, up is right-handed
    # north points towards increasing latitude
    lat_step, _ = latlon_of(p[1:] + 1e-4 * north[1:])
    assert (lat_step > lat[1:]).all()


def test_bilinear_exact_on_bilinear_functions(ico3):
    lat, lon = grid()
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    field = 2.0 + 0.3 * la - 0.05 * lo + 0.002 * la * lo
    rng = np.random.default_rng(0)
    pts = np.concatenate([ico3, rng.normal(size=(500, 3))])
    r = LatLonResampler(lat, lon, pts)
    tlat, tlon = latlon_of(pts)
    inside = tlon < lon[-1]  # away from the wrap-around cell (where lon jumps 350 -> 0)
    expect = 2.0 + 0.3 * tlat - 0.05 * tlon + 0.002 * tlat * tlon
    err = np.abs(r.bilinear(field) - expect)[inside]
    print(f"\nbilinear on a bilinear field: max error {err.max():.2e}")
    assert err.max() < 1e-10
    # stacked channels are resampled independently
    both = r.bilinear(np.stack([field, 2 * field]))
    assert both.shape == (2, len(pts)) and np.allclose(both[1], 2 * both[0])


def test_periodic_longitude_and_grid_orientation(ico3):
    rng = np.random.default_rng(1)
    lat, lon = grid()
    field = rng.normal(size=(N_LAT, N_LON))
    base = LatLonResampler(lat, lon, ico3).bilinear(field)
    # the same grid starting at -180 (columns rolled) and with latitudes descending
    k = N_LON // 2
    assert np.allclose(LatLonResampler(lat, lon - 180.0, ico3).bilinear(np.roll(field, k, 1)), base)
    assert np.allclose(LatLonResampler(lat[::-1], lon, ico3).bilinear(field[::-1]), base)
    # in the wrap cell the value interpolates between the last and the first column
    pts = unit_vectors(np.array([12.3, -40.0]), np.array([357.0, 351.0]))
    vals = LatLonResampler(lat, lon, pts).bilinear(field)
    for (plat, plon), val in zip([(12.3, 357.0), (-40.0, 351.0)], vals):
        i = np.searchsorted(lat, plat) - 1
        t = (plat - lat[i]) / (lat[i + 1] - lat[i])
        s = (plon - lon[-1]) / 10.0
        row = (1 - t) * field[i] + t * field[i + 1]
        assert np.isclose(val, (1 - s) * row[-1] + s * row[0])


def test_smooth_field_error_small():
    lat, lon = grid(96, 144)
    la, lo = np.meshgrid(np.radians(lat), np.radians(lon), indexing="ij")
    f = np.cos(la) ** 2 * np.cos(3 * lo) + np.sin(la)
    pts = shapes.icosphere(4).vertices
    tlat, tlon = np.radians(latlon_of(pts)[0]), np.radians(latlon_of(pts)[1])
    err = np.abs(
        LatLonResampler(lat, lon, pts).bilinear(f)
        - (np.cos(tlat) ** 2 * np.cos(3 * tlon) + np.sin(tlat))
    )
    print(
        f"\nsmooth field, 96 x 144 grid -> ico4: max error {err.max():.2e}, mean {err.mean():.2e}"
    )
    assert err.max() < 5e-3


def test_labels_take_the_great_circle_nearest_node(ico3):
    lat, lon = grid()
    labels = np.arange(N_LAT * N_LON).reshape(N_LAT, N_LON)
    r = LatLonResampler(lat, lon, ico3)
    got = r.nearest(labels)
    assert got.dtype == labels.dtype
    nodes = unit_vectors(*np.meshgrid(lat, lon, indexing="ij")).reshape(-1, 3)
    p = ico3 / np.linalg.norm(ico3, axis=1, keepdims=True)
    best = (p @ nodes.T).max(axis=1)
    chosen = np.einsum("nd,nd->n", p, nodes[got])
    assert np.allclose(chosen, best, atol=1e-12)


def test_grid_validation(ico3):
    lat, lon = grid()
    with pytest.raises(ValueError, match="full circle"):
        LatLonResampler(lat, lon[:-3], ico3)
    with pytest.raises(ValueError, match="strictly"):
        LatLonResampler(np.r_[lat[:5], lat[4:]], lon, ico3)
    with pytest.raises(ValueError, match="grid shape"):
        LatLonResampler(lat, lon, ico3).bilinear(np.zeros((N_LAT + 1, N_LON)))


# ----------------------------------------------------------------------------- ClimateNet files


def write_climatenet_like(path, n_lat=N_LAT, n_lon=N_LON, labels_with_time=False, **overrides):
    lat, lon = grid(n_lat, n_lon)
    rng = np.random.default_rng(2)
    data = {
        v: (("time", "lat", "lon"), rng.normal(size=(1, n_lat, n_lon)).astype("f4"))
        for v in ("TMQ", "U850", "V850", "PSL")
    }
    lab = rng.integers(0, 3, size=(n_lat, n_lon))
    data["LABELS"] = (
        (("time", "lat", "lon"), lab[None]) if labels_with_time else (("lat", "lon"), lab)
    )
    data.update(overrides)
    xr.Dataset(data, coords={"lat": lat, "lon": lon, "time": [0.0]}).to_netcdf(path)
    return data


def test_read_climatenet_round_trip(tmp_path):
    for with_time in (False, True):
        path = tmp_path / f"data-{with_time}.nc"
        data = write_climatenet_like(path, labels_with_time=with_time)
        snap = read_climatenet(path)
        assert snap.fields.shape == (4, N_LAT, N_LON) and snap.variables == (
            "TMQ",
            "U850",
            "V850",
            "PSL",
        )
        assert np.array_equal(snap.fields[3], data["PSL"][1][0].astype(np.float64))
        assert np.array_equal(snap.labels, np.asarray(data["LABELS"][1]).reshape(N_LAT, N_LON))
        assert np.allclose(snap.lat, grid()[0]) and np.allclose(snap.lon, grid()[1])


def test_read_climatenet_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="ClimateNet file not found"):
        read_climatenet(tmp_path / "none.nc")
    path = tmp_path / "a.nc"
    write_climatenet_like(path)
    with pytest.raises(ValueError, match=r"a.nc: missing variable\(s\) \['T200'\]"):
        read_climatenet(path, ("TMQ", "T200"))
    with pytest.raises(ValueError, match="time_index 3 is out of range"):
        read_climatenet(path, time_index=3)
    bad = np.zeros((N_LAT, N_LON), dtype=np.int64)
    bad[3, 4] = 5
    write_climatenet_like(path, LABELS=(("lat", "lon"), bad))
    with pytest.raises(ValueError, match=r"LABELS has values \[5\] outside 0..2"):
        read_climatenet(path)
    nan = np.zeros((1, N_LAT, N_LON), dtype="f4")
    nan[0, 1, 1] = np.nan
    write_climatenet_like(path, PSL=(("time", "lat", "lon"), nan))
    with pytest.raises(ValueError, match="variable PSL has 1 non-finite values"):
        read_climatenet(path)


# ----------------------------------------------------------------------------- synthetic climate


def test_synthetic_cyclones_rotate_cyclonically():
    rng = np.random.default_rng(7)
    fields, labels, lat, lon, events = synthetic_snapshot(
        rng, 181, 360, n_cyclones=(6, 6), n_rivers=(0, 0)
    )
    assert {e["hemisphere"] for e in events} == {-1, 1}
    for e in events:
        i = np.argmin(np.abs(lat - e["lat"]))
        j = int(np.round(e["lon"])) % 360
        east_side, west_side = (j + 2) % 360, (j - 2) % 360
        v_e, v_w = fields["V850"][i, east_side], fields["V850"][i, west_side]
        # cyclonic: northward wind east of the centre in the north, southward in the south
        assert np.sign(v_e) == e["hemisphere"] and np.sign(v_w) == -e["hemisphere"]
        assert labels[i, j] == 1
        assert fields["PSL"][i, j] < fields["PSL"][i, (j + 20) % 360] - 1000
        assert fields["TMQ"][i, j] > fields["TMQ"][i, (j + 20) % 360] + 10


def test_synthetic_rivers_are_moist_windy_filaments():
    rng = np.random.default_rng(3)
    fields, labels, lat, lon, events = synthetic_snapshot(
        rng, 96, 144, n_cyclones=(0, 0), n_rivers=(2, 2)
    )
    ar = labels == 2
    assert 0.002 < ar.mean() < 0.1 and not (labels == 1).any()
    speed = np.hypot(fields["U850"], fields["V850"])
    assert fields["TMQ"][ar].mean() > fields["TMQ"][~ar].mean() + 10
    assert speed[ar].mean() > 2 * speed[~ar].mean()


def test_synthetic_files_load_through_the_loader(tmp_path):
    paths = write_synthetic_climatenet(tmp_path / "train", 3, seed=4)
    assert [p.name for p in paths] == [f"data-2106-01-0{i + 1}-01-1_{i}.nc" for i in range(3)]
    again = write_synthetic_climatenet(tmp_path / "again", 1, seed=4)
    assert (xr.load_dataset(paths[0])["TMQ"] == xr.load_dataset(again[0])["TMQ"]).all()
    snap = read_climatenet(paths[0], tuple(xr.load_dataset(paths[0]).data_vars)[:16])
    assert snap.fields.shape == (16, 96, 144)
    ds = ClimateNetIcosphere(tmp_path / "train", 3, stats="compute", progress=False)
    assert len(ds) == 3 and ds.n_classes == 3
    g = ds[0]
    n = 642
    assert g.x.shape == (n, 4) and g.y.shape == (n,) and g.edge_index.shape[0] == 2
    assert set(torch.cat([d.y for d in ds]).tolist()) == {0, 1, 2}
    x = torch.cat([d.x for d in ds]).double()
    assert torch.allclose(x.mean(0), torch.zeros(4, dtype=torch.float64), atol=1e-6)
    assert torch.allclose(x.std(0, unbiased=False), torch.ones(4, dtype=torch.float64), atol=1e-6)
    # the wind as an order-1 feature: same vector, expressed in the gauge frame
    speed = g.wind.norm(dim=1) / ds.stats.wind_rms
    assert torch.allclose(g.wind_gauge.norm(dim=1), speed, rtol=2e-2, atol=1e-4)
    w3 = g.wind[:, :1] * g.east + g.wind[:, 1:] * g.north
    e1 = g.frame[:, 0]
    assert torch.allclose((w3 * e1).sum(1) / ds.stats.wind_rms, g.wind_gauge[:, 0], atol=1e-4)
    # statistics round trip through JSON, and reuse on a "test" set
    ds.stats.save(tmp_path / "stats.json")
    loaded = ChannelStats.load(tmp_path / "stats.json")
    assert loaded.variables == ds.stats.variables and np.allclose(loaded.mean, ds.stats.mean)
    test = ClimateNetIcosphere(paths[:1], 3, stats=tmp_path / "stats.json", progress=False)
    assert torch.allclose(test[0].x, g.x)
    (tmp_path / "bad.json").write_text('{"variables": ["TMQ"], "mean": [0], "std": [0]}')
    with pytest.raises(ValueError, match="positive"):
        ChannelStats.load(tmp_path / "bad.json")
    with pytest.raises(ValueError, match=r"statistics lack variable\(s\) \['PS'\]"):
        ClimateNetIcosphere(paths[:1], 2, variables=("TMQ", "PS"), stats=loaded, progress=False)


# ----------------------------------------------------------------------------- ugscnn


def write_ugscnn(path, n, rng, one_hot=True):
    data = rng.normal(size=(16, n)).astype(np.float32)
    cls = rng.integers(0, 3, size=n)  # ugscnn order: 0 TC, 1 background, 2 AR
    labels = np.eye(3, dtype=np.int64)[cls].T if one_hot else cls
    np.savez(path, data=data, labels=labels)
    return data, cls


def test_ugscnn_npz_round_trip_and_errors(tmp_path):
    rng = np.random.default_rng(0)
    data, cls = write_ugscnn(tmp_path / "data-2110-11-13-07-3-mesh.npz", 162, rng)
    x, y = load_ugscnn_npz(tmp_path / "data-2110-11-13-07-3-mesh.npz")
    assert x.shape == (162, 16) and np.array_equal(x, data.T)
    assert np.array_equal(y, np.array([1, 0, 2])[cls])  # mapped to ClimateNet's label order
    _, y_raw = load_ugscnn_npz(tmp_path / "data-2110-11-13-07-3-mesh.npz", label_map=None)
    assert np.array_equal(y_raw, cls)
    data2, cls2 = write_ugscnn(tmp_path / "data-2.npz", 162, rng, one_hot=False)
    assert np.array_equal(load_ugscnn_npz(tmp_path / "data-2.npz")[1], np.array([1, 0, 2])[cls2])
    np.savez(tmp_path / "bad.npz", data=data)
    with pytest.raises(ValueError, match=r"expected arrays 'data' and 'labels', found \['data'\]"):
        load_ugscnn_npz(tmp_path / "bad.npz")
    np.savez(tmp_path / "bad.npz", data=data[:4], labels=cls)
    with pytest.raises(ValueError, match=r"'data' must have shape \(16, N\)"):
        load_ugscnn_npz(tmp_path / "bad.npz")
    with pytest.raises(FileNotFoundError):
        load_ugscnn_npz(tmp_path / "none.npz")

    mesh = shapes.icosphere(2)
    with open(tmp_path / "icosphere_2.pkl", "wb") as fh:
        pickle.dump({"V": mesh.vertices, "F": mesh.faces, "nv_prev": 42}, fh)
    (tmp_path / "train_split.txt").write_text("data-2110-11-13-07-3-mesh.npz\n")
    ds = UgscnnClimate(
        tmp_path, tmp_path / "icosphere_2.pkl", files=tmp_path / "train_split.txt", progress=False
    )
    assert len(ds) == 1 and ds[0].x.shape == (162, 16) and ds[0].edge_index.shape == (2, 960)
    assert torch.equal(ds[0].wind, torch.as_tensor(data.T[:, 1:3]))
    with pytest.raises(ValueError, match="162 vertices, but the mesh has 642"):
        UgscnnClimate(
            tmp_path,
            (shapes.icosphere(3).vertices, shapes.icosphere(3).faces),
            files=["data-2.npz"],
            progress=False,
        )
