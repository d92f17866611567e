"""Sparse (SciPy CSR) input gives the coefficients of the same data dense.

The sparse kernels apply L2 through a scale factor, L1 lazily and averaging by
the running-sum trick, so each update costs O(non-zeros); the dense kernels
apply every penalty to every weight. Both must land on the same model: to
rounding (1e-10) without L1, to 1e-6 with it: the deferred L1 truncation and the
L2 decay trade places, a difference of order eta^2 alpha^2 per step (here, with
alpha=1e-3 and eta0=0.02, about 1e-7 after five epochs; it grows as alpha^2 eta).
"""

from __future__ import annotations

import numpy as np
import pytest

import gdfast

scipy_sparse = pytest.importorskip("scipy.sparse")

METHODS = ["sgd", "minibatch", "batch"]


def sparse_problem(n=300, d=40, density=0.15, classes=0, seed=0):
    rng = np.random.default_rng(seed)
    X = scipy_sparse.random(
        n, d, density=density, format="csr", random_state=seed, data_rvs=rng.standard_normal
    )
    w = rng.normal(size=d)
    scores = X @ w
    if classes == 0:
        y = scores + 0.1 * rng.normal(size=n)
    elif classes == 2:
        y = (scores > 0).astype(int)
    else:
        y = np.argmax(np.column_stack([scores, X @ rng.normal(size=d), X @ rng.normal(size=d)]), 1)
    return X, y


def assert_close(sparse_fit, dense_fit, rtol):
    scale = np.max(np.abs(dense_fit.coef))
    assert np.max(np.abs(sparse_fit.coef - dense_fit.coef)) <= rtol * scale
    np.testing.assert_allclose(sparse_fit.intercept, dense_fit.intercept, rtol=rtol, atol=rtol)
    # a loss near its noise floor magnifies a coefficient difference tenfold or so
    np.testing.assert_allclose(sparse_fit.loss_history, dense_fit.loss_history, rtol=10 * rtol)


@pytest.mark.parametrize(
    "penalty, rtol", [(None, 1e-10), ("l2", 1e-10), ("l1", 1e-6), ("elasticnet", 1e-6)]
)
@pytest.mark.parametrize("method", METHODS)
def test_sparse_equals_dense_for_every_method_and_penalty(method, penalty, rtol):
    X, y = sparse_problem()
    params = dict(
        method=method,
        penalty=penalty,
        alpha=1e-3,
        l1_ratio=0.5,
        batch_size=16,
        eta0=0.02,
        max_iter=5,
        tol=None,
        random_state=0,
    )
    sparse_fit = gdfast.fit(X, y, **params)
    dense_fit = gdfast.fit(X.toarray(), y, **params)
    assert_close(sparse_fit, dense_fit, rtol)
    if penalty in ("l1", "elasticnet"):
        assert np.array_equal(sparse_fit.coef == 0, dense_fit.coef == 0)


@pytest.mark.parametrize(
    "loss, classes",
    [
        ("squared_error", 0),
        ("huber", 0),
        ("epsilon_insensitive", 0),
        ("log_loss", 2),
        ("hinge", 3),
        ("modified_huber", 2),
        ("softmax", 3),
    ],
)
@pytest.mark.parametrize("method", METHODS)
def test_sparse_equals_dense_for_losses(method, loss, classes):
    X, y = sparse_problem(classes=classes)
    params = dict(
        loss=loss,
        method=method,
        penalty="l2",
        alpha=0.001,
        batch_size=8,
        eta0=0.05,
        max_iter=3,
        tol=None,
        random_state=1,
    )
    assert_close(gdfast.fit(X, y, **params), gdfast.fit(X.toarray(), y, **params), 1e-10)


@pytest.mark.parametrize(
    "settings, rtol",
    [
        (dict(average=True), 1e-10),
        (dict(average=100, penalty="l2", alpha=0.05), 1e-10),
        (dict(average=True, penalty="elasticnet", alpha=0.01), 1e-6),
        (dict(learning_rate="invscaling", penalty="l2", alpha=0.01), 1e-10),
        (dict(optimizer="adam", penalty="l1", alpha=0.01), 1e-10),
        (dict(optimizer="momentum", penalty="l2", alpha=0.01), 1e-10),
        (dict(sample_weight=True, penalty="l2", alpha=0.01), 1e-10),
    ],
    ids=lambda v: "-".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else str(v),
)
@pytest.mark.parametrize("method", ["sgd", "minibatch"])
def test_sparse_equals_dense_with_averaging_schedules_and_optimizers(method, settings, rtol):
    X, y = sparse_problem()
    settings = dict(settings)
    if settings.pop("sample_weight", False):
        settings["sample_weight"] = np.random.default_rng(3).uniform(0, 2, size=X.shape[0])
    params = dict(
        method=method, batch_size=16, eta0=0.02, max_iter=4, tol=None, random_state=2, **settings
    )
    assert_close(gdfast.fit(X, y, **params), gdfast.fit(X.toarray(), y, **params), rtol)


