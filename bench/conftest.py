"""Standard workloads of DESIGN.md, generated once per session, and the helpers the races share.

Run the suites explicitly (pyproject's ``testpaths`` only lists ``tests/``)::

    python -m pytest bench/ --benchmark-group-by=group
"""

from __future__ import annotations

import functools
import statistics
import time
from typing import Any, Callable

import numpy as np
import pytest


def make_regression(n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """``X ~ N(0,1)``, ``w ~ N(0,1)``, ``y = X @ w + 0.1 * noise``, drawn in that order."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    y = X @ w + 0.1 * rng.standard_normal(n)
    return X, y


def _training_loss(X: np.ndarray, y: np.ndarray, coef: Any, intercept: Any) -> float:
    """Mean ``0.5 * (X @ coef + intercept - y)**2``, evaluated in float64."""
    r = X @ np.asarray(coef, np.float64) + float(np.squeeze(intercept)) - y
    return float(np.mean(0.5 * r * r))


def _race(benchmark: Any, fit: Callable[[], Any], samples: int, rounds: int = 5) -> Any:
    """Time ``fit`` with ``benchmark.pedantic``, record samples/s in extra_info, return the fit.

    ``samples`` is the number of sample visits of one fit (n_samples * epochs). The median
    comes from pytest-benchmark's stats; under ``--benchmark-disable`` (no stats) from
    our own clock around the calls.
    """
    times: list[float] = []

    def timed() -> Any:
        start = time.perf_counter()
        out = fit()
        times.append(time.perf_counter() - start)
        return out

    result = benchmark.pedantic(
        timed, rounds=rounds, iterations=1, warmup_rounds=1 if rounds > 1 else 0
    )
    stats = getattr(benchmark, "stats", None)
    median = stats.stats.median if stats is not None else statistics.median(times)
    benchmark.extra_info["samples_per_s"] = samples / median
    return result


@pytest.fixture(scope="session")
def w1() -> tuple[np.ndarray, np.ndarray]:
    """W1 standard: n=200,000, d=100, float64."""
    return make_regression(200_000, 100)


@pytest.fixture(scope="session")
def w1_float32(w1: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """W1 rounded to float32 (C-contiguous copies)."""
    X, y = w1
    return X.astype(np.float32), y.astype(np.float32)


@pytest.fixture(scope="session")
def training_loss() -> Callable[..., float]:
    """``training_loss(X, y, coef, intercept)``: the quality measure of every race."""
    return _training_loss


@pytest.fixture
def race(benchmark: Any) -> Callable[..., Any]:
    """``race(fit, samples, rounds=5)``: time ``fit()`` and record samples/s in extra_info."""
    return functools.partial(_race, benchmark)
