"""The standard workloads of DESIGN.md and their peers, shared by the pytest suites and report.py.

Nothing here imports pytest: ``bench/report.py`` runs the same workloads with its own clock.

``GDFAST_BENCH_SCALE`` (a float, default 1) multiplies the number of rows of every workload
(never the features), so that ``GDFAST_BENCH_SCALE=0.05`` gives a smoke run of the same code.
Samples/s are comparable across scales only roughly (small data sits in cache).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent


def scale() -> float:
    """``GDFAST_BENCH_SCALE``, read at call time so that conftest / report can set it."""
    value = float(os.environ.get("GDFAST_BENCH_SCALE", "1"))
    if not value > 0:
        raise ValueError(f"GDFAST_BENCH_SCALE: expected a positive number, got {value}")
    return value


def rows(n: int, minimum: int = 500) -> int:
    """``n`` scaled by :func:`scale`, at least ``minimum`` (and never more than ``n``)."""
    return min(n, max(minimum, round(n * scale())))


# ---------------------------------------------------------------------------------------------
# data


def make_regression(n: int, d: int, dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """``X ~ N(0,1)``, ``w ~ N(0,1)``, ``y = X @ w + 0.1 * noise`` from ``default_rng(0)``."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    y = X @ w + 0.1 * rng.standard_normal(n)
    if np.dtype(dtype) != np.float64:
        return X.astype(dtype), y.astype(dtype)
    return X, y


def make_sparse_classification(n: int, d: int, nnz: int) -> tuple[Any, np.ndarray]:
    """W4: CSR ``X`` with ``nnz`` random columns a row and N(0,1) values, ``y = (X @ w > 0)``.

    From ``default_rng(0)``: column indices (uniform, drawn with replacement, then sorted;
    the rare repeats within a row are summed, so a few rows hold fewer than ``nnz``),
    values, then ``w ~ N(0,1)``. ``y`` is 0.0 / 1.0.
    """
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    indices = np.sort(rng.integers(0, d, size=(n, nnz)), axis=1)
    data = rng.standard_normal(n * nnz)
    X = sp.csr_matrix((data, indices.ravel(), np.arange(0, n * nnz + 1, nnz)), shape=(n, d))
    X.sum_duplicates()
    w = rng.standard_normal(d)
    y = (X @ w > 0).astype(np.float64)
    return X, y


