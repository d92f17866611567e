"""W3 tall-narrow: W1's run on a million rows of ten features.

Data: n=1,000,000, d=10 float64 (80 MB), generated as W1. Run: as W1 (``sgd``,
``squared_error``, constant ``eta0=1e-3``, shuffled, 3 epochs). Peers: scikit-learn's
``SGDRegressor`` and ``gdfast.reference`` (raced on the first 20,000 rows).
Quality: gdfast's final training loss within 1% of each peer's, or lower.
"""

from __future__ import annotations

import pytest
import workloads
from workloads import W3, squared_loss

PARAMS = W3["params"]
EPOCHS = PARAMS["max_iter"]


@pytest.fixture(scope="module")
def w3():
    return workloads.make_regression(workloads.rows(W3["n"]), W3["d"])


@pytest.mark.benchmark(group="W3")
def test_w3_sklearn_sgdregressor(w3, race, bars, benchmark):
    X, y = w3
    model = race(lambda: workloads.sklearn_regressor_fit(X, y, PARAMS), len(X) * EPOCHS)
    loss = squared_loss(X, y, model.coef_, model.intercept_)
    bars.record("W3/sklearn", loss)
    benchmark.extra_info["final_loss"] = loss


@pytest.mark.benchmark(group="W3")
def test_w3_reference_numpy_on_20k_rows(w3, race_reference):
    race_reference("W3/reference", *w3, PARAMS, squared_loss, workloads.REFERENCE_SUBSET["W3"])


@pytest.mark.benchmark(group="W3")
def test_w3_gdfast_within_1pct_of_sklearn(w3, race, bars, quality):
    X, y = w3
    res = race(lambda: workloads.gdfast_fit(X, y, PARAMS), len(X) * EPOCHS, gdfast=True)

    def sklearn_loss() -> float:
        model = workloads.sklearn_regressor_fit(X, y, PARAMS)
        return squared_loss(X, y, model.coef_, model.intercept_)

    bar = bars.get("W3/sklearn", sklearn_loss)
    quality(squared_loss(X, y, res.coef, res.intercept), "sklearn", bar)
