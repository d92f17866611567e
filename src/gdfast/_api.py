"""gdfast.fit: validation, shuffling, the epoch loop, stopping, the result."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _core
from ._result import FitResult
from ._threads import get_num_threads
from ._validation import (
    CLASSIFICATION_LOSSES,
    LEARNING_RATES,
    LOSSES,
    METHODS,
    PENALTIES,
    check_choice,
    check_finite,
    check_float,
    check_int,
    check_sample_weight,
    check_X,
    check_y_shape,
)

# run_epoch(X, y, sample_weight, order, params, n_outputs, fit_intercept, loss, method,
#           batch_size, eta0, alpha_l2, t, n_threads) -> (loss_sum, n_updates)
EpochKernel = Callable[..., tuple[float, int]]


def fit(
    X: Any,
    y: Any,
    *,
    loss: str = "squared_error",
    method: str = "minibatch",
    batch_size: int = 32,
    learning_rate: str = "constant",
    eta0: float = 0.01,
    penalty: str | None = None,
    alpha: float = 1e-4,
    fit_intercept: bool = True,
    max_iter: int = 1000,
    tol: float | None = 1e-3,
    n_iter_no_change: int = 5,
    shuffle: bool = True,
    random_state: Any = None,
    coef_init: Any = None,
    intercept_init: Any = None,
    sample_weight: Any = None,
    n_threads: int | None = None,
) -> FitResult:
    """Fit a linear model by gradient descent: batch, mini-batch or stochastic.

    The objective is the (sample-weighted) mean of the per-sample losses plus
    the penalty; ``squared_error`` is ``0.5 * (p - y)**2``, as in scikit-learn.
    Every update uses the mean gradient of the samples it sees, so ``eta0``
    means the same step for every ``batch_size``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Training data. float32 and float64 are used as given (float32 gives
        float32 coefficients); other dtypes are converted to float64.
        C-contiguous arrays, read-only ones and ``np.memmap`` are not copied.
    y : array-like of shape (n_samples,)
        Targets (regression) or class labels of any type (classification).
    loss : {"squared_error", "log_loss"}, default="squared_error"
        ``log_loss`` is logistic regression; with more than two classes it is
        fitted one-vs-rest, all classes in the same pass over the data.
    method : {"minibatch", "batch", "sgd"}, default="minibatch"
        ``batch``: one update per epoch from all samples; ``minibatch``: one
        update per ``batch_size`` samples drawn without replacement; ``sgd``: one
        update per sample.
    batch_size : int, default=32
        Samples per update for ``method="minibatch"``.
    learning_rate : {"constant"}, default="constant"
        The learning-rate schedule.
    eta0 : float, default=0.01
        The learning rate (> 0).
    penalty : {None, "l2"}, default=None
        Penalty on the coefficients (never the intercept).
    alpha : float, default=1e-4
        Strength of the penalty: ``alpha / 2 * |w|_2^2`` for ``"l2"``.
    fit_intercept : bool, default=True
        Whether to fit an intercept.
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float or None, default=1e-3
        Stop once the epoch loss has failed to fall below ``best - tol`` for
        ``n_iter_no_change`` consecutive epochs (scikit-learn's rule). None
        disables the test.
    n_iter_no_change : int, default=5
        See ``tol``.
    shuffle : bool, default=True
        Draw a new permutation of the samples every epoch (``sgd``, ``minibatch``).
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the permutations. The same seed gives the same result, bit for
        bit, whatever ``n_threads``.
    coef_init : array-like of shape (n_features,) or (n_classes, n_features), optional
        Starting coefficients (default zeros).
    intercept_init : float or array-like of shape (n_classes,), optional
        Starting intercept (default zero).
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weight of each sample's loss.
    n_threads : int, optional
        Threads for the gradient reductions of ``batch`` and ``minibatch``;
        default :func:`gdfast.get_num_threads`.

    Returns
    -------
    FitResult

    Examples
    --------
    >>> import numpy as np, gdfast
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 5))
    >>> y = X @ np.arange(1.0, 6.0) + 0.5
    >>> res = gdfast.fit(X, y, method="minibatch", eta0=0.05, random_state=0)
    >>> np.round(res.coef, 3), round(float(res.intercept), 3)
    (array([1., 2., 3., 4., 5.]), 0.5)
    """
    params = dict(
        loss=loss,
        method=method,
        batch_size=batch_size,
        learning_rate=learning_rate,
        eta0=eta0,
        penalty=penalty,
        alpha=alpha,
        fit_intercept=fit_intercept,
        max_iter=max_iter,
        tol=tol,
        n_iter_no_change=n_iter_no_change,
        shuffle=shuffle,
        random_state=random_state,
        n_threads=n_threads,
    )
    return run_fit(
        X,
        y,
        params,
        kernel=_core.run_epoch,
        coef_init=coef_init,
        intercept_init=intercept_init,
        sample_weight=sample_weight,
    )


def _check_params(params: dict[str, Any]) -> dict[str, Any]:
    p = dict(params)
    check_choice("loss", p["loss"], LOSSES)
    check_choice("method", p["method"], METHODS)
    check_choice("learning_rate", p["learning_rate"], LEARNING_RATES)
    check_choice("penalty", p["penalty"], PENALTIES)
    p["batch_size"] = check_int("batch_size", p["batch_size"], minimum=1)
    p["eta0"] = check_float("eta0", p["eta0"], positive=True)
    p["alpha"] = check_float("alpha", p["alpha"], non_negative=True)
    p["max_iter"] = check_int("max_iter", p["max_iter"], minimum=1)
    p["n_iter_no_change"] = check_int("n_iter_no_change", p["n_iter_no_change"], minimum=1)
    if p["tol"] is not None:
        p["tol"] = check_float("tol", p["tol"])
    for flag in ("fit_intercept", "shuffle"):
        if not isinstance(p[flag], (bool, np.bool_)):
            raise TypeError(f"{flag}: expected a bool, got {type(p[flag]).__name__}")
        p[flag] = bool(p[flag])
    if p["n_threads"] is None:
        p["n_threads"] = get_num_threads()
    p["n_threads"] = check_int("n_threads", p["n_threads"], minimum=1)
    return p


def _encode_targets(
    y: np.ndarray, loss: str, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Targets as the kernel wants them: values, +-1 (binary) or class index (one-vs-rest)."""
    if loss not in CLASSIFICATION_LOSSES:
        if y.dtype.kind not in "biuf":
            raise TypeError(f"y: a regression target must be numeric, got dtype {y.dtype}")
        y_num = np.ascontiguousarray(y, dtype=dtype)
        check_finite("y", y_num)
        return y_num, None, 1
    if y.dtype.kind == "f":
        check_finite("y", y)
    classes, index = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(
            f"y: a classifier needs at least two classes, got {classes.shape[0]} "
            f"({classes.tolist()})"
        )
    if classes.shape[0] == 2:
        return np.where(index == 1, 1.0, -1.0).astype(dtype), classes, 1
    return index.astype(dtype), classes, int(classes.shape[0])


