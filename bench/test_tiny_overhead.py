"""The per-epoch Python overhead, on data so small that the C++ epoch costs almost nothing.

Data: n=100, d=10 (as W1, ``default_rng(0)``). Run: ``sgd``, ``squared_error``,
``eta0=1e-3``, 1,000 epochs, ``tol=None``. Group "tiny" races the whole ``gdfast.fit``
against 1,000 bare calls of the compiled epoch (``gdfast._api.compiled_epoch``, the same
arguments): the difference per epoch is what the Python epoch loop adds (permutation,
divergence check, bookkeeping). ``extra_info`` of the fit holds the split measured inside
one fit (``workloads.tiny_overhead``); the target is <= 20 us an epoch.
"""

from __future__ import annotations

from typing import Any

import pytest
import workloads
from workloads import SGD_REGRESSION

from gdfast import _api

N, D, EPOCHS = 100, 10, 1000
PARAMS = dict(SGD_REGRESSION, max_iter=EPOCHS)


@pytest.fixture(scope="module")
def tiny():
    return workloads.make_regression(N, D)


@pytest.mark.benchmark(group="tiny")
def test_tiny_gdfast_fit_1000_epochs(tiny, race, benchmark):
    X, y = tiny
    race(lambda: workloads.gdfast_fit(X, y, PARAMS), N * EPOCHS, rounds=10, gdfast=True)
    split = workloads.tiny_overhead(N, D, EPOCHS)
    benchmark.extra_info.update({f"per_epoch_{k}": v for k, v in split.items()})


@pytest.mark.benchmark(group="tiny")
def test_tiny_bare_compiled_epoch_1000_calls(tiny, race):
    X, y = tiny
    captured: list[tuple[Any, dict[str, Any]]] = []

    def capture(*args: Any, **config: Any) -> tuple[float, int]:
        captured.append((args, dict(config)))
        return _api.compiled_epoch(*args, **config)

    _api.run_fit(X, y, _api.default_params(**dict(PARAMS, max_iter=1)), kernel=capture)
    args, config = captured[0]

    def epochs() -> None:
        for _ in range(EPOCHS):
            _api.compiled_epoch(*args, **config)

    race(epochs, N * EPOCHS, rounds=10)
