"""Meshes shipped with the package (``meshes/`` at the repository root; licences in its README)."""

from __future__ import annotations

from pathlib import Path

MESH_DIR = Path(__file__).resolve().parents[2] / "meshes"

SHIPPED_MESHES = {"spot": "spot.obj", "bunny": "bunny_small.ply"}


def shipped_mesh_path(name: str) -> Path:
    """Path of a shipped mesh by short name (``"spot"``, ``"bunny"``)."""
    if name not in SHIPPED_MESHES:
        raise ValueError(f"unknown shipped mesh {name!r}; choose from {sorted(SHIPPED_MESHES)}")
    path = MESH_DIR / SHIPPED_MESHES[name]
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing; install gaugeconv from a source checkout (pip install -e .)"
        )
    return path
