"""Figures written by the training commands (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def accuracy_curves(histories: dict, path: Path) -> None:
    """Test accuracy (and training loss) per epoch for each model."""
    plt = _plt()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    for name, hist in histories.items():
        epochs = [h["epoch"] for h in hist]
        ax1.plot(epochs, [100 * h["test_accuracy"] for h in hist], marker="o", ms=3, label=name)
        ax2.plot(epochs, [h["train_loss"] for h in hist], label=name)
    ax1.set(xlabel="epoch", ylabel="test accuracy (%)", title="accuracy")
    ax2.set(xlabel="epoch", ylabel="training loss", title="loss", yscale="log")
    ax1.legend()
    ax1.grid(alpha=0.3)
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def segmented_mesh(graph, prediction, path: Path, title: str = "") -> None:
    """Render a mesh coloured by predicted and by true per-vertex labels, side by side."""
    plt = _plt()
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    pos = graph.pos.double().numpy()
    faces = graph.face.t().numpy()
    n_classes = int(max(int(graph.y.max()), int(prediction.max()))) + 1
    cmap = plt.get_cmap("tab10" if n_classes <= 10 else "tab20")
    fig = plt.figure(figsize=(9, 4.5))
    for k, (labels, name) in enumerate(
        ((prediction.numpy(), f"prediction {title}"), (graph.y.numpy(), "ground truth"))
    ):
        ax = fig.add_subplot(1, 2, k + 1, projection="3d")
        face_label = labels[faces[:, 0]]
        shade = np.clip(0.55 + 0.45 * _face_light(pos, faces), 0, 1)[:, None]
        colors = np.asarray(cmap(face_label % cmap.N))[:, :3] * shade
        ax.add_collection3d(Poly3DCollection(pos[faces], facecolors=colors, edgecolor="none"))
        lo, hi = pos.min(0), pos.max(0)
        c, r = (lo + hi) / 2, (hi - lo).max() / 2
        ax.set(xlim=(c[0] - r, c[0] + r), ylim=(c[1] - r, c[1] + r), zlim=(c[2] - r, c[2] + r))
        ax.set_axis_off()
        ax.set_title(name)
        ax.view_init(elev=15, azim=-60)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _face_light(pos, faces):
    n = np.cross(pos[faces[:, 1]] - pos[faces[:, 0]], pos[faces[:, 2]] - pos[faces[:, 0]])
    n /= np.linalg.norm(n, axis=1, keepdims=True) + 1e-12
    light = np.array([0.3, -0.5, 0.8])
    return n @ (light / np.linalg.norm(light))


def geodesic_error_curves(errors: dict, path: Path, max_error: float = 0.2) -> None:
    """Cumulative geodesic-error curves: fraction of vertices matched within a given error."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.8))
    xs = np.linspace(0, max_error, 200)
    for name, err in errors.items():
        ax.plot(xs, [100 * (err <= x).mean() for x in xs], label=name)
    ax.set(
        xlabel="geodesic error (fraction of sqrt(area))",
        ylabel="% correspondences",
        title="correspondence",
    )
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def shape_gallery(graphs, predicted, class_names, path: Path, max_shapes: int = 16) -> None:
    """Test shapes in a grid, titled ``true -> predicted`` (green when right, red when wrong); one
    shape per class first, then the rest in order, at most ``max_shapes``."""
    plt = _plt()
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    truth = [int(g.y) for g in graphs]
    first = {}
    for i, t in enumerate(truth):
        first.setdefault(t, i)
    order = list(first.values()) + [i for i in range(len(graphs)) if i not in first.values()]
    order = order[:max_shapes]
    cols = min(4, max(len(order), 1))
    rows = -(-len(order) // cols)
    fig = plt.figure(figsize=(2.6 * cols, 2.6 * rows))
    for k, i in enumerate(order):
        pos = graphs[i].pos.double().numpy()
        faces = graphs[i].face.t().numpy()
        ax = fig.add_subplot(rows, cols, k + 1, projection="3d")
        shade = np.clip(0.35 + 0.65 * _face_light(pos, faces), 0.1, 1)[:, None]
        ax.add_collection3d(
            Poly3DCollection(pos[faces], facecolors=shade * [0.55, 0.7, 0.9], edgecolor="none")
        )
        lo, hi = pos.min(0), pos.max(0)
        c, r = (lo + hi) / 2, (hi - lo).max() / 2
        ax.set(xlim=(c[0] - r, c[0] + r), ylim=(c[1] - r, c[1] + r), zlim=(c[2] - r, c[2] + r))
        ax.set_axis_off()
        ok = predicted[i] == truth[i]
        ax.set_title(
            f"{class_names[truth[i]]} -> {class_names[predicted[i]]}",
            color="green" if ok else "red",
            fontsize=9,
        )
        ax.view_init(elev=20, azim=-60)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
