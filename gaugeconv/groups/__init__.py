"""Structure groups and their representations: SO(2), O(2) (the flip group and C_N live with the
Möbius and icosahedral paths)."""

from .so2 import (
    O2,
    SO2,
    StructureGroup,
    feature_dim,
    gauge_transform,
    get_group,
    order_of,
    reflect,
    rotate,
    transport,
)

__all__ = [
    "O2",
    "SO2",
    "StructureGroup",
    "feature_dim",
    "gauge_transform",
    "get_group",
    "order_of",
    "reflect",
    "rotate",
    "transport",
]
