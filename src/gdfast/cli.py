"""The ``gdfast`` command (also ``python -m gdfast``)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

# The demo's learning rates suit standardised data: a full-gradient step can be
# large, a single-sample step must be small.
DEMO_SETTINGS: dict[str, dict[str, Any]] = {
    "batch": dict(eta0=0.5),
    "minibatch": dict(eta0=0.05, batch_size=32),
    "sgd": dict(eta0=0.005),
}


def _standardize(X: np.ndarray) -> np.ndarray:
    return (X - X.mean(axis=0)) / X.std(axis=0)


def demo(max_iter: int = 100) -> str:
    """Fit the three methods on the shipped housing data and return the comparison table."""
    from . import reference
    from ._api import fit
    from .datasets import load_houses

    X, y, names = load_houses()
    X = _standardize(X)
    y = y - y.mean()  # centred target: the intercept starts where it ends
    n = X.shape[0]
    design = np.column_stack([X, np.ones(n)])
    optimum = np.linalg.lstsq(design, y, rcond=None)[0]
    best_loss = 0.5 * np.mean((design @ optimum - y) ** 2)

    lines = [
        f"gdfast demo: least squares on houses.csv ({n:,} rows, {len(names)} features, "
        "standardised)",
        f"optimal loss (np.linalg.lstsq): {best_loss:.4f}",
        "",
        f"{'method':<10} {'eta0':>6} {'epochs':>6} {'updates':>9} {'final loss':>11} "
        f"{'time (ms)':>9} {'samples/s':>10} {'vs NumPy loop':>13}",
    ]
    for method, settings in DEMO_SETTINGS.items():
        params: dict[str, Any] = dict(
            method=method, max_iter=max_iter, tol=1e-4, random_state=0, **settings
        )
        res = fit(X, y, **params)
        speed = n * res.n_epochs / res.elapsed
        # one epoch of the same loop in NumPy, for the speed-up column
        start = time.perf_counter()
        reference.fit(X, y, **{**params, "max_iter": 1, "tol": None})
        numpy_speed = n / (time.perf_counter() - start)
        lines.append(
            f"{method:<10} {settings['eta0']:>6g} {res.n_epochs:>6} {res.n_updates:>9,} "
            f"{res.loss_history[-1]:>11.4f} {res.elapsed * 1e3:>9.1f} {speed:>10.3g} "
            f"{speed / numpy_speed:>12.0f}x"
        )
    lines += [
        "",
        "final loss: mean 0.5*(prediction - price)^2 over the last epoch, as the samples were "
        "used; samples/s = rows x epochs / time.",
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gdfast", description="Fast batch, mini-batch and stochastic gradient descent."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo_cmd = commands.add_parser(
        "demo", help="fit the three methods on the shipped data and print a comparison table"
    )
    demo_cmd.add_argument(
        "--max-iter", type=int, default=100, help="maximum epochs per method (default 100)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gdfast`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            if args.max_iter < 1:
                raise ValueError("--max-iter: must be >= 1")
            print(demo(args.max_iter))
    except (ValueError, TypeError, OSError) as exc:
        print(f"gdfast {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
