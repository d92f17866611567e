"""``eta0="auto"`` for batch descent: the step 1 / L, L the largest curvature of the objective.

Full-batch gradient descent on an L-smooth objective decreases the loss at every step
whose size is below 2 / L, and 1 / L is the classical safe choice. For a linear model
the data part of the objective is the mean of ``w_i * loss(x_i . coef + b, y_i)``, whose
Hessian is bounded by ``c * [X 1]^T diag(w) [X 1] / n``, c the largest second derivative
of the loss in the decision value; the L2 part of the penalty adds ``alpha * (1 -
l1_ratio)``. The largest eigenvalue comes from power iteration on X (two passes over X
an iteration, at most :data:`MAX_ITERATIONS`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import CsrData

# The largest second derivative of each smooth loss in the decision value (softmax: the
# largest eigenvalue of diag(p) - p p^T is at most 1/2). Hinge, perceptron and
# epsilon_insensitive have kinks: no curvature bounds their steps.
LOSS_CURVATURE = {
    "squared_error": 1.0,
    "huber": 1.0,
    "squared_epsilon_insensitive": 2.0,
    "log_loss": 0.25,
    "softmax": 0.5,
    "squared_hinge": 2.0,
    "modified_huber": 2.0,
}
MAX_ITERATIONS = 100
RELATIVE_TOL = 1e-4


def check_auto_eta0(p: dict[str, Any]) -> None:
    """The settings under which ``eta0="auto"`` means something: a linear model, batch
    descent, a smooth loss."""
    if p["method"] != "batch":
        raise ValueError(
            f"eta0: 'auto' is the step 1 / L of full-batch descent (method='batch'), got "
            f"method={p['method']!r}; give minibatch and sgd a number"
        )
    if p["hidden_layer_sizes"] is not None:
        raise ValueError("eta0: 'auto' is for linear models; give a network a number")
    if p["loss"] not in LOSS_CURVATURE:
        raise ValueError(
            f"eta0: 'auto' needs a smooth loss ({', '.join(LOSS_CURVATURE)}); loss="
            f"{p['loss']!r} has a kink, so no curvature bounds its step"
        )


def largest_eigenvalue(
    X: np.ndarray | CsrData, sample_weight: np.ndarray | None, fit_intercept: bool
) -> float:
    """The largest eigenvalue of ``[X 1]^T diag(w) [X 1] / n`` (``[X]`` without the
    intercept) by power iteration from a fixed start: the same value every call.

    The Rayleigh quotient approaches the eigenvalue from below; it stops once an
    iteration changes it by less than RELATIVE_TOL. A quotient short of the eigenvalue
    by up to half of it still gives a step 1 / quotient below the stable limit 2 / L."""
    data = X.matrix if isinstance(X, CsrData) else X
    n, d = data.shape
    weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
    v = np.random.default_rng(0).normal(size=d + fit_intercept)
    v /= np.linalg.norm(v)
    quotient = 0.0
    for _ in range(MAX_ITERATIONS):
        u = np.asarray(data @ v[:d], dtype=np.float64) + (v[d] if fit_intercept else 0.0)
        u *= weights
        nxt = np.empty_like(v)
        nxt[:d] = np.asarray(data.T @ u, dtype=np.float64).ravel() / n
        if fit_intercept:
            nxt[d] = u.sum() / n
        new_quotient = float(v @ nxt)
        norm = float(np.linalg.norm(nxt))
        if norm == 0.0:
            return 0.0
        v = nxt / norm
        if abs(new_quotient - quotient) <= RELATIVE_TOL * new_quotient:
            return new_quotient
        quotient = new_quotient
    return quotient


def auto_eta0(
    X: np.ndarray | CsrData,
    sample_weight: np.ndarray | None,
    p: dict[str, Any],
    class_weight: np.ndarray | None = None,
) -> float:
    """1 / L for the objective of ``p`` on ``X``; ``class_weight`` (per class) scales
    the rows' weights by at most its largest entry."""
    curvature = LOSS_CURVATURE[p["loss"]]
    if class_weight is not None and len(class_weight):
        curvature *= max(1.0, float(np.max(class_weight)))
    L = curvature * largest_eigenvalue(X, sample_weight, bool(p["fit_intercept"]))
    if p["penalty"] in ("l2", "elasticnet"):
        l2 = 1.0 if p["penalty"] == "l2" else 1.0 - float(p["l1_ratio"])
        L += float(p["alpha"]) * l2
    if not L > 0:
        raise ValueError("eta0: 'auto' found no curvature (X and the penalty are all zero)")
    return 1.0 / L
