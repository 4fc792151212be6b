"""Pose-free size normalisation of whole shapes (for classification).

``normalized(mesh)``: translate the area-weighted centroid ``c = sum_f A_f m_f / sum_f A_f`` (``m_f``
the face centroids) to the origin and scale so that the total area is ``4 pi`` (the unit sphere's).
Both steps commute with rotations (``normalized(R mesh) = R normalized(mesh)``), so rotation-invariant
features stay invariant, and a shape's size says nothing about its class. A closed mesh whose faces
are wound inwards (negative signed volume ``sum_f a_f . (b_f x c_f) / 6``) has its winding reversed,
so that normals point outwards and normal-dependent features (``d . n``, curvature) have the same
sign convention on every shape, whatever the file's convention.
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
    faces = mesh.faces
    if mesh.is_closed and signed_volume(mesh) < 0:
        faces = faces[:, ::-1]
    return Mesh((mesh.vertices - centre) * scale, faces)


def signed_volume(mesh: Mesh) -> float:
    """``sum_f a_f . (b_f x c_f) / 6`` over the faces (a, b, c): the enclosed volume of a closed mesh,
    positive when the faces are wound counter-clockwise seen from outside."""
    v = mesh.vertices[mesh.faces]
    return float(np.einsum("ij,ij->i", v[:, 0], np.cross(v[:, 1], v[:, 2])).sum() / 6)
