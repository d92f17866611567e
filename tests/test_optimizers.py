"""Each update rule's first steps equal its textbook formula, transcribed here
in NumPy from the papers' / PyTorch's definitions (not from gdfast.reference)."""

from __future__ import annotations

import numpy as np
import pytest

import gdfast

from .conftest import make_regression

ETA, MU, B1, B2, EPS = 0.05, 0.8, 0.9, 0.99, 1e-8


def formula_steps(optimizer: str, X, y, n_steps: int) -> np.ndarray:
    """Batch GD on mean 0.5 (Xw - y)^2 (no intercept) with the named rule."""
    w = np.zeros(X.shape[1])
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for k in range(1, n_steps + 1):
        g = X.T @ (X @ w - y) / len(y)
        if optimizer == "sgd":
            w = w - ETA * g
        elif optimizer == "momentum":
            m = MU * m + g
            w = w - ETA * m
        elif optimizer == "nesterov":
            m = MU * m + g
            w = w - ETA * (g + MU * m)
        elif optimizer == "adagrad":
            v = v + g**2
            w = w - ETA * g / (np.sqrt(v) + EPS)
        elif optimizer == "rmsprop":
            v = B2 * v + (1 - B2) * g**2
            w = w - ETA * g / (np.sqrt(v) + EPS)
        elif optimizer == "adam":
            m = B1 * m + (1 - B1) * g
            v = B2 * v + (1 - B2) * g**2
            w = w - ETA * (m / (1 - B1**k)) / (np.sqrt(v / (1 - B2**k)) + EPS)
    return w


@pytest.mark.parametrize("n_steps", [1, 2, 5])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_first_updates_equal_the_formula(optimizer, n_steps):
    X, y = make_regression(n=100, d=4)
    res = gdfast.fit(
        X,
        y,
        method="batch",
        optimizer=optimizer,
        eta0=ETA,
        momentum=MU,
        beta_1=B1,
        beta_2=B2,
        eps=EPS,
        fit_intercept=False,
        max_iter=n_steps,
        tol=None,
    )
    np.testing.assert_allclose(res.coef, formula_steps(optimizer, X, y, n_steps), rtol=1e-12)


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_every_optimizer_reaches_least_squares(optimizer):
    X, y = make_regression(n=300, d=4, noise=0.2)
    truth = np.linalg.lstsq(np.column_stack([X, np.ones(300)]), y, rcond=None)[0]
    # cosine annealing: the adaptive rules hover at a constant rate's scale otherwise
    res = gdfast.fit(
        X,
        y,
        method="batch",
        optimizer=optimizer,
        eta0=0.05,
        max_iter=5000,
        learning_rate="cosine",
        tol=None,
    )
    np.testing.assert_allclose(res.coef, truth[:-1], atol=1e-4)


def test_averaging_equals_the_mean_of_the_iterates():
    X, y = make_regression(n=50, d=3)
    iterates = []

    def keep(info):
        iterates.append(np.append(info.coef, info.intercept))

    # batch: one update per epoch, so the callback sees every iterate
    raw = gdfast.fit(X, y, method="batch", eta0=0.1, max_iter=20, tol=None, callback=keep)
    averaged = gdfast.fit(X, y, method="batch", eta0=0.1, max_iter=20, tol=None, average=True)
    mean = np.mean(iterates, axis=0)
    np.testing.assert_allclose(averaged.coef, mean[:-1], rtol=1e-12)
    np.testing.assert_allclose(averaged.intercept, mean[-1], rtol=1e-12)
    assert not np.allclose(raw.coef, averaged.coef)

    late = gdfast.fit(X, y, method="batch", eta0=0.1, max_iter=20, tol=None, average=11)
    np.testing.assert_allclose(late.coef, np.mean(iterates[10:], axis=0)[:-1], rtol=1e-12)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_averaging_with_l1_is_the_mean_of_the_iterates(penalty):
    X, y = make_regression(n=50, d=3)
    iterates = []
    settings = dict(method="batch", eta0=0.1, max_iter=15, tol=None, penalty=penalty, alpha=0.05)
    gdfast.fit(X, y, callback=lambda info: iterates.append(info.coef), **settings)
    averaged = gdfast.fit(X, y, average=True, **settings)
    np.testing.assert_allclose(averaged.coef, np.mean(iterates, axis=0), rtol=1e-12)
