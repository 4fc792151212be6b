"""Dataset loaders (real formats, user-given paths) and synthetic generators."""

from .shipped import MESH_DIR, SHIPPED_MESHES, shipped_mesh_path

__all__ = ["MESH_DIR", "SHIPPED_MESHES", "shipped_mesh_path"]
