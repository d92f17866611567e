"""Small data sets for the tests, generated from fixed seeds."""

from __future__ import annotations

import numpy as np
import pytest


def make_regression(n: int = 200, d: int = 5, seed: int = 0, noise: float = 0.1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d)
    y = X @ w + 0.5 + noise * rng.normal(size=n)
    return X, y


def make_classification(n: int = 200, d: int = 5, n_classes: int = 2, seed: int = 0):
    """Labels from the argmax of random linear scores, so every class is reachable."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    W = rng.normal(size=(n_classes, d))
    y = np.argmax(X @ W.T, axis=1) if n_classes > 2 else (X @ W[0] > 0).astype(int)
    return X, y


@pytest.fixture
def regression():
    return make_regression()


@pytest.fixture
def classification():
    return make_classification()