def make_w7(n: int, d: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """W7: ``X ~ N(0,1)`` from ``default_rng(0)`` (the first draw, as in
    :func:`make_regression`), three classes ``y = [X[:, :10].sum(1) > 0] +
    [X[:, 10:20].sum(1) > 0]`` (int64 labels 0, 1, 2; about 1:2:1)."""
    X = np.random.default_rng(0).standard_normal((n, d))
    y = (X[:, :10].sum(1) > 0).astype(np.int64) + (X[:, 10:20].sum(1) > 0)
    return X, y


# ---------------------------------------------------------------------------------------------
# quality: the final training loss, evaluated in float64 for every contestant


def squared_loss(X: Any, y: np.ndarray, coef: Any, intercept: Any) -> float:
    """Mean ``0.5 * (X @ coef + intercept - y)**2`` in float64."""
    r = X @ np.ravel(np.asarray(coef, np.float64)) + float(np.squeeze(intercept)) - y
    return float(np.mean(0.5 * r * r))


def hinge_loss(X: Any, y01: np.ndarray, coef: Any, intercept: Any) -> float:
    """Mean ``max(0, 1 - s * (X @ coef + intercept))`` with ``s = 2 y - 1`` (y in {0, 1})."""
    margin = (2.0 * y01 - 1.0) * (
        X @ np.ravel(np.asarray(coef, np.float64)) + float(np.squeeze(intercept))
    )
    return float(np.mean(np.maximum(0.0, 1.0 - margin)))


QUALITY_TOLERANCE = 1.01  # gdfast's final training loss <= 1.01 x the peer's


def mlp_accuracy(
    X: np.ndarray, y: np.ndarray, coefs: list[np.ndarray], intercepts: list[np.ndarray]
) -> float:
    """Training accuracy of a relu network given as scikit-learn's ``coefs_`` (fan_in x
    fan_out) and ``intercepts_``: the forward pass in float64, the arg-max class against
    ``y`` (labels 0 .. n_classes - 1), whoever trained the weights."""
    a = np.asarray(X, np.float64)
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        a = a @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
        if i + 1 < len(coefs):
            a = np.maximum(a, 0.0)
    return float(np.mean(a.argmax(axis=1) == y))


ACCURACY_TOLERANCE = 0.01  # W7: gdfast's training accuracy >= the peer's - 0.01 (absolute)


# ---------------------------------------------------------------------------------------------
# the workloads: run parameters of gdfast.fit (and gdfast.reference.fit)

COMMON: dict[str, Any] = dict(tol=None, shuffle=True, random_state=0)
SGD_REGRESSION: dict[str, Any] = dict(
    COMMON,
    loss="squared_error",
    method="sgd",
    learning_rate="constant",
    eta0=1e-3,
    penalty=None,
    max_iter=3,
)
W1 = dict(n=200_000, d=100, params=SGD_REGRESSION)
W2 = dict(n=20_000, d=100, params=dict(SGD_REGRESSION, max_iter=30))
W3 = dict(n=1_000_000, d=10, params=SGD_REGRESSION)
W4 = dict(
    n=200_000,
    d=100_000,
    nnz=50,
    params=dict(
        COMMON,
        loss="hinge",
        method="sgd",
        penalty="l2",
        alpha=1e-5,
        learning_rate="optimal",
        max_iter=3,
    ),
)
W5 = dict(
    n=200_000,
    d=100,
    params=dict(
        COMMON,
        loss="squared_error",
        method="minibatch",
        batch_size=32,
        learning_rate="constant",
        eta0=1e-2,
        max_iter=3,
    ),
)
W6 = dict(
    n=200_000,
    d=100,
    params=dict(
        COMMON, loss="squared_error", method="batch", learning_rate="constant", eta0=0.1,
        max_iter=20,
    ),
)  # fmt: skip

# W7 is a network: its parameters are scikit-learn's MLPClassifier's (GDMLPClassifier takes
# the same), plain SGD at a constant 0.01 (no momentum), exactly max_iter epochs (tol=0 and
# an n_iter_no_change that never fires); alpha keeps scikit-learn's default 1e-4, an L2 step
# of alpha / batch_size a weight (3e-6 at batch 32), which the PyTorch and JAX peers omit.
W7 = dict(
    n=50_000,
    d=100,
    params=dict(
        hidden_layer_sizes=(64, 64), activation="relu", solver="sgd", momentum=0.0,
        nesterovs_momentum=False, learning_rate_init=0.01, batch_size=32, max_iter=3, tol=0.0,
        n_iter_no_change=10**9, random_state=0,
    ),
)  # fmt: skip
# The races of W7, as changes to W7["params"]: adam at scikit-learn's default rate, on
# batches of 32 and of 200 (batch_size="auto" is min(200, n_samples): 200 for W7).
W7_RUNS: dict[str, dict[str, Any]] = {
    "sgd": {},
    "adam": dict(solver="adam", learning_rate_init=1e-3),
    "adam200": dict(solver="adam", learning_rate_init=1e-3, batch_size=200),
}
# W7's network and plain SGD in gdfast.fit's vocabulary (the GFLOP/s series over batch sizes)
W7_FIT: dict[str, Any] = dict(
    COMMON, hidden_layer_sizes=(64, 64), activation="relu", loss="softmax",
    method="minibatch", batch_size=32, learning_rate="constant", eta0=0.01, max_iter=3,
)  # fmt: skip


def mlp_layer_sizes(d: int, params: dict[str, Any], n_classes: int = 3) -> tuple[int, ...]:
    """(inputs, hidden..., outputs) of the network of ``params``: W7's is (100, 64, 64, 3)."""
    return (d, *params["hidden_layer_sizes"], n_classes)


def mlp_flops_per_sample(sizes: tuple[int, ...]) -> int:
    """FLOP a sample of one training step of a dense network with layer ``sizes``.

    With ``m_l = fan_in_l * fan_out_l`` for the layers l = 0 .. L-1 and a multiply-add
    counted as 2 FLOP::

        forward             2 * sum_l m_l        (Z_l = A_{l-1} @ W_l)
        backward, dW        2 * sum_l m_l        (dW_l = A_{l-1}.T @ D_l)
        backward, deltas    2 * sum_{l>=1} m_l   (D_{l-1} = D_l @ W_l.T; none below layer 0)

    W7's (100, 64, 64, 3): m = 6,400 + 4,096 + 192 = 10,688, so 21,376 + 21,376 + 8,576 =
    51,328 FLOP a sample. Biases, activations, the softmax and the update itself (about
    2 FLOP per parameter a step, i.e. 2 * 10,819 / batch_size a sample: 42% of the
    products' FLOP at batch size 1, 1.3% at 32) are not counted: the products are what a
    core's multiply-add peak bounds.
    """
    m = [fan_in * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:])]
    return 2 * sum(m) + 2 * sum(m) + 2 * sum(m[1:])


