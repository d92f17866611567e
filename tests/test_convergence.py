"""Fits against closed forms and exact optima."""

from __future__ import annotations

import numpy as np
import pytest

import gdfast

from .conftest import make_classification, make_regression


def least_squares(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    design = np.column_stack([X, np.ones(X.shape[0])])
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    return solution[:-1], solution[-1]


def test_batch_reaches_least_squares():
    X, y = make_regression(n=500, d=6, noise=0.5)
    coef, intercept = least_squares(X, y)
    res = gdfast.fit(X, y, method="batch", eta0=0.5, max_iter=3000, tol=None)
    np.testing.assert_allclose(res.coef, coef, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.intercept, intercept, rtol=1e-8, atol=1e-10)


def test_batch_l2_reaches_ridge_closed_form():
    X, y = make_regression(n=400, d=5, noise=0.5)
    alpha = 0.3
    # Objective mean(0.5 r^2) + alpha/2 |w|^2 with an unpenalised intercept:
    # centre, then (Xc'Xc / n + alpha I) w = Xc'yc / n.
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    n = X.shape[0]
    coef = np.linalg.solve(Xc.T @ Xc / n + alpha * np.eye(X.shape[1]), Xc.T @ yc / n)
    intercept = y.mean() - X.mean(axis=0) @ coef
    res = gdfast.fit(
        X, y, method="batch", penalty="l2", alpha=alpha, eta0=0.5, max_iter=3000, tol=None
    )
    np.testing.assert_allclose(res.coef, coef, rtol=1e-8)
    np.testing.assert_allclose(res.intercept, intercept, rtol=1e-8)


@pytest.mark.parametrize("method", ["minibatch", "sgd"])
def test_stochastic_methods_approach_least_squares(method):
    X, y = make_regression(n=2000, d=5, noise=0.1)
    coef, intercept = least_squares(X, y)
    res = gdfast.fit(X, y, method=method, eta0=0.01, max_iter=30, tol=None, random_state=0)
    # constant-step noise keeps them within a small ball of the optimum
    np.testing.assert_allclose(res.coef, coef, atol=0.02)
    assert abs(res.intercept - intercept) < 0.02


def test_log_loss_batch_separates_separable_data():
    X, y = make_classification(n=300, d=4)
    res = gdfast.fit(X, y, loss="log_loss", method="batch", eta0=1.0, max_iter=2000, tol=None)
    assert np.array_equal(res.predict(X), y)
    assert res.loss_history[-1] < 0.05


def test_log_loss_multiclass_one_vs_rest_learns_classes():
    X, y = make_classification(n=600, d=4, n_classes=3)
    labels = np.array(["a", "b", "c"])[y]
    res = gdfast.fit(
        X, labels, loss="log_loss", method="minibatch", eta0=0.1, max_iter=100, random_state=0
    )
    assert res.coef.shape == (3, 4)
    assert list(res.classes) == ["a", "b", "c"]
    assert np.mean(res.predict(X) == labels) > 0.9
    proba = res.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_loss_history_decreases_for_batch_gradient_descent():
    X, y = make_regression()
    res = gdfast.fit(X, y, method="batch", eta0=0.1, max_iter=50, tol=None)
    assert np.all(np.diff(res.loss_history) <= 0)
