"""Replacing your Python loop: typical NumPy loops and their one-line equivalents.

Mini-batch SGD (batches of 32, 3 epochs) and per-sample SGD (1 epoch). Each pair
draws the same permutations (NumPy's default_rng(0), one per epoch), so they make
the same updates: the coefficients agree to rounding, only the time differs.

Run: python examples/02_replace_numpy_loop.py [n_samples] [n_features]
"""

import sys
import time

import numpy as np

import gdfast


def numpy_loop(X, y):
    """Mini-batch SGD on 0.5 * mean squared error, as it is usually written."""
    rng = np.random.default_rng(0)
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(3):  # epochs
        order = rng.permutation(len(y))
        for start in range(0, len(y), 32):  # batches of 32
            rows = order[start : start + 32]
            residual = X[rows] @ w + b - y[rows]
            w -= 0.01 * X[rows].T @ residual / len(rows)
            b -= 0.01 * residual.mean()
    return w, b


def with_gdfast(X, y):
    """The same descent, in one line (method="minibatch" is the default)."""
    return gdfast.fit(X, y, batch_size=32, eta0=0.01, max_iter=3, tol=None, random_state=0)


def numpy_sgd_loop(X, y):
    """Per-sample SGD, one epoch, as it is usually written."""
    rng = np.random.default_rng(0)
    w, b = np.zeros(X.shape[1]), 0.0
    for i in rng.permutation(len(y)):
        residual = X[i] @ w + b - y[i]
        w -= 0.001 * residual * X[i]
        b -= 0.001 * residual
    return w, b


def with_gdfast_sgd(X, y):
    return gdfast.fit(X, y, method="sgd", eta0=0.001, max_iter=1, tol=None, random_state=0)


def best_of(runs, f, *args):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = f(*args)
        times.append(time.perf_counter() - start)
    return min(times), out


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    d = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    rng = np.random.default_rng(42)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)

    print(f"n={n:,}, d={d}, float64, best of 3")
    races = [
        ("mini-batch SGD, 32 a batch, 3 epochs", numpy_loop, with_gdfast, 3),
        ("per-sample SGD, 1 epoch", numpy_sgd_loop, with_gdfast_sgd, 1),
    ]
    for title, loop, one_line, epochs in races:
        numpy_seconds, (w, b) = best_of(3, loop, X, y)
        gdfast_seconds, res = best_of(3, one_line, X, y)
        assert np.allclose(res.coef, w, rtol=1e-8, atol=1e-10) and np.isclose(res.intercept, b)
        samples = epochs * n
        print(title)
        for name, seconds in (("NumPy loop", numpy_seconds), ("gdfast.fit", gdfast_seconds)):
            print(f"  {name:<10} : {seconds * 1e3:8.1f} ms {samples / seconds:10.3g} samples/s")
        print(
            f"  speed-up   : {numpy_seconds / gdfast_seconds:.1f}x, the same coefficients "
            f"(largest difference {np.abs(res.coef - w).max():.1e})"
        )
