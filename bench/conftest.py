"""Standard workloads of DESIGN.md, generated once per session, and the helpers the races share.

Run the suites explicitly (pyproject's ``testpaths`` only lists ``tests/``)::

    python -m pytest bench/ --benchmark-group-by=group

Each workload is a group ("W1" ... "W7"): gdfast and its peers side by side. After the
pytest-benchmark tables, a summary prints samples/s per contestant and gdfast's speed-up
over each peer (samples/s is what is compared: slow peers race a documented subset).

``GDFAST_BENCH_SCALE`` multiplies the rows of every workload. Under ``--benchmark-disable``
(a smoke run: one call per benchmark) it defaults to 0.05, otherwise to 1::

    python -m pytest bench/ --benchmark-disable -q        # smoke, about two minutes
"""

from __future__ import annotations

import functools
import os
import statistics
import time
from collections.abc import Iterator
from typing import Any, Callable

import numpy as np
import pytest
import workloads

import gdfast

# (group, name, samples/s, is_gdfast) of every race of the session, for the summary
RACES: list[tuple[str, str, float, bool]] = []


def pytest_configure(config: pytest.Config) -> None:
    if "GDFAST_BENCH_SCALE" not in os.environ and config.getoption("benchmark_disable", False):
        os.environ["GDFAST_BENCH_SCALE"] = "0.05"


