"""Human-readable summary of a mesh and its gauge graph."""

from __future__ import annotations

import numpy as np

from .geometry.intrinsic import angle_defects
from .geometry.mesh import Mesh


def mesh_summary(mesh: Mesh) -> dict:
    """Counts, topology and the discrete Gauss-Bonnet check of ``mesh``."""
    chi = mesh.euler_characteristic
    total_defect = float(angle_defects(mesh).sum())
    return {
        "vertices": mesh.n_vertices,
        "edges": mesh.n_edges,
        "faces": mesh.n_faces,
        "embedded": mesh.is_embedded,
        "components": mesh.n_components,
        "boundary_edges": mesh.n_boundary_edges,
        "boundary_loops": mesh.n_boundary_loops,
        "orientable": mesh.is_orientable,
        "euler_characteristic": chi,
        "genus": mesh.genus,
        "total_angle_defect": total_defect,
        "two_pi_chi": 2 * np.pi * chi,
    }


def format_summary(info: dict) -> str:
    genus_name = "genus" if info["orientable"] else "non-orientable genus (cross-caps)"
    lines = [
        f"vertices            {info['vertices']}",
        f"edges               {info['edges']}",
        f"faces               {info['faces']}",
        f"components          {info['components']}",
        f"boundary            {info['boundary_edges']} edges in {info['boundary_loops']} loops",
        f"orientable          {'yes' if info['orientable'] else 'no'}",
        f"{genus_name:<20}{info['genus']}",
        f"Euler char. chi     {info['euler_characteristic']}",
        f"total angle defect  {info['total_angle_defect']:.10f}",
        f"2 pi chi            {info['two_pi_chi']:.10f}   "
        f"(difference {abs(info['total_angle_defect'] - info['two_pi_chi']):.2e})",
    ]
    return "\n".join(lines)
