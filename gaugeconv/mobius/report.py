"""Reporting for the Möbius digits experiment: the table of test errors and the bar plot."""

from __future__ import annotations

import math
from pathlib import Path

PLACEMENTS = ("centered", "shifted")


def _errors(metrics: dict) -> tuple[list[tuple[str, str]], list[tuple[str, int, list]]]:
    """The runs (train placement, test placement) and, per model, ``(name, params, errors)`` with
    one test error (%) per run (None where the model was not trained on that placement)."""
    runs = [(tr, te) for tr in metrics["config"]["train_on"] for te in PLACEMENTS]
    models = []
    for name, entry in metrics["models"].items():
        errs = []
        for tr, te in runs:
            run = entry["runs"].get(f"train_{tr}")
            errs.append(run["test_error_percent"][te] if run else None)
        models.append((name, entry["params"], errs))
    return runs, models


def format_table(metrics: dict) -> str:
    """Plain-text table of test errors (%) per model, train placement -> test placement."""
    runs, models = _errors(metrics)
    head = f"{'model':<14}{'params':>10}" + "".join(f"{f'{tr}->{te}':>21}" for tr, te in runs)
    lines = ["test error (%), train digits -> test digits", head, "-" * len(head)]
    for name, params, errs in models:
        cells = [f"{e:>21.2f}" if e is not None else f"{'-':>21}" for e in errs]
        lines.append(f"{name:<14}{params:>10,}" + "".join(cells))
    return "\n".join(lines)


def error_table(metrics: dict) -> dict:
    """The test errors (%) as ``{unit, columns, rows}`` (rows: model, params, one error per run)."""
    runs, models = _errors(metrics)
    columns = ["model", "params"] + [f"train_{tr}/test_{te}" for tr, te in runs]
    rows = [
        [name, params] + [None if e is None else round(e, 4) for e in errs]
        for name, params, errs in models
    ]
    return {"unit": "test error (%)", "columns": columns, "rows": rows}


def save_plot(metrics: dict, path: str | Path) -> None:
    """Bar chart of the test errors per model (PNG, matplotlib's Agg canvas)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    runs, models = _errors(metrics)
    names = [name for name, _, _ in models]
    fig = Figure(figsize=(1.6 + 1.3 * len(names), 4.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    bar_w = 0.8 / max(len(runs), 1)
    for j, (tr, te) in enumerate(runs):
        errs = [m[2][j] for m in models]
        xs = [i + (j - (len(runs) - 1) / 2) * bar_w for i in range(len(names))]
        ax.bar(
            xs, [math.nan if e is None else e for e in errs], bar_w, label=f"train {tr} / test {te}"
        )
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=20)
    ax.set_ylabel("test error (%)")
    ax.set_title(f"Möbius digits ({metrics['data']['source']})", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(Path(path), dpi=120)