def make_regression(n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """``X ~ N(0,1)``, ``w ~ N(0,1)``, ``y = X @ w + 0.1 * noise``, drawn in that order."""
    return workloads.make_regression(n, d)


def _race(
    benchmark: Any, fit: Callable[[], Any], samples: int, rounds: int = 5, gdfast: bool = False
) -> Any:
    """Time ``fit`` with ``benchmark.pedantic``, record samples/s in extra_info, return the fit.

    ``samples`` is the number of sample visits of one fit (n_samples * epochs). The median
    comes from pytest-benchmark's stats; under ``--benchmark-disable`` (no stats) from
    our own clock around the calls. ``gdfast`` marks the contestant whose speed-ups the
    summary prints.
    """
    times: list[float] = []

    def timed() -> Any:
        start = time.perf_counter()
        out = fit()
        times.append(time.perf_counter() - start)
        return out

    if not getattr(benchmark, "disabled", False):
        time.sleep(0.25)  # let the previous test's BLAS / OpenMP worker threads stop spinning
    result = benchmark.pedantic(
        timed, rounds=rounds, iterations=1, warmup_rounds=1 if rounds > 1 else 0
    )
    stats = getattr(benchmark, "stats", None)
    median = stats.stats.median if stats is not None else statistics.median(times)
    benchmark.extra_info["samples_per_s"] = samples / median
    benchmark.extra_info["samples"] = samples
    RACES.append((benchmark.group or "", benchmark.name, samples / median, gdfast))
    return result


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RACES:
        return
    write = terminalreporter.write_line
    terminalreporter.section(
        f"gdfast speed-ups (samples/s, GDFAST_BENCH_SCALE={workloads.scale()})"
    )
    groups: dict[str, list[tuple[str, float, bool]]] = {}
    for group, name, rate, is_gdfast in RACES:
        groups.setdefault(group, []).append((name, rate, is_gdfast))
    for group, entries in groups.items():
        write(f"[{group}]")
        # gdfast's contestants, named by their parameters when a group has several
        fast = [(n[n.index("[") :] if "[" in n else "", r) for n, r, g in entries if g]
        for name, rate, is_gdfast in entries:
            if fast:  # a race: gdfast's speed-up over this peer
                speedups = (f"gdfast{params} x{r / rate:.2f}" for params, r in fast)
                ratios = "" if is_gdfast else "  ".join(speedups)
            else:  # a scaling series: relative to its first entry
                ratios = f"x{rate / entries[0][1]:.2f} of the first"
            write(f"  {name:<58} {rate / 1e6:9.3f} M samples/s  {ratios}")


@pytest.fixture(scope="session")
def n_threads() -> int:
    """The thread count of every contestant that takes one (gdfast, torch): all of gdfast's."""
    return gdfast.get_num_threads()


@pytest.fixture(scope="session")
def w1() -> tuple[np.ndarray, np.ndarray]:
    """W1 standard: n=200,000, d=100, float64 (also the data of W5 and W6)."""
    return workloads.make_regression(workloads.rows(200_000), 100)


@pytest.fixture(scope="session")
def w1_float32(w1: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """W1 rounded to float32 (C-contiguous copies)."""
    X, y = w1
    return X.astype(np.float32), y.astype(np.float32)


@pytest.fixture(scope="session")
def w7() -> tuple[np.ndarray, np.ndarray]:
    """W7 network: n=50,000, d=100 float64, labels 0, 1, 2."""
    return workloads.make_w7(workloads.rows(workloads.W7["n"]), workloads.W7["d"])


@pytest.fixture(scope="session")
def w7_float32(w7: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """W7's X rounded to float32 (the labels are W7's)."""
    return w7[0].astype(np.float32)


@pytest.fixture(scope="session")
def training_loss() -> Callable[..., float]:
    """``training_loss(X, y, coef, intercept)``: the quality measure of every race."""
    return workloads.squared_loss


@pytest.fixture
def race(benchmark: Any) -> Callable[..., Any]:
    """``race(fit, samples, rounds=5, gdfast=False)``: time ``fit()``, record samples/s."""
    return functools.partial(_race, benchmark)


class QualityBars:
    """Final training losses (W7: training accuracies) of the peers, fitted once per
    session and shared by the tests.

    A peer's own benchmark stores the loss of its fit (``record``); a gdfast test asks for it
    (``get``), fitting the peer only when its benchmark did not run (``-k``).
    """

    def __init__(self) -> None:
        self._losses: dict[str, float] = {}

    def record(self, key: str, loss: float) -> None:
        self._losses[key] = loss

    def get(self, key: str, compute: Callable[[], float]) -> float:
        if key not in self._losses:
            self._losses[key] = compute()
        return self._losses[key]


@pytest.fixture(scope="session")
def bars() -> Iterator[QualityBars]:
    yield QualityBars()


def _check_quality(benchmark: Any, loss: float, peer: str, peer_loss: float, **info: Any) -> None:
    benchmark.extra_info.update(info)
    benchmark.extra_info["final_loss"] = loss
    benchmark.extra_info[f"loss_vs_{peer}"] = loss / peer_loss
    assert loss <= workloads.QUALITY_TOLERANCE * peer_loss, (
        f"final training loss {loss:.6g} is more than 1% above {peer}'s {peer_loss:.6g}"
    )


@pytest.fixture
def quality(benchmark: Any) -> Callable[..., None]:
    """``quality(loss, peer, peer_loss, **info)``: record the final training loss in
    extra_info and assert it is within 1% of the peer's, or lower."""
    return functools.partial(_check_quality, benchmark)


def _check_accuracy(
    benchmark: Any, accuracy: float, peer: str, peer_accuracy: float, **info: Any
) -> None:
    benchmark.extra_info.update(info)
    benchmark.extra_info["training_accuracy"] = accuracy
    benchmark.extra_info[f"accuracy_minus_{peer}"] = accuracy - peer_accuracy
    assert accuracy >= peer_accuracy - workloads.ACCURACY_TOLERANCE, (
        f"training accuracy {accuracy:.4f} is more than {workloads.ACCURACY_TOLERANCE} "
        f"below {peer}'s {peer_accuracy:.4f}"
    )


@pytest.fixture
def accuracy_quality(benchmark: Any) -> Callable[..., None]:
    """``accuracy_quality(accuracy, peer, peer_accuracy, **info)`` (W7): record the training
    accuracy in extra_info and assert it is at least the peer's minus 0.01 (absolute)."""
    return functools.partial(_check_accuracy, benchmark)


@pytest.fixture
def race_reference(race: Any, quality: Any, bars: QualityBars) -> Callable[..., float]:
    """``race_reference(key, X, y, params, loss_fn, subset=None, rounds=1)``.

    Races ``gdfast.reference.fit`` (the NumPy loop) on the first ``subset`` rows (all when
    None), records its final loss under ``key`` and checks that gdfast, run with the same
    parameters on the same rows, reaches a loss within 1% of it. Returns the loss.
    """

    def run(
        key: str,
        X: Any,
        y: np.ndarray,
        params: dict[str, Any],
        loss_fn: Callable[..., float],
        subset: int | None = None,
        rounds: int = 1,
    ) -> float:
        m = X.shape[0] if subset is None else min(subset, X.shape[0])
        Xs, ys = (X, y) if m == X.shape[0] else (X[:m], y[:m])
        res = race(lambda: workloads.reference_fit(Xs, ys, params), m * params["max_iter"], rounds)
        ref_loss = loss_fn(Xs, ys, res.coef, res.intercept)
        bars.record(key, ref_loss)
        fast = workloads.gdfast_fit(Xs, ys, params)
        quality(
            loss_fn(Xs, ys, fast.coef, fast.intercept), "reference", ref_loss,
            rows=m, epochs=params["max_iter"], reference_loss=ref_loss,
        )  # fmt: skip
        return ref_loss

    return run


@pytest.fixture
def race_gdfast_on_w1(
    w1: tuple[np.ndarray, np.ndarray], race: Any, bars: QualityBars, quality: Any
) -> Callable[..., None]:
    """``race_gdfast_on_w1(key, params, n_threads, torch_threads)`` (W5, W6).

    Races gdfast on W1's data with ``n_threads`` and checks its final loss within 1% of the
    NumPy loop's (the bar ``<key>/reference``) and, with torch installed, of PyTorch's on
    ``torch_threads`` threads (the bar ``<key>/torch/<torch_threads>``); a bar its own race
    has not recorded yet is fitted here.
    """
    X, y = w1

    def run(key: str, params: dict[str, Any], n_threads: int, torch_threads: int) -> None:
        res = race(
            lambda: workloads.gdfast_fit(X, y, params, n_threads=n_threads),
            len(X) * params["max_iter"],
            gdfast=True,
        )
        loss = workloads.squared_loss(X, y, res.coef, res.intercept)

        def reference_loss() -> float:
            ref = workloads.reference_fit(X, y, params)
            return workloads.squared_loss(X, y, ref.coef, ref.intercept)

        quality(
            loss, "reference", bars.get(f"{key}/reference", reference_loss), n_threads=n_threads
        )
        if workloads.torch_available():

            def torch_loss() -> float:
                return workloads.squared_loss(
                    X, y, *workloads.torch_fit(X, y, params, torch_threads)
                )

            quality(loss, "torch", bars.get(f"{key}/torch/{torch_threads}", torch_loss))

    return run
