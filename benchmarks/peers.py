"""Head to head on the same work: gaugeconv vs DiffusionNet vs the reference GEM-CNN (vs DeltaConv).

    python benchmarks/peers.py [--task segmentation correspondence classification]
        [--size quick|full] [--methods ...] [--epochs N] [--budget SECONDS] [--threads 2]
        [--diffusion-net PATH] [--reference PATH] [--dry-run] [--no-write]

**Protocol.** One run prepares the task's meshes once (gaugeconv's embedded data, the same splits
as ``gaugeconv train <task> --quick`` or the full size) and writes them as plain arrays
(:mod:`gaugeconv.data.exchange`); every method then reads *that file* in its own worker process, so
all methods see identical meshes, labels, test rotations and re-meshed/point-cloud test copies.
Each worker times its own precomputation (gaugeconv: gauge graphs and operators, hierarchies,
spectral features; DiffusionNet: its eigenbasis, mass, Laplacian and gradient operators; the
reference GEM-CNN: its geometry transforms), trains for the same number of epochs (or, with
``--budget``, for as many epochs as fit into the same wall-clock budget, precomputation included),
evaluates every test set and reports peak resident memory (``VmHWM``) and parameters.

**Methods** (each with its published defaults for the task; see the table notes):

- ``gem``: gaugeconv's default rotation-invariant model of the task (``gaugeconv train``'s model,
  optimiser, batch size and schedule); ``gem-xyz``: the same network on raw XYZ (not invariant).
- ``diffusionnet-hks`` / ``diffusionnet-xyz`` (Sharp et al. 2022, MIT): width 128 (256 for
  correspondence, as its categorical-correspondence experiment; 64 for classification), 4 blocks,
  128 eigenvectors, Adam 1e-3, one mesh per step, dropout; XYZ inputs with random-rotation
  augmentation, HKS inputs with 16 scales; positions normalised as its experiments do.
- ``gem-reference``: the reference GEM-CNN (Qualcomm-AI-research/gauge-equivariant-mesh-cnn, BSD)
  with its paper's FAUST architecture (3 residual blocks, width 16, orders 0-2-2-0, regular
  nonlinearity with 7 samples, 256-wide head, dropout), XYZ inputs, Adam 1e-2, batch 4.
- ``deltaconv`` (Wiersma et al. 2022): used if ``import deltaconv`` works; reported otherwise.

**Peers are never committed.** DiffusionNet is read from a checkout (``--diffusion-net``, default
``$DIFFUSION_NET`` or ``/tmp/peers/diffusion-net``; ``git clone
https://github.com/nmwsharp/diffusion-net``), the reference as in ``benchmarks/README.md``. Their
Python dependencies (``robust-laplacian``, ``potpourri3d``) are installed with pip when missing.
``--dry-run`` says what it would fetch and run, and exits.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import REFERENCE, append_markdown, import_reference, rss_mb  # noqa: E402

DIFFUSION_NET = Path(os.environ.get("DIFFUSION_NET", "/tmp/peers/diffusion-net"))
DIFFUSION_NET_URL = "https://github.com/nmwsharp/diffusion-net"
TASKS = ("segmentation", "correspondence", "classification")
METHODS = (
    "gem",
    "gem-xyz",
    "diffusionnet-hks",
    "diffusionnet-xyz",
    "gem-reference",
    "deltaconv",
)
#: columns: test set name -> header
TEST_SETS = {
    "test": "original",
    "test_rotated": "rotated",
    "test_remeshed": "re-meshed",
    "test_cloud": "point cloud",
}


# --------------------------------------------------------------------------- data (parent process)
def prepare_sets(task: str, size: str, seed: int, path: Path) -> dict:
    """The task's train/test meshes and test variants, written with ``save_mesh_sets``."""
    from gaugeconv.data.exchange import save_mesh_sets
    from gaugeconv.training.benchmark_data import task_mesh_sets

    sets, info = task_mesh_sets(task, quick=size == "quick", seed=seed)
    save_mesh_sets(path, sets)
    return info


# --------------------------------------------------------------------------- methods (workers)
class Method:
    """What the generic training driver needs from one method."""

    batch_size = 1
    supports_clouds = False

    def __init__(self, task: str, info: dict) -> None:
        self.task, self.info = task, info

    def prepare(self, sample):  # -> prepared item (timed as precomputation)
        raise NotImplementedError

    def build(self):  # -> torch.nn.Module
        raise NotImplementedError

    def optimizer(self, model, epochs: int):  # -> (optimizer, lr(epoch) or None)
        import torch

        return torch.optim.Adam(model.parameters(), lr=1e-3), None

    def loss(self, model, items):
        raise NotImplementedError

    def predict(self, model, item):  # -> numpy per-vertex labels, or a class
        raise NotImplementedError


