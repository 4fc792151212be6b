"""Icosahedral CNN (Cohen, Weiler, Kicanaoglu & Welling, ICML 2019): gauge-equivariant convolution
on the subdivided icosahedron as one ``conv2d`` over an atlas of 5 charts.

- :mod:`.atlas`: charts of the level-r icosphere grid, geometric padding, neighbourhoods;
- :mod:`.fields`: scalar and regular C6 field types;
- :mod:`.padding`, :mod:`.kernels`, :mod:`.conv`: the hexagonal C6-steerable convolution;
- :mod:`.pooling`: hexagonal pooling and edge-midpoint unpooling between nested grids;
- :mod:`.norm`: batch / layer norm sharing statistics over orientations;
- :mod:`.vectors`: tangent vectors (east, north) as regular fields in the chart gauge;
- :mod:`.rotations`: the 60 rotations of the icosahedron acting on grid fields;
- :mod:`.connection`: the chart path's discrete connection as a gauge graph (for message passing);
- :mod:`.fourier`: regular fields <-> SO(2) irreps of orders 0..2 (and the order-3 'sign' part);
- :mod:`.gem_bridge`: the IcoConv that equals a given GemConv on that connection (two paths, one
  function).
"""

from .atlas import IcoAtlas, get_atlas, level_of_vertices, n_vertices
from .connection import hex_gauge_graph
from .conv import IcoConv, ico_conv
from .fields import FieldType, cat_fields
from .fourier import irreps_to_regular, regular_sign_part, regular_to_irreps
from .gem_bridge import fields_to_gem, gem_to_fields, icoconv_from_gem
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
    "fields_to_gem",
    "gem_to_fields",
    "get_atlas",
    "get_symmetry",
    "hex_gauge_graph",
    "ico_conv",
    "ico_pool",
    "ico_unpool",
    "icoconv_from_gem",
    "icosahedral_rotations",
    "irreps_to_regular",
    "level_of_vertices",
    "n_vertices",
    "pad_charts",
    "regular_sign_part",
    "regular_to_irreps",
    "vectors_to_regular",
]
