"""Climate task data sources: ClimateNet folders (train/test or one folder split in time order),
ugscnn .npz files on their own icosphere (resampled onto ours)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from gaugeconv import shapes
from gaugeconv.data import write_synthetic_climatenet
from gaugeconv.data.mesh_resample import SphereMeshResampler
from gaugeconv.data.ugscnn import UGSCNN_CHANNELS
from gaugeconv.training.climate_task import ClimateTaskConfig, load_climate_data


def random_rotation(seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q * np.sign(np.linalg.det(q))


def test_sphere_mesh_resampler():
    src = shapes.icosphere(3)
    rot = random_rotation(0)
    v = src.vertices @ rot.T  # another icosphere, oriented differently
    pts = shapes.icosphere(2).vertices
    r = SphereMeshResampler(v, src.faces, pts)
    assert (r.weight >= -1e-12).all() and np.allclose(r.weight.sum(1), 1)
    assert np.allclose(r.linear(np.full(len(v), 2.5)), 2.5)
    # exact for functions linear in 3-D: the value at the point where the ray meets the triangle
    c = np.array([0.3, -1.2, 0.7])
    q = (v[r.index] * r.weight[..., None]).sum(1)  # that point
    assert np.allclose(q / np.linalg.norm(q, axis=1, keepdims=True), pts, atol=1e-12)
    assert np.allclose(r.linear(v @ c), q @ c)
    # source vertices are reproduced exactly; labels take the nearest vertex
    r_self = SphereMeshResampler(v, src.faces, v[:50])
    vals = np.random.default_rng(1).normal(size=(2, len(v)))
    assert np.allclose(r_self.linear(vals), vals[:, :50])
    assert (r_self.nearest(np.arange(len(v))) == np.arange(50)).all()
    with pytest.raises(ValueError, match="values"):
        r.linear(np.zeros(3))
    with pytest.raises(ValueError, match="no triangle"):  # half a sphere does not cover the points
        keep = src.faces[(v[src.faces].mean(1)[:, 2] > 0)]
        SphereMeshResampler(v, keep, pts)


def test_climatenet_folder_layouts(tmp_path):
    opts = dict(level=2, progress=False, variables=("TMQ", "U850", "V850", "PSL"))
    write_synthetic_climatenet(tmp_path / "a" / "train", 3, n_lat=24, n_lon=36, seed=0)
    write_synthetic_climatenet(tmp_path / "a" / "test", 2, n_lat=24, n_lon=36, seed=1)
    data = load_climate_data(ClimateTaskConfig(data=str(tmp_path / "a"), **opts))
    assert (len(data.train), len(data.test)) == (3, 2)
    assert data.train.x.shape == (3, 4, 162) and data.test.wind.shape == (2, 2, 162)
    # one folder: the last 20 % (at least one file) in sorted order are the test split
    write_synthetic_climatenet(tmp_path / "b", 6, n_lat=24, n_lon=36, seed=0)
    data = load_climate_data(ClimateTaskConfig(data=str(tmp_path / "b"), **opts))
    assert (len(data.train), len(data.test)) == (4, 2)
    assert data.test.names == sorted(p.stem for p in (tmp_path / "b").glob("*.nc"))[-2:]
    # training-split normalisation: zero mean over the training vertices
    assert np.allclose(data.train.x.double().mean((0, 2)), 0, atol=1e-5)
    with pytest.raises(FileNotFoundError, match="expected train/ and test/"):
        load_climate_data(ClimateTaskConfig(data=str(tmp_path), **opts))  # no .nc files here


def test_ugscnn_npz_files(tmp_path):
    their = shapes.icosphere(3)
    v = their.vertices @ random_rotation(3).T
    with open(tmp_path / "icosphere_5.pkl", "wb") as fh:
        pickle.dump({"V": v, "F": their.faces}, fh)
    rng = np.random.default_rng(0)
    for i in range(5):
        data = np.stack([rng.normal() + v @ rng.normal(size=3) for _ in UGSCNN_CHANNELS])
        cls = (v[:, 2] > 0.8).astype(int) * 2  # 'atmospheric river' cap in ClimateNet labels
        onehot = np.eye(3)[np.array([1, 0, 2])[cls]].T  # ugscnn's class order (TC, BG, AR)
        np.savez(tmp_path / f"data-2000-01-0{i + 1}-00-1-mesh.npz", data=data, labels=onehot)
    cfg = ClimateTaskConfig(data=str(tmp_path), level=2, progress=False)
    data = load_climate_data(cfg)
    assert (len(data.train), len(data.test)) == (4, 1)
    ours = shapes.icosphere(2).vertices
    assert data.train.x.shape == (4, 4, len(ours)) and data.train.wind.shape == (4, 2, len(ours))
    north_cap = ours[:, 2] / np.linalg.norm(ours, axis=1) > 0.85
    assert (data.train.y[:, north_cap] == 2).all() and (data.train.y[:, ours[:, 2] < 0] == 0).all()
    (tmp_path / "icosphere_5.pkl").unlink()
    with pytest.raises(FileNotFoundError, match="icosphere_5.pkl"):
        load_climate_data(cfg)
