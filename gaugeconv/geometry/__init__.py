"""Geometry preprocessing (numpy + scipy only): meshes, intrinsic geometry, frames, transport."""

from . import shapes
from .fans import corner_angles
from .intrinsic import angle_defects, one_ring_edges, vertex_fans, wrap_angle
from .io import load_mesh
from .mesh import Mesh
from .pipeline import GEOMETRY_VERSION, GaugeGeometry, compute_gauge_geometry

__all__ = [
    "GEOMETRY_VERSION",
    "GaugeGeometry",
    "Mesh",
    "angle_defects",
    "compute_gauge_geometry",
    "corner_angles",
    "load_mesh",
    "one_ring_edges",
    "shapes",
    "vertex_fans",
    "wrap_angle",
]
