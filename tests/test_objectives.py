"""Batch gradient descent reaches the optimum of each objective, found
independently: closed forms, scipy.optimize.minimize, scikit-learn's solvers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp

import gdfast

from .conftest import make_classification, make_regression


def scipy_optimum(objective, n_params):
    result = minimize(objective, np.zeros(n_params), method="BFGS", options={"gtol": 1e-10})
    return result.x


def test_log_loss_l2_reaches_scipy_minimum():
    X, y = make_classification(n=400, d=4)
    X = X + 0.5 * np.random.default_rng(1).normal(size=X.shape)  # not separable
    signs = np.where(y == 1, 1.0, -1.0)
    alpha = 0.01

    def objective(theta):
        w, b = theta[:-1], theta[-1]
        return np.mean(np.logaddexp(0, -signs * (X @ w + b))) + alpha / 2 * w @ w

    truth = scipy_optimum(objective, X.shape[1] + 1)
    res = gdfast.fit(
        X,
        y,
        loss="log_loss",
        method="batch",
        penalty="l2",
        alpha=alpha,
        eta0=1.0,
        max_iter=5000,
        tol=None,
    )
    np.testing.assert_allclose(res.coef, truth[:-1], atol=1e-6)
    np.testing.assert_allclose(res.intercept, truth[-1], atol=1e-6)


def test_softmax_reaches_scipy_minimum():
    X, y = make_classification(n=400, d=3, n_classes=3)
    X = X + 0.5 * np.random.default_rng(2).normal(size=X.shape)
    k, d = 3, X.shape[1]
    alpha = 0.01

    def objective(theta):
        W, b = theta[: k * d].reshape(k, d), theta[k * d :]
        scores = X @ W.T + b
        return np.mean(
            logsumexp(scores, axis=1) - scores[np.arange(len(y)), y]
        ) + alpha / 2 * np.sum(W * W)

    truth = scipy_optimum(objective, k * (d + 1))
    res = gdfast.fit(
        X,
        y,
        loss="softmax",
        method="batch",
        penalty="l2",
        alpha=alpha,
        eta0=1.0,
        max_iter=5000,
        tol=None,
    )
    assert res.coef.shape == (3, 3)
    np.testing.assert_allclose(res.coef, truth[: k * d].reshape(k, d), atol=1e-6)
    # intercepts are defined up to a common shift; compare them centred
    b = truth[k * d :]
    np.testing.assert_allclose(res.intercept - res.intercept.mean(), b - b.mean(), atol=1e-6)
    proba = res.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(np.argmax(proba, axis=1), np.searchsorted(res.classes, res.predict(X)))


def test_huber_reaches_scipy_minimum():
    X, y = make_regression(n=300, d=4, noise=0.5)
    epsilon = 0.3

    def objective(theta):
        r = np.abs(X @ theta[:-1] + theta[-1] - y)
        return np.mean(np.where(r <= epsilon, 0.5 * r * r, epsilon * r - 0.5 * epsilon**2))

    truth = minimize(
        objective,
        np.zeros(5),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 40000},
    ).x
    res = gdfast.fit(
        X, y, loss="huber", epsilon=epsilon, method="batch", eta0=1.0, max_iter=20000, tol=None
    )
    np.testing.assert_allclose(res.coef, truth[:-1], atol=1e-5)
    assert objective(np.append(res.coef, res.intercept)) <= objective(truth) + 1e-10


def test_huber_resists_outliers_like_huber_regressor():
    from sklearn.linear_model import HuberRegressor

    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 3))
    w = np.array([1.0, -2.0, 0.5])
    y = X @ w + 0.1 * rng.normal(size=500)
    y[:25] += 30.0  # 5% gross outliers
    ours = gdfast.fit(
        X, y, loss="huber", epsilon=0.5, method="batch", eta0=0.5, max_iter=3000, tol=None
    )
    theirs = HuberRegressor(alpha=0.0).fit(X, y)
    least_squares = np.linalg.lstsq(np.column_stack([X, np.ones(500)]), y, rcond=None)[0][:-1]
    our_error = np.linalg.norm(ours.coef - w)
    assert our_error < 0.05
    assert our_error < 2 * np.linalg.norm(theirs.coef_ - w) + 0.01
    assert our_error < np.linalg.norm(least_squares - w) / 3


@pytest.mark.parametrize("method", ["batch", "minibatch"])
def test_l1_gives_exact_zeros_where_lasso_does(method):
    from sklearn.linear_model import Lasso

    rng = np.random.default_rng(4)
    X = rng.normal(size=(500, 10))
    w = np.array([2.0, -1.5, 0, 0, 1.0, 0, 0, 0, 0.5, 0])
    y = X @ w + 0.1 * rng.normal(size=500)
    alpha = 0.05
    lasso = Lasso(alpha=alpha, tol=1e-12, max_iter=100000).fit(X, y)  # same objective
    eta0 = 0.1 if method == "batch" else 0.01
    res = gdfast.fit(
        X,
        y,
        method=method,
        penalty="l1",
        alpha=alpha,
        eta0=eta0,
        max_iter=2000,
        tol=None,
        random_state=0,
    )
    zeros = lasso.coef_ == 0
    assert zeros.sum() >= 4
    assert np.all(res.coef[zeros] == 0.0)
    assert np.all(res.coef[~zeros] != 0.0)
    np.testing.assert_allclose(
        res.coef[~zeros], lasso.coef_[~zeros], atol=0.02 if method == "minibatch" else 1e-3
    )


def test_elasticnet_approaches_sklearn_elasticnet():
    from sklearn.linear_model import ElasticNet

    X, y = make_regression(n=400, d=6, noise=0.3)
    alpha, l1_ratio = 0.1, 0.5
    truth = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12, max_iter=100000).fit(X, y)
    res = gdfast.fit(
        X,
        y,
        method="batch",
        penalty="elasticnet",
        alpha=alpha,
        l1_ratio=l1_ratio,
        eta0=0.1,
        max_iter=3000,
        tol=None,
    )
    np.testing.assert_allclose(res.coef, truth.coef_, atol=1e-3)
