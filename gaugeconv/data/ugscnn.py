"""The ugscnn preprocessed climate data (``climate_sphere_l5.zip``: ``data-*.npz`` on a level-5 icosphere).

Jiang et al. 2019 ("Spherical CNNs on Unstructured Grids", ICLR; github maxjiang93/ugscnn,
``experiments/exp4_sphere_climate``) resampled the Mudigonda et al. 2017 extreme-weather data onto
their own level-5 icosphere (10,242 vertices). Each file ``data-YYYY-MM-DD-HH-k-mesh.npz`` holds, as
their ``loader.py`` reads it:

- ``data``: (16, 10242) float, channels in the ClimateNet/DeepCAM order :data:`UGSCNN_CHANNELS`
  (``TMQ U850 V850 UBOT VBOT QREFHT PS PSL T200 T500 PRECT TS TREFHT Z1000 Z200 ZBOT``; the order is
  not written in their code, it is inferred from their precomputed channel means, e.g. ~26 kg/m^2,
  ~1e5 Pa, ~216 K, ~12,000 m, which match these variables in this order);
- ``labels``: (3, 10242) one-hot, turned into classes by ``argmax(axis=0)``.

Their class order is not documented either; their ``stats.py`` label frequencies
``[0.001, 0.953, 0.046]`` show that class 1 is the background, so ugscnn's classes are (tropical
cyclone, background, atmospheric river). :func:`load_ugscnn_npz` maps them to ClimateNet's labels
(0 background, 1 tropical cyclone, 2 atmospheric river) with :data:`UGSCNN_TO_CLIMATENET`; pass
``label_map=None`` to keep ugscnn's indices. A (10242,) integer ``labels`` array is accepted too.

The data lives on **ugscnn's vertices**, whose icosahedron is oriented and numbered differently from
``gaugeconv.shapes.icosphere``. :class:`UgscnnClimate` therefore builds the gauge graph of their
mesh, read from their ``mesh_files/icosphere_5.pkl`` (a pickle of a dict with ``V`` (N, 3) and ``F``
(F, 3) and, in their files, further numpy arrays, numbers and scipy sparse matrices).
:func:`read_ugscnn_mesh` unpickles it with a restricted unpickler that can only rebuild dicts,
lists, tuples, numbers, strings and numpy arrays; scipy sparse matrices become inert placeholders
(their data are never used), and any other object the file asks for is refused with a
``ValueError`` before it is created: loading such a file from a stranger runs no code.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from ..geometry.mesh import Mesh
from ..graph import gauge_graph
from .climatenet import ALL_VARIABLES, ChannelStats, resolve_stats
from .dataset import GraphDataset, build_graphs
from .sphere_grid import east_north

UGSCNN_CHANNELS = ALL_VARIABLES
#: ugscnn class index -> ClimateNet label (inferred, see the module docstring)
UGSCNN_TO_CLIMATENET = (1, 0, 2)


def load_ugscnn_npz(
    path: str | Path, *, label_map: tuple[int, ...] | None = UGSCNN_TO_CLIMATENET
) -> tuple[np.ndarray, np.ndarray]:
    """``(data (N, 16) float32, labels (N,) int64)`` of one ugscnn ``.npz`` file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ugscnn data file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            keys = set(z.files)
            if not {"data", "labels"} <= keys:
                raise ValueError(
                    f"{path}: expected arrays 'data' and 'labels', found {sorted(keys)}"
                )
            data, labels = z["data"], z["labels"]
    except (OSError, ValueError) as exc:
        if "expected arrays" in str(exc):
            raise
        raise ValueError(f"could not read {path} as .npz: {exc}") from exc
    if data.ndim != 2 or data.shape[0] != len(UGSCNN_CHANNELS):
        raise ValueError(
            f"{path}: 'data' must have shape ({len(UGSCNN_CHANNELS)}, N), got {data.shape}"
        )
    n = data.shape[1]
    if labels.ndim == 2:
        if labels.shape != (3, n):
            raise ValueError(
                f"{path}: one-hot 'labels' must have shape (3, {n}), got {labels.shape}"
            )
        cls = np.argmax(labels, axis=0)
    elif labels.shape == (n,):
        cls = labels.astype(np.int64)
        if cls.min() < 0 or cls.max() > 2:
            raise ValueError(f"{path}: labels outside 0..2")
    else:
        raise ValueError(f"{path}: 'labels' must have shape (3, {n}) or ({n},), got {labels.shape}")
    if not np.isfinite(data).all():
        raise ValueError(f"{path}: 'data' has {int((~np.isfinite(data)).sum())} non-finite values")
    if label_map is not None:
        cls = np.asarray(label_map, dtype=np.int64)[cls]
    return np.ascontiguousarray(data.T, dtype=np.float32), cls.astype(np.int64)