class Gaugeconv(Method):
    """gaugeconv's own task model, inputs, batch size and optimiser (as ``gaugeconv train``)."""

    supports_clouds = True

    def __init__(self, task, info, kind):
        super().__init__(task, info)
        from gaugeconv.training.benchmark_data import gaugeconv_recipe

        self.kind = kind
        self.recipe = gaugeconv_recipe(task, kind, info)
        self.batch_size = self.recipe.batch_size

    def prepare(self, sample):
        return self.recipe.graph(sample)

    def build(self):
        return self.recipe.model()

    def optimizer(self, model, epochs):
        return self.recipe.optimizer(model, epochs)

    def loss(self, model, items):
        return self.recipe.loss(model, items)

    def predict(self, model, item):
        return self.recipe.predict(model, item)


class DiffusionNet(Method):
    def __init__(self, task, info, features):
        super().__init__(task, info)
        sys.path.insert(0, str(DIFFUSION_NET / "src"))
        import diffusion_net

        self.dn, self.features = diffusion_net, features
        self.width = {"segmentation": 128, "correspondence": 256, "classification": 64}[task]
        self.supports_clouds = True

    def prepare(self, sample):
        import torch

        v = torch.as_tensor(sample.vertices, dtype=torch.float32)
        v = self.dn.geometry.normalize_positions(v)
        f = torch.as_tensor(sample.faces, dtype=torch.long)
        ops = self.dn.geometry.get_operators(
            v, f, k_eig=128
        )  # frames, mass, L, evals, evecs, gX, gY
        target = sample.label if self.task == "classification" else sample.labels
        return v, f, ops, torch.as_tensor(target, dtype=torch.long)

    def build(self):
        import torch

        return self.dn.layers.DiffusionNet(
            C_in=3 if self.features == "xyz" else 16,
            C_out=self.info["n_outputs"],
            C_width=self.width,
            N_block=4,
            last_activation=lambda x: torch.nn.functional.log_softmax(x, dim=-1),
            outputs_at="global_mean" if self.task == "classification" else "vertices",
            dropout=self.task != "classification",
        )

    def _forward(self, model, item, augment):
        v, f, (_, mass, L, evals, evecs, gX, gY), _ = item
        if self.features == "xyz":
            x = self.dn.utils.random_rotate_points(v) if augment else v
        else:
            x = self.dn.geometry.compute_hks_autoscale(evals, evecs, 16)
        return model(x, mass, L=L, evals=evals, evecs=evecs, gradX=gX, gradY=gY, faces=f)

    def loss(self, model, items):
        import torch.nn.functional as F

        (item,) = items
        out = self._forward(model, item, augment=True)
        if self.task == "classification":
            return self.dn.utils.label_smoothing_log_loss(out[None], item[3][None], 0.2)
        return F.nll_loss(out, item[3])

    def predict(self, model, item):
        out = self._forward(model, item, augment=False)
        return int(out.argmax()) if self.task == "classification" else out.argmax(1).numpy()


class ReferenceGem(Method):
    """The reference GEM-CNN with its paper's FAUST architecture (``experiments/faust_direct.py``)."""

    batch_size = 4

    def __init__(self, task, info):
        super().__init__(task, info)
        if not import_reference(REFERENCE):
            raise RuntimeError("no reference GEM-CNN checkout (see benchmarks/README.md)")

    def prepare(self, sample):
        import torch
        from gem_cnn.transform import SimpleGeometry, compute_normals_edges_from_mesh
        from torch_geometric.data import Data

        data = Data(
            pos=torch.as_tensor(sample.vertices, dtype=torch.float32),
            face=torch.as_tensor(sample.faces.T.copy(), dtype=torch.long),
        )
        data = SimpleGeometry()(compute_normals_edges_from_mesh(data))
        data.y = torch.as_tensor(
            [sample.label] if self.task == "classification" else sample.labels, dtype=torch.long
        )
        return data

    def build(self):
        import torch.nn.functional as F
        from gem_cnn.nn import GemResNetBlock
        from gem_cnn.transform import GemPrecomp
        from torch import nn

        n_out, whole = self.info["n_outputs"], self.task == "classification"

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                kw = dict(n_rings=2, band_limit=2, num_samples=7, checkpoint=True, batch=100000)
                self.transform = GemPrecomp(2, 2)
                self.conv1 = GemResNetBlock(3, 16, 0, 2, **kw)
                self.conv2 = GemResNetBlock(16, 16, 2, 2, **kw)
                self.conv3 = GemResNetBlock(16, 16, 2, 0, **kw)
                self.lin1, self.lin2 = nn.Linear(16, 256), nn.Linear(256, n_out)

            def forward(self, data):
                d = self.transform(data)
                attr = (d.edge_index, d.precomp, d.connection)
                x = self.conv3(self.conv2(self.conv1(data.pos[:, :, None], *attr), *attr), *attr)
                x = x[:, :, 0]
                if whole:
                    from torch_geometric.nn import global_mean_pool

                    x = global_mean_pool(x, data.batch)
                x = F.dropout(F.relu(self.lin1(x)), training=self.training)
                return F.log_softmax(self.lin2(x), dim=1)

        return Net()

    def optimizer(self, model, epochs):
        import torch

        return torch.optim.Adam(model.parameters(), lr=1e-2), None

    def loss(self, model, items):
        import torch.nn.functional as F
        from torch_geometric.data import Batch

        batch = Batch.from_data_list(items)
        return F.nll_loss(model(batch), batch.y)

    def predict(self, model, item):
        from torch_geometric.data import Batch

        out = model(Batch.from_data_list([item]))
        return int(out.argmax()) if self.task == "classification" else out.argmax(1).numpy()


