"""gdfast.minimize: the descent machinery of gdfast.fit for an objective written in Python."""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import numpy as np

from . import _core
from ._loop import (
    EpochReport,
    Records,
    StoppingRules,
    check_descent_params,
    is_finite_epoch,
    warn_diverged,
)
from ._result import EpochInfo, FitResult
from ._schedules import (
    epoch_eta,
    update_eta,
)
from ._validation import (
    OPTIMIZER_STATE_SLOTS,
    _as_float_array,
    check_finite,
)

# fun(w, X_batch, y_batch) -> (loss, grad)
Objective = Callable[[np.ndarray, Any, Any], tuple[Any, Any]]


def minimize(
    fun: Objective,
    x0: Any,
    X: Any = None,
    y: Any = None,
    *,
    method: str | None = None,
    batch_size: int = 32,
    optimizer: str = "sgd",
    learning_rate: str | Callable[[int], float] = "constant",
    eta0: float = 0.01,
    power_t: float = 0.25,
    decay_rate: float = 0.9,
    step_size: int = 10,
    eta_min: float = 0.0,
    momentum: float = 0.9,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    eps: float = 1e-8,
    max_iter: int = 1000,
    tol: float | None = 1e-3,
    n_iter_no_change: int = 5,
    target_loss: float | None = None,
    max_time: float | None = None,
    callback: Callable[[EpochInfo], bool | None] | None = None,
    shuffle: bool = True,
    random_state: Any = None,
    record_updates: bool = False,
    progress: bool = False,
    verbose: int = 0,
) -> FitResult:
    """Minimise a user-written objective by batch, mini-batch or stochastic descent.

    For models gdfast does not build in. ``fun(w, X_batch, y_batch)`` returns
    ``(loss, grad)``; gdfast draws the batches, runs the schedule, applies the
    update rule (in C++, as :func:`gdfast.fit` does) and decides when to stop.
    Because ``fun`` is Python, every update costs one Python call: expect the
    speed of a careful NumPy loop, not of :func:`gdfast.fit` (see the README).

    Parameters
    ----------
    fun : callable
        ``fun(w, X_batch, y_batch) -> (loss, grad)``. ``w`` is a read-only view
        of the current parameters (copy it to keep it); ``X_batch`` and
        ``y_batch`` are ``X[rows]`` and ``y[rows]`` for the rows of the update
        (``None`` when ``X`` / ``y`` are not given). ``loss`` is a scalar and
        ``grad`` an array of the shape of ``x0``: return the *mean* loss and
        gradient of the batch, as :func:`gdfast.fit` does, so that ``eta0``
        means the same step for every ``batch_size``.
    x0 : array-like of shape (n_params,)
        The starting point; not modified. float32 and float64 are kept (the
        result has the dtype of ``x0``), other dtypes become float64. ``grad``
        is converted to this dtype.
    X : array-like or sparse matrix with n_samples rows, optional
        Data whose rows are batched: read with ``np.asarray`` (any dtype and
        number of dimensions, kept as they are; NaN or inf in float data is an
        error) or as a SciPy CSR matrix, and indexed along its first axis.
        None: the objective is deterministic and every epoch makes one update
        from ``fun(w, None, None)``.
    y : array-like with n_samples rows, optional
        Targets, batched with ``X``.
    method : {"batch", "minibatch", "sgd"} or None, default=None
        ``batch``: one update per epoch from all rows; ``minibatch``:
        ``batch_size`` rows drawn without replacement per update; ``sgd``: one
        row per update. None means ``"minibatch"`` with ``X`` and ``"batch"``
        without (the only method without data).
    batch_size : int, default=32
        Rows per update for ``method="minibatch"``.
    optimizer : str, default="sgd"
        ``"sgd"`` (plain), ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
        ``"rmsprop"``, ``"adam"``: the update rules of :func:`gdfast.fit`.
    learning_rate : str or callable, default="constant"
        As for :func:`gdfast.fit`: ``"constant"``, ``"invscaling"``,
        ``"adaptive"``, ``"exponential"``, ``"step"``, ``"cosine"`` or a
        callable ``epoch -> eta``. ``"optimal"`` is not available: its step
        depends on a penalty and a built-in loss.
    eta0, power_t, decay_rate, step_size, eta_min : float, float, float, int, float
        The schedule's settings, as for :func:`gdfast.fit`.
    momentum, beta_1, beta_2, eps : float
        The update rules' settings, as for :func:`gdfast.fit`.
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float or None, default=1e-3
        Stop once the epoch loss has failed to improve on the best by ``tol``
        for ``n_iter_no_change`` consecutive epochs. None disables the test.
    n_iter_no_change : int, default=5
        See ``tol``.
    target_loss : float or None, default=None
        Stop once an epoch's loss is at or below it.
    max_time : float or None, default=None
        Stop after the first epoch that ends past this many seconds.
    callback : callable or None, default=None
        Called after every epoch with an :class:`EpochInfo` (``coef`` holds a
        copy of ``w``); returning True stops.
    shuffle : bool, default=True
        Draw a new permutation of the rows every epoch (``sgd``, ``minibatch``);
        False takes the rows in order.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the permutations: the same as :func:`gdfast.fit` draws.
    record_updates : bool, default=False
        Keep the loss ``fun`` returned at every update in ``update_losses``.
    progress : bool, default=False
        A tqdm progress bar on stderr, one tick per epoch, with the loss and
        learning rate (``pip install "gdfast[progress]"``).
    verbose : int, default=0
        Above 0, print scikit-learn's per-epoch lines on stdout, as
        :func:`gdfast.fit` does.

    Returns
    -------
    FitResult
        ``coef`` is the final ``w`` (the dtype and shape of ``x0``),
        ``intercept`` 0, ``params["loss"]`` ``"custom"``. ``loss_history`` holds
        per epoch the mean of the returned losses weighted by batch size (the
        mean per-sample loss when ``fun`` returns batch means).
        ``FitResult.predict(X)`` is ``X @ coef``, meaningful only for a linear
        model.

    Raises
    ------
    ValueError
        When ``fun`` at ``x0`` does not return a finite scalar loss and a
        finite gradient of the shape of ``x0`` (later, a non-finite loss is a
        divergence: the descent stops with ``stop_reason="diverged"``, a
        ``RuntimeWarning`` and the parameters of the last complete epoch).

    Examples
    --------
    Least squares without an intercept, written by hand:

    >>> import numpy as np, gdfast
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 3))
    >>> y = X @ [1.0, -2.0, 0.5]
    >>> def fun(w, Xb, yb):
    ...     r = Xb @ w - yb
    ...     return 0.5 * np.mean(r**2), Xb.T @ r / len(yb)
    >>> res = gdfast.minimize(fun, np.zeros(3), X, y, eta0=0.05, random_state=0)
    >>> np.round(res.coef, 3), res.stop_reason
    (array([ 1. , -2. ,  0.5]), 'tol')

    A deterministic objective (no data): one update per epoch.

    >>> res = gdfast.minimize(lambda w, _, __: (float(w @ w), 2 * w), [3.0, -4.0],
    ...                       optimizer="adam", eta0=0.1, tol=None, max_iter=500)
    >>> bool(np.abs(res.coef).max() < 1e-3), res.n_updates
    (True, 500)
    """
    params = {
        name: value for name, value in locals().items() if name not in ("fun", "x0", "X", "y")
    }
    if not callable(fun):
        raise TypeError(
            f"fun: expected a callable fun(w, X_batch, y_batch), got {type(fun).__name__}"
        )
    x = _check_x0(x0)
    X, y, n_samples = _check_data(X, y)
    p = _check_params(params, has_data=X is not None)
    return _descend(fun, x, X, y, n_samples, p)


