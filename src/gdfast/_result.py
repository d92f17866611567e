"""FitResult: what a fit hands back."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._losses import predict_proba_from_scores
from ._network import forward, output_scores
from ._validation import check_X

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
        """Whether the fit learned class labels (a classification loss, or a
        regression loss on labels, as ``GDClassifier`` allows)."""
        return self.classes is not None

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
        """The result as plain JSON values, in the format :meth:`from_dict` reads.

        Arrays become (nested) lists and NumPy scalars Python numbers; the keys
        ``"format"`` (``"gdfast.FitResult"``) and ``"version"`` name the format,
        and ``"dtypes"`` keeps the dtype of every array (float32 coefficients
        come back float32, string or bool class labels as they were). Of
        ``params``, what JSON cannot hold (a ``callback``, a callable
        ``learning_rate``, a ``Generator`` as ``random_state``) is written as
        None and its name listed under ``"params_not_saved"``.

        Returns
        -------
        dict
            Ready for :func:`json.dump`.

        Raises
        ------
        ValueError
            When ``classes`` holds labels JSON cannot write (bytes, dates).
        """
        data: dict[str, Any] = {"format": FILE_FORMAT, "version": FILE_VERSION}
        dtypes: dict[str, str] = {}
        not_saved: list[str] = []
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name == "params":
                data[name], not_saved = _params_to_json(value)
                continue
            if isinstance(value, list):  # a network's layers
                dtypes[name] = _dtype_name(value[0].dtype) if value else "float64"
                value = [layer.tolist() for layer in value]
            elif isinstance(value, (np.ndarray, np.generic)):
                dtypes[name] = _dtype_name(value.dtype)
                if name == "classes":
                    _check_json_labels(value)
                value = value.tolist()
            data[name] = value
        data["dtypes"] = dtypes
        if not_saved:
            data["params_not_saved"] = not_saved
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FitResult:
        """The result :meth:`to_dict` describes, with its arrays' dtypes.

        Keys other than the result's own (``gdfast fit --output`` adds
        ``source``, ``target``, ``feature_names`` and ``standardize``) are
        ignored. ``params`` comes back as written: a tuple (``hidden_layer_sizes``)
        from its JSON list, ``class_weight``'s keys as the class labels they
        name, NumPy scalars as Python numbers, and None for each parameter in
        ``"params_not_saved"``.

        Parameters
        ----------
        data : dict
            What :meth:`to_dict` returned, possibly through JSON.

        Returns
        -------
        FitResult
            It predicts exactly as the result that was saved.

        Raises
        ------
        ValueError
            When ``data`` is of another format or version, or a value is
            missing or malformed (the message names it).
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a dict, got {type(data).__name__}")
        kind = data.get("format")
        if kind != FILE_FORMAT:
            found = "no 'format' key" if kind is None else f"format {kind!r}"
            raise ValueError(f"not a saved gdfast FitResult ({found}, expected {FILE_FORMAT!r})")
        version = data.get("version")
        if version != FILE_VERSION:
            raise ValueError(
                f"a {FILE_FORMAT} of version {version!r}; this gdfast reads version {FILE_VERSION}"
            )
        dtypes = data.get("dtypes", {})
        if not isinstance(dtypes, Mapping):
            raise ValueError("dtypes: expected a dict of field names to dtypes")
        values: dict[str, Any] = {}
        for name in cls.__dataclass_fields__:
            if name not in data:
                raise ValueError(f"{name}: missing")
            try:
                values[name] = _field_from_json(name, data[name], dtypes.get(name))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name}: {' '.join(str(exc).split())}") from None
        values["params"] = _params_from_json(values["params"], values["classes"])
        return cls(**values)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the result to a JSON file that :meth:`load` reads back.

        The file holds :meth:`to_dict`: versioned, the arrays' dtypes and the
        class labels kept, so the loaded result predicts exactly as this one.
        What ``params`` cannot keep (a callback, ...) is listed in the file
        under ``"params_not_saved"`` (see :meth:`to_dict`).

        Parameters
        ----------
        path : str or path-like
            The file to write (replaced when it exists).

        Examples
        --------
        >>> import os, tempfile, numpy as np, gdfast
        >>> X = np.random.default_rng(0).normal(size=(100, 2))
        >>> res = gdfast.fit(X, X[:, 0] > 0, loss="log_loss", max_iter=5, random_state=0)
        >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
        >>> res.save(path)
        >>> loaded = gdfast.FitResult.load(path)
        >>> bool(np.array_equal(loaded.predict(X), res.predict(X))), loaded.classes
        (True, array([False,  True]))
        """
        save_file(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> FitResult:
        """Read a result written by :meth:`save` or by ``gdfast fit --output``.

        A model that ``gdfast fit --standardize`` wrote was fitted on
        standardised features: scale X by the file's ``standardize`` mean and
        scale before ``predict`` (``gdfast predict`` does); a warning says so.

        Parameters
        ----------
        path : str or path-like
            A JSON file of format ``"gdfast.FitResult"``, version 1.

        Returns
        -------
        FitResult

        Raises
        ------
        ValueError
            When the file is not JSON, or holds another format or version, or
            a malformed value; the message names the path.
        OSError
            When the file cannot be read.
        """
        result, extras = load_file(path)
        if extras.get("standardize"):
            warnings.warn(
                f"{path}: the model was fitted on standardised features (gdfast fit "
                "--standardize): scale X by the file's 'standardize' mean and scale before "
                "predicting, as gdfast predict does",
                UserWarning,
                stacklevel=2,
            )
        return result

    def __repr__(self) -> str:
        final = f"{self.loss_history[-1]:.6g}" if self.n_epochs else "n/a"
        return (
            f"FitResult(loss={self.params.get('loss')!r}, method={self.params.get('method')!r}, "
            f"n_epochs={self.n_epochs}, n_updates={self.n_updates}, final_loss={final}, "
            f"stop_reason={self.stop_reason!r}, elapsed={self.elapsed:.3g}s, "
            f"coef.shape={self.coef.shape}, dtype={self.coef.dtype})"
        )


# --- saving and loading ---------------------------------------------------------

FILE_FORMAT = "gdfast.FitResult"
FILE_VERSION = 1
_LAYER_FIELDS = ("coefs", "intercepts")
_ARRAY_FIELDS = ("coef", "loss_history", "validation_history", "lr_history", "epoch_times",
                 "update_losses", "classes")  # fmt: skip


def save_file(
    result: FitResult, path: str | os.PathLike[str], extras: Mapping[str, Any] | None = None
) -> None:
    """Write ``result`` as JSON, with ``extras`` (plain JSON values) as further keys
    that :func:`load_file` hands back (``gdfast fit --output`` adds the data's
    feature names and scaling)."""
    data = result.to_dict()
    clash = set(extras or {}) & {*data, "params_not_saved"}
    if clash:
        raise ValueError(f"extras: {', '.join(sorted(clash))} are the result's own keys")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({**data, **(extras or {})}, handle, indent=1)


def load_file(path: str | os.PathLike[str]) -> tuple[FitResult, dict[str, Any]]:
    """The result a saved JSON file holds, and the file's other keys.

    ``gdfast predict`` reads ``feature_names`` and ``standardize`` from the
    other keys; :meth:`FitResult.load` drops them.
    """
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        data = json.loads(raw)
    except ValueError as exc:  # a JSONDecodeError or bytes that are not text
        raise ValueError(
            f"{path}: not a gdfast model file: not JSON ({' '.join(str(exc).split())})"
        ) from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a gdfast model file: a JSON {type(data).__name__}")
    try:
        result = FitResult.from_dict(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    extras = {k: v for k, v in data.items() if k not in FitResult.__dataclass_fields__}
    return result, extras


def _dtype_name(dtype: np.dtype) -> str:
    """``"float32"`` where the name reads back as the dtype, else its code (``"<U3"``)."""
    try:
        return dtype.name if np.dtype(dtype.name) == dtype else dtype.str
    except TypeError:
        return dtype.str


def _check_json_labels(classes: np.ndarray | np.generic) -> None:
    plain = (bool, int, float, str)
    if classes.dtype.kind not in "biufUO" or not all(
        isinstance(label, plain) for label in classes.tolist()
    ):
        raise ValueError(
            f"classes: labels of dtype {classes.dtype} cannot be saved as JSON "
            "(numbers, strings and bools can)"
        )


def _field_from_json(name: str, value: Any, dtype: str | None) -> Any:
    arrays = name in _ARRAY_FIELDS or name in _LAYER_FIELDS or isinstance(value, list)
    if value is None or (dtype is None and not arrays):
        return value
    if dtype is None:
        raise ValueError("no dtype for the array in 'dtypes'")
    if name in _LAYER_FIELDS:
        if not isinstance(value, list):
            raise ValueError(f"expected a list of per-layer arrays, got {type(value).__name__}")
        return [np.asarray(layer, dtype=dtype) for layer in value]
    if not isinstance(value, list):
        if name in _ARRAY_FIELDS:
            raise ValueError(f"expected a list, got {type(value).__name__}")
        return np.dtype(dtype).type(value)  # a scalar intercept
    return np.asarray(value, dtype=dtype)


def _param_to_json(value: Any) -> tuple[Any, bool]:
    """``value`` as JSON, and whether JSON holds it."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value, True
    if isinstance(value, np.generic) and value.dtype.kind in "biufU":
        return value.item(), True
    if isinstance(value, (tuple, list)):
        items = [_param_to_json(v) for v in value]
        return [v for v, _ in items], all(kept for _, kept in items)
    if isinstance(value, dict):
        keys = [_param_to_json(k) for k in value]
        items = [_param_to_json(v) for v in value.values()]
        kept = all(k for _, k in [*keys, *items]) and all(not isinstance(k, list) for k, _ in keys)
        return {str(k): v for (k, _), (v, _) in zip(keys, items)}, kept
    return None, False


def _params_to_json(params: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    out, not_saved = {}, []
    for name, value in params.items():
        out[name], kept = _param_to_json(value)
        if not kept:
            out[name] = None
            not_saved.append(name)
    return out, not_saved


def _params_from_json(params: Any, classes: np.ndarray | None) -> dict[str, Any]:
    if not isinstance(params, dict):
        raise ValueError(f"params: expected a dict, got {type(params).__name__}")
    out = {name: tuple(v) if isinstance(v, list) else v for name, v in params.items()}
    weights = out.get("class_weight")
    if isinstance(weights, dict) and classes is not None:  # JSON wrote the labels as text
        labels = {str(label): label for label in classes.tolist()}
        out["class_weight"] = {labels.get(k, k): w for k, w in weights.items()}
    return out
