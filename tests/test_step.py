"""eta0="auto": the step 1 / L from the objective's largest curvature, against NumPy's
eigenvalues, and batch descent with it lowering the loss every epoch."""

from __future__ import annotations

import numpy as np
import pytest

import gdfast


def data(n: int = 400, d: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.array([1.0, 10.0, 0.1, 3.0, 1.0])[:d] + 2.0
    return X, X @ rng.normal(size=d) + rng.normal(size=n)


def largest_eigenvalue(X, sw=None, intercept=True):
    A = np.column_stack([X, np.ones(len(X))]) if intercept else X
    w = np.ones(len(X)) if sw is None else sw
    return np.linalg.eigvalsh(A.T @ (w[:, None] * A) / len(X)).max()


@pytest.mark.parametrize(
    ("loss", "curvature"),
    [("squared_error", 1.0), ("huber", 1.0), ("log_loss", 0.25), ("softmax", 0.5),
     ("squared_hinge", 2.0), ("modified_huber", 2.0)],
)  # fmt: skip
def test_auto_eta0_is_one_over_the_largest_curvature(loss, curvature):
    X, y = data()
    if loss in ("log_loss", "squared_hinge", "modified_huber"):
        y = (y > np.median(y)).astype(int)
    elif loss == "softmax":
        y = np.digitize(y, np.quantile(y, [0.3, 0.7]))
    sw = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    res = gdfast.fit(X, y, loss=loss, method="batch", eta0="auto", sample_weight=sw, max_iter=3)
    expected = 1.0 / (curvature * largest_eigenvalue(X, sw))
    assert res.params["eta0"] == pytest.approx(expected, rel=1e-3)


def test_auto_eta0_counts_the_l2_penalty_and_the_intercept_and_reads_csr():
    sparse = pytest.importorskip("scipy.sparse")
    X, y = data()
    params = dict(method="batch", eta0="auto", max_iter=2, penalty="elasticnet", alpha=0.5)
    res = gdfast.fit(X, y, l1_ratio=0.2, fit_intercept=False, **params)
    L = largest_eigenvalue(X, intercept=False) + 0.5 * 0.8
    assert res.params["eta0"] == pytest.approx(1.0 / L, rel=1e-3)
    csr = gdfast.fit(sparse.csr_matrix(X), y, l1_ratio=0.2, fit_intercept=False, **params)
    assert csr.params["eta0"] == pytest.approx(res.params["eta0"], rel=1e-9)


def test_batch_descent_with_auto_eta0_lowers_the_loss_every_epoch_where_a_fixed_one_diverges():
    X, y = data()  # columns on scales from 0.1 to 10: the largest curvature is about 100
    with pytest.warns(RuntimeWarning, match="diverged"):
        fixed = gdfast.fit(X, y, method="batch", eta0=0.1, max_iter=100, tol=None)
    assert fixed.stop_reason == "diverged"
    res = gdfast.fit(X, y, method="batch", eta0="auto", max_iter=100, tol=None)
    losses = np.array(res.loss_history)
    assert np.all(np.diff(losses) <= 1e-12 * losses[:-1])
    assert res.stop_reason == "max_iter" and np.isfinite(res.coef).all()


def test_auto_eta0_is_refused_where_it_means_nothing():
    X, y = data(n=50)
    labels = (y > 0).astype(int)
    with pytest.raises(ValueError, match="eta0: 'auto' is the step 1 / L of full-batch"):
        gdfast.fit(X, y, eta0="auto", method="minibatch")
    with pytest.raises(ValueError, match="eta0: 'auto' needs a smooth loss"):
        gdfast.fit(X, labels, loss="hinge", eta0="auto", method="batch")
    with pytest.raises(ValueError, match="eta0: 'auto' is for linear models"):
        gdfast.fit(X, y, hidden_layer_sizes=(3,), eta0="auto", method="batch")
    with pytest.raises(ValueError, match="the estimators take a number"):
        gdfast.GDRegressor(method="batch", eta0="auto").fit(X, y)