def _check_x0(x0: Any) -> np.ndarray:
    x = _as_float_array("x0", x0) if np.ndim(x0) else np.asarray(x0)  # keep a scalar 0-D
    if x.ndim != 1:
        raise ValueError(
            f"x0: expected a 1-D array, got {x.ndim}-D; flatten the parameters "
            "(x0.ravel()) and reshape them inside fun"
        )
    if x.shape[0] == 0:
        raise ValueError("x0: empty, needs at least one parameter")
    check_finite("x0", x)
    return x.copy()  # the descent updates it in place; the caller's x0 stays as it was


def _n_rows(name: str, value: Any) -> int:
    shape = getattr(value, "shape", None)
    if shape is None or len(shape) == 0:
        raise ValueError(f"{name}: expected an array with one row per sample, got a scalar")
    if shape[0] == 0:
        raise ValueError(f"{name}: empty, needs at least one sample")
    return int(shape[0])


def _as_batchable(name: str, value: Any) -> Any:
    """Arrays as NumPy (not converted otherwise), sparse matrices as CSR."""
    if hasattr(value, "tocsr") and hasattr(value, "nnz"):
        return value.tocsr()
    arr = np.asarray(value)
    if arr.dtype.kind in "fc":
        check_finite(name, arr)
    return arr


