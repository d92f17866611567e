"""FitResult: what a fit hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._losses import predict_proba_from_scores
from ._network import forward, output_scores
from ._validation import CLASSIFICATION_LOSSES, check_X

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@dataclass(frozen=True)
class EpochInfo:
    """What a ``callback`` sees after each epoch.

    Attributes
    ----------
    epoch : int
        Epochs completed (1-based).
    loss : float
        The epoch's mean loss (as in ``FitResult.loss_history``).
    eta : float
        The learning rate at the epoch's first update.
    validation_score : float or None
        The held-out score, with ``early_stopping=True``.
    n_updates : int
        Updates made so far.
    elapsed : float
        Seconds since the fit began.
    coef, intercept : ndarray, float or ndarray
        Copies of the current model (averaged, when averaging has begun).
    """

    epoch: int
    loss: float
    eta: float
    validation_score: float | None
    n_updates: int
    elapsed: float
    coef: np.ndarray
    intercept: Any


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
    validation_history : ndarray of shape (n_epochs,) or None
        The held-out score per epoch (R^2 or accuracy), with ``early_stopping``.
    lr_history : ndarray of shape (n_epochs,)
        The learning rate at each epoch's first update.
    epoch_times : ndarray of shape (n_epochs,)
        Cumulative seconds at the end of each epoch.
    update_losses : ndarray of shape (n_updates,) or None
        With ``record_updates=True``, the mean loss of every update's samples.
    n_epochs : int
        Epochs completed (a diverged epoch is not counted).
    n_updates : int
        Parameter updates made: samples for ``sgd``, batches for ``minibatch``,
        epochs for ``batch``.
    converged : bool
        True when ``tol``, ``target_loss`` or the callback ended the fit.
    stop_reason : str
        ``"tol"``, ``"target_loss"``, ``"max_iter"``, ``"max_time"``,
        ``"diverged"`` or ``"callback"``.
    elapsed : float
        Seconds spent in the fit.
    params : dict
        The parameters the fit ran with.
    classes : ndarray or None
        The class labels, for classification losses.
    coefs, intercepts : list of ndarray or None
        A network's weights (shapes (fan_in, fan_out)) and biases per layer,
        as scikit-learn's ``coefs_`` and ``intercepts_``; None for a linear
        model. ``coef`` and ``intercept`` then hold them as two flat vectors.
    multilabel : bool
        The network was fitted on a 2-D 0/1 label indicator y: ``predict``
        returns such a matrix.

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
    validation_history: np.ndarray | None
    lr_history: np.ndarray
    epoch_times: np.ndarray
    update_losses: np.ndarray | None
    n_epochs: int
    n_updates: int
    converged: bool
    stop_reason: str
    elapsed: float
    params: dict[str, Any] = field(default_factory=dict)
    classes: np.ndarray | None = None
    coefs: list[np.ndarray] | None = None
    intercepts: list[np.ndarray] | None = None
    multilabel: bool = False

    @property
    def is_classifier(self) -> bool:
        """Whether the fit used a classification loss."""
        return self.params.get("loss") in CLASSIFICATION_LOSSES

    def decision_function(self, X: Any) -> np.ndarray:
        """Decision values ``X @ coef.T + intercept`` (a network: its output
        layer before the output activation).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        X = check_X(X, dtype=self.coef.dtype)
        n_features = self.coef.shape[-1] if self.coefs is None else self.coefs[0].shape[0]
        if X.shape[1] != n_features:
            raise ValueError(
                f"X: has {X.shape[1]} features, but the model was fitted with {n_features}"
            )
        if self.coefs is not None:
            assert self.intercepts is not None
            activation = str(self.params.get("activation"))
            return output_scores(forward(X, self.coefs, self.intercepts, activation)[-1])
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
        if self.multilabel:
            return (scores > 0).astype(np.int64)
        if scores.ndim == 1:
            return self.classes[(scores > 0).astype(np.intp)]
        return self.classes[np.argmax(scores, axis=1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, for ``log_loss``, ``modified_huber`` and ``softmax``.

        As scikit-learn defines them: the sigmoid of the decision value
        (log_loss), ``(clip(d, -1, 1) + 1) / 2`` (modified_huber), each
        normalised over the classes for one-vs-rest; the softmax of the
        decision values (softmax).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        scores = self.decision_function(X)
        if self.multilabel:  # one independent probability per label, as scikit-learn's MLP
            return 0.5 * (1 + np.tanh(0.5 * scores))
        return predict_proba_from_scores(str(self.params.get("loss")), scores)

    def moving_average(self, window: int) -> np.ndarray:
        """The trailing mean of the last ``window`` update losses.

        Reads the trend through SGD's noise (windows of 10, 100 or 1,000 updates
        are the classic advice). It needs the loss of every update, which a fit
        keeps only with ``record_updates=True``; without them it raises a
        ``ValueError`` rather than quietly average the epoch losses
        (``loss_history``) instead, a different and much shorter series.

        Parameters
        ----------
        window : int
            Number of update losses averaged, >= 1.

        Returns
        -------
        ndarray of shape (n_updates - window + 1,)

        Raises
        ------
        ValueError
            When the fit did not record its updates (fit with
            ``record_updates=True``), or ``window`` is not an int from 1 to
            the number of recorded updates.

        Examples
        --------
        >>> import numpy as np, gdfast
        >>> X = np.random.default_rng(0).normal(size=(1000, 3))
        >>> res = gdfast.fit(X, X @ [1.0, 2.0, 3.0], method="sgd", record_updates=True,
        ...                  max_iter=2, tol=None, random_state=0)
        >>> res.moving_average(100).shape  # 2,000 updates
        (1901,)
        """
        from .plotting import recorded_update_losses, trailing_mean

        if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
            raise ValueError(f"window: expected an int >= 1, got {window!r}")
        values = recorded_update_losses(self, "moving_average")
        if window > len(values):
            raise ValueError(f"window: {window} is longer than the {len(values)} recorded losses")
        return trailing_mean(values, window)

    def plot(
        self,
        ax: Axes | None = None,
        x: str = "epoch",
        window: int | None = None,
        logy: bool = False,
        *,
        label: str | None = None,
    ) -> Axes:
        """Plot the cost curve: the loss per epoch, against time, or per update.

        The classic check of a descent: if the curve does not fall, lower
        ``eta0``. Per update (SGD's noisy losses) the trailing mean of the last
        ``window`` updates is drawn over the raw losses. A diverged fit's curve
        ends in an 'x' at its last finite loss (on the top edge of the axes
        when it diverged in its first epoch). Needs matplotlib
        (``pip install "gdfast[plot]"``), imported on first use.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw (to overlay several fits, pass the same axes); a new
            figure when None.
        x : {"epoch", "time", "update"}, default="epoch"
            The horizontal axis: epochs (``loss_history``), seconds since the
            fit began (``epoch_times``), or updates (``update_losses``: fit
            with ``record_updates=True``; without it, a ValueError rather
            than the epoch losses in their place).
        window : int, optional
            Also draw the trailing mean of the last ``window`` losses (10, 100
            or 1,000 updates is the classic advice). Per update it defaults to
            the largest of 1,000, 100 and 10 that is at most a tenth of the
            updates; per epoch or time, to none.
        logy : bool, default=False
            A logarithmic loss axis.
        label : str, optional
            The curve's legend label; default ``"<method>, eta0=<eta0>"``. With
            a trailing mean drawn over the raw losses, the legend names both
            after it (``"<label>: per update"``, ``"<label>: mean of the last
            100 updates"``); unlabelled, just ``"per update"`` and the mean.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on: x label ``epoch``, ``time (s)`` or ``update``;
            y label the training loss.

        Raises
        ------
        ImportError
            When matplotlib is not installed.
        ValueError
            For an unknown ``x``, a bad ``window``, or ``x="update"`` without
            recorded updates (fit with ``record_updates=True``).
        """
        from .plotting import plot_result

        return plot_result(self, ax=ax, x=x, window=window, logy=logy, label=label)

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

        def plain_any(value: Any) -> Any:
            return [plain(v) for v in value] if isinstance(value, list) else plain(value)

        return {name: plain_any(getattr(self, name)) for name in self.__dataclass_fields__}

    def __repr__(self) -> str:
        final = f"{self.loss_history[-1]:.6g}" if self.n_epochs else "n/a"
        return (
            f"FitResult(loss={self.params.get('loss')!r}, method={self.params.get('method')!r}, "
            f"n_epochs={self.n_epochs}, n_updates={self.n_updates}, final_loss={final}, "
            f"stop_reason={self.stop_reason!r}, elapsed={self.elapsed:.3g}s, "
            f"coef.shape={self.coef.shape}, dtype={self.coef.dtype})"
        )
