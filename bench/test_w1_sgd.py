"""W1 standard: shuffled SGD on dense regression data.

Data: n=200,000, d=100, ``X ~ N(0,1)``, ``y = X @ w + 0.1 * noise`` (``default_rng(0)``).
Run: ``method="sgd"``, ``squared_error``, constant ``eta0=1e-3``, no penalty, 3 epochs,
shuffled, ``random_state=0``. Peers raced in the same process: scikit-learn's
``SGDRegressor`` and ``gdfast.reference`` (the per-sample NumPy loop, on all of W1: one
round takes about 10 s). Quality: every final training loss is within 1% of
scikit-learn's float64 one, or lower.

Group "W1" is the workload as DESIGN.md defines it (float64). The float32 runs have a
group of their own, "W1-float32", because scikit-learn fits float32 data in float32 too:
the fair float32 ratio is gdfast float32 against SGDRegressor float32, side by side.

    python -m pytest bench/ --benchmark-group-by=group
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import gdfast

EPOCHS = 3
PARAMS: dict[str, Any] = dict(
    loss="squared_error",
    learning_rate="constant",
    eta0=1e-3,
    penalty=None,
    max_iter=EPOCHS,
    tol=None,
    shuffle=True,
    random_state=0,
)
GDFAST_PARAMS = dict(PARAMS, method="sgd")


def fit_sklearn(X: np.ndarray, y: np.ndarray) -> Any:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDRegressor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol=None, max_iter=3: expected
        return SGDRegressor(**PARAMS).fit(X, y)


@pytest.fixture(scope="module")
def sklearn_loss(w1: tuple[np.ndarray, np.ndarray], training_loss: Any) -> float:
    """The quality bar: SGDRegressor's final training loss on W1 float64, fitted once."""
    model = fit_sklearn(*w1)
    return training_loss(*w1, model.coef_, model.intercept_)


def check_quality(benchmark: Any, loss: float, sklearn_loss: float, dtype: type, rows: int) -> None:
    benchmark.extra_info.update(
        final_loss=loss,
        loss_vs_sklearn=loss / sklearn_loss,
        dtype=np.dtype(dtype).name,
        rows=rows,
        epochs=EPOCHS,
    )
    assert loss <= 1.01 * sklearn_loss


@pytest.mark.benchmark(group="W1")
def test_w1_gdfast_float64_within_1pct_of_sklearn(w1, race, training_loss, sklearn_loss, benchmark):
    X, y = w1
    res = race(lambda: gdfast.fit(X, y, **GDFAST_PARAMS), len(X) * EPOCHS)
    loss = training_loss(X, y, res.coef, res.intercept)
    check_quality(benchmark, loss, sklearn_loss, X.dtype, len(X))


@pytest.mark.benchmark(group="W1")
def test_w1_sklearn_sgdregressor_float64(w1, race, training_loss, sklearn_loss, benchmark):
    X, y = w1
    model = race(lambda: fit_sklearn(X, y), len(X) * EPOCHS)
    loss = training_loss(X, y, model.coef_, model.intercept_)
    check_quality(benchmark, loss, sklearn_loss, X.dtype, len(X))


@pytest.mark.benchmark(group="W1")
def test_w1_reference_numpy_full_one_round(w1, race, training_loss, sklearn_loss, benchmark):
    X, y = w1
    res = race(lambda: gdfast.reference.fit(X, y, **GDFAST_PARAMS), len(X) * EPOCHS, rounds=1)
    loss = training_loss(X, y, res.coef, res.intercept)
    check_quality(benchmark, loss, sklearn_loss, X.dtype, len(X))


@pytest.mark.benchmark(group="W1-float32")
def test_w1_gdfast_float32_within_1pct_of_sklearn(
    w1, w1_float32, race, training_loss, sklearn_loss, benchmark
):
    X, y = w1_float32
    res = race(lambda: gdfast.fit(X, y, **GDFAST_PARAMS), len(X) * EPOCHS)
    assert res.coef.dtype == np.float32
    # loss on the float64 data, so that it compares one to one with the float64 bar
    loss = training_loss(*w1, res.coef, res.intercept)
    check_quality(benchmark, loss, sklearn_loss, X.dtype, len(X))


@pytest.mark.benchmark(group="W1-float32")
def test_w1_sklearn_sgdregressor_float32(
    w1, w1_float32, race, training_loss, sklearn_loss, benchmark
):
    X, y = w1_float32
    model = race(lambda: fit_sklearn(X, y), len(X) * EPOCHS)
    loss = training_loss(*w1, model.coef_, model.intercept_)
    check_quality(benchmark, loss, sklearn_loss, X.dtype, len(X))
