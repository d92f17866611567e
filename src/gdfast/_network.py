"""The multi-layer perceptron's side of the Python layer: its layout in the
flat parameter vector, scikit-learn's initialisation, and the NumPy forward
and backward passes (predictions, and the oracle of the compiled loop)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import CsrData

ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
NETWORK_LOSSES = ("squared_error", "log_loss", "softmax")


def check_hidden_layer_sizes(value: Any) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple of positive ints (an int is one layer)."""
    sizes = [value] if isinstance(value, (int, np.integer)) else value
    try:
        sizes = list(sizes)
    except TypeError:
        raise TypeError(
            f"hidden_layer_sizes: expected an int or a sequence of ints, got {value!r}"
        ) from None
    if not sizes:
        raise ValueError("hidden_layer_sizes: needs at least one hidden layer, got ()")
    checked = []
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"hidden_layer_sizes: expected ints, got {size!r} in {value!r}")
        if size < 1:
            raise ValueError(f"hidden_layer_sizes: every layer needs >= 1 unit, got {value!r}")
        checked.append(int(size))
    return tuple(checked)


# A network's epoch loss above this many times its loss scale (see loss_scale) has
# diverged: the loss of a network grows without bound long before its weights overflow
# (a relu network's logits multiply layer by layer; the log losses are linear in them).
LOSS_EXPLOSION_FACTOR = 1e4


def constant_model_loss(y: np.ndarray, loss: str) -> float:
    """The mean loss of the best constant prediction on the encoded targets ``y``
    (class indices for softmax, +-1 per output for log_loss, values for
    squared_error), as the compiled network defines its losses: the scale a
    trained network's loss lies below."""
    if loss == "softmax":
        p = np.bincount(y.astype(np.intp)) / y.shape[0]
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())
    targets = y.reshape(y.shape[0], -1)
    if loss == "log_loss":
        q = np.clip((targets > 0).mean(axis=0), 1e-300, 1 - 1e-16)
        return float(-(q * np.log(q) + (1 - q) * np.log1p(-q)).sum())
    return float(0.5 * np.mean(np.var(targets, axis=0, dtype=np.float64)))


def loss_scale(first_update_loss: float, constant_loss: float) -> float:
    """What a network's epoch losses are compared with to tell divergence: the larger
    of its loss at the start (the first update's, at the initial weights) and the
    best constant prediction's (a floor, for a start that is already a good fit)."""
    if not np.isfinite(first_update_loss):
        return constant_loss
    return max(first_update_loss, constant_loss)


def _activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0)
    if name == "tanh":
        return np.tanh(z)
    if name == "logistic":
        return 0.5 * (1 + np.tanh(0.5 * z))  # no overflow warning for large |z|
    return z


def _derivative_from_value(name: str, a: np.ndarray) -> np.ndarray | float:
    if name == "relu":
        return (a > 0).astype(a.dtype)
    if name == "tanh":
        return 1 - a * a
    if name == "logistic":
        return a * (1 - a)
    return 1.0


def forward(
    X: Any, coefs: list[np.ndarray], intercepts: list[np.ndarray], activation: str
) -> list[np.ndarray]:
    """Every layer's activations; the last holds the decision values (no head)."""
    activations = []
    a = X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        a = np.asarray(a @ W) + b
        if i + 1 < len(coefs):
            a = _activate(activation, a)
        activations.append(a)
    return activations


def output_scores(scores: np.ndarray) -> np.ndarray:
    """The decision values as the linear models give them: (n,) for one output."""
    return scores[:, 0] if scores.shape[1] == 1 else scores


