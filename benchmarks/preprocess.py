"""Geometry preprocessing: ours vs. the reference GEM-CNN, and a 1,000,000-vertex mesh.

    python benchmarks/preprocess.py [--levels 5 6] [--big 1000000] [--reference PATH] [--no-write]

Reference: ``compute_normals_edges_from_mesh`` + ``SimpleGeometry`` (vertex normals from trimesh,
first-neighbour frames, projection log maps, spherical-approximation transports), from positions and
faces. Ours: ``gaugeconv.Mesh`` (validation: finite coordinates, index ranges, degenerate and
duplicate faces, non-manifold edges, bow-tie vertices, orientation) + ``gauge_graph`` (intrinsic
angles, symmetric edge list sorted by target, transports and reflection flags, frames, normals). Both
on trimesh icospheres, in separate worker processes, median of 5 after a warm-up, 2 threads.
The big mesh is a 1000 x 1000 torus grid (1,000,000 vertices, 2,000,000 faces), timed once cold.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import append_markdown, import_reference, measure, reset_peak, rss_mb, run_worker  # noqa: E402


def worker(side: str, level: int) -> dict:
    import numpy as np
    import torch
    import trimesh

    torch.set_num_threads(2)
    if side == "big":
        from gaugeconv import Mesh, gauge_graph
        from gaugeconv.geometry.shapes import torus

        m0 = torus(level, level)  # level = grid size here
        v, f = m0.vertices.copy(), m0.faces.copy()
        del m0
        import gc as pygc

        pygc.collect()
        reset_peak()
        base = rss_mb()
        t = time.perf_counter()
        mesh = Mesh(v, f)
        t1 = time.perf_counter()
        graph = gauge_graph(mesh)
        t2 = time.perf_counter()
        return {
            "vertices": mesh.n_vertices,
            "validate_s": t1 - t,
            "graph_s": t2 - t1,
            "time_s": t2 - t,
            "peak_mb": rss_mb("VmHWM") - base,
            "edges": int(graph.edge_index.shape[1]),
        }
    tm = trimesh.creation.icosphere(subdivisions=level)
    vertices, faces = np.asarray(tm.vertices), np.asarray(tm.faces)
    if side == "ours":
        from gaugeconv import Mesh, gauge_graph

        def run():
            return gauge_graph(Mesh(vertices, faces))
    else:
        import_reference()
        from gem_cnn.transform import SimpleGeometry, compute_normals_edges_from_mesh
        from torch_geometric.data import Data

        def run():
            data = Data(
                pos=torch.tensor(vertices, dtype=torch.float32),
                face=torch.tensor(faces.T.copy(), dtype=torch.long),
            )
            return SimpleGeometry()(compute_normals_edges_from_mesh(data))

    return measure(run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[5, 6])
    parser.add_argument(
        "--big",
        type=int,
        default=1000,
        help="torus grid size (vertices = big^2); 0 skips the big mesh",
    )
    parser.add_argument("--reference", type=Path)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--side")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.side, args.levels[0])))
        return
    have_ref = import_reference(args.reference)
    lines = [
        "| mesh | gaugeconv (s) | reference (s) | ratio ref/ours | gaugeconv peak (MB) | reference peak (MB) |",
        "|---|---|---|---|---|---|",
    ]
    for level in args.levels:
        ours = run_worker(Path(__file__), ["--side", "ours", "--levels", str(level)])
        ref = (
            run_worker(Path(__file__), ["--side", "ref", "--levels", str(level)])
            if have_ref
            else {}
        )
        print(level, ours, ref, flush=True)
        r = f"{ref['time_s']:.3f}" if "time_s" in ref else "-"
        ratio = f"{ref['time_s'] / ours['time_s']:.2f}" if "time_s" in ref else "-"
        rp = f"{ref['peak_mb']:.0f}" if "peak_mb" in ref else "-"
        lines.append(
            f"| trimesh icosphere {level} ({10 * 4**level + 2} vertices) | {ours['time_s']:.3f} | {r} | {ratio} | {ours['peak_mb']:.0f} | {rp} |"
        )
    notes = ""
    if args.big > 0:
        big = run_worker(Path(__file__), ["--side", "big", "--levels", str(args.big)])
        print(big, flush=True)
        notes = (
            f"Big mesh: {big['vertices']:,} vertices (torus grid), validation {big['validate_s']:.2f} s + "
            f"gauge graph {big['graph_s']:.2f} s = **{big['time_s']:.2f} s**, peak extra memory "
            f"**{big['peak_mb'] / 1024:.2f} GB** ({big['edges']:,} directed edges)."
        )
    table = "\n".join(lines)
    print(table)
    print(notes)
    if not args.no_write:
        append_markdown(
            "Geometry preprocessing",
            "python benchmarks/preprocess.py " + " ".join(sys.argv[1:]),
            table,
            notes,
        )


if __name__ == "__main__":
    main()
