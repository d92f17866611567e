"""The compiled epochs against gdfast.reference, the NumPy transcription that
consumes the same permutations: the same updates, to rounding."""

from __future__ import annotations

import numpy as np
import pytest

import gdfast

from .conftest import make_classification, make_regression

METHODS = ["sgd", "minibatch", "batch"]
# (loss, number of classes; 0 for regression)
PROBLEMS = [
    ("squared_error", 0),
    ("huber", 0),
    ("epsilon_insensitive", 0),
    ("squared_epsilon_insensitive", 0),
    ("log_loss", 2),
    ("log_loss", 3),
    ("hinge", 2),
    ("hinge", 3),
    ("squared_hinge", 2),
    ("modified_huber", 3),
    ("perceptron", 2),
    ("softmax", 2),
    ("softmax", 3),
]


def max_relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))


def data_for(loss: str, n_classes: int, dtype):
    X, y = make_regression() if n_classes == 0 else make_classification(n_classes=n_classes)
    return X.astype(dtype), y


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 1e-4)])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("loss, n_classes", PROBLEMS)
@pytest.mark.parametrize("method", METHODS)
def test_matches_reference_update_by_update(method, loss, n_classes, fit_intercept, dtype, rtol):
    X, y = data_for(loss, n_classes, dtype)
    params = dict(
        loss=loss,
        method=method,
        batch_size=16,
        eta0=0.05,
        max_iter=4,
        tol=None,
        fit_intercept=fit_intercept,
        random_state=3,
    )
    fast = gdfast.fit(X, y, **params)
    slow = gdfast.reference.fit(X, y, **params)
    assert fast.n_updates == slow.n_updates
    assert fast.coef.dtype == slow.coef.dtype == dtype
    assert max_relative_error(fast.coef, slow.coef) < rtol
    np.testing.assert_allclose(fast.intercept, slow.intercept, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(fast.loss_history, slow.loss_history, rtol=rtol)
    if not fit_intercept:
        assert np.all(fast.intercept == 0)


@pytest.mark.parametrize("method", METHODS)
def test_l2_penalty_matches_reference(method, regression):
    X, y = regression
    params = dict(
        method=method, penalty="l2", alpha=0.1, eta0=0.05, max_iter=3, tol=None, random_state=0
    )
    fast = gdfast.fit(X, y, **params)
    slow = gdfast.reference.fit(X, y, **params)
    assert max_relative_error(fast.coef, slow.coef) < 1e-10


@pytest.mark.parametrize("method", METHODS)
def test_sample_weight_matches_reference(method, regression):
    X, y = regression
    weights = np.random.default_rng(1).uniform(0.0, 2.0, size=X.shape[0])
    params = dict(method=method, eta0=0.05, max_iter=3, tol=None, random_state=0)
    fast = gdfast.fit(X, y, sample_weight=weights, **params)
    slow = gdfast.reference.fit(X, y, sample_weight=weights, **params)
    assert max_relative_error(fast.coef, slow.coef) < 1e-10


@pytest.fixture(scope="module")
def large_regression():
    # past the 32 MiB and the 512-byte rows from which sgd reads rows ahead on a
    # second thread (engine.hpp, RowReader): 70,000 x 130 is 36 MB in float32, in
    # rows of 520 bytes
    X, y = make_regression(n=70_000, d=130)
    return X, y, np.random.default_rng(2).uniform(0.0, 2.0, size=X.shape[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method", ["sgd", "minibatch"])
@pytest.mark.parametrize("weighted", [False, True])
def test_two_threads_give_one_threads_bits(large_regression, dtype, method, weighted):
    # oracle: the one-thread fit; the second thread may only move data, never change a bit
    X, y, weights = large_regression
    X, y = X.astype(dtype), y.astype(dtype)
    params = dict(method=method, eta0=1e-3, max_iter=2, tol=None, random_state=0)
    params["sample_weight"] = weights if weighted else None
    one = gdfast.fit(X, y, n_threads=1, **params)
    two = gdfast.fit(X, y, n_threads=2, **params)
    assert one.coef.dtype == dtype
    assert np.array_equal(one.coef, two.coef)
    assert np.array_equal(one.intercept, two.intercept)
    assert np.array_equal(one.loss_history, two.loss_history)


def test_unshuffled_epochs_match_reference(regression):
    X, y = regression
    params = dict(method="sgd", shuffle=False, eta0=0.05, max_iter=2, tol=None)
    fast = gdfast.fit(X, y, **params)
    slow = gdfast.reference.fit(X, y, **params)
    assert max_relative_error(fast.coef, slow.coef) < 1e-10


def kernel_config(**changes):
    """The keyword arguments of the compiled run_epoch for a plain squared-error SGD epoch."""
    config = dict(
        n_outputs=1,
        fit_intercept=True,
        loss="squared_error",
        epsilon=0.1,
        class_weight=None,
        method="sgd",
        batch_size=1,
        learning_rate="constant",
        eta0=0.1,
        power_t=0.25,
        optimal_t0=1.0,
        alpha=1e-4,
        penalty_l2=0.0,
        penalty_l1=0.0,
        penalty_state=None,
        optimizer="sgd",
        momentum=0.9,
        beta_1=0.9,
        beta_2=0.999,
        eps=1e-8,
        optimizer_state=None,
        average=None,
        average_start=1,
        t=0,
        n_threads=1,
        parallel="deterministic",
        update_losses=None,
    )
    config.update(changes)
    return config


def test_kernel_rejects_out_of_range_order():
    from gdfast import _core

    with pytest.raises(ValueError, match="order"):
        _core.run_epoch(
            np.zeros((4, 2)), np.zeros(4), None, np.array([0, 4]), np.zeros(3), **kernel_config()
        )


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize(
    "indices, indptr, problem",
    [
        ([0, 2, 1], [0, 2, 3], "column index out of range"),
        ([0, -1, 1], [0, 2, 3], "column index out of range"),
        ([0, 1, 1], [0, 2, 1, 3], "must not decrease"),
        ([0, 1, 1], [0, 2, 2], "from 0 to nnz"),
    ],
    ids=["past n_features", "negative", "indptr decreasing", "indptr short of nnz"],
)
def test_kernel_rejects_a_malformed_csr(indices, indptr, problem, index_dtype):
    # the kernels index memory with these arrays: a wrong one must be an error, not a crash
    from gdfast import _core

    n_rows = len(indptr) - 1
    X = (np.ones(3), np.array(indices, index_dtype), np.array(indptr, index_dtype), 2)
    with pytest.raises(ValueError, match=f"^X: CSR.*{problem}"):
        _core.run_epoch(X, np.zeros(n_rows), None, None, np.zeros(3), **kernel_config())


def test_kernel_rejects_wrong_params_shape():
    from gdfast import _core

    with pytest.raises(ValueError, match="params"):
        _core.run_epoch(np.zeros((4, 2)), np.zeros(4), None, None, np.zeros(2), **kernel_config())


@pytest.mark.parametrize(
    "changes, name",
    [
        (dict(optimizer="adam"), "optimizer_state"),
        (dict(optimizer="momentum", optimizer_state=np.zeros((1, 2))), "optimizer_state"),
        (dict(penalty_l1=0.1), "penalty_state"),
        (dict(average=np.zeros(2)), "average"),
        (dict(update_losses=np.zeros(1)), "update_losses"),
        (dict(loss="cubic"), "loss"),
        (dict(optimizer="lbfgs"), "optimizer"),
        (dict(learning_rate="adaptive"), "learning_rate"),
    ],
)
def test_kernel_rejects_missing_or_misshapen_state(changes, name):
    from gdfast import _core

    with pytest.raises(ValueError, match=name):
        _core.run_epoch(
            np.zeros((4, 2)), np.zeros(4), None, None, np.zeros(3), **kernel_config(**changes)
        )