def make_method(name: str, task: str, info: dict) -> Method:
    if name in ("gem", "gem-xyz"):
        return Gaugeconv(task, info, name)
    if name.startswith("diffusionnet-"):
        return DiffusionNet(task, info, name.split("-", 1)[1])
    if name == "gem-reference":
        return ReferenceGem(task, info)
    if name == "deltaconv":
        import deltaconv  # noqa: F401 - reported as unavailable when the import fails

        raise RuntimeError("deltaconv imports, but its mesh-task adapter is not written yet")
    raise ValueError(f"unknown method {name!r}; choose from {METHODS}")


def worker(args) -> dict:
    """Precompute, train and evaluate one method on the shared mesh sets; return the row."""
    import numpy as np
    import torch

    from gaugeconv.data.exchange import load_mesh_sets
    from gaugeconv.training.benchmark_data import score

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t_start = time.perf_counter()
    sets = load_mesh_sets(args.sets)
    info = json.loads(Path(args.info).read_text())
    method = make_method(args.worker, args.task, info)
    t0 = time.perf_counter()
    train = [method.prepare(s) for s in sets["train"]]
    tests = {}
    for name in TEST_SETS:
        samples = sets.get(name, [])
        if samples and (method.supports_clouds or not samples[0].is_point_cloud):
            tests[name] = [method.prepare(s) for s in samples]
    precompute = time.perf_counter() - t0
    model = method.build()
    epochs = args.epochs
    opt, lr_at = method.optimizer(model, epochs)
    epoch_times = []
    rng = np.random.default_rng(args.seed)
    epoch = 0
    while epoch < epochs:
        if lr_at is not None:
            for group in opt.param_groups:
                group["lr"] = lr_at(epoch, epochs)
        model.train()
        t = time.perf_counter()
        order = rng.permutation(len(train))
        for i in range(0, len(order), method.batch_size):
            opt.zero_grad(set_to_none=True)
            loss = method.loss(model, [train[j] for j in order[i : i + method.batch_size]])
            loss.backward()
            opt.step()
        epoch_times.append(time.perf_counter() - t)
        epoch += 1
        if args.budget and epoch == 1:  # as many epochs as fit into the budget
            spent = time.perf_counter() - t_start
            epochs = max(1, int((args.budget - spent) / epoch_times[0]) + 1)
    model.eval()
    row = {"method": args.worker, "epochs": epochs, "precompute_s": precompute}
    with torch.no_grad():
        for name, items in tests.items():
            preds = [method.predict(model, item) for item in items]
            row.update(
                {f"{name}_{k}": v for k, v in score(args.task, sets[name], preds, info).items()}
            )
    row.update(
        {
            "epoch_s": float(np.median(epoch_times)),
            "train_s": float(sum(epoch_times)),
            "total_s": time.perf_counter() - t_start,
            "peak_mb": rss_mb("VmHWM"),
            "parameters": sum(p.numel() for p in model.parameters()),
        }
    )
    return row


# --------------------------------------------------------------------------- driver
def ensure_peer_dependencies() -> list[str]:
    """pip-install DiffusionNet's dependencies if missing; returns what is unavailable."""
    missing = []
    for module, package in (
        ("robust_laplacian", "robust-laplacian"),
        ("potpourri3d", "potpourri3d"),
    ):
        try:
            __import__(module)
        except ImportError:
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "install", "-q", package], check=False
            )
            if proc.returncode:
                missing.append(package)
    return missing


def availability(methods) -> dict[str, str | None]:
    """Why each method cannot run here (None: it can)."""
    out: dict[str, str | None] = {}
    for m in methods:
        reason = None
        if m.startswith("diffusionnet") and not (DIFFUSION_NET / "src" / "diffusion_net").is_dir():
            reason = f"no DiffusionNet checkout at {DIFFUSION_NET} (git clone {DIFFUSION_NET_URL})"
        elif m == "gem-reference" and not import_reference(REFERENCE):
            reason = "no reference GEM-CNN checkout (see benchmarks/README.md)"
        elif m == "deltaconv":
            try:
                import deltaconv  # noqa: F401
            except ImportError as exc:
                reason = f"deltaconv does not import ({exc})"
        out[m] = reason
    return out