@dataclass(frozen=True)
class NetworkLayout:
    """Where each layer lives in the flat parameter vector
    ``[W_1 | ... | W_L | b_1 | ... | b_L]`` (``W_l`` of shape (fan_in, fan_out),
    row-major, as scikit-learn's ``coefs_``)."""

    layer_sizes: tuple[int, ...]  # (n_features, hidden..., n_outputs)
    activation: str

    @property
    def n_layers(self) -> int:
        return len(self.layer_sizes) - 1

    @property
    def n_penalized(self) -> int:
        s = self.layer_sizes
        return sum(s[i] * s[i + 1] for i in range(self.n_layers))

    @property
    def n_params(self) -> int:
        return self.n_penalized + sum(self.layer_sizes[1:])

    def split(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per-layer views (coefs, intercepts) of ``flat``."""
        s = self.layer_sizes
        coefs, intercepts = [], []
        at = 0
        for i in range(self.n_layers):
            coefs.append(flat[at : at + s[i] * s[i + 1]].reshape(s[i], s[i + 1]))
            at += s[i] * s[i + 1]
        for i in range(self.n_layers):
            intercepts.append(flat[at : at + s[i + 1]])
            at += s[i + 1]
        return coefs, intercepts

    def join(self, coefs: list[Any], intercepts: list[Any], dtype: Any) -> np.ndarray:
        """One flat vector from per-layer arrays, their shapes checked."""
        if len(coefs) != self.n_layers or len(intercepts) != self.n_layers:
            raise ValueError(
                f"coef_init, intercept_init: expected {self.n_layers} arrays each, one per layer"
            )
        flat = np.empty(self.n_params, dtype=dtype)
        flat_coefs, flat_intercepts = self.split(flat)
        for i, (W, b) in enumerate(zip(coefs, intercepts)):
            W, b = np.asarray(W), np.asarray(b).ravel()
            if W.shape != flat_coefs[i].shape or b.shape != flat_intercepts[i].shape:
                raise ValueError(
                    f"coef_init, intercept_init: layer {i} expects shapes "
                    f"{flat_coefs[i].shape} and {flat_intercepts[i].shape}, got {W.shape} "
                    f"and {b.shape}"
                )
            flat_coefs[i][...] = W
            flat_intercepts[i][...] = b
        if not np.isfinite(flat).all():
            raise ValueError("coef_init, intercept_init: contain NaN or infinity")
        return flat

    def glorot(self, random_state: np.random.RandomState, dtype: Any) -> np.ndarray:
        """scikit-learn's initialisation, draw for draw: per layer, the weights then
        the biases, uniform in +-sqrt(6 / (fan_in + fan_out)) (2 for logistic)."""
        flat = np.empty(self.n_params, dtype=dtype)
        coefs, intercepts = self.split(flat)
        factor = 2.0 if self.activation == "logistic" else 6.0
        for i in range(self.n_layers):
            fan_in, fan_out = self.layer_sizes[i], self.layer_sizes[i + 1]
            bound = np.sqrt(factor / (fan_in + fan_out))
            coefs[i][...] = random_state.uniform(-bound, bound, (fan_in, fan_out))
            intercepts[i][...] = random_state.uniform(-bound, bound, fan_out)
        return flat

    def forward(self, X: Any, flat: np.ndarray) -> list[np.ndarray]:
        """Every layer's activations; the last holds the decision values."""
        coefs, intercepts = self.split(flat)
        return forward(X, coefs, intercepts, self.activation)

    def decision_function(self, X: Any, flat: np.ndarray) -> np.ndarray:
        """The output layer before its head, (n,) for one output."""
        return output_scores(self.forward(X, flat)[-1])

    def loss_gradient(
        self,
        X: np.ndarray,
        y: np.ndarray,
        flat: np.ndarray,
        loss: str,
        sample_weight: np.ndarray | None = None,
    ) -> tuple[float, np.ndarray]:
        """NumPy backprop: the sum of the sample-weighted losses over the rows of
        X and the summed gradient, as the compiled network defines them."""
        from ._losses import binary_loss, output_loss

        activations = self.forward(X, flat)
        scores = activations[-1]
        if loss == "softmax":
            value, delta = output_loss("softmax", scores, y, 0.0, None)
        else:
            targets = y.reshape(scores.shape)
            value, delta = binary_loss(loss, scores, targets, 0.0)
            value = value.sum(axis=1)
            if loss == "squared_error":
                value = value / scores.shape[1]  # scikit-learn's mean over the outputs
        if sample_weight is not None:
            value = value * sample_weight
            delta = delta * sample_weight[:, None]
        coefs, _ = self.split(flat)
        grad = np.empty_like(flat)
        grad_coefs, grad_intercepts = self.split(grad)
        for i in range(self.n_layers - 1, -1, -1):
            below = activations[i - 1] if i > 0 else X
            grad_coefs[i][...] = np.asarray(below.T @ delta)
            grad_intercepts[i][...] = delta.sum(axis=0)
            if i > 0:
                delta = (delta @ coefs[i].T) * _derivative_from_value(self.activation, below)
        return float(value.sum()), grad


def numpy_epoch(
    X: np.ndarray | CsrData,
    y: np.ndarray,
    sample_weight: np.ndarray | None,
    idx: np.ndarray,
    params: np.ndarray,
    layout: NetworkLayout,
    loss: str,
    step: int,
    penalty_l2: float,
    penalty_l2_per_batch: float,
    update: Any,
    update_losses: np.ndarray | None,
) -> tuple[float, int]:
    """A network's epoch in NumPy: ``update(grad)`` takes each step."""
    n_penalized = layout.n_penalized
    total = 0.0
    n_updates = 0
    for start in range(0, idx.shape[0], step):
        rows = idx[start : start + step]
        Xb = X.dense_rows(rows) if isinstance(X, CsrData) else X[rows]
        weights = None if sample_weight is None else sample_weight[rows]
        batch_loss, grad = layout.loss_gradient(Xb, y[rows], params, loss, weights)
        W = params[:n_penalized]
        batch_loss += 0.5 * penalty_l2_per_batch * float(W @ W)
        total += batch_loss
        if update_losses is not None:
            update_losses[n_updates] = batch_loss / rows.shape[0]
        grad /= params.dtype.type(rows.shape[0])
        strength = penalty_l2 + penalty_l2_per_batch / rows.shape[0]
        grad[:n_penalized] += params.dtype.type(strength) * W
        update(grad)
        n_updates += 1
    return total, n_updates
