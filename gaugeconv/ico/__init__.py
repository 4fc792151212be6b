"""Icosahedral CNN (Cohen, Weiler, Kicanaoglu & Welling, ICML 2019): gauge-equivariant convolution
on the subdivided icosahedron as one ``conv2d`` over an atlas of 5 charts.

- :mod:`.atlas`: charts of the level-r icosphere grid, geometric padding, neighbourhoods;
- :mod:`.fields`: scalar and regular C6 field types;
- :mod:`.padding`, :mod:`.kernels`, :mod:`.conv`: the hexagonal C6-steerable convolution;
- :mod:`.pooling`: hexagonal pooling and edge-midpoint unpooling between nested grids;
- :mod:`.norm`: batch / layer norm sharing statistics over orientations;
- :mod:`.vectors`: tangent vectors (east, north) as regular fields in the chart gauge;
- :mod:`.rotations`: the 60 rotations of the icosahedron acting on grid fields;
- :mod:`.connection`: the chart path's discrete connection as a gauge graph (for message passing).
"""

from .atlas import IcoAtlas, get_atlas, level_of_vertices, n_vertices
from .connection import hex_gauge_graph
from .conv import IcoConv, ico_conv
from .fields import FieldType, cat_fields
from .norm import IcoBatchNorm, IcoLayerNorm
from .padding import pad_charts
from .pooling import IcoPool, IcoUnpool, ico_pool, ico_unpool
from .rotations import IcoSymmetry, get_symmetry, icosahedral_rotations
from .vectors import chart_frames, vectors_to_regular

__all__ = [
    "FieldType",
    "IcoAtlas",
    "IcoBatchNorm",
    "IcoConv",
    "IcoLayerNorm",
    "IcoPool",
    "IcoSymmetry",
    "IcoUnpool",
    "cat_fields",
    "chart_frames",
    "get_atlas",
    "get_symmetry",
    "hex_gauge_graph",
    "ico_conv",
    "ico_pool",
    "ico_unpool",
    "icosahedral_rotations",
    "level_of_vertices",
    "n_vertices",
    "pad_charts",
    "vectors_to_regular",
]
