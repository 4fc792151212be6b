"""Shared fixtures: real meshes (../shared/meshes, falling back to the shipped copies)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

if os.environ.get("PYTEST_XDIST_WORKER"):
    # one BLAS/OpenMP thread per xdist worker: two workers with two threads each on two cores
    # oversubscribe the machine and make small-op workloads (training loops) many times slower
    torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]
SHARED_MESHES = REPO.parent / "shared" / "meshes"


def real_mesh_path(name: str) -> Path:
    for folder in (SHARED_MESHES, REPO / "meshes"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(name)


@pytest.fixture(scope="session")
def spot():
    from gaugeconv import load_mesh

    return load_mesh(real_mesh_path("spot.obj"))


@pytest.fixture(scope="session")
def bunny():
    from gaugeconv import load_mesh

    return load_mesh(real_mesh_path("bunny_small.ply"))
