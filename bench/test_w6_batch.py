"""W6 batch: full-batch gradient descent on W1's data, ``eta0=0.1``, 20 epochs.

One update per epoch from the mean gradient of all 200,000 rows: a streaming pass over
160 MB, so the ceiling is the machine's read bandwidth. gdfast runs on 1 thread and on
all of ``gdfast.get_num_threads()``. Peers: ``gdfast.reference`` ("the NumPy loop":
``X @ w`` then ``r @ X`` per epoch) and PyTorch CPU (``torch.optim.SGD``, one step a
epoch on all rows, ``MSELoss() / 2``, float64, ``torch.set_num_threads`` as gdfast; skipped
without torch). A NumPy ``X.sum()`` pass (one thread) shows a read-only pass at the same
scale (samples/s = rows read per second); ``bench/report.py`` measures the machine's
bandwidth with ``bench/bandwidth.c``. Quality: gdfast's final training loss within 1% of
each peer's, or lower.
"""

from __future__ import annotations

import pytest
import workloads
from workloads import W6, squared_loss

PARAMS = W6["params"]
EPOCHS = PARAMS["max_iter"]


@pytest.mark.benchmark(group="W6")
def test_w6_reference_numpy_loop(w1, race_reference):
    race_reference("W6/reference", *w1, dict(PARAMS), squared_loss, rounds=3)


@pytest.mark.benchmark(group="W6")
def test_w6_pytorch_cpu_full_batch(w1, race, bars, benchmark, n_threads):
    pytest.importorskip("torch")
    X, y = w1
    coef, intercept = race(
        lambda: workloads.torch_fit(X, y, PARAMS, n_threads), len(X) * EPOCHS, rounds=3
    )
    loss = squared_loss(X, y, coef, intercept)
    bars.record(f"W6/torch/{n_threads}", loss)
    benchmark.extra_info.update(final_loss=loss, torch_threads=n_threads)


@pytest.mark.benchmark(group="W6")
def test_w6_numpy_sum_one_read_pass(w1, race):
    X, _ = w1
    race(X.sum, len(X))


@pytest.mark.benchmark(group="W6")
@pytest.mark.parametrize("threads", ["1", "all"])
def test_w6_gdfast_within_1pct_of_peers(race_gdfast_on_w1, n_threads, threads):
    # torch runs on all threads only: its full-batch step is one large matrix product
    race_gdfast_on_w1("W6", PARAMS, 1 if threads == "1" else n_threads, torch_threads=n_threads)