# Subsets on which the slow NumPy reference loops are raced (rows, epochs); samples/s is
# what is compared, and the reference's quality is checked against gdfast on the same subset.
REFERENCE_SUBSET = {"W1": 20_000, "W2": 2_000, "W3": 20_000, "W4": 300}


def gdfast_fit(X: Any, y: np.ndarray, params: dict[str, Any], **changes: Any) -> Any:
    import gdfast

    return gdfast.fit(X, y, **dict(params, **changes))


def reference_fit(X: Any, y: np.ndarray, params: dict[str, Any], **changes: Any) -> Any:
    import gdfast.reference

    return gdfast.reference.fit(X, y, **dict(params, **changes))


# ---------------------------------------------------------------------------------------------
# peers


def _sklearn_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    names = ("loss", "penalty", "alpha", "learning_rate", "eta0", "max_iter", "tol", "shuffle")
    kwargs = {k: params[k] for k in names if k in params}
    kwargs["random_state"] = params["random_state"]
    return kwargs


def sklearn_regressor_fit(X: Any, y: np.ndarray, params: dict[str, Any]) -> Any:
    """``SGDRegressor`` with the workload's parameters (fitted in X's dtype)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDRegressor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol=None, few epochs: expected
        return SGDRegressor(**_sklearn_kwargs(params)).fit(X, y)


def sklearn_classifier_fit(X: Any, y: np.ndarray, params: dict[str, Any]) -> Any:
    """``SGDClassifier`` with the workload's parameters (``learning_rate="optimal"``)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SGDClassifier(**_sklearn_kwargs(params)).fit(X, y)


def importable(module: str) -> bool:
    """Whether ``module`` (an optional peer: torch, jax) can be imported."""
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def torch_available() -> bool:
    return importable("torch")


def torch_fit(
    X: np.ndarray, y: np.ndarray, params: dict[str, Any], n_threads: int
) -> tuple[np.ndarray, np.ndarray]:
    """The PyTorch CPU peer of W5 / W6: ``torch.nn.Linear`` trained by ``torch.optim.SGD``.

    ``minibatch``: the standard loop (no DataLoader): a ``torch.randperm`` per epoch, index
    tensors of ``batch_size`` rows, ``MSELoss() / 2`` (= mean ``0.5 (p - y)^2``, gdfast's
    ``squared_error``), ``zero_grad``, ``backward``, ``step``. ``batch``: one such step per
    epoch on all rows. Parameters start at zero (as gdfast's), in X's dtype;
    ``torch.set_num_threads(n_threads)``. Returns (coef, intercept) as NumPy arrays.
    """
    import torch

    torch.set_num_threads(n_threads)
    torch.manual_seed(params["random_state"])
    dtype = torch.float64 if X.dtype == np.float64 else torch.float32
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y).reshape(-1, 1)
    model = torch.nn.Linear(X.shape[1], 1, dtype=dtype)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.zero_()
    optimizer = torch.optim.SGD(model.parameters(), lr=params["eta0"])
    mse = torch.nn.MSELoss()
    n = Xt.shape[0]
    batch = params["batch_size"] if params["method"] == "minibatch" else n
    for _ in range(params["max_iter"]):
        if batch == n:
            optimizer.zero_grad()
            loss = mse(model(Xt), yt) / 2
            loss.backward()
            optimizer.step()
            continue
        perm = torch.randperm(n)
        for start in range(0, n, batch):
            idx = perm[start : start + batch]
            optimizer.zero_grad()
            loss = mse(model(Xt[idx]), yt[idx]) / 2
            loss.backward()
            optimizer.step()
    return model.weight.detach().numpy().ravel().copy(), model.bias.detach().numpy().copy()


# W7's peers: the same network and data; accuracy by mlp_accuracy for all of them


def _mlp_fit(estimator: Any, X: np.ndarray, y: np.ndarray, changes: dict[str, Any]) -> Any:
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 3 epochs: expected
        return estimator(**dict(W7["params"], **changes)).fit(X, y)