def _check_data(X: Any, y: Any) -> tuple[Any, Any, int]:
    if X is None:
        if y is not None:
            raise ValueError("y: given without X; pass the rows to batch as X")
        return None, None, 0
    X = _as_batchable("X", X)
    n_samples = _n_rows("X", X)
    if y is not None:
        y = _as_batchable("y", y)
        if _n_rows("y", y) != n_samples:
            raise ValueError(f"y: has {y.shape[0]} rows but X has {n_samples}; they must match")
    return X, y, n_samples


def _check_params(params: dict[str, Any], *, has_data: bool) -> dict[str, Any]:
    p = dict(params)
    if p["method"] is None:
        p["method"] = "minibatch" if has_data else "batch"
    check_descent_params(p)
    if not has_data and p["method"] != "batch":
        raise ValueError(
            f"method: {p['method']!r} draws rows of X, but X is None; without data the "
            "objective is deterministic and method='batch' (one update per epoch) applies"
        )
    if p["learning_rate"] == "optimal":
        raise ValueError(
            "learning_rate: 'optimal' is not available in minimize (it needs a built-in loss "
            "and a penalty alpha); use 'constant', 'invscaling', 'adaptive' or a per-epoch schedule"
        )
    p["loss"] = "custom"
    return p


def _first_output(out: Any, x: np.ndarray) -> tuple[float, np.ndarray]:
    """fun's output at x0, checked strictly: every problem here is a bug in fun."""
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise ValueError(f"fun: must return a pair (loss, grad), got {type(out).__name__}")
    loss, grad = out
    if np.ndim(loss) != 0 or not isinstance(np.asarray(loss).item(), numbers.Real):
        raise ValueError(f"fun: the loss must be a real scalar, got {type(loss).__name__}")
    try:
        g = np.ascontiguousarray(grad, dtype=x.dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"fun: the gradient is not a numeric array ({exc})") from exc
    if g.shape != x.shape:
        raise ValueError(f"fun: returned a gradient of shape {g.shape}; x0 has shape {x.shape}")
    if not math.isfinite(float(loss)):
        raise ValueError(f"fun: returned the loss {float(loss)} at x0; it must be finite")
    if not np.isfinite(g).all():
        raise ValueError("fun: returned a gradient with NaN or inf at x0; it must be finite")
    return float(loss), g


def _output(out: Any, x: np.ndarray, *, strict: bool) -> tuple[float, np.ndarray]:
    """fun's (loss, grad) as (float, array like x); checked in full when strict."""
    if strict:
        return _first_output(out, x)
    try:
        loss, grad = out
        loss = float(loss)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"fun: must return a pair (loss, grad) of numbers ({exc})") from exc
    g = np.ascontiguousarray(grad, dtype=x.dtype)
    if g.shape != x.shape:
        raise ValueError(f"fun: returned a gradient of shape {g.shape}; x0 has shape {x.shape}")
    return loss, g


