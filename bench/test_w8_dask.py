"""W8 dask: 1,000,000 x 100 float64 in 10 row chunks on a LocalCluster of 2 worker processes.

Peers raced in the same session, on the same persisted arrays:

- batch, 20 iterations at eta0=0.1: ``gdfast.dask.fit(method="batch")`` against dask-glm's
  ``gradient_descent`` (Normal family) and plain dask arithmetic (``X.T @ (X @ b - y)`` a
  step, ``workloads.w8_plain_dask_batch``);
- sgd, 3 epochs at eta0=1e-3: ``gdfast.dask.fit(method="sgd")`` (local SGD, models averaged
  each epoch) against dask-ml's ``Incremental(SGDRegressor)``; quality: gdfast's training
  loss within 1% of dask-ml's, or lower.

samples/s = rows x iterations (or epochs) / time. Skipped without dask, distributed,
dask-glm or dask-ml.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import workloads
from workloads import W8, W8_BATCH, W8_SGD

pytest.importorskip("distributed")
pytest.importorskip("dask_glm")
pytest.importorskip("dask_ml")
import gdfast.dask


@pytest.fixture(scope="module")
def w8() -> Iterator[tuple[Any, Any]]:
    with workloads.w8_cluster(W8["n_workers"]):
        yield workloads.make_w8(workloads.rows(W8["n"]), W8["d"], W8["n_chunks"])


def _visits(X: Any, params: dict[str, Any]) -> int:
    return int(X.shape[0]) * params["max_iter"]


@pytest.mark.benchmark(group="W8 batch")
def test_w8_gdfast_batch(w8, race):
    X, y = w8
    res = race(lambda: gdfast.dask.fit(X, y, **W8_BATCH), _visits(X, W8_BATCH), rounds=3,
               gdfast=True)  # fmt: skip
    assert np.isfinite(res.coef).all() and res.n_epochs == W8_BATCH["max_iter"]


@pytest.mark.benchmark(group="W8 batch")
def test_w8_plain_dask_batch(w8, race):
    X, y = w8
    params = W8_BATCH["max_iter"], W8_BATCH["eta0"]
    race(lambda: workloads.w8_plain_dask_batch(X, y, *params), _visits(X, W8_BATCH), rounds=3)


@pytest.mark.benchmark(group="W8 batch")
def test_w8_dask_glm(w8, race):
    X, y = w8
    race(lambda: workloads.w8_dask_glm(X, y, W8_BATCH["max_iter"]), _visits(X, W8_BATCH), rounds=1)


@pytest.mark.benchmark(group="W8 sgd")
def test_w8_gdfast_sgd(w8, race):
    X, y = w8
    res = race(lambda: gdfast.dask.fit(X, y, **W8_SGD), _visits(X, W8_SGD), rounds=3, gdfast=True)
    peer = workloads.w8_dask_ml_sgd(X, y, W8_SGD["max_iter"], W8_SGD["eta0"])
    ours = workloads.w8_loss(X, y, res.coef, res.intercept)
    theirs = workloads.w8_loss(X, y, peer.coef_, peer.intercept_)
    assert ours <= workloads.QUALITY_TOLERANCE * theirs


@pytest.mark.benchmark(group="W8 sgd")
def test_w8_dask_ml_incremental(w8, race):
    X, y = w8
    params = W8_SGD["max_iter"], W8_SGD["eta0"]
    race(lambda: workloads.w8_dask_ml_sgd(X, y, *params), _visits(X, W8_SGD), rounds=1)
