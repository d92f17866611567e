"""Odd but valid input works, and large input is read in place."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import gdfast
from gdfast._validation import check_X

from .conftest import make_regression


def reference_fit(X, y):
    return gdfast.fit(
        np.ascontiguousarray(X, dtype=np.float64),
        y,
        method="sgd",
        max_iter=3,
        tol=None,
        random_state=0,
    )


@pytest.mark.parametrize(
    "variant",
    [
        lambda X: np.asfortranarray(X),
        lambda X: np.repeat(X, 2, axis=0)[::2],  # a strided view
        lambda X: X.tolist(),
        lambda X: np.require(X, requirements="C").copy().view(np.ndarray),
    ],
    ids=["fortran", "strided", "list", "view"],
)
def test_odd_layouts_give_the_same_fit(variant):
    X, y = make_regression()
    expected = reference_fit(X, y)
    res = gdfast.fit(variant(X), y, method="sgd", max_iter=3, tol=None, random_state=0)
    np.testing.assert_array_equal(res.coef, expected.coef)


def test_integer_and_boolean_X_are_converted():
    rng = np.random.default_rng(0)
    X = rng.integers(-3, 4, size=(100, 4))
    y = X @ np.array([1.0, 2.0, -1.0, 0.5])
    res = gdfast.fit(X, y, method="batch", eta0=0.05, max_iter=2000, tol=None)
    np.testing.assert_allclose(res.coef, [1.0, 2.0, -1.0, 0.5], atol=1e-6)
    assert gdfast.fit(X > 0, y, max_iter=2).coef.dtype == np.float64


def test_memmap_is_read_in_place(tmp_path):
    X, y = make_regression(n=500, d=8)
    path = tmp_path / "X.dat"
    stored = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
    stored[:] = X
    stored.flush()
    readonly = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
    assert np.shares_memory(check_X(readonly), readonly)
    res = gdfast.fit(readonly, y, method="sgd", max_iter=3, tol=None, random_state=0)
    np.testing.assert_array_equal(res.coef, reference_fit(X, y).coef)


def test_pandas_dataframe_and_series():
    pd = pytest.importorskip("pandas")
    X, y = make_regression()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    res = gdfast.fit(frame, pd.Series(y), method="sgd", max_iter=3, tol=None, random_state=0)
    np.testing.assert_array_equal(res.coef, reference_fit(X, y).coef)


@pytest.mark.parametrize("method", ["sgd", "minibatch", "batch"])
def test_a_fit_reads_X_in_place(method):
    # issue 5's memory rule: O(n) for the permutation plus O(d k), never a copy of X
    rng = np.random.default_rng(0)
    X = rng.normal(size=(125_000, 100))
    y = X[:, 0].copy()
    tracemalloc.start()
    gdfast.fit(X, y, method=method, max_iter=2, tol=None, random_state=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 4 * 2**20, f"peak {peak / 2**20:.1f} MiB during a fit on 100 MiB of X"


def test_row_offsets_beyond_2_to_the_31_elements(tmp_path):
    # a sparse file of 2^31 + 100 float32 elements: only the rows used are read,
    # so the 64-bit index arithmetic is exercised without 8 GB of memory traffic
    from gdfast import _core

    from .test_engine import kernel_config

    d = 100
    n = (2**31) // d + 2
    path = tmp_path / "huge.dat"
    with open(path, "wb") as handle:
        handle.truncate(n * d * 4)
    X = np.memmap(path, dtype=np.float32, mode="r+", shape=(n, d))
    last = np.arange(n - 2, n)
    X[last] = np.random.default_rng(0).normal(size=(2, d)).astype(np.float32)
    assert last[-1] * d > 2**31
    y = np.ones(n, dtype=np.float32)
    params = np.zeros(d + 1, dtype=np.float32)
    _core.run_epoch(X, y, None, last, params, **kernel_config(eta0=0.1))
    # two SGD steps on those rows, in NumPy
    w = np.zeros(d + 1, dtype=np.float64)
    for i in last:
        x = np.append(X[i].astype(np.float64), 1.0)
        w -= 0.1 * (x @ w - 1.0) * x
    np.testing.assert_allclose(params, w, rtol=1e-5, atol=1e-6)
    del X
