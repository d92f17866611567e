"""Pure-NumPy gradient descent: the slow loops gdfast replaces.

:func:`run_epoch` is a plain NumPy transcription of the compiled epoch, with
the same arguments; :func:`fit` runs it under the same epoch loop as
:func:`gdfast.fit`, so given the same parameters and ``random_state`` both
consume the same permutations and make the same updates. The tests use it as
the oracle of the compiled loops; the benchmarks race it.

Examples
--------
>>> import numpy as np, gdfast
>>> X = np.random.default_rng(0).normal(size=(100, 3))
>>> y = X @ [1.0, -2.0, 0.5]
>>> fast = gdfast.fit(X, y, method="sgd", max_iter=3, random_state=0)
>>> slow = gdfast.reference.fit(X, y, method="sgd", max_iter=3, random_state=0)
>>> bool(np.allclose(fast.coef, slow.coef, rtol=1e-10))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import run_fit
from ._result import FitResult


def _loss_and_derivative(loss: str, p: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample loss and its derivative in the decision value p."""
    if loss == "squared_error":
        r = p - y
        return 0.5 * r * r, r
    if loss == "log_loss":
        z = y * p
        value = np.logaddexp(0.0, -z).astype(p.dtype, copy=False)
        # -y * sigmoid(-z); tanh form cannot overflow
        derivative = -y * (0.5 * (1.0 - np.tanh(0.5 * z))).astype(p.dtype, copy=False)
        return value, derivative
    raise ValueError(f"loss: unknown loss {loss!r}")


def _targets(y: np.ndarray, n_outputs: int) -> np.ndarray:
    """(m, n_outputs) targets: y itself for one output, +-1 one-vs-rest otherwise."""
    if n_outputs == 1:
        return y[:, None]
    classes = np.arange(n_outputs, dtype=y.dtype)
    return np.where(y[:, None] == classes[None, :], 1.0, -1.0).astype(y.dtype)


def run_epoch(
    X: np.ndarray,
    y: np.ndarray,
    sample_weight: np.ndarray | None,
    order: np.ndarray | None,
    params: np.ndarray,
    n_outputs: int,
    fit_intercept: bool,
    loss: str,
    method: str,
    batch_size: int,
    eta0: float,
    alpha_l2: float,
    t: int,
    n_threads: int,
) -> tuple[float, int]:
    """One epoch in NumPy, updating ``params`` in place; same contract as the compiled one.

    Returns the sum of the sample-weighted losses of the epoch (each at the
    parameters it was used with) and the number of updates.
    """
    del t, n_threads  # the constant schedule ignores t; NumPy picks its own threads
    n_samples, n_features = X.shape
    n_coef = n_outputs * n_features
    W = params[:n_coef].reshape(n_outputs, n_features)  # views: updates land in params
    b = params[n_coef:]
    idx = np.arange(n_samples) if order is None else order
    step = {"sgd": 1, "minibatch": batch_size, "batch": idx.shape[0]}[method]
    eta = params.dtype.type(eta0)
    total = 0.0
    n_updates = 0
    for start in range(0, idx.shape[0], step):
        rows = idx[start : start + step]
        Xb = X[rows]
        weights = np.ones(rows.shape[0], X.dtype) if sample_weight is None else sample_weight[rows]
        scores = Xb @ W.T + b
        value, deriv = _loss_and_derivative(loss, scores, _targets(y[rows], n_outputs))
        total += float(weights @ value.sum(axis=1))
        weighted = deriv * weights[:, None] / X.dtype.type(rows.shape[0])
        grad_W = weighted.T @ Xb + X.dtype.type(alpha_l2) * W
        W -= eta * grad_W
        if fit_intercept:
            b -= eta * weighted.sum(axis=0)
        n_updates += 1
    return total, n_updates


def fit(X: Any, y: Any, **params: Any) -> FitResult:
    """:func:`gdfast.fit` with the epochs run by :func:`run_epoch` in NumPy.

    Takes exactly the parameters of :func:`gdfast.fit`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    **params
        As for :func:`gdfast.fit`.

    Returns
    -------
    FitResult
    """
    import inspect

    from ._api import fit as fast_fit

    bound = inspect.signature(fast_fit).bind(X, y, **params)
    bound.apply_defaults()
    args = dict(bound.arguments)
    X, y = args.pop("X"), args.pop("y")
    extras = {k: args.pop(k) for k in ("coef_init", "intercept_init", "sample_weight")}
    return run_fit(X, y, args, kernel=run_epoch, **extras)