def test_float32_sparse_stays_float32():
    X, y = sparse_problem()
    res = gdfast.fit(
        X.astype(np.float32), y, method="sgd", penalty="l2", max_iter=3, tol=None, random_state=0
    )
    dense = gdfast.fit(
        X.toarray().astype(np.float32),
        y,
        method="sgd",
        penalty="l2",
        max_iter=3,
        tol=None,
        random_state=0,
    )
    assert res.coef.dtype == np.float32
    # float32 rounding of the scale factor: relative to the largest weight
    assert np.max(np.abs(res.coef - dense.coef)) <= 1e-5 * np.max(np.abs(dense.coef))


@pytest.mark.parametrize("fmt", ["csc", "coo", "lil"])
def test_other_sparse_formats_are_converted(fmt):
    X, y = sparse_problem()
    params = dict(method="sgd", max_iter=2, tol=None, random_state=0)
    expected = gdfast.fit(X, y, **params)
    res = gdfast.fit(X.asformat(fmt), y, **params)
    np.testing.assert_array_equal(res.coef, expected.coef)


def test_sparse_matches_reference():
    X, y = sparse_problem(classes=2)
    params = dict(
        loss="log_loss",
        method="minibatch",
        penalty="elasticnet",
        alpha=0.01,
        average=True,
        batch_size=10,
        max_iter=3,
        tol=None,
        random_state=0,
    )
    fast = gdfast.fit(X, y, **params)
    slow = gdfast.reference.fit(X, y, **params)
    np.testing.assert_allclose(fast.coef, slow.coef, rtol=1e-6, atol=1e-9)


def test_l1_on_sparse_applies_missed_penalties_before_coef_is_read():
    # feature 0 appears only in the first sample: after the epoch its weight must
    # carry every later step's L1 penalty, as the dense fit's does
    X, y = sparse_problem(n=200, d=10)
    X = X.tolil()
    X[:, 0] = 0
    X[0, 0] = 3.0
    X = X.tocsr()
    params = dict(
        method="sgd", penalty="l1", alpha=0.001, eta0=0.05, max_iter=1, tol=None, shuffle=False
    )
    sparse_fit = gdfast.fit(X, y, **params)
    dense_fit = gdfast.fit(X.toarray(), y, **params)
    assert sparse_fit.coef[0] == pytest.approx(dense_fit.coef[0], rel=1e-9, abs=1e-12)


def test_sparse_predict_and_decision_function():
    X, y = sparse_problem(classes=2)
    res = gdfast.fit(X, y, loss="log_loss", max_iter=5, random_state=0)
    np.testing.assert_allclose(res.decision_function(X), res.decision_function(X.toarray()))
    assert np.array_equal(res.predict(X), res.predict(X.toarray()))


def test_sparse_nan_is_named():
    X, y = sparse_problem()
    X.data[0] = np.nan
    with pytest.raises(ValueError, match=r"^X:.*NaN"):
        gdfast.fit(X, y)


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("method", ["sgd", "minibatch"])
def test_two_threads_give_one_threads_bits_on_sparse_rows(method, index_dtype):
    # oracle: the one-thread fit. 60,000 rows of 50 non-zeros are 36 MB in rows of
    # 600 bytes or more, past the 32 MiB and the 512-byte rows from which the lazy
    # loop reads rows ahead on a second thread
    rng = np.random.default_rng(0)
    n, d, nnz = 60_000, 20_000, 50
    indices = np.sort(rng.integers(0, d, size=(n, nnz)), axis=1).ravel()
    indptr = np.arange(0, n * nnz + 1, nnz)
    X = scipy_sparse.csr_matrix((rng.standard_normal(n * nnz), indices, indptr), shape=(n, d))
    X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    y = (X @ rng.normal(size=d) > 0).astype(int)
    params = dict(method=method, loss="hinge", penalty="l2", alpha=1e-5, max_iter=2, tol=None)
    one = gdfast.fit(X, y, n_threads=1, random_state=0, **params)
    two = gdfast.fit(X, y, n_threads=2, random_state=0, **params)
    assert X.indices.dtype == index_dtype
    assert np.array_equal(one.coef, two.coef)
    assert np.array_equal(one.intercept, two.intercept)
    assert np.array_equal(one.loss_history, two.loss_history)
