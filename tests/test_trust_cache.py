"""The geometry cache never returns wrong answers, never fails after the work is done, and never
unpickles (issue 10)."""

from __future__ import annotations

import errno
import os
import warnings

import numpy as np
import pytest
import torch

from gaugeconv import gauge_graph, shapes
from gaugeconv.geometry import cache as cache_module


def _entry(folder):
    (path,) = folder.glob("*.npz")
    with np.load(path) as data:
        return path, dict(data)


def _rewrite(path, arrays):
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in ("edge_index", "edge_log", "edge_transport"))


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda a: a.update(edge_transport=np.full_like(a["edge_transport"], np.nan)),
        lambda a: a.pop("normal"),
        lambda a: a.update(edge_log=a["edge_log"][:-2], edge_transport=a["edge_transport"][:-2]),
        lambda a: a.update(edge_index=a["edge_index"].astype(np.float64)),
        lambda a: a.update(pos=a["pos"] + 1e-9),
        lambda a: a.update(normal=2 * a["normal"]),
    ],
    ids=["nan", "missing-field", "short", "dtype", "other-positions", "non-unit-normals"],
)
def test_keyed_but_corrupt_entries_are_rebuilt(tmp_path, corrupt):
    mesh = shapes.icosphere(2)
    ref = gauge_graph(mesh)
    gauge_graph(mesh, cache_dir=tmp_path)
    path, arrays = _entry(tmp_path)
    corrupt(arrays)  # the stored key still matches
    _rewrite(path, arrays)
    with pytest.warns(UserWarning, match="rebuilding cache entry"):
        g = gauge_graph(mesh, cache_dir=tmp_path)
    assert _same(g, ref)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rebuilt entry is good
        assert _same(gauge_graph(mesh, cache_dir=tmp_path), ref)


def test_entry_of_another_mesh_under_this_key_is_rebuilt(tmp_path):
    a, b = shapes.torus(12, 8), shapes.torus(12, 8, minor_radius=0.3)  # same connectivity
    gauge_graph(a, cache_dir=tmp_path / "a")
    gauge_graph(b, cache_dir=tmp_path / "b")
    path_a, arrays_a = _entry(tmp_path / "a")
    path_b, arrays_b = _entry(tmp_path / "b")
    arrays_a["__key__"] = arrays_b["__key__"]
    _rewrite(path_b, arrays_a)  # a's geometry filed under b's key
    with pytest.warns(UserWarning, match="rebuilding cache entry.*positions differ"):
        g = gauge_graph(b, cache_dir=tmp_path / "b")
    assert _same(g, gauge_graph(b))


def test_entry_with_other_edges_is_rebuilt(tmp_path):
    a = shapes.plane(60, seed=0)
    b = shapes.plane(60, seed=1)
    gauge_graph(a, cache_dir=tmp_path / "a")
    gauge_graph(b, cache_dir=tmp_path / "b")
    path_b, arrays_b = _entry(tmp_path / "b")
    _, arrays_a = _entry(tmp_path / "a")
    forged = {**arrays_a, "pos": arrays_b["pos"], "__key__": arrays_b["__key__"]}
    if forged["edge_index"].max() >= len(arrays_b["pos"]):
        pytest.skip("the two planes differ in size")
    _rewrite(path_b, forged)
    with pytest.warns(UserWarning, match="rebuilding cache entry"):
        g = gauge_graph(b, cache_dir=tmp_path / "b")
    assert _same(g, gauge_graph(b))


@pytest.mark.parametrize("code", [errno.EROFS, errno.ENOSPC, errno.EACCES])
def test_unwritable_cache_computes_without_caching(tmp_path, monkeypatch, code):
    def fail(path, write, mode="wb", **kwargs):
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(cache_module, "atomic_write", fail)
    monkeypatch.setattr(cache_module, "_UNWRITABLE", set())
    mesh = shapes.icosphere(1)
    with pytest.warns(UserWarning, match="cannot write the geometry cache") as record:
        g1 = gauge_graph(mesh, cache_dir=tmp_path)
        g2 = gauge_graph(shapes.icosphere(2), cache_dir=tmp_path)
    assert len([w for w in record if "cannot write" in str(w.message)]) == 1  # one warning
    assert _same(g1, gauge_graph(mesh)) and g2.num_nodes == 162
    assert not list(tmp_path.glob("*.npz"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "_UNWRITABLE", set())
    tmp_path.chmod(0o500)
    try:
        with pytest.warns(UserWarning, match="cannot write the geometry cache"):
            g = gauge_graph(shapes.icosphere(1), cache_dir=tmp_path / "cache")
    finally:
        tmp_path.chmod(0o700)
    assert g.num_nodes == 42


def test_cache_files_follow_the_umask(tmp_path):
    old = os.umask(0o077)
    try:
        gauge_graph(shapes.icosphere(1), cache_dir=tmp_path / "private")
    finally:
        os.umask(old)
    old = os.umask(0o002)
    try:
        gauge_graph(shapes.icosphere(1), cache_dir=tmp_path / "shared")
    finally:
        os.umask(old)
    assert _entry(tmp_path / "private")[0].stat().st_mode & 0o777 == 0o600
    assert _entry(tmp_path / "shared")[0].stat().st_mode & 0o777 == 0o664


def test_pickled_cache_entry_is_never_unpickled(tmp_path):
    class CreatesFile:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    mesh = shapes.icosphere(1)
    gauge_graph(mesh, cache_dir=tmp_path)
    path, arrays = _entry(tmp_path)
    arrays["edge_reflect"] = np.array([CreatesFile()], dtype=object)
    _rewrite(path, arrays)
    with pytest.warns(UserWarning, match="rebuilding cache entry"):
        g = gauge_graph(mesh, cache_dir=tmp_path)
    assert not (tmp_path / "pwned").exists() and _same(g, gauge_graph(mesh))
    with pytest.raises(TypeError, match="dtype object"):
        cache_module.atomic_savez(tmp_path / "x.npz", {"a": np.array([None], dtype=object)})


def test_orphaned_cache_temporaries_are_removed(tmp_path, monkeypatch):
    import subprocess
    import sys

    monkeypatch.setattr(cache_module, "_CLEANED", set())
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    orphan = tmp_path / f".0123abcd.npz.pid{dead}.k1ll3d.tmp"
    orphan.write_bytes(b"half an entry")
    live = tmp_path / f".4567.npz.pid{os.getpid()}.busy.tmp"  # another writer at work
    live.write_bytes(b"being written")
    gauge_graph(shapes.icosphere(1), cache_dir=tmp_path)
    assert not orphan.exists() and live.exists() and len(list(tmp_path.glob("*.npz"))) == 1
