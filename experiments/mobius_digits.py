"""Möbius digits experiment (Weiler et al. 2021, section 5): train the model zoo on centered or
shifted digits on the Möbius strip, test on both, print the table of test errors.

    python experiments/mobius_digits.py --quick --out runs/mobius_quick
    python experiments/mobius_digits.py --data /path/to/mnist --out runs/mobius_mnist

Everything is done by :func:`gaugeconv.mobius.experiment.run_mobius_digits`.
"""

from __future__ import annotations

import argparse
import sys

from gaugeconv.mobius.experiment import add_arguments, run_from_args


def main(argv: list[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(description=__doc__.split("\n\n")[0]))
    try:
        run_from_args(parser.parse_args(argv))
    except (ValueError, FileNotFoundError, ImportError) as exc:
        print(f"mobius_digits: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