def run_worker(args, method: str, sets: Path, info: Path) -> dict:
    cmd = [
        sys.executable, __file__, "--worker", method, "--task", args.task_now, "--sets", str(sets),
        "--info", str(info), "--epochs", str(args.epochs_now), "--threads", str(args.threads),
        "--seed", str(args.seed), "--budget", str(args.budget or 0),
    ]  # fmt: skip
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), PYTHONWARNINGS="ignore")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
        return {"method": method, "error": " ".join(tail)}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def format_table(task: str, rows: list[dict]) -> str:
    from gaugeconv.training.benchmark_data import METRIC

    metric, label = METRIC[task]
    cols = [c for c in TEST_SETS if any(f"{c}_{metric}" in r for r in rows)]
    head = ["method", *(f"{label}: {TEST_SETS[c]}" for c in cols)]
    head += ["epochs", "s / epoch", "precompute (s)", "total (s)", "peak (MB)", "parameters"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['method']} | not run: {r['error']} |" + " |" * (len(head) - 2))
            continue
        vals = [f"{100 * r[f'{c}_{metric}']:.1f}" if f"{c}_{metric}" in r else "-" for c in cols]
        vals += [
            str(r["epochs"]),
            f"{r['epoch_s']:.1f}",
            f"{r['precompute_s']:.1f}",
            f"{r['total_s']:.0f}",
            f"{r['peak_mb']:.0f}",
            f"{r['parameters']:,}",
        ]
        lines.append(f"| {r['method']} | " + " | ".join(vals) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    global DIFFUSION_NET, REFERENCE
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", nargs="+", default=["segmentation"], choices=TASKS)
    p.add_argument("--size", choices=["quick", "full"], default="quick")
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    p.add_argument("--epochs", type=int, help="default: the task's gaugeconv epochs for --size")
    p.add_argument("--budget", type=float, help="same wall-clock budget (s) instead of epochs")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--diffusion-net",
        type=Path,
        help="checkout (default $DIFFUSION_NET or /tmp/peers/diffusion-net)",
    )
    p.add_argument("--reference", type=Path, help="reference GEM-CNN checkout")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--no-write", action="store_true")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--sets", help=argparse.SUPPRESS)
    p.add_argument("--info", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.diffusion_net:
        DIFFUSION_NET = args.diffusion_net
    if args.reference:
        REFERENCE = args.reference
        os.environ["GEM_CNN_REF"] = str(args.reference)  # for the workers
    if args.worker:
        args.task = args.task[0]
        print(json.dumps(worker(args)))
        return 0

    reasons = availability(args.methods)
    if args.dry_run:
        print(f"tasks: {args.task} ({args.size}); methods and what each needs:")
        for m in args.methods:
            print(f"  {m}: {'ready' if reasons[m] is None else 'would skip: ' + reasons[m]}")
        print(
            f"DiffusionNet: {DIFFUSION_NET} ({DIFFUSION_NET_URL}); pip: robust-laplacian, potpourri3d"
        )
        return 0
    if any(m.startswith("diffusionnet") and reasons[m] is None for m in args.methods):
        for package in ensure_peer_dependencies():
            for m in args.methods:
                if m.startswith("diffusionnet"):
                    reasons[m] = f"pip could not install {package}"
    from gaugeconv.training.benchmark_data import default_epochs

    for task in args.task:
        with tempfile.TemporaryDirectory() as tmp:
            sets, info_path = Path(tmp) / "sets.npz", Path(tmp) / "info.json"
            t = time.perf_counter()
            info = prepare_sets(task, args.size, args.seed, sets)
            info_path.write_text(json.dumps(info))
            print(f"{task}: data prepared in {time.perf_counter() - t:.0f} s", flush=True)
            args.task_now = task
            args.epochs_now = args.epochs or default_epochs(task, args.size)
            rows = []
            for m in args.methods:
                if reasons[m] is not None:
                    rows.append({"method": m, "error": reasons[m]})
                else:
                    rows.append(run_worker(args, m, sets, info_path))
                print(json.dumps(rows[-1]), flush=True)
        table = format_table(task, rows)
        print(table)
        if not args.no_write:
            budget = f", same budget {args.budget:.0f} s" if args.budget else ""
            load = os.getloadavg()
            append_markdown(
                f"Peers: {task} ({args.size}{budget})",
                "python benchmarks/peers.py " + " ".join(sys.argv[1:]),
                table,
                f"Load average at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}; "
                f"{args.threads} threads per method, one method at a time.",
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
