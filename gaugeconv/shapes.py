"""Procedural surfaces (re-exported from :mod:`gaugeconv.geometry.shapes`)."""

from .geometry.shapes import (
    cone,
    cylinder,
    icosahedron,
    icosphere,
    mobius_shift,
    mobius_strip,
    plane,
    torus,
)

__all__ = [
    "cone",
    "cylinder",
    "icosahedron",
    "icosphere",
    "mobius_shift",
    "mobius_strip",
    "plane",
    "torus",
]
