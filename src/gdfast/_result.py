"""FitResult: what a fit hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import CLASSIFICATION_LOSSES, check_X


@dataclass(frozen=True, repr=False)
class FitResult:
    """The outcome of :func:`gdfast.fit`.

    Attributes
    ----------
    coef : ndarray of shape (n_features,) or (n_classes, n_features)
        The coefficients, in the dtype of ``X`` (float32 stays float32).
    intercept : float or ndarray of shape (n_classes,)
        The intercept (0 when ``fit_intercept=False``).
    loss_history : ndarray of shape (n_epochs,)
        Per epoch, the mean data loss of the samples as they were used during
        the epoch (each at the parameters of its update), penalty not included.
    epoch_times : ndarray of shape (n_epochs,)
        Cumulative seconds at the end of each epoch.
    n_epochs : int
        Epochs completed (a diverged epoch is not counted).
    n_updates : int
        Parameter updates made: samples for ``sgd``, batches for ``minibatch``,
        epochs for ``batch``.
    converged : bool
        True when a stopping rule other than ``max_iter`` ended the fit.
    stop_reason : str
        ``"tol"``, ``"max_iter"`` or ``"diverged"``.
    elapsed : float
        Seconds spent in the fit.
    params : dict
        The parameters the fit ran with.
    classes : ndarray or None
        The class labels, for classification losses.

    Examples
    --------
    >>> import numpy as np, gdfast
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> res = gdfast.fit(X, X @ [1.0, 2.0, 3.0], eta0=0.05, tol=None, max_iter=100, random_state=0)
    >>> np.round(res.coef, 2)
    array([1., 2., 3.])
    """

    coef: np.ndarray
    intercept: Any
    loss_history: np.ndarray
    epoch_times: np.ndarray
    n_epochs: int
    n_updates: int
    converged: bool
    stop_reason: str
    elapsed: float
    params: dict[str, Any] = field(default_factory=dict)
    classes: np.ndarray | None = None

    @property
    def is_classifier(self) -> bool:
        """Whether the fit used a classification loss."""
        return self.params.get("loss") in CLASSIFICATION_LOSSES

    def decision_function(self, X: Any) -> np.ndarray:
        """Decision values ``X @ coef.T + intercept``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        X = check_X(X, dtype=self.coef.dtype)
        n_features = self.coef.shape[-1]
        if X.shape[1] != n_features:
            raise ValueError(
                f"X: has {X.shape[1]} features, but the model was fitted with {n_features}"
            )
        return X @ self.coef.T + self.intercept

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets (regression) or class labels (classification).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X)
        if not self.is_classifier:
            return scores
        assert self.classes is not None
        if scores.ndim == 1:
            return self.classes[(scores > 0).astype(np.intp)]
        return self.classes[np.argmax(scores, axis=1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, for ``loss="log_loss"``.

        Binary: the logistic sigmoid of the decision value. Multiclass
        (one-vs-rest): each class's sigmoid, normalised to sum to one, as
        scikit-learn's ``SGDClassifier`` does.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        if self.params.get("loss") != "log_loss":
            raise AttributeError(
                f"predict_proba: not defined for loss={self.params.get('loss')!r}; "
                "use loss='log_loss'"
            )
        scores = self.decision_function(X)
        if scores.ndim == 1:
            positive = 0.5 * (1.0 + np.tanh(0.5 * scores))  # a sigmoid that cannot overflow
            return np.column_stack([1.0 - positive, positive])
        prob = 0.5 * (1.0 + np.tanh(0.5 * scores))
        total = prob.sum(axis=1, keepdims=True)
        return np.divide(prob, total, out=np.full_like(prob, 1.0 / prob.shape[1]), where=total > 0)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain Python values (lists, floats, str), ready for JSON."""

        def plain(value: Any) -> Any:
            if isinstance(value, np.ndarray):
                return value.tolist()
            if isinstance(value, np.generic):
                return value.item()
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            return value

        return {
            name: plain(getattr(self, name))
            for name in self.__dataclass_fields__
        }

    def __repr__(self) -> str:
        final = f"{self.loss_history[-1]:.6g}" if self.n_epochs else "n/a"
        return (
            f"FitResult(loss={self.params.get('loss')!r}, method={self.params.get('method')!r}, "
            f"n_epochs={self.n_epochs}, n_updates={self.n_updates}, final_loss={final}, "
            f"stop_reason={self.stop_reason!r}, elapsed={self.elapsed:.3g}s, "
            f"coef.shape={self.coef.shape}, dtype={self.coef.dtype})"
        )