def sklearn_mlp_fit(X: np.ndarray, y: np.ndarray, **changes: Any) -> Any:
    """scikit-learn's ``MLPClassifier`` with W7's parameters and ``changes`` (fitted in X's
    dtype)."""
    from sklearn.neural_network import MLPClassifier

    return _mlp_fit(MLPClassifier, X, y, changes)


def gdfast_mlp_fit(X: np.ndarray, y: np.ndarray, **changes: Any) -> Any:
    """``gdfast.GDMLPClassifier`` with W7's parameters and ``changes`` (``n_threads`` among
    them); float32 X trains float32 weights."""
    import gdfast

    return _mlp_fit(gdfast.GDMLPClassifier, X, y, changes)


def glorot_init(
    sizes: tuple[int, ...], random_state: int, dtype: Any = np.float64
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """scikit-learn's initial MLP weights (``coefs``, ``intercepts``), draw for draw: per
    layer ``uniform(-b, b)`` for the weights, then the biases, ``b = sqrt(6 / (fan_in +
    fan_out))`` (Glorot uniform), from ``RandomState(random_state)``. The PyTorch and JAX
    peers start from them, so that every contestant of W7 starts from the same point."""
    rng = np.random.RandomState(random_state)
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype))
        intercepts.append(rng.uniform(-bound, bound, fan_out).astype(dtype))
    return coefs, intercepts


def _plain_sgd(params: dict[str, Any]) -> tuple[int, float, int, int]:
    """(batch_size, learning rate, epochs, seed) of W7's plain SGD, which the PyTorch and
    JAX peers implement (and nothing else)."""
    if params["solver"] != "sgd" or params["momentum"] != 0:
        raise ValueError("the PyTorch and JAX peers of W7 run plain SGD (momentum 0) only")
    return (params["batch_size"], params["learning_rate_init"], params["max_iter"],
            params["random_state"])  # fmt: skip


def torch_mlp_fit(
    X: np.ndarray, y: np.ndarray, params: dict[str, Any], n_threads: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The PyTorch eager peer of W7, float32: ``nn.Sequential(Linear, ReLU, Linear, ReLU,
    Linear)`` from :func:`glorot_init`'s weights, ``torch.optim.SGD(lr)`` on
    ``CrossEntropyLoss`` (the batch mean), the standard loop of :func:`torch_fit` (a
    ``torch.randperm`` per epoch, index tensors of ``batch_size`` rows, the last batch
    partial), ``torch.set_num_threads(n_threads)``. Returns (coefs, intercepts) as NumPy
    arrays in scikit-learn's layout."""
    import torch

    batch, lr, epochs, seed = _plain_sgd(params)
    torch.set_num_threads(n_threads)
    torch.manual_seed(seed)
    sizes = mlp_layer_sizes(X.shape[1], params, int(y.max()) + 1)
    layers: list[Any] = []
    for W, b in zip(*glorot_init(sizes, seed, np.float32)):
        linear = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    cross_entropy = torch.nn.CrossEntropyLoss()
    Xt = torch.from_numpy(np.ascontiguousarray(X, np.float32))
    yt = torch.from_numpy(y.astype(np.int64))
    n = Xt.shape[0]
    for _ in range(epochs):
        perm = torch.randperm(n)
        for start in range(0, n, batch):
            idx = perm[start : start + batch]
            optimizer.zero_grad()
            loss = cross_entropy(model(Xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    return ([m.weight.detach().numpy().T.copy() for m in linears],
            [m.bias.detach().numpy().copy() for m in linears])  # fmt: skip


def jax_mlp_epochs(
    X: np.ndarray, y: np.ndarray, params: dict[str, Any]
) -> Callable[[], tuple[list[np.ndarray], list[np.ndarray]]]:
    """The JAX peer of W7: a ``jax.jit``-compiled epoch, float32, compiled before it returns.

    The epoch draws its permutation (``jax.random.permutation``), ``lax.scan``s over the
    ``n // batch_size`` full batches (each step gathers its rows, ``jax.grad`` of the mean
    cross-entropy, plain SGD), then takes one more step on the trailing partial batch (16
    rows for W7), so that every row is seen once an epoch as with the other contestants.
    The weights start from :func:`glorot_init`'s. Returns ``run()``: ``max_iter`` epochs
    from those weights, waited for with ``jax.block_until_ready``, returning (coefs,
    intercepts) as NumPy arrays. A warm-up epoch compiles it first, outside any timing.
    XLA's CPU backend runs the products on all cores (its default thread pool): no
    ``XLA_FLAGS`` are set.
    """
    import jax
    import jax.numpy as jnp

    batch, lr, epochs, seed = _plain_sgd(params)
    sizes = mlp_layer_sizes(X.shape[1], params, int(y.max()) + 1)
    init = [(jnp.asarray(W), jnp.asarray(b)) for W, b in zip(*glorot_init(sizes, seed, np.float32))]
    Xj = jnp.asarray(X, jnp.float32)
    yj = jnp.asarray(y, jnp.int32)
    n = X.shape[0]
    full = n // batch * batch

    def mean_cross_entropy(layers: Any, xb: Any, yb: Any) -> Any:
        a = xb
        for W, b in layers[:-1]:
            a = jax.nn.relu(a @ W + b)
        logits = a @ layers[-1][0] + layers[-1][1]
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), yb[:, None], axis=1))

    @jax.jit
    def epoch(layers: Any, Xe: Any, ye: Any, key: Any) -> Any:
        def step(layers: Any, idx: Any) -> tuple[Any, None]:
            grads = jax.grad(mean_cross_entropy)(layers, Xe[idx], ye[idx])
            return jax.tree_util.tree_map(lambda p, g: p - lr * g, layers, grads), None

        perm = jax.random.permutation(key, n)
        layers, _ = jax.lax.scan(step, layers, perm[:full].reshape(-1, batch))
        if full < n:  # the trailing partial batch: a second, smaller step shape
            layers, _ = step(layers, perm[full:])
        return layers

    def run() -> tuple[list[np.ndarray], list[np.ndarray]]:
        layers, key = init, jax.random.PRNGKey(seed)
        for _ in range(epochs):
            key, sub = jax.random.split(key)
            layers = epoch(layers, Xj, yj, sub)
        layers = jax.block_until_ready(layers)
        return [np.asarray(W) for W, _ in layers], [np.asarray(b) for _, b in layers]

    _, sub = jax.random.split(jax.random.PRNGKey(seed))  # compiles the split as well
    jax.block_until_ready(epoch(init, Xj, yj, sub))
    return run


