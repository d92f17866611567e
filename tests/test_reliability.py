"""Never crash, never hang, never hand back garbage: interrupts, threads, memory."""

from __future__ import annotations

import _thread
import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import gdfast
from gdfast import _core

from .conftest import make_classification, make_regression
from .test_engine import kernel_config


def _assert_ctrl_c_stops_epoch_within_a_second(X, y, order, params, config):
    """Ctrl-C 0.2 s into the epoch: KeyboardInterrupt within 1.2 s, finite parameters."""
    timer = threading.Timer(0.2, _thread.interrupt_main)
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        _core.run_epoch(X, y, None, order, params, **config)
        time.sleep(5)  # not reached when the epoch is interrupted; fails the timing below if it is
    timer.join()
    assert time.perf_counter() - start < 1.2
    assert np.isfinite(params).all()


@pytest.mark.parametrize("method", ["sgd", "minibatch", "batch"])
def test_ctrl_c_stops_a_long_epoch_within_a_second(method):
    # one epoch of 30 million samples (over 1.5 s here); Ctrl-C after 0.2 s
    X, y = make_regression(n=1000, d=100)
    order = np.tile(np.arange(1000), 30_000)
    params = np.zeros(101)
    config = kernel_config(method=method, batch_size=1000, eta0=1e-4)
    _assert_ctrl_c_stops_epoch_within_a_second(X, y, order, params, config)


def test_ctrl_c_stops_an_sgd_epoch_with_its_row_reader_within_a_second():
    # 40 MB of rows, past the 32 MiB from which sgd on two threads reads rows ahead
    # on the second (engine.hpp, RowReader): 30 million shuffled samples, several s
    X, y = make_regression(n=50_000, d=100)
    order = np.tile(np.random.default_rng(0).permutation(50_000), 600)
    params = np.zeros(101)
    config = kernel_config(method="sgd", eta0=1e-4, n_threads=2)
    _assert_ctrl_c_stops_epoch_within_a_second(X, y, order, params, config)


# rows of one network epoch: each takes several seconds here (sgd makes ~30 k updates/s)
NETWORK_EPOCH_ROWS = {"sgd": 200_000, "minibatch": 1_000_000, "batch": 1_000_000}


@pytest.mark.parametrize("method", ["sgd", "minibatch", "batch"])
def test_ctrl_c_stops_a_long_network_epoch_within_a_second(method):
    # the linear test above, for a 100-64-64-1 network: Ctrl-C after 0.2 s of a long epoch
    from gdfast._network import NetworkLayout

    X, y = make_regression(n=1000, d=100)
    order = np.tile(np.arange(1000), NETWORK_EPOCH_ROWS[method] // 1000)
    layout = NetworkLayout((100, 64, 64, 1), "relu")
    params = layout.glorot(np.random.RandomState(0), np.float64)
    config = kernel_config(
        method=method, batch_size=32, eta0=1e-4, layer_sizes=np.array(layout.layer_sizes),
        activation="relu", penalty_l2_per_batch=0.0,
    )  # fmt: skip
    _assert_ctrl_c_stops_epoch_within_a_second(X, y, order, params, config)


FIT_UNTIL_INTERRUPTED = {
    "linear": """
        X = np.random.default_rng(0).normal(size=(200_000, 50))
        y = X @ np.ones(50)
        params = dict(method="sgd", max_iter=100_000, tol=None)
    """,
    "network": """
        X = np.random.default_rng(0).normal(size=(200_000, 50))
        y = (X[:, 0] * X[:, 1] > 0).astype(int)
        params = dict(loss="log_loss", hidden_layer_sizes=(64, 64), method="minibatch",
                      max_iter=100_000, tol=None, random_state=0)
    """,
}


@pytest.mark.parametrize("model", ["linear", "network"])
def test_sigint_during_fit_raises_keyboard_interrupt_in_a_real_process(model):
    script = textwrap.dedent(FIT_UNTIL_INTERRUPTED[model]) + textwrap.dedent(
        """
        print("ready", flush=True)
        try:
            gdfast.fit(X, y, **params)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(3)
        """
    )
    script = "import numpy as np, gdfast, sys\n" + script
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    time.sleep(0.5)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 3, err
    assert "interrupted" in out
    assert time.perf_counter() - sent < 2.0


def test_fits_in_several_threads_at_once_equal_sequential_fits():
    problems = [make_regression(n=3000, d=20, seed=s) for s in range(4)]
    params = dict(
        method="minibatch",
        batch_size=64,
        eta0=0.02,
        max_iter=5,
        tol=None,
        random_state=0,
        n_threads=1,
    )
    sequential = [gdfast.fit(X, y, **params) for X, y in problems]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda p: gdfast.fit(*p, **params), problems))
    for a, b in zip(sequential, parallel):
        assert np.array_equal(a.coef, b.coef)


def test_the_gil_is_released_during_an_epoch():
    # another Python thread keeps running while a long epoch is in C++
    X, y = make_regression(n=1000, d=100)
    order = np.tile(np.arange(1000), 5000)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.005)

    thread = threading.Thread(target=ticker)
    thread.start()
    time.sleep(0.02)
    before = len(ticks)
    _core.run_epoch(X, y, None, order, np.zeros(101), **kernel_config(eta0=1e-4))
    after = len(ticks)
    stop.set()
    thread.join()
    assert after - before >= 5


def _rss_bytes() -> int:
    with open(f"/proc/{os.getpid()}/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_thousands_of_fits_do_not_grow_memory():
    X, y = make_classification(n=200, d=10, n_classes=3)
    params = dict(
        loss="log_loss",
        optimizer="adam",
        penalty="elasticnet",
        average=True,
        max_iter=2,
        tol=None,
        record_updates=True,
        random_state=0,
    )
    for _ in range(300):  # warm up allocator pools and caches
        gdfast.fit(X, y, **params)
    gc.collect()
    before = _rss_bytes()
    for _ in range(3000):
        gdfast.fit(X, y, **params)
    gc.collect()
    grown = _rss_bytes() - before
    assert grown < 4 * 2**20, f"resident memory grew by {grown / 2**20:.1f} MiB"


@pytest.mark.parametrize("partial", [False, True])
def test_an_interrupted_estimator_is_left_as_it_was(partial):
    from sklearn.base import clone

    from gdfast import GDRegressor

    X, y = make_regression(n=500, d=5)

    calls = []

    def interrupt(info):  # Ctrl-C after the first epoch of the call, as a user would press it
        calls.append(info.epoch)
        if len(calls) == 1 and not partial:
            return False
        raise KeyboardInterrupt

    est = GDRegressor(max_iter=20, tol=None, random_state=0).fit(X, y)
    est.partial_fit(X, y)
    before = {k: np.copy(v) for k, v in vars(est).items() if isinstance(v, np.ndarray)}
    twin = clone(est).set_params(max_iter=20).fit(X, y)
    twin.partial_fit(X, y)
    est.set_params(callback=interrupt, max_iter=5)
    with pytest.raises(KeyboardInterrupt):
        if partial:
            est.partial_fit(X, y)
        else:
            est.fit(X, y)
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(est, name), value)
    # and it carries on exactly as an estimator that was never interrupted
    est.set_params(callback=None)
    est.partial_fit(X, y)
    twin.partial_fit(X, y)
    np.testing.assert_array_equal(est.coef_, twin.coef_)


def test_threadpoolctl_limits_gdfasts_openmp_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not _core.has_openmp:
        pytest.fail("gdfast was built without OpenMP: threadpoolctl has nothing to limit")
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert gdfast.get_num_threads() == 1
    assert gdfast.get_num_threads() == _core.max_threads()
