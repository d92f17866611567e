"""W2 in-cache: W1's run on data that fits in the last-level cache, 30 epochs.

Data: n=20,000, d=100 float64 (16 MB), generated as W1. Run: as W1 (``sgd``,
``squared_error``, constant ``eta0=1e-3``, shuffled) for 30 epochs. Peers: scikit-learn's
``SGDRegressor`` and ``gdfast.reference`` (raced on the first 2,000 rows, 30 epochs).
Quality: gdfast's final training loss within 1% of each peer's, or lower.
"""

from __future__ import annotations

import pytest
import workloads
from workloads import W2, squared_loss

PARAMS = W2["params"]
EPOCHS = PARAMS["max_iter"]


@pytest.fixture(scope="module")
def w2():
    return workloads.make_regression(workloads.rows(W2["n"]), W2["d"])


@pytest.mark.benchmark(group="W2")
def test_w2_sklearn_sgdregressor(w2, race, bars, benchmark):
    X, y = w2
    model = race(lambda: workloads.sklearn_regressor_fit(X, y, PARAMS), len(X) * EPOCHS)
    loss = squared_loss(X, y, model.coef_, model.intercept_)
    bars.record("W2/sklearn", loss)
    benchmark.extra_info["final_loss"] = loss


@pytest.mark.benchmark(group="W2")
def test_w2_reference_numpy_on_2k_rows(w2, race_reference):
    race_reference("W2/reference", *w2, PARAMS, squared_loss, workloads.REFERENCE_SUBSET["W2"])


@pytest.mark.benchmark(group="W2")
def test_w2_gdfast_within_1pct_of_sklearn(w2, race, bars, quality):
    X, y = w2
    res = race(lambda: workloads.gdfast_fit(X, y, PARAMS), len(X) * EPOCHS, gdfast=True)

    def sklearn_loss() -> float:
        model = workloads.sklearn_regressor_fit(X, y, PARAMS)
        return squared_loss(X, y, model.coef_, model.intercept_)

    bar = bars.get("W2/sklearn", sklearn_loss)
    quality(squared_loss(X, y, res.coef, res.intercept), "sklearn", bar)
