"""W1 standard: shuffled SGD on dense regression data.

Data: n=200,000, d=100, ``X ~ N(0,1)``, ``y = X @ w + 0.1 * noise`` (``default_rng(0)``).
Run: ``method="sgd"``, ``squared_error``, constant ``eta0=1e-3``, no penalty, 3 epochs,
shuffled, ``random_state=0``. Peers raced in the same process: scikit-learn's
``SGDRegressor`` and ``gdfast.reference`` (the per-sample NumPy loop, about 20 us an
update: raced on the first 20,000 rows, samples/s compared). Quality: gdfast's final
training loss is within 1% of each peer's, or lower.

Group "W1" is the workload as DESIGN.md defines it (float64). The float32 runs have a
group of their own, "W1-float32", because scikit-learn fits float32 data in float32 too:
the fair float32 ratio is gdfast float32 against SGDRegressor float32, side by side.
Group "W1-gather" runs gdfast with ``shuffle=False``: rows in memory order, no random
gather; the gap to the shuffled run is the price of the gather. Beside it, the plain C loop
of ``bench/sgd_ceiling.c`` with and without the software prefetch: what the machine allows.

    python -m pytest bench/ --benchmark-group-by=group
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import workloads
from workloads import SGD_REGRESSION as PARAMS
from workloads import squared_loss

EPOCHS = PARAMS["max_iter"]


def sklearn_bar(bars: Any, key: str, X: np.ndarray, y: np.ndarray, w1: Any) -> float:
    def fit() -> float:
        model = workloads.sklearn_regressor_fit(X, y, PARAMS)
        return squared_loss(*w1, model.coef_, model.intercept_)

    return bars.get(key, fit)


@pytest.mark.benchmark(group="W1")
def test_w1_sklearn_sgdregressor_float64(w1, race, bars, benchmark):
    X, y = w1
    model = race(lambda: workloads.sklearn_regressor_fit(X, y, PARAMS), len(X) * EPOCHS)
    loss = squared_loss(X, y, model.coef_, model.intercept_)
    bars.record("W1/sklearn", loss)
    benchmark.extra_info["final_loss"] = loss


@pytest.mark.benchmark(group="W1")
def test_w1_reference_numpy_on_20k_rows(w1, race_reference):
    race_reference("W1/reference", *w1, PARAMS, squared_loss, workloads.REFERENCE_SUBSET["W1"])


@pytest.mark.benchmark(group="W1")
def test_w1_gdfast_float64_within_1pct_of_sklearn(w1, race, bars, quality, n_threads):
    X, y = w1
    res = race(lambda: workloads.gdfast_fit(X, y, PARAMS), len(X) * EPOCHS, gdfast=True)
    bar = sklearn_bar(bars, "W1/sklearn", X, y, w1)
    quality(squared_loss(X, y, res.coef, res.intercept), "sklearn", bar, dtype="float64")


@pytest.mark.benchmark(group="W1-float32")
def test_w1_sklearn_sgdregressor_float32(w1, w1_float32, race, bars, benchmark):
    X, y = w1_float32
    model = race(lambda: workloads.sklearn_regressor_fit(X, y, PARAMS), len(X) * EPOCHS)
    loss = squared_loss(*w1, model.coef_, model.intercept_)
    bars.record("W1-float32/sklearn", loss)
    benchmark.extra_info["final_loss"] = loss


@pytest.mark.benchmark(group="W1-float32")
def test_w1_gdfast_float32_within_1pct_of_sklearn(w1, w1_float32, race, bars, quality):
    X, y = w1_float32
    res = race(lambda: workloads.gdfast_fit(X, y, PARAMS), len(X) * EPOCHS, gdfast=True)
    assert res.coef.dtype == np.float32
    # the loss on the float64 data, so that it compares one to one with the float64 bar
    loss = squared_loss(*w1, res.coef, res.intercept)
    quality(loss, "sklearn_float32", sklearn_bar(bars, "W1-float32/sklearn", X, y, w1))
    quality(loss, "sklearn_float64", sklearn_bar(bars, "W1/sklearn", *w1, w1), dtype="float32")


@pytest.mark.benchmark(group="W1-gather")
def test_w1_gdfast_float64_shuffled(w1, race):
    X, y = w1
    race(lambda: workloads.gdfast_fit(X, y, PARAMS), len(X) * EPOCHS, gdfast=True)


@pytest.mark.benchmark(group="W1-gather")
def test_w1_gdfast_float64_rows_in_order_no_gather(w1, race):
    X, y = w1
    race(lambda: workloads.gdfast_fit(X, y, PARAMS, shuffle=False), len(X) * EPOCHS)


@pytest.mark.benchmark(group="W1-gather")
@pytest.mark.parametrize("ahead", [8, 0])
def test_w1_plain_c_loop_ceiling_prefetch(w1, race, training_loss, benchmark, ahead):
    """``bench/sgd_ceiling.c``: the plain loop of DESIGN.md on the same permutations (not a
    peer: what the machine allows), with the row 8 positions ahead prefetched, or not."""
    X, y = w1
    run = workloads.c_sgd_epochs(X, y, PARAMS)
    if run is None:
        pytest.skip("gcc not found")
    coef, intercept = race(lambda: run(True, ahead), len(X) * EPOCHS)
    benchmark.extra_info["final_loss"] = training_loss(X, y, coef, intercept)