class _Skipped:
    """Stands in for an object of an admitted but unused class (scipy sparse matrices)."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __setstate__(self, state) -> None:
        pass


def _latin1_bytes(text: str, encoding: str = "utf-8") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it for bytes (latin-1 only)."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError(f"_codecs.encode with encoding {encoding!r} is not admitted")
    return text.encode("latin-1")


def _reconstructor(cls, base, state):
    """``copyreg._reconstructor`` (protocol 0/1 pickles) for the placeholder class only."""
    if cls is not _Skipped or base is not object:
        raise pickle.UnpicklingError("copyreg._reconstructor is admitted for sparse matrices only")
    return _Skipped()


def _admitted_globals() -> dict[tuple[str, str], object]:
    try:
        from numpy._core.multiarray import _reconstruct, scalar
        from numpy._core.numeric import _frombuffer
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
        from numpy.core.numeric import _frombuffer

    table: dict[tuple[str, str], object] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_bytes,
        ("copyreg", "_reconstructor"): _reconstructor,
        ("copy_reg", "_reconstructor"): _reconstructor,  # Python 2 names (protocols 0-2)
        ("builtins", "object"): object,
        ("__builtin__", "object"): object,
    }
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        table[module, "_reconstruct"] = _reconstruct
        table[module, "scalar"] = scalar
    for module in ("numpy.core.numeric", "numpy._core.numeric"):
        table[module, "_frombuffer"] = _frombuffer  # protocol-5 arrays
    return table


class _MeshUnpickler(pickle.Unpickler):
    """Rebuilds only what ugscnn's mesh files hold (module docstring); refuses everything else."""

    def find_class(self, module: str, name: str):
        admitted = _admitted_globals()
        if (module, name) in admitted:
            return admitted[module, name]
        if module.split(".")[:2] == ["scipy", "sparse"] and name.endswith(("_matrix", "_array")):
            return _Skipped
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def read_ugscnn_mesh(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and faces of ugscnn's ``icosphere_<level>.pkl``, read without running code from it.

    Raises ``ValueError`` naming the file if it asks for any object beyond dicts, lists, tuples,
    numbers, strings, numpy arrays and scipy sparse matrices, is not a readable pickle, or lacks
    valid ``V`` (N, 3) and ``F`` (F, 3) arrays.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ugscnn mesh file not found: {path}")
    try:
        with open(path, "rb") as fh:
            info = _MeshUnpickler(fh, encoding="latin1").load()
    except Exception as exc:  # noqa: BLE001 - pickle raises many types for bad or hostile files
        raise ValueError(
            f"{path}: not a ugscnn mesh file (a pickled dict of numpy arrays): "
            f"{type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(info, dict) or "V" not in info or "F" not in info:
        raise ValueError(f"{path}: expected a pickled dict with 'V' and 'F'")
    v, f = info["V"], info["F"]
    if not (
        isinstance(v, np.ndarray) and v.dtype.kind in "iuf" and v.ndim == 2 and v.shape[1] == 3
    ):
        raise ValueError(f"{path}: 'V' must be a numeric (N, 3) array")
    if not (isinstance(f, np.ndarray) and f.dtype.kind in "iu" and f.ndim == 2 and f.shape[1] == 3):
        raise ValueError(f"{path}: 'F' must be an integer (F, 3) array")
    return v.astype(np.float64), f.astype(np.int64)


def read_split_file(path: str | Path) -> list[str]:
    """File names listed one per line (ugscnn's ``train_split.txt`` etc.)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"split file not found: {path}")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


class UgscnnClimate(GraphDataset):
    """ugscnn's level-5 climate files as gauge graphs on their own icosphere.

    Parameters
    ----------
    folder: the ``data-*.npz`` folder. files: names within it, or a split file (``train_split.txt``);
        default: every ``data-*.npz``, sorted.
    mesh: ugscnn's ``icosphere_5.pkl`` path, or ``(V, F)`` arrays.
    stats: ``None``, ``"compute"``, a :class:`~gaugeconv.data.ChannelStats` or its JSON path.
    label_map, k, radius, dtype, cache_dir, progress: as elsewhere.

    Graph fields: the gauge-graph fields of their mesh, ``x`` (N, 16), ``y`` (N,), ``wind`` (N, 2)
    (U850, V850), ``east``/``north`` (N, 3).
    """

    n_classes = 3

    def __init__(
        self,
        folder: str | Path,
        mesh: str | Path | tuple[np.ndarray, np.ndarray],
        *,
        files: str | Path | list[str] | None = None,
        stats: ChannelStats | str | Path | None = None,
        label_map: tuple[int, ...] | None = UGSCNN_TO_CLIMATENET,
        k: int | None = None,
        radius: float | None = None,
        dtype: torch.dtype = torch.float32,
        cache_dir: str | Path | None = None,
        progress: bool = True,
    ) -> None:
        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"ugscnn data folder not found: {folder}")
        if files is None:
            paths = sorted(folder.glob("data-*.npz"))
        elif isinstance(files, (str, Path)):
            paths = [folder / name for name in read_split_file(files)]
        else:
            paths = [folder / name for name in files]
        if not paths:
            raise FileNotFoundError(f"no data-*.npz files in {folder}")
        v, f = read_ugscnn_mesh(mesh) if isinstance(mesh, (str, Path)) else mesh
        m = Mesh(v, f)
        base = gauge_graph(m, k=k, radius=radius, dtype=dtype, cache_dir=cache_dir)
        raw = build_graphs(
            paths,
            lambda p: load_ugscnn_npz(p, label_map=label_map),
            desc="ugscnn",
            progress=progress,
        )
        for p, (x, _) in zip(paths, raw):
            if len(x) != len(v):
                raise ValueError(f"{p}: {len(x)} vertices, but the mesh has {len(v)}")
        stats = resolve_stats(stats, [x for x, _ in raw], UGSCNN_CHANNELS, files=len(paths))
        self.stats = stats
        east, north = east_north(m.vertices)
        shared = {key: base[key] for key in base.keys() if key != "num_nodes"}
        shared["east"] = torch.as_tensor(east, dtype=dtype)
        shared["north"] = torch.as_tensor(north, dtype=dtype)
        iu, iv = UGSCNN_CHANNELS.index("U850"), UGSCNN_CHANNELS.index("V850")
        graphs = []
        origin = m.vertex_origin
        for p, (x, y) in zip(paths, raw):
            x, y = x[origin], y[origin]
            xn = stats.normalise(x, UGSCNN_CHANNELS) if stats is not None else x
            graphs.append(
                Data(
                    num_nodes=m.n_vertices,
                    name=p.stem,
                    x=torch.as_tensor(xn, dtype=dtype),
                    y=torch.as_tensor(y, dtype=torch.long),
                    wind=torch.as_tensor(x[:, [iu, iv]], dtype=dtype),
                    **shared,
                )
            )
        super().__init__(graphs, name="ugscnn_climate", info={"files": paths})
