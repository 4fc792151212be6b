"""gaugeconv: gauge-equivariant CNNs on meshes and manifolds.

Geometry (meshes -> gauge graphs), gauge-equivariant layers (GEM-CNN for SO(2) and O(2)), the
icosahedral chart CNN and convolutions on the Möbius strip.
"""

from . import shapes
from .geometry import GEOMETRY_VERSION, Mesh, load_mesh
from .graph import check_gauge_graph, gauge_graph

__version__ = "0.1.0"

__all__ = [
    "GEOMETRY_VERSION",
    "Mesh",
    "check_gauge_graph",
    "gauge_graph",
    "load_mesh",
    "shapes",
]
