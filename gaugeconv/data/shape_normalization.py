"""Pose-free size normalisation of whole shapes (for classification).

``normalized(mesh)``: translate the area-weighted centroid ``c = sum_f A_f m_f / sum_f A_f`` (``m_f``
the face centroids) to the origin and scale so that the total area is ``4 pi`` (the unit sphere's).
Both steps commute with rotations (``normalized(R mesh) = R normalized(mesh)``), so rotation-invariant
features stay invariant, and a shape's size says nothing about its class.
"""

from __future__ import annotations

import numpy as np

from ..geometry.mesh import Mesh

TARGET_AREA = 4 * np.pi


def normalized(mesh: Mesh) -> Mesh:
    """``mesh`` centred at its area centroid and scaled to area ``4 pi`` (module docstring)."""
    if not mesh.is_embedded:
        raise ValueError("normalisation needs vertex positions (an embedded mesh)")
    area = mesh.face_areas()
    centre = (mesh.vertices[mesh.faces].mean(1) * area[:, None]).sum(0) / area.sum()
    scale = np.sqrt(TARGET_AREA / area.sum())
    return Mesh((mesh.vertices - centre) * scale, mesh.faces)
