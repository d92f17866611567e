"""Scaling of gdfast alone: with threads, with the number of rows n and of features d.

- "threads-W6": W6 (batch, 20 epochs on W1's data) on 1, 2 and all threads.
- "threads-W5-bs1000": W5 with ``batch_size=1000`` on 1, 2 and all threads.
- "scaling-n": W1's run (sgd, 3 epochs, d=100) at n = 50k, 100k, 200k, 400k: samples/s
  should stay flat (the cost grows linearly in n).
- "scaling-d": the same at n=200k with d = 25, 50, 100, 200: time per sample should grow
  linearly in d (samples/s times d about constant).

Rows scale with ``GDFAST_BENCH_SCALE``.
"""

from __future__ import annotations

import os

import pytest
import workloads
from workloads import SGD_REGRESSION, W5, W6

THREADS = sorted({1, 2, os.cpu_count() or 1})


@pytest.mark.benchmark(group="threads-W6")
@pytest.mark.parametrize("threads", THREADS)
def test_threads_w6_batch(w1, race, threads):
    X, y = w1
    params = W6["params"]
    race(
        lambda: workloads.gdfast_fit(X, y, params, n_threads=threads),
        len(X) * params["max_iter"],
    )


@pytest.mark.benchmark(group="threads-W5-bs1000")
@pytest.mark.parametrize("threads", THREADS)
def test_threads_w5_minibatch_1000(w1, race, threads):
    X, y = w1
    params = dict(W5["params"], batch_size=1000)
    race(
        lambda: workloads.gdfast_fit(X, y, params, n_threads=threads),
        len(X) * params["max_iter"],
    )


@pytest.mark.benchmark(group="scaling-n")
@pytest.mark.parametrize("n", [50_000, 100_000, 200_000, 400_000])
def test_scaling_n_sgd_d100(race, benchmark, n):
    X, y = workloads.make_regression(workloads.rows(n), 100)
    race(lambda: workloads.gdfast_fit(X, y, SGD_REGRESSION), len(X) * 3)
    benchmark.extra_info["n"] = len(X)


@pytest.mark.benchmark(group="scaling-d")
@pytest.mark.parametrize("d", [25, 50, 100, 200])
def test_scaling_d_sgd_n200k(race, benchmark, d):
    X, y = workloads.make_regression(workloads.rows(200_000), d)
    race(lambda: workloads.gdfast_fit(X, y, SGD_REGRESSION), len(X) * 3)
    benchmark.extra_info["d"] = d