# ---------------------------------------------------------------------------------------------
# the machine's streaming read bandwidth (the ceiling of W6)


def numpy_read_bandwidth(mib: int = 1024, repeats: int = 5) -> float:
    """GB/s of ``X.sum()`` over ``mib`` MiB of float64 (one thread: NumPy's sum is serial)."""
    x = np.ones(mib * 1024 * 1024 // 8)
    x.sum()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        x.sum()
        times.append(time.perf_counter() - start)
    return x.nbytes / float(np.median(times)) / 1e9


def _compile(source: str, output: str, flags: list[str], fallback: list[str]) -> Path | None:
    """Compile ``bench/<source>`` to ``build/bench/<output>`` (when stale); None without gcc."""
    gcc = shutil.which("gcc")
    if gcc is None:
        return None
    src = BENCH_DIR / source
    binary = REPO_DIR / "build" / "bench" / output
    binary.parent.mkdir(parents=True, exist_ok=True)
    if not binary.exists() or binary.stat().st_mtime < src.stat().st_mtime:
        for attempt in (flags, fallback):
            done = subprocess.run([gcc, *attempt, str(src), "-o", str(binary)], capture_output=True)
            if done.returncode == 0:
                break
        else:
            return None
    return binary


def _run_compiled(
    source: str, flags: list[str], fallback: list[str], args: list[int]
) -> str | None:
    """The stdout of ``bench/<source>`` (compiled by :func:`_compile`) run with ``args``;
    None without gcc."""
    binary = _compile(source, Path(source).stem, flags, fallback)
    if binary is None:
        return None
    return subprocess.run(
        [str(binary), *map(str, args)], capture_output=True, text=True, check=True
    ).stdout


def c_read_bandwidth(
    thread_counts: list[int], mib: int = 1024, repeats: int = 7
) -> dict[int, float] | None:
    """Median GB/s of ``bench/bandwidth.c`` per thread count, or None without gcc."""
    out = _run_compiled(
        "bandwidth.c", ["-O3", "-march=native", "-fopenmp"], ["-O3", "-fopenmp"],
        [mib, repeats, *thread_counts],
    )  # fmt: skip
    if out is None:
        return None
    found = re.findall(r"threads=(\d+) best_gbs=([\d.]+) median_gbs=([\d.]+)", out)
    return {int(t): float(median) for t, _, median in found}


def c_fma_peak(
    thread_counts: list[int], millions: int = 20, repeats: int = 5
) -> tuple[dict[tuple[str, int], float], str] | None:
    """Peak GFLOP/s of ``bench/fma_peak.c`` by (dtype, thread count), and its ISA
    (``"avx512"``: 512-bit FMAs, the width of the network kernels on such a CPU;
    ``"avx2-fma"``: 256-bit ones; ``"scalar"``: the portable fallback); None without gcc.

    The best of ``repeats`` runs of ``millions`` million iterations of 12 FMA chains (a
    peak, so the best run, not the median)."""
    out = _run_compiled(
        "fma_peak.c", ["-O2", "-march=native", "-fopenmp"], ["-O2", "-fopenmp"],
        [millions, repeats, *thread_counts],
    )  # fmt: skip
    if out is None:
        return None
    found = re.findall(r"dtype=(\w+) threads=(\d+) best_gflops=([\d.]+) \S+ isa=(\S+)", out)
    peaks = {(dtype, int(t)): float(best) for dtype, t, best, _ in found}
    return peaks, found[0][3] if found else "?"


def c_read_passes(X: np.ndarray, passes: int, n_threads: int) -> Callable[[], float] | None:
    """``run()`` reads float64 ``X`` ``passes`` times with ``bench/bandwidth.c``'s loop on
    ``n_threads`` threads (the ceiling of W6's epochs, raced beside them); None without gcc."""
    import ctypes

    lib_path = _compile(
        "bandwidth.c", "bandwidth.so",
        ["-O3", "-march=native", "-fopenmp", "-DBANDWIDTH_LIBRARY", "-shared", "-fPIC"],
        ["-O3", "-fopenmp", "-DBANDWIDTH_LIBRARY", "-shared", "-fPIC"],
    )  # fmt: skip
    if lib_path is None:
        return None
    fn = ctypes.CDLL(str(lib_path)).read_passes
    fn.argtypes = [ctypes.c_void_p, ctypes.c_long, ctypes.c_int, ctypes.c_int]
    fn.restype = ctypes.c_double
    X = np.ascontiguousarray(X, np.float64)
    return lambda: fn(X.ctypes.data, X.size, n_threads, passes)


def c_sgd_epochs(X: np.ndarray, y: np.ndarray, params: dict[str, Any]) -> Callable[..., Any] | None:
    """A plain C SGD loop (``bench/sgd_ceiling.c``) on X, y: what the machine allows.

    Returns ``run(shuffle=True, ahead=8)`` that runs ``params["max_iter"]`` epochs over
    the permutations gdfast draws (``default_rng(random_state)``) and returns
    (coef, intercept); None without gcc. Squared error, constant ``eta0``, no penalty only.
    """
    import ctypes

    lib_path = _compile(
        "sgd_ceiling.c", "sgd_ceiling.so",
        ["-O3", "-march=x86-64-v3", "-fopenmp-simd", "-shared", "-fPIC"],
        ["-O3", "-shared", "-fPIC"],
    )  # fmt: skip
    if lib_path is None:
        return None
    lib = ctypes.CDLL(str(lib_path))
    f64 = X.dtype == np.float64
    fn = lib.sgd_epoch_f64 if f64 else lib.sgd_epoch_f32
    real = ctypes.c_double if f64 else ctypes.c_float
    ptr = ctypes.c_void_p
    i64 = ctypes.c_int64
    fn.argtypes = [ptr, ptr, ptr, i64, i64, ptr, ptr, real, i64]
    fn.restype = ctypes.c_double
    n, d = X.shape
    X = np.ascontiguousarray(X)
    y = np.ascontiguousarray(y, X.dtype)

    def run(shuffle: bool = True, ahead: int = 8) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(params["random_state"])
        w = np.zeros(d, X.dtype)
        b = np.zeros(1, X.dtype)
        for _ in range(params["max_iter"]):
            order = rng.permutation(n) if shuffle else None
            fn(X.ctypes.data, y.ctypes.data, None if order is None else order.ctypes.data,
               n, d, w.ctypes.data, b.ctypes.data, params["eta0"], ahead)  # fmt: skip
        return w, b

    return run


# ---------------------------------------------------------------------------------------------
# what the machine gives several threads


_COMPUTE_LOOP = """
import time, numpy as np
x = np.ones(32768)  # 256 KB: in the core's L2 cache, so the loop is bound by the core
x.sum()
start = time.perf_counter()
for _ in range(20000):
    x.sum()
print(time.perf_counter() - start)
"""


def cpu_parallelism(processes: int = 2) -> float:
    """How many cores' worth of compute ``processes`` concurrent processes get.

    Times an in-cache NumPy loop alone, then in ``processes`` copies at once:
    ``processes * t_alone / mean(t_concurrent)``. On dedicated cores it is close to
    ``processes``; on hyper-threads of one core, or a host that time-slices the virtual
    CPUs, it is closer to 1 -- and so is any thread speed-up measured on that machine.
    """
    import sys

    def run(copies: int) -> list[float]:
        procs = [
            subprocess.Popen([sys.executable, "-c", _COMPUTE_LOOP], stdout=subprocess.PIPE)
            for _ in range(copies)
        ]
        return [float(p.communicate()[0]) for p in procs]

    alone = min(run(1)[0] for _ in range(2))
    together = run(processes)
    return processes * alone / float(np.mean(together))


_THREAD_RATIO = """
import sys, time
sys.path.insert(0, {bench!r})
import numpy as np, workloads as w
X, y = w.make_regression(w.rows(200_000), 100)
times = {{1: [], 2: []}}
for count in (1, 2):
    w.gdfast_fit(X, y, w.W6["params"], n_threads=count)
for _ in range({rounds}):
    for count in (1, 2):
        start = time.perf_counter()
        w.gdfast_fit(X, y, w.W6["params"], n_threads=count)
        times[count].append(time.perf_counter() - start)
print(np.median(times[1]) / np.median(times[2]))
"""


def w6_thread_ratio_with(env: dict[str, str], rounds: int = 5) -> float:
    """W6's 2-thread / 1-thread speed-up in a fresh process with ``env`` added."""
    import sys

    code = _THREAD_RATIO.format(bench=str(BENCH_DIR), rounds=rounds)
    out = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True
    )
    return float(out.stdout.strip()) if out.returncode == 0 else float("nan")


