"""Extreme-weather segmentation on the icosphere (Cohen et al. 2019, section 5.3; ClimateNet data).

A thin wrapper around ``gaugeconv train climate`` (same arguments; see
:mod:`gaugeconv.training.climate_task` for the data, models, loss and metrics):

    python experiments/climate_segmentation.py --quick                 # synthetic data, minutes
    python experiments/climate_segmentation.py --data /path/to/climatenet --level 5
    python experiments/climate_segmentation.py --model ico-vector --epochs 40 --out runs/clim

Without ``--data`` it trains on synthetic ClimateNet-format files written into ``OUT/data``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gaugeconv.cli import main  # noqa: E402


def run(argv: list[str] | None = None) -> int:
    """``gaugeconv train climate ARGV`` (default ARGV: the command line)."""
    args = sys.argv[1:] if argv is None else list(argv)
    if any(a in ("-h", "--help") for a in args):
        print(__doc__)
    return main(["train", "climate", *args])


if __name__ == "__main__":
    sys.exit(run())
