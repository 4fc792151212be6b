"""Procedural surfaces (re-exported from :mod:`gaugeconv.geometry.shapes`)."""

from .geometry.shapes import (
    cone,
    cylinder,
    icosahedron,
    icosphere,
    lobed_sphere,
    mobius_shift,
    mobius_strip,
    plane,
    superellipsoid,
    torus,
    torus_knot_tube,
)

__all__ = [
    "cone",
    "cylinder",
    "icosahedron",
    "icosphere",
    "lobed_sphere",
    "mobius_shift",
    "mobius_strip",
    "plane",
    "superellipsoid",
    "torus",
    "torus_knot_tube",
]