# ---------------------------------------------------------------------------------------------
# per-epoch Python overhead on tiny data


def tiny_overhead(
    n: int = 100, d: int = 10, epochs: int = 1000, repeats: int = 5
) -> dict[str, float]:
    """Time ``gdfast.fit`` on tiny data and split it into the compiled epochs and the rest.

    Runs the fit through the private ``gdfast._api.run_fit`` (the loop of ``gdfast.fit``)
    with the compiled epoch wrapped in a clock, so the kernel time is measured inside the
    very fit whose total is timed: ``overhead = (total - kernel) / epochs`` is what Python
    adds per epoch (permutation, divergence check, bookkeeping, plus ~0.2 us of the
    wrapper itself). ``bare_call_us`` is a direct call of the compiled epoch on the same
    arguments in a tight loop (binding plus the 100-sample epoch), ``one_sample_call_us``
    the same call over an order of one sample (about the cost of the call alone).
    Microseconds per epoch: medians over ``repeats`` fits / loops (the overhead is the
    median of the per-fit differences).
    """
    import gdfast
    from gdfast import _api

    X, y = make_regression(n, d)
    params = dict(SGD_REGRESSION, max_iter=epochs)
    kernel_time = [0.0]
    captured: list[tuple[Any, ...]] = []

    def timed_kernel(*args: Any, **config: Any) -> tuple[float, int]:
        start = time.perf_counter()
        out = _api.compiled_epoch(*args, **config)
        kernel_time[0] += time.perf_counter() - start
        if not captured:
            captured.append((args, dict(config)))
        return out

    gdfast.fit(X, y, **params)  # warm up
    totals, kernels = [], []
    for _ in range(repeats):
        kernel_time[0] = 0.0
        start = time.perf_counter()
        _api.run_fit(X, y, _api.default_params(**params), kernel=timed_kernel)
        totals.append(time.perf_counter() - start)
        kernels.append(kernel_time[0])
    args, config = captured[0]
    args = (args[0], args[1], args[2], args[3], args[4].copy())
    one_sample = (*args[:3], args[3][:1].copy(), args[4])

    def per_call(call_args: tuple[Any, ...]) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(epochs):
                _api.compiled_epoch(*call_args, **config)
            times.append(time.perf_counter() - start)
        return 1e6 * float(np.median(times)) / epochs

    scale = 1e6 / epochs
    return dict(
        total_us=scale * float(np.median(totals)),
        kernel_us=scale * float(np.median(kernels)),
        overhead_us=scale * float(np.median(np.subtract(totals, kernels))),
        bare_call_us=per_call(args),
        one_sample_call_us=per_call(one_sample),
    )


