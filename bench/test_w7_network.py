"""W7 network: a (64, 64) relu MLP with a softmax output, 3 epochs, ``random_state=0``.

Data: n=50,000, d=100, ``X ~ N(0,1)`` (``default_rng(0)``), three classes
``y = [X[:, :10].sum(1) > 0] + [X[:, 10:20].sum(1) > 0]``. Runs (``workloads.W7_RUNS``):
plain SGD at 0.01 (no momentum) on batches of 32, and adam at scikit-learn's default rate
0.001 on batches of 32 and of 200 (scikit-learn's default ``batch_size="auto"``).

Peers raced in the same process, on the same data:

- scikit-learn ``MLPClassifier`` float64, every run (one round: about 5 s a fit at
  batch 32); ``gdfast.GDMLPClassifier`` takes the same parameters, float64 on 1 thread and
  on all of ``gdfast.get_num_threads()``.
- PyTorch eager float32 (``workloads.torch_mlp_fit``: the standard loop over index tensors
  of a ``torch.randperm``), plain SGD only, ``torch.set_num_threads`` 1 and all (one round;
  1 thread is the stable comparison, see ``test_w5_minibatch.py``); skipped without torch.
- JAX float32 (``workloads.jax_mlp_epochs``: a ``jax.jit`` epoch, ``lax.scan`` over the
  batches, the trailing partial batch as one more step; compiled before the race), plain
  SGD only, on XLA's default threads (all cores); skipped without jax.

gdfast float32 (``X.astype(np.float32)``) races PyTorch and JAX. The PyTorch and JAX
networks start from scikit-learn's Glorot draws for ``random_state=0``
(``workloads.glorot_init``), as gdfast's and scikit-learn's do.
Quality, "at equal training accuracy": every contestant's training accuracy after its 3
epochs (``workloads.mlp_accuracy``); gdfast's is at least the peer's minus 0.01.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import workloads
from workloads import W7, W7_RUNS, mlp_accuracy

PARAMS = W7["params"]
EPOCHS = PARAMS["max_iter"]


def _estimator_accuracy(X: np.ndarray, y: np.ndarray, model: Any) -> float:
    return mlp_accuracy(X, y, model.coefs_, model.intercepts_)


def _count(threads: str, n_threads: int) -> int:
    return 1 if threads == "1" else n_threads


@pytest.mark.benchmark(group="W7")
@pytest.mark.parametrize("run", list(W7_RUNS))
def test_w7_sklearn_mlpclassifier(w7, race, bars, benchmark, run):
    pytest.importorskip("sklearn.neural_network")  # imported before the (single) timed run
    X, y = w7
    model = race(lambda: workloads.sklearn_mlp_fit(X, y, **W7_RUNS[run]), len(X) * EPOCHS, rounds=1)
    accuracy = _estimator_accuracy(X, y, model)
    bars.record(f"W7/sklearn/{run}", accuracy)
    benchmark.extra_info.update(training_accuracy=accuracy)


@pytest.mark.benchmark(group="W7")
@pytest.mark.parametrize("threads", ["1", "all"])
def test_w7_pytorch_eager_float32(w7, w7_float32, race, bars, benchmark, n_threads, threads):
    pytest.importorskip("torch")
    _, y = w7
    count = _count(threads, n_threads)
    layers = race(lambda: workloads.torch_mlp_fit(w7_float32, y, PARAMS, count), len(y) * EPOCHS, 1)
    accuracy = mlp_accuracy(w7_float32, y, *layers)
    bars.record(f"W7/torch/{count}", accuracy)
    benchmark.extra_info.update(training_accuracy=accuracy, torch_threads=count)


@pytest.mark.benchmark(group="W7")
def test_w7_jax_jit_epoch_float32(w7, w7_float32, race, bars, benchmark):
    pytest.importorskip("jax")
    _, y = w7
    run = workloads.jax_mlp_epochs(w7_float32, y, PARAMS)  # compiles: outside the race
    accuracy = mlp_accuracy(w7_float32, y, *race(run, len(y) * EPOCHS, rounds=3))
    bars.record("W7/jax", accuracy)
    benchmark.extra_info.update(training_accuracy=accuracy)


@pytest.mark.benchmark(group="W7")
@pytest.mark.parametrize("threads", ["1", "all"])
@pytest.mark.parametrize("run", list(W7_RUNS))
def test_w7_gdfast_float64_at_sklearn_accuracy(
    w7, race, bars, accuracy_quality, n_threads, run, threads
):
    X, y = w7
    count = _count(threads, n_threads)
    model = race(
        lambda: workloads.gdfast_mlp_fit(X, y, n_threads=count, **W7_RUNS[run]),
        len(X) * EPOCHS,
        gdfast=True,
    )

    def sklearn_accuracy() -> float:
        return _estimator_accuracy(X, y, workloads.sklearn_mlp_fit(X, y, **W7_RUNS[run]))

    bar = bars.get(f"W7/sklearn/{run}", sklearn_accuracy)
    accuracy_quality(_estimator_accuracy(X, y, model), "sklearn", bar, n_threads=count)


@pytest.mark.benchmark(group="W7")
@pytest.mark.parametrize("threads", ["1", "all"], ids=["float32-1", "float32-all"])
def test_w7_gdfast_float32_at_peer_accuracy(
    w7, w7_float32, race, bars, accuracy_quality, n_threads, threads
):
    _, y = w7
    count = _count(threads, n_threads)
    model = race(
        lambda: workloads.gdfast_mlp_fit(w7_float32, y, n_threads=count),
        len(y) * EPOCHS,
        gdfast=True,
    )
    accuracy = _estimator_accuracy(w7_float32, y, model)
    if workloads.importable("torch"):

        def torch_accuracy() -> float:
            return mlp_accuracy(
                w7_float32, y, *workloads.torch_mlp_fit(w7_float32, y, PARAMS, count)
            )

        accuracy_quality(accuracy, "torch", bars.get(f"W7/torch/{count}", torch_accuracy))
    if workloads.importable("jax"):

        def jax_accuracy() -> float:
            return mlp_accuracy(w7_float32, y, *workloads.jax_mlp_epochs(w7_float32, y, PARAMS)())

        accuracy_quality(accuracy, "jax", bars.get("W7/jax", jax_accuracy), n_threads=count)
