"""W2 in-cache and W3 tall-narrow: W1's run on data of other shapes.

W2: n=20,000, d=100 float64 (16 MB: it fits in the last-level cache), 30 epochs.
W3: n=1,000,000, d=10 float64 (80 MB), 3 epochs.
Both generated as W1 and run as W1 (``sgd``, ``squared_error``, constant ``eta0=1e-3``,
shuffled). Peers: scikit-learn's ``SGDRegressor`` and ``gdfast.reference`` (raced on the
first 2,000 rows of W2, 20,000 of W3). Each workload is a group of its own ("W2", "W3").
Quality: gdfast's final training loss within 1% of each peer's, or lower.
"""

from __future__ import annotations

from typing import Any

import pytest
import workloads
from workloads import squared_loss


@pytest.fixture(scope="module", params=["W2", "W3"])
def workload(request: Any) -> tuple[str, Any, Any, dict[str, Any]]:
    """(name, X, y, params) of W2, then of W3."""
    name = request.param
    spec = getattr(workloads, name)
    X, y = workloads.make_regression(workloads.rows(spec["n"]), spec["d"])
    return name, X, y, spec["params"]


@pytest.mark.benchmark
def test_sklearn_sgdregressor(workload, race, bars, benchmark):
    name, X, y, params = workload
    benchmark.group = name
    model = race(lambda: workloads.sklearn_regressor_fit(X, y, params), len(X) * params["max_iter"])
    loss = squared_loss(X, y, model.coef_, model.intercept_)
    bars.record(f"{name}/sklearn", loss)
    benchmark.extra_info["final_loss"] = loss


@pytest.mark.benchmark
def test_reference_numpy_on_the_first_rows(workload, race_reference, benchmark):
    name, X, y, params = workload
    benchmark.group = name
    subset = workloads.REFERENCE_SUBSET[name]
    race_reference(f"{name}/reference", X, y, params, squared_loss, subset)


@pytest.mark.benchmark
def test_gdfast_within_1pct_of_sklearn(workload, race, bars, quality, benchmark):
    name, X, y, params = workload
    benchmark.group = name
    res = race(lambda: workloads.gdfast_fit(X, y, params), len(X) * params["max_iter"], gdfast=True)

    def sklearn_loss() -> float:
        model = workloads.sklearn_regressor_fit(X, y, params)
        return squared_loss(X, y, model.coef_, model.intercept_)

    bar = bars.get(f"{name}/sklearn", sklearn_loss)
    quality(squared_loss(X, y, res.coef, res.intercept), "sklearn", bar)