def time_call(
    fn: Callable[[], Any], rounds: int, warmup: int = 1
) -> tuple[float, list[float], Any]:
    """(median seconds, all times, last result) of ``rounds`` calls after ``warmup`` calls."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), times, result


# ---------------------------------------------------------------------------------------------
# W8: dask arrays on a LocalCluster of worker processes

# 1,000,000 x 100 float64 in 10 row chunks, generated on the workers (da.random, seed 0);
# y = X @ w + 0.1 noise. batch: 20 iterations at eta0=0.1; sgd: 3 epochs at eta0=1e-3.
W8 = dict(n=1_000_000, d=100, n_chunks=10, n_workers=2, batch_iterations=20, sgd_epochs=3)
W8_BATCH: dict[str, Any] = dict(method="batch", eta0=0.1, max_iter=20, tol=None)
W8_SGD: dict[str, Any] = dict(method="sgd", eta0=1e-3, max_iter=3, tol=None, random_state=0)


@contextlib.contextmanager
def w8_cluster(n_workers: int) -> Iterator[Any]:
    """A dask.distributed Client on a LocalCluster of ``n_workers`` one-thread processes,
    both closed on leaving the context."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def make_w8(n: int, d: int, n_chunks: int) -> tuple[Any, Any]:
    """W8's X and y as dask arrays persisted on the active client's workers."""
    import dask
    import dask.array as da

    rng = da.random.default_rng(0)
    X = rng.normal(size=(n, d), chunks=(-(-n // n_chunks), d))
    w = np.random.default_rng(1).normal(size=d)
    y = X @ w + 0.1 * rng.normal(size=n, chunks=X.chunks[0])
    X, y = dask.persist(X, y)
    dask.compute(X.sum(), y.sum())  # on the workers before any clock starts
    return X, y


def w8_plain_dask_batch(X: Any, y: Any, iterations: int, eta0: float) -> np.ndarray:
    """Batch descent in plain dask array arithmetic: one ``X.T @ (X @ b - y)`` a step."""
    n, d = X.shape
    coef, intercept = np.zeros(d), 0.0
    for _ in range(iterations):
        residual = X @ coef + intercept - y
        grad, grad_b = dask_compute(X.T @ residual, residual.sum())
        coef = coef - eta0 * grad / n
        intercept = intercept - eta0 * grad_b / n
    return np.append(coef, intercept)


def dask_compute(*values: Any) -> tuple[Any, ...]:
    import dask

    return tuple(dask.compute(*values))


def w8_dask_glm(X: Any, y: Any, iterations: int) -> np.ndarray:
    """dask-glm's ``gradient_descent`` (Normal family: least squares), a line search a step."""
    from dask_glm.algorithms import gradient_descent
    from dask_glm.families import Normal

    return np.asarray(gradient_descent(X, y, max_iter=iterations, family=Normal, tol=0))


def w8_dask_ml_sgd(X: Any, y: Any, epochs: int, eta0: float) -> Any:
    """dask-ml ``Incremental(SGDRegressor)``: one ``partial_fit`` a chunk, ``epochs`` passes."""
    from dask_ml.wrappers import Incremental
    from sklearn.linear_model import SGDRegressor

    model = Incremental(
        SGDRegressor(learning_rate="constant", eta0=eta0, penalty=None, tol=None, random_state=0)
    )
    for _ in range(epochs):
        model.partial_fit(X, y)
    return model.estimator_


def w8_loss(X: Any, y: Any, coef: Any, intercept: Any) -> float:
    """Mean ``0.5 * (X @ coef + intercept - y)**2`` over all of W8, computed on the workers."""
    r = X @ np.ravel(np.asarray(coef, np.float64)) + float(np.squeeze(intercept)) - y
    return float(dask_compute((0.5 * r * r).mean())[0])


def w8_round_trip_ms(client: Any, n_tasks: int, repeats: int = 30) -> float:
    """Milliseconds of one submit-and-gather of ``n_tasks`` no-op tasks: the scheduler's
    floor under every iteration."""

    def noop(k: int) -> int:
        return k

    client.gather([client.submit(noop, k, pure=False) for k in range(n_tasks)])
    start = time.perf_counter()
    for _ in range(repeats):
        client.gather([client.submit(noop, k, pure=False) for k in range(n_tasks)])
    return 1e3 * (time.perf_counter() - start) / repeats
