"""Figures of the climate-segmentation task (matplotlib, Agg backend): world maps of per-vertex
labels and predictions on the icosphere, training curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.climatenet import CLASSES
from .plots import _plt

#: class colours: background light grey, tropical cyclone red, atmospheric river blue
CLASS_COLOURS = ("#c4c4c4", "#d62728", "#1f77b4")


def world_scatter(ax, level: int, values, *, labels: bool = False, title: str = "", size=None):
    """Scatter the icosphere's vertices on a longitude-latitude map coloured by ``values`` (V,):
    class labels (``labels=True``, :data:`CLASS_COLOURS`) or a continuous field (viridis)."""
    from matplotlib.colors import ListedColormap

    from ..data.sphere_grid import latlon_of
    from ..geometry.shapes import icosphere

    lat, lon = latlon_of(icosphere(level).vertices)
    lon = np.where(lon > 180, lon - 360, lon)
    vals = np.asarray(values)
    s = size if size is not None else max(0.3, 6000.0 / len(lat))
    if labels:
        order = np.argsort(vals, kind="stable")  # events drawn on top of the background
        art = ax.scatter(
            lon[order],
            lat[order],
            c=vals[order],
            s=s,
            cmap=ListedColormap(CLASS_COLOURS),
            vmin=-0.5,
            vmax=len(CLASSES) - 0.5,
            linewidths=0,
        )
    else:
        art = ax.scatter(lon, lat, c=vals, s=s, cmap="viridis", linewidths=0)
    ax.set(xlim=(-180, 180), ylim=(-90, 90), xticks=range(-180, 181, 60), yticks=range(-90, 91, 30))
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    return art


def prediction_map(
    truth,
    predictions: dict,
    level: int,
    path: Path,
    *,
    background=None,
    background_name: str = "",
    title: str = "",
) -> None:
    """One test snapshot on world maps: an input field, the labels and every model's prediction."""
    from matplotlib.patches import Patch

    plt = _plt()
    panels = (1 if background is not None else 0) + 1 + len(predictions)
    cols = 2 if panels > 1 else 1
    rows = (panels + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 2.9 * rows), squeeze=False)
    axes = axes.reshape(-1)
    k = 0
    if background is not None:
        art = world_scatter(
            axes[0], level, np.asarray(background), title=f"input {background_name}"
        )
        fig.colorbar(art, ax=axes[0], shrink=0.7)
        k = 1
    world_scatter(axes[k], level, np.asarray(truth), labels=True, title=f"labels {title}")
    for j, (name, pred) in enumerate(predictions.items()):
        world_scatter(axes[k + 1 + j], level, np.asarray(pred), labels=True, title=f"{name}")
    for ax in axes[panels:]:
        ax.set_axis_off()
    handles = [Patch(color=c, label=n.replace("_", " ")) for c, n in zip(CLASS_COLOURS, CLASSES)]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def training_curves(histories: dict, path: Path) -> None:
    """Per model and epoch: training / test loss, test accuracy, mean class accuracy and mIoU."""
    plt = _plt()
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(13, 3.6))
    for name, hist in histories.items():
        ep = [h["epoch"] for h in hist]
        (line,) = ax1.plot(ep, [h["train_loss"] for h in hist], label=f"{name} train")
        ax1.plot(ep, [h["test_loss"] for h in hist], ls="--", color=line.get_color())
        ax2.plot(ep, [100 * h["test_accuracy"] for h in hist], marker="o", ms=3, label=name)
        ax3.plot(ep, [100 * h["mean_class_accuracy"] for h in hist], label=f"{name} class acc")
        ax3.plot(ep, [100 * h["mean_iou"] for h in hist], ls=":", color=line.get_color())
    ax1.set(xlabel="epoch", ylabel="weighted cross-entropy", title="loss (dashed: test)")
    ax2.set(xlabel="epoch", ylabel="%", title="test accuracy")
    ax3.set(xlabel="epoch", ylabel="%", title="mean class accuracy (dotted: mean IoU)")
    for ax in (ax1, ax2, ax3):
        ax.grid(alpha=0.3)
    ax1.set_yscale("log")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
