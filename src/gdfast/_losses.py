"""The losses in NumPy, vectorised over samples: the reference loops and the
Python layer use them; the compiled core has its own (loss.hpp), tested
against these."""

from __future__ import annotations

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) without overflow (tanh form)."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def binary_loss(
    loss: str, p: np.ndarray, y: np.ndarray, epsilon: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample loss and its derivative in the decision value p (y is +-1 for classifiers)."""
    one = p.dtype.type(1)
    eps = p.dtype.type(epsilon)
    if loss == "squared_error":
        r = p - y
        return 0.5 * r * r, r
    if loss == "huber":
        r = p - y
        quadratic = np.abs(r) <= eps
        value = np.where(quadratic, 0.5 * r * r, eps * np.abs(r) - 0.5 * eps * eps)
        return value, np.clip(r, -eps, eps)
    if loss in ("epsilon_insensitive", "squared_epsilon_insensitive"):
        r = p - y
        excess = np.maximum(np.abs(r) - eps, 0)
        if loss == "epsilon_insensitive":
            return excess, np.sign(r) * (excess > 0)
        return excess * excess, 2 * np.sign(r) * excess
    z = y * p
    if loss == "log_loss":
        return np.logaddexp(0, -z).astype(p.dtype), (-y * _sigmoid(-z)).astype(p.dtype)
    if loss in ("hinge", "perceptron"):
        threshold = one if loss == "hinge" else p.dtype.type(0)
        return np.maximum(threshold - z, 0), np.where(z <= threshold, -y, 0).astype(p.dtype)
    if loss == "squared_hinge":
        margin = np.maximum(one - z, 0)
        return margin * margin, -2 * y * margin
    if loss == "modified_huber":
        value = np.where(z >= 1, 0, np.where(z >= -1, (1 - z) ** 2, -4 * z))
        derivative = np.where(z >= 1, 0, np.where(z >= -1, -2 * (1 - z) * y, -4 * y))
        return value.astype(p.dtype), derivative.astype(p.dtype)
    raise ValueError(f"loss: unknown loss {loss!r}")


def output_loss(
    loss: str,
    scores: np.ndarray,
    y: np.ndarray,
    epsilon: float,
    class_weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Loss per sample (m,) and its gradient in the scores (m, k).

    One output: y as it is. k > 1 outputs: y is a class index, one-vs-rest for
    binary losses (the losses of the k problems add up; in the problem of class
    c, a sample of class c weighs class_weight[c] and any other 1, as in
    scikit-learn), multinomial for softmax.
    """
    m, k = scores.shape
    if loss == "softmax":
        shifted = scores - scores.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        cls = y.astype(np.intp)
        value = np.log(total[:, 0]) - shifted[np.arange(m), cls]
        grad = exp / total
        grad[np.arange(m), cls] -= 1
        return value, grad
    if k == 1:
        targets = y[:, None]
    else:
        targets = np.where(y[:, None] == np.arange(k)[None, :], 1.0, -1.0).astype(scores.dtype)
    value, derivative = binary_loss(loss, scores, targets, epsilon)
    if class_weight is not None and k > 1:
        weight = np.where(targets > 0, class_weight[None, :], 1.0).astype(scores.dtype)
        value, derivative = value * weight, derivative * weight
    return value.sum(axis=1), derivative


def predict_proba_from_scores(loss: str, scores: np.ndarray) -> np.ndarray:
    """Probabilities from decision values, as scikit-learn defines them per loss."""
    if loss == "softmax":
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)
    if loss == "log_loss":
        prob = _sigmoid(scores)
    elif loss == "modified_huber":
        prob = (np.clip(scores, -1, 1) + 1) / 2
    else:
        raise AttributeError(
            f"predict_proba: not defined for loss={loss!r}; "
            "use 'log_loss', 'modified_huber' or 'softmax'"
        )
    if scores.ndim == 1:
        return np.column_stack([1 - prob, prob])
    total = prob.sum(axis=1, keepdims=True)
    uniform = np.full_like(prob, 1.0 / prob.shape[1])
    return np.divide(prob, total, out=uniform, where=total > 0)