def _batches(
    X: Any, y: Any, order: np.ndarray | None, step: int, n_rows: int
) -> Iterator[tuple[Any, Any, int]]:
    """(X_batch, y_batch, n_batch_rows) for each update of one epoch."""
    if X is None:
        yield None, None, 1
    elif step >= n_rows and order is None:
        yield X, y, n_rows  # batch: all rows, as given
    else:
        for first in range(0, n_rows, step):
            rows = slice(first, first + step) if order is None else order[first : first + step]
            yield X[rows], None if y is None else y[rows], min(step, n_rows - first)


def _descend(
    fun: Objective, x: np.ndarray, X: Any, y: Any, n_samples: int, p: dict[str, Any]
) -> FitResult:
    """The epoch loop: batches, schedule, update rule (C++), stopping."""
    method = p["method"]
    step = {"sgd": 1, "minibatch": p["batch_size"], "batch": max(n_samples, 1)}[method]
    n_rows = max(n_samples, 1)  # the deterministic objective counts as one sample
    optimizer, momentum, beta_1, beta_2, eps = (
        p[name] for name in ("optimizer", "momentum", "beta_1", "beta_2", "eps")
    )
    slots = OPTIMIZER_STATE_SLOTS[optimizer]
    state = np.zeros((slots, x.shape[0]), x.dtype) if slots else None
    w = x.view()
    w.flags.writeable = False  # fun sees every update, but cannot write into the iterate
    per_update = p["learning_rate"] == "invscaling"
    rng = np.random.default_rng(p["random_state"])
    dtype = x.dtype

    records = Records(p["record_updates"], validation=False)
    rules = StoppingRules(p, p["eta0"])
    report = EpochReport.create(p)
    stop_reason = "max_iter"
    t = 0  # updates of completed epochs
    start = time.perf_counter()
    for epoch in range(p["max_iter"]):
        order = rng.permutation(n_samples) if method != "batch" and p["shuffle"] else None
        eta = rules.adaptive_eta if p["learning_rate"] == "adaptive" else epoch_eta(p, epoch)
        losses: list[float] = []
        last_good = x.copy()
        loss_sum = 0.0
        diverged = False
        k = t  # the global number of the last update made
        for Xb, yb, n_batch in _batches(X, y, order, step, n_rows):
            loss, g = _output(fun(w, Xb, yb), x, strict=k == 0)
            if not math.isfinite(loss):
                diverged = True
                break
            k += 1
            eta_k = update_eta(p, k - 1, 1.0) if per_update else eta
            _core.apply_update(  # keywords spelled out: a **dict costs ~0.5 us a call
                x, g, state, optimizer=optimizer, eta=eta_k, k=k,
                momentum=momentum, beta_1=beta_1, beta_2=beta_2, eps=eps,
            )  # fmt: skip
            losses.append(loss)
            loss_sum += loss * n_batch  # fun's loss is the mean over the batch's rows
        epoch_loss = loss_sum / n_rows
        if diverged or not is_finite_epoch(epoch_loss, x):
            x[:] = last_good
            stop_reason = "diverged"
            warn_diverged(epoch + 1, p["eta0"], "the parameters of the last complete epoch")
            break
        records.lr_history.append(update_eta(p, t, 1.0) if per_update else eta)
        t = k
        records.loss_history.append(float(epoch_loss))
        records.epoch_times.append(time.perf_counter() - start)
        if records.update_losses is not None:
            records.update_losses.append(np.asarray(losses))
        info = partial(
            EpochInfo, epoch + 1, float(epoch_loss), records.lr_history[-1], None, t,
            records.epoch_times[-1], x.copy(), dtype.type(0),
        )  # fmt: skip
        if report is not None:
            report.epoch(epoch_loss, records.lr_history[-1], info)
        stop = rules.after_epoch(epoch_loss, None, records.epoch_times[-1], info)
        if stop is not None:
            stop_reason = stop
            break
    elapsed = time.perf_counter() - start
    if report is not None:
        report.close(stop_reason, len(records.loss_history), elapsed)
    return records.result(
        coef=x,
        intercept=dtype.type(0),
        n_updates=t,
        stop_reason=stop_reason,
        elapsed=elapsed,
        params=p,
        classes=None,
    )
