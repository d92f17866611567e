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

from ._api import default_params, run_fit
from ._losses import output_loss
from ._network import NetworkLayout, numpy_epoch
from ._result import FitResult
from ._validation import CsrData


def _eta(learning_rate: str, eta0: float, power_t: float, alpha: float, t0: float, t: int) -> float:
    if learning_rate == "optimal":
        return 1.0 / (alpha * (t0 + t))
    if learning_rate == "invscaling":
        return eta0 / (t + 1) ** power_t
    return eta0


def _step(
    optimizer: str,
    params: np.ndarray,
    grad: np.ndarray,
    state: np.ndarray | None,
    eta: Any,
    k: int,
    momentum: float,
    beta_1: float,
    beta_2: float,
    eps: float,
) -> None:
    """One update rule step on params, in place (k: the 1-based update number)."""
    if optimizer == "sgd":
        params -= eta * grad
        return
    assert state is not None
    if optimizer in ("momentum", "nesterov"):
        state[0] = momentum * state[0] + grad
        params -= eta * (state[0] if optimizer == "momentum" else grad + momentum * state[0])
    elif optimizer == "adagrad":
        state[0] += grad * grad
        params -= eta * grad / (np.sqrt(state[0]) + eps)
    elif optimizer == "rmsprop":
        state[0] = beta_2 * state[0] + (1 - beta_2) * grad * grad
        params -= eta * grad / (np.sqrt(state[0]) + eps)
    elif optimizer == "adam":
        state[0] = beta_1 * state[0] + (1 - beta_1) * grad
        state[1] = beta_2 * state[1] + (1 - beta_2) * grad * grad
        m_hat = state[0] / (1 - beta_1**k)
        v_hat = state[1] / (1 - beta_2**k)
        params -= eta * m_hat / (np.sqrt(v_hat) + eps)
    else:
        raise ValueError(f"optimizer: unknown optimizer {optimizer!r}")


def _truncate_l1(w: np.ndarray, state: np.ndarray, l1: float, eta: Any) -> None:
    """The cumulative truncated gradient (Tsuruoka et al. 2009), in place.

    state[:-1] is the L1 penalty each weight has received, state[-1] the total
    it could have received.
    """
    q = state[:-1]
    state[-1] += l1 * eta
    u = state[-1]
    before = w.copy()
    w[:] = np.where(
        before > 0,
        np.maximum(0, before - (u + q)),
        np.where(before < 0, np.minimum(0, before + (u - q)), before),
    )
    q += w - before


def run_epoch(
    X: np.ndarray | CsrData,
    y: np.ndarray,
    sample_weight: np.ndarray | None,
    order: np.ndarray | None,
    params: np.ndarray,
    *,
    n_outputs: int,
    fit_intercept: bool,
    loss: str,
    epsilon: float,
    class_weight: np.ndarray | None,
    method: str,
    batch_size: int,
    learning_rate: str,
    eta0: float,
    power_t: float,
    optimal_t0: float,
    alpha: float,
    penalty_l2: float,
    penalty_l1: float,
    penalty_state: np.ndarray | None,
    optimizer: str,
    momentum: float,
    beta_1: float,
    beta_2: float,
    eps: float,
    optimizer_state: np.ndarray | None,
    average: np.ndarray | None,
    average_start: int,
    t: int,
    n_threads: int,
    parallel: str,
    update_losses: np.ndarray | None,
    layer_sizes: np.ndarray | None = None,
    activation: str = "relu",
    penalty_l2_per_batch: float = 0.0,
) -> tuple[float, int]:
    """One epoch in NumPy, updating ``params`` (and the state arrays) in place.

    Same contract as the compiled ``run_epoch``: returns the sum of the
    sample-weighted losses of the epoch (each at the parameters it was used
    with) and the number of updates. With ``layer_sizes`` the model is a
    network (NumPy backprop over each batch).
    """
    del n_threads, parallel  # one NumPy loop: hogwild's interleaving is not reproducible anyway
    n_samples, n_features = X.shape
    dtype = params.dtype.type
    if layer_sizes is not None:
        idx = np.arange(n_samples) if order is None else order
        counter = [t]

        def update(grad: np.ndarray) -> None:
            eta = dtype(_eta(learning_rate, eta0, power_t, alpha, optimal_t0, counter[0]))
            counter[0] += 1
            _step(optimizer, params, grad, optimizer_state, eta, counter[0], momentum, beta_1,
                  beta_2, eps)  # fmt: skip

        layout = NetworkLayout(tuple(int(s) for s in layer_sizes), activation)
        step = {"sgd": 1, "minibatch": batch_size, "batch": idx.shape[0]}[method]
        return numpy_epoch(X, y, sample_weight, idx, params, layout, loss, step, penalty_l2,
                           penalty_l2_per_batch, update, update_losses)  # fmt: skip
    n_coef = n_outputs * n_features
    W = params[:n_coef].reshape(n_outputs, n_features)  # views: updates land in params
    b = params[n_coef:]
    idx = np.arange(n_samples) if order is None else order
    step = {"sgd": 1, "minibatch": batch_size, "batch": idx.shape[0]}[method]
    total = 0.0
    n_updates = 0
    for start in range(0, idx.shape[0], step):
        rows = idx[start : start + step]
        Xb = X.dense_rows(rows) if isinstance(X, CsrData) else X[rows]
        weights = np.ones(rows.shape[0], X.dtype) if sample_weight is None else sample_weight[rows]
        eta = dtype(_eta(learning_rate, eta0, power_t, alpha, optimal_t0, t))
        value, grad_scores = output_loss(loss, Xb @ W.T + b, y[rows], epsilon, class_weight)
        batch_loss = float(weights @ value)
        total += batch_loss
        if update_losses is not None:
            update_losses[n_updates] = batch_loss / rows.shape[0]
        weighted = grad_scores * weights[:, None] / dtype(rows.shape[0])
        grad = np.concatenate(
            [
                (weighted.T @ Xb + dtype(penalty_l2) * W).ravel(),
                weighted.sum(axis=0) if fit_intercept else np.zeros(n_outputs, X.dtype),
            ]
        )
        t += 1
        _step(optimizer, params, grad, optimizer_state, eta, t, momentum, beta_1, beta_2, eps)
        if penalty_l1 > 0:
            assert penalty_state is not None
            _truncate_l1(params[:n_coef], penalty_state, penalty_l1, eta)
        if average is not None and t >= average_start:
            average += (params - average) / dtype(t - average_start + 1)
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
    data = {k: params.pop(k, None) for k in ("coef_init", "intercept_init", "sample_weight")}
    return run_fit(X, y, default_params(**params), kernel=run_epoch, **data)
