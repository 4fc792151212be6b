"""gaugeconv: gauge-equivariant CNNs on meshes and manifolds.

Geometry (meshes -> gauge graphs), gauge-equivariant layers (GEM-CNN for SO(2) and O(2)), the
icosahedral chart CNN and convolutions on the Möbius strip; PyTorch Geometric transforms
(:mod:`gaugeconv.transforms`) and equivariance test helpers (:mod:`gaugeconv.testing`). The
conventions are in ``docs/design.md``.
"""

from . import data, features, groups, ico, mobius, models, nn, shapes, testing, transforms
from .features import invariant_features, xyz_features
from .geometry import GEOMETRY_VERSION, Mesh, load_mesh
from .graph import check_gauge_graph, gauge_graph
from .hierarchy import mesh_hierarchy
from .models import GemClassifier, GemResNet, IcoUNet
from .nn import GemConv, GemResBlock

__version__ = "0.1.0"

__all__ = [
    "GEOMETRY_VERSION",
    "GemClassifier",
    "GemConv",
    "GemResBlock",
    "GemResNet",
    "IcoUNet",
    "Mesh",
    "check_gauge_graph",
    "data",
    "features",
    "gauge_graph",
    "groups",
    "ico",
    "invariant_features",
    "load_mesh",
    "mesh_hierarchy",
    "mobius",
    "models",
    "nn",
    "shapes",
    "testing",
    "transforms",
    "xyz_features",
]