def _initial_params(
    coef_init: Any, intercept_init: Any, n_outputs: int, n_features: int, dtype: np.dtype
) -> np.ndarray:
    """One flat vector [coef (n_outputs x n_features) | intercept (n_outputs)]."""
    flat = np.zeros(n_outputs * (n_features + 1), dtype=dtype)
    coef_shape = (n_features,) if n_outputs == 1 else (n_outputs, n_features)
    if coef_init is not None:
        coef = np.asarray(coef_init, dtype=dtype)
        if coef.shape != coef_shape and coef.size != n_outputs * n_features:
            raise ValueError(f"coef_init: expected shape {coef_shape}, got {coef.shape}")
        check_finite("coef_init", coef)
        flat[: n_outputs * n_features] = coef.ravel()
    if intercept_init is not None:
        intercept = np.asarray(intercept_init, dtype=dtype).ravel()
        if intercept.size != n_outputs:
            raise ValueError(f"intercept_init: expected {n_outputs} value(s), got {intercept.size}")
        check_finite("intercept_init", intercept)
        flat[n_outputs * n_features :] = intercept
    return flat


def run_fit(
    X: Any,
    y: Any,
    params: dict[str, Any],
    *,
    kernel: EpochKernel,
    coef_init: Any = None,
    intercept_init: Any = None,
    sample_weight: Any = None,
) -> FitResult:
    """The epoch loop shared by :func:`gdfast.fit` and :func:`gdfast.reference.fit`.

    Only ``kernel`` differs: the compiled epoch or the NumPy one. Python draws the
    permutation, decides stopping and builds the result; the kernel runs one
    epoch over the given order.
    """
    p = _check_params(params)
    X = check_X(X)
    n_samples, n_features = X.shape
    dtype = X.dtype
    y_raw = check_y_shape(y, n_samples)
    y_enc, classes, n_outputs = _encode_targets(y_raw, p["loss"], dtype)
    sw = check_sample_weight(sample_weight, n_samples, dtype)
    flat = _initial_params(coef_init, intercept_init, n_outputs, n_features, dtype)
    if not p["fit_intercept"]:
        flat[n_outputs * n_features :] = 0.0
    alpha_l2 = p["alpha"] if p["penalty"] == "l2" else 0.0

    rng = np.random.default_rng(p["random_state"])
    use_order = p["shuffle"] and p["method"] != "batch"
    loss_history: list[float] = []
    epoch_times: list[float] = []
    best_loss = np.inf
    no_improvement = 0
    t = 0
    stop_reason = "max_iter"
    start = time.perf_counter()
    for _epoch in range(p["max_iter"]):
        order = rng.permutation(n_samples) if use_order else None
        last_good = flat.copy()
        loss_sum, n_updates = kernel(
            X,
            y_enc,
            sw,
            order,
            flat,
            n_outputs,
            p["fit_intercept"],
            p["loss"],
            p["method"],
            p["batch_size"],
            p["eta0"],
            alpha_l2,
            t,
            p["n_threads"],
        )
        epoch_loss = loss_sum / n_samples
        if not (np.isfinite(epoch_loss) and np.isfinite(flat).all()):
            flat[:] = last_good
            stop_reason = "diverged"
            warnings.warn(
                f"gdfast: the loss diverged in epoch {len(loss_history) + 1} "
                f"(eta0={p['eta0']:g}); returning the last finite coefficients. "
                "Lower eta0.",
                RuntimeWarning,
                stacklevel=3,
            )
            break
        t += n_updates
        loss_history.append(float(epoch_loss))
        epoch_times.append(time.perf_counter() - start)
        if p["tol"] is not None:
            no_improvement = no_improvement + 1 if epoch_loss > best_loss - p["tol"] else 0
            best_loss = min(best_loss, epoch_loss)
            if no_improvement >= p["n_iter_no_change"]:
                stop_reason = "tol"
                break
    elapsed = time.perf_counter() - start

    n_coef = n_outputs * n_features
    coef = flat[:n_coef].reshape(n_outputs, n_features) if n_outputs > 1 else flat[:n_coef]
    intercept = flat[n_coef:] if n_outputs > 1 else flat[n_coef]
    return FitResult(
        coef=coef.copy(),
        intercept=intercept.copy(),
        loss_history=np.asarray(loss_history),
        epoch_times=np.asarray(epoch_times),
        n_epochs=len(loss_history),
        n_updates=t,
        converged=stop_reason not in ("max_iter", "diverged"),
        stop_reason=stop_reason,
        elapsed=elapsed,
        params=p,
        classes=classes,
    )
