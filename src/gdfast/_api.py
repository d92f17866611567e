"""gdfast.fit: validation, shuffling, the epoch loop, stopping, the result."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from . import _core
from ._loop import (
    EpochReport,
    Records,
    StoppingRules,
    check_descent_params,
    check_flag,
    is_finite_epoch,
    loss_kept_rising,
    warn_diverged,
)
from ._network import (
    ACTIVATIONS,
    LOSS_EXPLOSION_FACTOR,
    NETWORK_LOSSES,
    NetworkLayout,
    check_hidden_layer_sizes,
    constant_model_loss,
    loss_scale,
)
from ._result import EpochInfo, FitResult
from ._schedules import (
    PER_UPDATE,
    epoch_eta,
    optimal_t0,
    update_eta,
)
from ._step import auto_eta0, check_auto_eta0
from ._threads import get_num_threads
from ._validation import (
    CLASSIFICATION_LOSSES,
    LOSSES,
    OPTIMIZER_STATE_SLOTS,
    PARALLEL,
    PENALTIES,
    CsrData,
    check_choice,
    check_finite,
    check_float,
    check_int,
    check_sample_weight,
    check_X,
    check_X_finite,
    check_y_shape,
)

# run_epoch(X, y, sample_weight, order, params, **config) -> (loss_sum, n_updates);
# config holds the keyword arguments of _core.run_epoch.
EpochKernel = Callable[..., tuple[float, int]]


def fit(
    X: Any,
    y: Any,
    *,
    loss: str = "squared_error",
    hidden_layer_sizes: Any = None,
    activation: str = "relu",
    method: str = "minibatch",
    batch_size: int = 32,
    optimizer: str = "sgd",
    learning_rate: str | Callable[[int], float] = "constant",
    eta0: float | str = 0.01,
    power_t: float = 0.25,
    decay_rate: float = 0.9,
    step_size: int = 10,
    eta_min: float = 0.0,
    penalty: str | None = None,
    alpha: float = 1e-4,
    l1_ratio: float = 0.15,
    epsilon: float = 0.1,
    fit_intercept: bool = True,
    max_iter: int = 1000,
    tol: float | None = 1e-3,
    n_iter_no_change: int = 5,
    early_stopping: bool = False,
    validation_fraction: float = 0.1,
    target_loss: float | None = None,
    max_time: float | None = None,
    callback: Callable[[EpochInfo], bool | None] | None = None,
    shuffle: bool = True,
    random_state: Any = None,
    momentum: float = 0.9,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    eps: float = 1e-8,
    average: bool | int = False,
    class_weight: dict[Any, float] | str | None = None,
    sample_weight: Any = None,
    coef_init: Any = None,
    intercept_init: Any = None,
    n_threads: int | None = None,
    parallel: str = "deterministic",
    record_updates: bool = False,
    progress: bool = False,
    verbose: int = 0,
) -> FitResult:
    """Fit a linear model or a neural network by gradient descent: batch,
    mini-batch or stochastic.

    The objective is the (sample-weighted) mean of the per-sample losses plus
    ``alpha * (l1_ratio * |w|_1 + (1 - l1_ratio) / 2 * |w|_2^2)``; the intercept
    is not penalised and ``squared_error`` is ``0.5 * (p - y)**2``, as in
    scikit-learn. Every update uses the mean gradient of the samples it sees, so
    ``eta0`` means the same step for every ``batch_size``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Training data. float32 and float64 are used as given (float32 gives
        float32 coefficients); other dtypes are converted to float64.
        C-contiguous arrays, read-only ones and ``np.memmap`` are not copied.
    y : array-like of shape (n_samples,)
        Targets (regression) or class labels of any type (classification).
    loss : str, default="squared_error"
        Regression: ``"squared_error"``, ``"huber"``, ``"epsilon_insensitive"``,
        ``"squared_epsilon_insensitive"``. Classification: ``"log_loss"``,
        ``"hinge"``, ``"squared_hinge"``, ``"modified_huber"``, ``"perceptron"``
        (one-vs-rest for more than two classes, all classes in one pass) and
        ``"softmax"`` (multinomial: one weight row per class, even for two).
        A classification loss takes class labels: a float ``y`` with non-integer
        values is a ``ValueError`` ("Unknown label type: continuous").
        A network takes ``"squared_error"`` (identity output), ``"log_loss"``
        (a logistic output per class, one for two classes) or ``"softmax"``.
    hidden_layer_sizes : int or sequence of int, optional
        Train a multi-layer perceptron with these hidden layers (scikit-learn's
        ``MLPClassifier`` network: Glorot initialisation seeded by
        ``random_state``) instead of a linear model. ``coef`` and ``intercept``
        of the result then hold all weights and all biases as flat vectors,
        ``coefs`` and ``intercepts`` the per-layer arrays. ``penalty`` may be
        None or ``"l2"`` (on the weights, not the biases).
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        The hidden layers' activation, for a network.
    method : {"minibatch", "batch", "sgd"}, default="minibatch"
        ``batch``: one update per epoch from all samples; ``minibatch``: one
        update per ``batch_size`` samples drawn without replacement; ``sgd``: one
        update per sample.
    batch_size : int, default=32
        Samples per update for ``method="minibatch"``.
    optimizer : str, default="sgd"
        The update rule: ``"sgd"`` (plain), ``"momentum"``, ``"nesterov"``
        (PyTorch's forms), ``"adagrad"``, ``"rmsprop"``, ``"adam"``.
    learning_rate : str or callable, default="constant"
        Per update: ``"constant"`` (eta0), ``"optimal"`` (1 / (alpha (t0 + t)),
        scikit-learn's t0), ``"invscaling"`` (eta0 / (t + 1)^power_t). Per epoch e:
        ``"adaptive"`` (eta0, divided by 5 whenever the stopping test fails;
        stops below 1e-6), ``"exponential"`` (eta0 decay_rate^e), ``"step"``
        (eta0 decay_rate^(e // step_size)), ``"cosine"`` (from eta0 down to
        eta_min over max_iter epochs), or a callable ``epoch -> eta``.
    eta0 : float or "auto", default=0.01
        The initial learning rate (> 0; unused by ``"optimal"``). ``"auto"``, for
        ``method="batch"`` on a linear model with a smooth loss (not hinge,
        perceptron, epsilon_insensitive): the step 1 / L, L the objective's largest
        curvature from power iteration on X (the loss's largest second derivative
        times the largest eigenvalue of ``[X 1]^T diag(sample_weight) [X 1] / n``,
        plus the L2 penalty), below which batch descent lowers the loss every
        epoch; ``result.params["eta0"]`` holds the step it chose.
    power_t : float, default=0.25
        Exponent of ``"invscaling"`` (a negative one makes the rate grow).
    decay_rate : float, default=0.9
        Factor of ``"exponential"`` and ``"step"``.
    step_size : int, default=10
        Epochs between decays of ``"step"``.
    eta_min : float, default=0.0
        Final learning rate of ``"cosine"``.
    penalty : {None, "l2", "l1", "elasticnet"}, default=None
        L1 by the cumulative truncated gradient (Tsuruoka et al. 2009): exact zeros.
    alpha : float, default=1e-4
        Strength of the penalty; also sets the ``"optimal"`` schedule.
    l1_ratio : float, default=0.15
        The L1 share of ``"elasticnet"``.
    epsilon : float, default=0.1
        The margin of ``"huber"`` and the epsilon-insensitive losses.
    fit_intercept : bool, default=True
        Whether to fit an intercept.
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float or None, default=1e-3
        Stop once the epoch loss (or, with ``early_stopping``, the validation
        score) has failed to improve on the best by ``tol`` for
        ``n_iter_no_change`` consecutive epochs (scikit-learn's rule). None
        disables the test.
    n_iter_no_change : int, default=5
        See ``tol``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified for
        classifiers) and apply the ``tol`` test to its score (R^2 or accuracy,
        weighted by ``sample_weight``).
    validation_fraction : float, default=0.1
        See ``early_stopping``.
    target_loss : float or None, default=None
        Stop once an epoch's loss is at or below it.
    max_time : float or None, default=None
        Stop after the first epoch that ends past this many seconds.
    callback : callable or None, default=None
        Called after every epoch with an :class:`EpochInfo`; returning True stops.
    shuffle : bool, default=True
        Draw a new permutation of the samples every epoch (``sgd``, ``minibatch``).
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the permutations and the validation split. The same seed gives
        the same result, bit for bit, whatever ``n_threads``.
    momentum : float, default=0.9
        For ``"momentum"`` and ``"nesterov"``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's moment decays; ``beta_2`` is RMSprop's decay too.
    eps : float, default=1e-8
        The stability term of adagrad, rmsprop and adam.
    average : bool or int, default=False
        Averaged SGD: return the mean of the iterates, from the first update
        (True) or from update number ``average`` (an int).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes (missing ones weigh 1); ``"balanced"`` is
        n_samples / (n_classes * count(class)). As in scikit-learn: a binary or
        softmax fit multiplies each sample's weight by its class's; one-vs-rest
        weighs, in the problem of class c, the samples of class c by its weight.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weight of each sample's loss.
    coef_init : array-like of shape (n_features,) or (n_classes, n_features), optional
        Starting coefficients (default zeros); for a network, a list of per-layer
        arrays of shapes (fan_in, fan_out) (default: Glorot's draw).
    intercept_init : float or array-like of shape (n_classes,), optional
        Starting intercept (default zero); for a network, a list of per-layer
        bias vectors.
    n_threads : int, optional
        Threads for the gradient reductions of ``batch`` and ``minibatch``, and
        for ``parallel="hogwild"``; default :func:`gdfast.get_num_threads`.
        From 2, a shuffled ``sgd`` epoch (or ``minibatch`` of a linear model with
        ``batch_size`` up to 256) over rows of 32 MiB or more, each of 512 bytes
        or more, also runs a thread that reads the next rows ahead of the one
        that computes (W4 1.36x faster on 2 cores); the result is the same, bit
        for bit. Smaller data sits in the caches and narrower rows gain nothing
        from it: these loops run on one thread.
    parallel : {"deterministic", "hogwild"}, default="deterministic"
        ``"hogwild"`` (``method="sgd"`` with the plain update rule, no L1
        penalty, no averaging) runs SGD on ``n_threads`` threads that update the
        shared coefficients without locks (Recht et al. 2011): faster on large
        data, but the result then depends on the threads' timing.
    record_updates : bool, default=False
        Keep the loss of every update in ``FitResult.update_losses``.
    progress : bool, default=False
        Draw a tqdm progress bar on stderr, one tick per epoch, with the
        epoch's loss and learning rate (``pip install "gdfast[progress]"``).
    verbose : int, default=0
        Above 0, print scikit-learn's per-epoch lines on stdout (``-- Epoch N``,
        ``Norm: ..., NNZs: ..., Bias: ..., T: ..., Avg. loss: ...``, ``Total
        training time: ... seconds.``) and the reason the fit stopped.

    Returns
    -------
    FitResult

    Notes
    -----
    A fit diverges, and stops with ``stop_reason="diverged"``, ``converged=False``
    and a ``RuntimeWarning`` that suggests a smaller ``eta0``, when after an epoch

    - its mean loss or the weights are no longer finite;
    - its mean loss is over 1e4 times the loss the model began with (a linear
      model's first epoch's mean loss; a network's first update's loss, at least
      the best constant prediction's);
    - or its mean loss rose in each of the last ``n_iter_no_change`` epochs, each
      rise larger than the one before, and is now above the first epoch's. For a
      linear model with ``method="batch"``, the plain rule and a constant rate,
      whose loss falls every epoch while the step suits the curvature, the rises
      alone suffice: its step is too large for the data's largest curvature.

    The result then holds the weights the epoch with the lowest loss began with
    (for ``"batch"``: the weights of that loss), never NaN; the diverging epoch is
    not counted in ``n_epochs`` and ``loss_history``.

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
    params = {name: value for name, value in locals().items() if name not in _DATA_ARGUMENTS}
    return run_fit(
        X,
        y,
        params,
        kernel=compiled_epoch,
        coef_init=coef_init,
        intercept_init=intercept_init,
        sample_weight=sample_weight,
    )


_DATA_ARGUMENTS = ("X", "y", "sample_weight", "coef_init", "intercept_init")


def default_params(**changes: Any) -> dict[str, Any]:
    """The parameters of :func:`fit` with their defaults, updated by ``changes``."""
    import inspect

    params = {
        name: parameter.default
        for name, parameter in inspect.signature(fit).parameters.items()
        if name not in _DATA_ARGUMENTS
    }
    unknown = set(changes) - set(params)
    if unknown:
        raise TypeError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    params.update(changes)
    return params


@dataclass(frozen=True)
class ChunkedRows:
    """Rows held elsewhere (the row chunks of a dask array, on the workers), as the
    epoch loop of :func:`run_fit` sees them: their shape, their dtype and the labels of
    their targets, which were encoded and checked where the rows are. Only the kernel
    reaches the rows themselves, through ``chunks``.
    """

    shape: tuple[int, int]
    dtype: np.dtype
    classes: np.ndarray | None
    n_outputs: int
    chunks: Any
    # the per-class weights of a one-vs-rest problem, which the kernel applies to each
    # output's positives; any other class weights are folded into the rows' sample weights
    class_weight: np.ndarray | None = None
    # early stopping's held-out rows, with their score(state) (shape counts the others)
    validation: Any = None


def compiled_epoch(X: np.ndarray | CsrData, *args: Any, **config: Any) -> tuple[float, int]:
    """The C++ epoch; a sparse X travels as (data, indices, indptr, n_features)."""
    return _core.run_epoch(X.parts if isinstance(X, CsrData) else X, *args, **config)


def _check_params(params: dict[str, Any]) -> dict[str, Any]:
    p = dict(params)
    check_choice("loss", p["loss"], LOSSES)
    check_choice("penalty", p["penalty"], PENALTIES)
    if p["hidden_layer_sizes"] is not None:
        p["hidden_layer_sizes"] = check_hidden_layer_sizes(p["hidden_layer_sizes"])
        check_choice("activation", p["activation"], ACTIVATIONS)
        if p["loss"] not in NETWORK_LOSSES:
            raise ValueError(
                f"loss: a network trains with one of {', '.join(map(repr, NETWORK_LOSSES))}, "
                f"got {p['loss']!r}"
            )
        for name, allowed in (("penalty", (None, "l2")), ("average", (False, 0))):
            if p[name] not in allowed:
                raise ValueError(f"{name}: a network takes {name}={allowed[0]!r}, got {p[name]!r}")
        if p["parallel"] != "deterministic" or not p["fit_intercept"]:
            raise ValueError(
                "parallel, fit_intercept: a network trains with parallel='deterministic' "
                "and its biases (fit_intercept=True)"
            )
    # scikit-learn's rule: "optimal" ignores eta0, every other schedule starts from it
    auto_step = isinstance(p["eta0"], str) and p["eta0"] == "auto"
    if auto_step:
        check_auto_eta0(p)
        p["eta0"] = 1.0  # checked as a number; run_fit sets it from the data
    check_descent_params(p, eta0_may_be_zero=p["learning_rate"] == "optimal")
    if auto_step:
        p["eta0"] = "auto"
    for name in ("alpha", "epsilon"):
        p[name] = check_float(name, p[name], non_negative=True)
    p["l1_ratio"] = check_float("l1_ratio", p["l1_ratio"], non_negative=True)
    if p["l1_ratio"] > 1:
        raise ValueError(f"l1_ratio: must be in [0, 1], got {p['l1_ratio']}")
    p["validation_fraction"] = check_float("validation_fraction", p["validation_fraction"])
    if not 0 < p["validation_fraction"] < 1:
        raise ValueError(f"validation_fraction: must be in (0, 1), got {p['validation_fraction']}")
    if p["learning_rate"] == "optimal" and p["alpha"] == 0:
        raise ValueError(
            "alpha: must be > 0 with learning_rate='optimal' (eta = 1 / (alpha (t0 + t)))"
        )
    for flag in ("fit_intercept", "early_stopping"):
        p[flag] = check_flag(flag, p[flag])
    if isinstance(p["average"], (bool, np.bool_)):
        p["average"] = int(bool(p["average"]))
    else:
        p["average"] = check_int("average", p["average"], minimum=0)
    if p["n_threads"] is None:
        p["n_threads"] = get_num_threads()
    p["n_threads"] = check_int("n_threads", p["n_threads"], minimum=1)
    check_choice("parallel", p["parallel"], PARALLEL)
    if p["parallel"] == "hogwild" and (
        p["method"] != "sgd"
        or p["optimizer"] != "sgd"
        or p["average"]
        or p["penalty"] in ("l1", "elasticnet")
    ):
        raise ValueError(
            "parallel: 'hogwild' needs method='sgd', optimizer='sgd', no L1 or elasticnet "
            "penalty and no averaging (their state cannot be shared without locks)"
        )
    return p


def _encode_targets(
    y: np.ndarray,
    loss: str,
    dtype: np.dtype,
    classes: np.ndarray | None = None,
    network: bool = False,
) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Targets as the kernel wants them: values, +-1 (binary) or a class index.

    ``classes`` fixes the label set (partial_fit); otherwise it is y's labels.
    A classification loss, or a label set, makes y class labels: a regression
    loss given ``classes`` (``GDClassifier(loss="squared_error")``) fits the
    +-1 targets of each class, as scikit-learn's ``SGDClassifier`` does.
    A network's log loss on more than two classes, or on a 2-D indicator y
    (multilabel), takes a +-1 target per output; a 2-D regression y one per
    output.
    """
    if y.ndim == 2:
        if not network:
            raise ValueError(f"y: expected a 1-D array, got shape {y.shape}")
        if loss == "softmax":
            raise ValueError("y: a 2-D (multilabel) y needs loss='log_loss', not 'softmax'")
        if y.dtype.kind not in "biuf":
            raise TypeError(f"y: a 2-D y must be numeric, got dtype {y.dtype}")
        y_num = np.ascontiguousarray(y, dtype=dtype)
        check_finite("y", y_num)
        if loss == "squared_error":
            return y_num, None, y.shape[1]
        if not np.isin(y_num, (0, 1)).all():
            raise ValueError("y: a 2-D classification y is a 0/1 label indicator matrix")
        return 2 * y_num - 1, np.arange(y.shape[1]), y.shape[1]
    if loss not in CLASSIFICATION_LOSSES and classes is None:
        if y.dtype.kind not in "biuf":
            raise TypeError(f"y: a regression target must be numeric, got dtype {y.dtype}")
        y_num = np.ascontiguousarray(y, dtype=dtype)
        check_finite("y", y_num)
        return y_num, None, 1
    if y.dtype.kind == "f":
        check_finite("y", y)
        if classes is None and np.any(y != np.round(y)):  # scikit-learn's type_of_target rule
            raise ValueError(
                f"y: Unknown label type: continuous; loss={loss!r} needs class labels (use a "
                "regression loss such as 'squared_error' for a continuous target)"
            )
    if classes is None:
        classes, index = np.unique(y, return_inverse=True)
    else:
        index = np.searchsorted(classes, y)
        index = np.minimum(index, len(classes) - 1)
        unknown = classes[index] != y
        if np.any(unknown):
            raise ValueError(
                f"y: labels {np.unique(y[unknown]).tolist()} are not in classes {classes.tolist()}"
            )
    if classes.shape[0] < 2:
        raise ValueError(
            f"y: a classifier needs at least two classes, got {classes.shape[0]} class "
            f"({classes.tolist()})"
        )
    if classes.shape[0] == 2 and loss != "softmax":
        return np.where(index == 1, 1.0, -1.0).astype(dtype), classes, 1
    k = int(classes.shape[0])
    if network and loss != "softmax":
        return np.where(index[:, None] == np.arange(k), 1.0, -1.0).astype(dtype), classes, k
    return index.astype(dtype), classes, k


def _class_weights(class_weight: Any, classes: np.ndarray, y_raw: np.ndarray) -> np.ndarray:
    """The weight of each class, in the order of ``classes``."""
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight: expected a dict or 'balanced', got {class_weight!r}")
        counts = np.array([np.sum(y_raw == c) for c in classes], dtype=float)
        return len(y_raw) / (len(classes) * counts)
    if not isinstance(class_weight, dict):
        raise TypeError(
            f"class_weight: expected a dict or 'balanced', got {type(class_weight).__name__}"
        )
    unknown = set(class_weight) - set(classes.tolist())
    if unknown:
        raise ValueError(f"class_weight: labels {sorted(map(str, unknown))} are not in y")
    weights = np.array([float(class_weight.get(c, 1.0)) for c in classes.tolist()])
    if not np.all(np.isfinite(weights) & (weights >= 0)):
        raise ValueError("class_weight: weights must be finite and >= 0")
    return weights


def _initial_params(
    coef_init: Any, intercept_init: Any, n_outputs: int, n_features: int, dtype: np.dtype
) -> np.ndarray:
    """One flat vector [coef (n_outputs x n_features) | intercept (n_outputs)]."""
    flat = np.zeros(n_outputs * (n_features + 1), dtype=dtype)
    coef_shape = (n_features,) if n_outputs == 1 else (n_outputs, n_features)
    if coef_init is not None:
        coef = np.asarray(coef_init, dtype=dtype)
        if coef.shape != coef_shape and coef.size != n_outputs * n_features:
            raise ValueError(  # with scikit-learn's words
                f"coef_init: Provided coef_init does not match dataset; its shape is "
                f"{coef.shape}, expected {coef_shape}"
            )
        check_finite("coef_init", coef)
        flat[: n_outputs * n_features] = coef.ravel()
    if intercept_init is not None:
        intercept = np.asarray(intercept_init, dtype=dtype).ravel()
        if intercept.size != n_outputs:
            raise ValueError(
                f"intercept_init: Provided intercept_init does not match dataset; it has "
                f"{intercept.size} value(s), expected {n_outputs}"
            )
        check_finite("intercept_init", intercept)
        flat[n_outputs * n_features :] = intercept
    return flat


def _validation_split(
    rng: np.random.Generator, y_enc: np.ndarray, fraction: float, stratify: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (train, validation) indices; per class when stratified."""
    val = validation_rows(rng, y_enc, fraction, stratify)
    check_validation_size(len(val), len(y_enc), fraction)
    train = np.setdiff1d(np.arange(len(y_enc)), val, assume_unique=True)
    return train, val


def validation_rows(
    rng: np.random.Generator, y_enc: np.ndarray, fraction: float, stratify: bool
) -> np.ndarray:
    """The sorted indices of the validation rows: ``fraction`` of them (of each class
    when stratified), drawn by ``rng``."""
    groups = (
        [np.flatnonzero(y_enc == c) for c in np.unique(y_enc)]
        if stratify
        else [np.arange(len(y_enc))]
    )
    validation = []
    for group in groups:
        n_val = round(fraction * len(group))
        validation.append(rng.permutation(group)[:n_val])
    return np.sort(np.concatenate(validation))


def check_validation_size(n_val: int, n_samples: int, fraction: float) -> None:
    if n_val == 0 or n_val == n_samples:
        raise ValueError(
            f"validation_fraction: {fraction} of {n_samples} samples leaves an empty "
            "training or validation set"
        )


def _score(
    scores: np.ndarray, y_enc: np.ndarray, classifier: bool, weight: np.ndarray | None = None
) -> float:
    """R^2 for regression, accuracy for classification (scikit-learn's score),
    weighted by ``weight`` (per sample) when given."""
    if not classifier:
        if scores.ndim == 1:
            scores = scores[:, np.newaxis]
        y = y_enc.reshape(len(y_enc), -1)  # multi-output: the mean R^2 of the outputs
        w = np.ones(len(y)) if weight is None else weight
        residual = w @ (y - scores) ** 2
        total = w @ (y - np.average(y, axis=0, weights=w)) ** 2
        # a constant target: 1 if predicted exactly, else 0 (scikit-learn's r2_score)
        r2 = np.where(total > 0, 1 - residual / np.where(total > 0, total, 1), residual == 0)
        return float(np.mean(r2))
    return float(np.average(correct_predictions(scores, y_enc), weights=weight))


def correct_predictions(scores: np.ndarray, y_enc: np.ndarray) -> np.ndarray:
    """Per sample, whether the decision values ``scores`` predict the encoded target:
    the sign for +-1 targets, the arg max for a class index, every label for a 2-D
    (multilabel) y."""
    if y_enc.ndim == 2:
        return np.all((scores > 0) == (y_enc > 0), axis=1)
    predicted = np.where(scores > 0, 1.0, -1.0) if scores.ndim == 1 else np.argmax(scores, 1)
    return predicted == y_enc


def _split_params(flat: np.ndarray, n_outputs: int, n_features: int) -> tuple[np.ndarray, Any]:
    n_coef = n_outputs * n_features
    if n_outputs == 1:
        return flat[:n_coef].copy(), flat[n_coef].copy()
    return flat[:n_coef].reshape(n_outputs, n_features).copy(), flat[n_coef:].copy()


class _EpochOrders:
    """The shuffled order of each epoch, in the generator's sequence.

    On large data the next epoch's permutation is drawn in a worker thread while
    the compiled epoch runs (it releases the GIL): on W3 (n = 1,000,000) a
    permutation costs about 15 ms, a third of an epoch. Only the worker touches
    the generator, one draw at a time, so the orders are the same as drawn inline.
    """

    BACKGROUND_MIN_SAMPLES = 10_000  # below, a thread hand-off costs more than it saves

    def __init__(
        self,
        rng: np.random.Generator,
        n: int,
        subset: np.ndarray | None,
        n_epochs: int,
        compose: bool = False,
    ) -> None:
        self._rng, self._n, self._subset, self._left = rng, n, subset, n_epochs
        # scikit-learn's MLP shuffles the previous epoch's order, not 0..n-1
        self._previous = (np.arange(n) if subset is None else subset) if compose else None
        self._pool = None
        self._pending: Any = None
        if n >= self.BACKGROUND_MIN_SAMPLES and n_epochs > 1:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gdfast-shuffle")
            self._pending = self._pool.submit(self._draw)

    def _draw(self) -> np.ndarray:
        order = self._rng.permutation(self._n)
        if self._previous is not None:
            self._previous = self._previous[order]
            return self._previous
        return order if self._subset is None else self._subset[order]

    def next(self) -> np.ndarray:
        self._left -= 1
        if self._pool is None:
            return self._draw()
        order = self._pending.result()
        self._pending = self._pool.submit(self._draw) if self._left > 0 else None
        return order

    def alongside(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on the worker after the first order, while the first epoch runs
        (a Future), or None without a worker."""
        return None if self._pool is None else self._pool.submit(fn, *args)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


class TrainingState:
    """What carries over from one epoch to the next, and from one ``partial_fit``
    call to the next: the parameters, the update rule's and the penalty's state,
    the averaged parameters, the update and epoch counts, the random generator.
    Private and mutable; ``FitResult`` is the public, frozen view of it.
    """

    def __init__(
        self,
        p: dict[str, Any],
        n_features: int,
        dtype: np.dtype,
        classes: np.ndarray | None,
        n_outputs: int,
        coef_init: Any = None,
        intercept_init: Any = None,
    ) -> None:
        if p["eta0"] == "auto":  # run_fit sets it from the data before a state exists
            raise ValueError(
                "eta0: 'auto' is gdfast.fit's (method='batch'); the estimators take a number "
                "as scikit-learn's do"
            )
        self.n_features = n_features
        self.dtype = dtype
        self.classes = classes
        self.n_outputs = n_outputs
        self.network: NetworkLayout | None = None
        self.rng: Any
        if p["hidden_layer_sizes"] is None:
            self.rng = np.random.default_rng(p["random_state"])
            self.params = _initial_params(coef_init, intercept_init, n_outputs, n_features, dtype)
            if not p["fit_intercept"]:
                self.params[n_outputs * n_features :] = 0.0
            n_penalized = n_outputs * n_features
        else:
            sizes = (n_features, *p["hidden_layer_sizes"], n_outputs)
            self.network = NetworkLayout(sizes, p["activation"])
            # scikit-learn's MLP draws its initial weights, then its permutations,
            # from one RandomState: the same seed gives the same draws
            self.rng = random_state_of(p["random_state"])
            if coef_init is None and intercept_init is None:
                self.params = self.network.glorot(self.rng, dtype)
            elif coef_init is None or intercept_init is None:
                raise ValueError("coef_init, intercept_init: give both for a network, or neither")
            else:
                self.params = self.network.join(coef_init, intercept_init, dtype)
            n_penalized = self.network.n_penalized
        n_params = self.params.shape[0]
        l1_ratio = {None: 0.0, "l2": 0.0, "l1": 1.0, "elasticnet": p["l1_ratio"]}[p["penalty"]]
        strength = 0.0 if p["penalty"] is None else p["alpha"]
        self.per_update = p["learning_rate"] if p["learning_rate"] in PER_UPDATE else "constant"
        self.t0 = (
            optimal_t0(p["alpha"], p["loss"], p["epsilon"]) if self.per_update == "optimal" else 1.0
        )
        slots = OPTIMIZER_STATE_SLOTS[p["optimizer"]]
        self.average = np.zeros(n_params, dtype) if p["average"] > 0 else None
        self.epochs_done = 0
        self.adaptive_eta = p["eta0"]
        self.compose_orders = False  # scikit-learn's MLP order of permutations (see _EpochOrders)
        # scikit-learn's MLP keeps its velocity in units of a step (v = mu v - eta g), the
        # momentum rules in units of a gradient (PyTorch's v = mu v + g): the same steps
        # while eta holds; when a per-epoch schedule changes it, the buffer is rescaled
        # by eta_old / eta_new so that the steps stay scikit-learn's.
        self.velocity_as_step = False
        self.last_eta: float | None = None
        # a network's loss scale, set by its first epoch: an epoch loss above
        # LOSS_EXPLOSION_FACTOR times it has diverged (``exploded``), finite or not
        self.loss_scale: float | None = None
        self.exploded = False
        # the lowest epoch loss so far and the (parameters, average) its epoch began with
        self.lowest_loss = math.inf
        self.lowest: tuple[np.ndarray, np.ndarray | None] | None = None
        # the keyword arguments of the epoch kernel; t and eta0 change between epochs
        self.config: dict[str, Any] = dict(
            n_outputs=n_outputs,
            fit_intercept=p["fit_intercept"],
            loss=p["loss"],
            epsilon=p["epsilon"],
            class_weight=None,
            method=p["method"],
            batch_size=p["batch_size"],
            learning_rate=self.per_update,
            eta0=p["eta0"],
            power_t=p["power_t"],
            optimal_t0=self.t0,
            alpha=p["alpha"],
            penalty_l2=strength * (1.0 - l1_ratio),
            penalty_l1=strength * l1_ratio,
            penalty_state=np.zeros(n_penalized + 1, dtype) if strength * l1_ratio > 0 else None,
            optimizer=p["optimizer"],
            momentum=p["momentum"],
            beta_1=p["beta_1"],
            beta_2=p["beta_2"],
            eps=p["eps"],
            optimizer_state=np.zeros((slots, n_params), dtype) if slots else None,
            average=self.average,
            average_start=max(p["average"], 1),
            t=0,
            n_threads=p["n_threads"],
            parallel=p["parallel"],
            update_losses=None,
        )
        if self.network is not None:
            self.config.update(
                layer_sizes=np.array(self.network.layer_sizes, dtype=np.int64),
                activation=self.network.activation,
                penalty_l2_per_batch=0.0,
            )

    @classmethod
    def for_labels(
        cls,
        params: dict[str, Any],
        n_features: int,
        dtype: np.dtype,
        classes: Any = None,
        coef_init: Any = None,
        intercept_init: Any = None,
        n_outputs: int = 1,
    ) -> TrainingState:
        """A new state for ``params``; ``classes`` (a classifier's label set)
        decides the number of outputs (two classes: one, except softmax);
        without them, ``n_outputs`` does (a network's 2-D y)."""
        p = _check_params(params)
        if classes is not None:
            network = p["hidden_layer_sizes"] is not None
            labels = np.unique(np.asarray(classes))
            _, classes, n_outputs = _encode_targets(
                labels, p["loss"], dtype, labels, network=network
            )
        return cls(p, n_features, dtype, classes, n_outputs, coef_init, intercept_init)

    @property
    def t(self) -> int:
        """Updates made so far."""
        return int(self.config["t"])

    def reported_params(self) -> np.ndarray:
        """The flat parameters a user sees: averaged once averaging has begun."""
        if self.average is not None and self.t >= self.config["average_start"]:
            return self.average
        return self.params

    def coef_intercept(self, flat: np.ndarray | None = None) -> tuple[np.ndarray, Any]:
        """Copies of (coef, intercept) of ``flat`` (default: the reported parameters)
        in the shapes of the public API; a network's are its flat weights and flat
        biases."""
        if flat is None:
            flat = self.reported_params()
        if self.network is not None:
            n_weights = self.network.n_penalized
            return flat[:n_weights].copy(), flat[n_weights:].copy()
        return _split_params(flat, self.n_outputs, self.n_features)

    def layers(self) -> tuple[list[np.ndarray] | None, list[np.ndarray] | None]:
        """A network's per-layer copies (coefs, intercepts); (None, None) for a linear model."""
        if self.network is None:
            return None, None
        return self.network.split(self.reported_params().copy())

    def loss_exploded(self, epoch_loss: float) -> bool:
        """The epoch loss is over LOSS_EXPLOSION_FACTOR times the loss scale: a
        network's first update's loss (floored by the best constant prediction's), a
        linear model's first epoch's mean loss."""
        scale = self.loss_scale
        return (
            scale is not None
            and 0 < scale < math.inf
            and epoch_loss > LOSS_EXPLOSION_FACTOR * scale
        )

    def decision_function(self, X: Any) -> np.ndarray:
        """The model's decision values on X."""
        if self.network is not None:
            return self.network.decision_function(X, self.reported_params())
        coef, intercept = self.coef_intercept()
        return np.asarray(X @ coef.T) + intercept


def random_state_of(seed: Any) -> np.random.RandomState:
    """scikit-learn's check_random_state, for a network's initialisation and the
    estimators' validation split (a Generator seeds a new RandomState)."""
    if isinstance(seed, np.random.RandomState):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.RandomState(int(seed.integers(2**32)))
    return np.random.RandomState(seed)


def _epoch_info(
    state: TrainingState,
    epoch: int,
    loss: float,
    eta: float,
    score: float | None,
    n_updates: int,
    elapsed: float,
) -> EpochInfo:
    coef, intercept = state.coef_intercept()
    return EpochInfo(epoch, float(loss), eta, score, n_updates, elapsed, coef, intercept)


def run_fit(
    X: Any,
    y: Any,
    params: dict[str, Any],
    *,
    kernel: EpochKernel,
    coef_init: Any = None,
    intercept_init: Any = None,
    sample_weight: Any = None,
    state: TrainingState | None = None,
    classes: Any = None,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
) -> FitResult:
    """The epoch loop shared by :func:`gdfast.fit` and :func:`gdfast.reference.fit`.

    Only ``kernel`` differs: the compiled epoch or the NumPy one. Python draws the
    permutations, decides the per-epoch learning rate and stopping, and builds
    the result; the kernel runs one epoch over the given order. A ``state``
    from an earlier call carries on where it stopped (``partial_fit``); it is
    updated in place. ``classes`` fixes the label set of a new state.
    ``validation`` is the (train, validation) split of ``early_stopping``, drawn
    by the caller (the estimators draw scikit-learn's); by default gdfast's own.
    """
    p = _check_params(params)
    # rows held elsewhere were checked where they are (gdfast.dask)
    chunked = isinstance(X, ChunkedRows)
    if not chunked:
        # the pass over X for NaN / inf comes below, overlapped with the first epoch
        X = check_X(X, dtype=None if state is None else state.dtype, finite=False)
    if p["parallel"] == "hogwild" and isinstance(X, CsrData) and p["penalty"] is not None:
        raise ValueError(
            "parallel: 'hogwild' on sparse X needs penalty=None: without the shared scale "
            "factor of the lazy loop, every L2 step would touch all n_features weights"
        )
    n_samples, n_features = X.shape
    dtype = X.dtype
    network = p["hidden_layer_sizes"] is not None
    y_raw = y if chunked else check_y_shape(y, n_samples, allow_2d=network)
    if state is not None:
        if n_features != state.n_features:
            raise ValueError(
                f"X: has {n_features} features, but the model was fitted with {state.n_features}"
            )
        classes = state.classes
    elif classes is not None:
        classes = np.unique(np.asarray(classes))
    if chunked:
        y_enc, classes, n_outputs = y_raw, X.classes, X.n_outputs
    else:
        y_enc, classes, n_outputs = _encode_targets(y_raw, p["loss"], dtype, classes, network)
    sw = check_sample_weight(sample_weight, n_samples, dtype)
    per_class = None  # rows held elsewhere have their class weights from gdfast.dask
    if p["class_weight"] is not None and not chunked:
        if classes is None:
            raise ValueError("class_weight: only for classification (a classification loss)")
        per_class = _class_weights(p["class_weight"], classes, y_raw)
    if p["eta0"] == "auto":
        if chunked:
            raise ValueError("eta0: 'auto' is not available on dask arrays; give a number")
        p["eta0"] = auto_eta0(X, sw, p, per_class)
    if state is None:
        state = TrainingState(p, n_features, dtype, classes, n_outputs, coef_init, intercept_init)
    sw_val = sw  # the validation score weighs the samples, not the classes
    config = state.config
    config["class_weight"] = None
    if chunked:
        config["class_weight"] = X.class_weight
    elif per_class is not None:
        assert classes is not None
        if n_outputs > 1 and p["loss"] != "softmax":
            config["class_weight"] = per_class  # weighs the positives of each one-vs-rest problem
        else:
            label_index = np.searchsorted(classes, y_raw)
            sw = (per_class[label_index] * (1.0 if sw is None else sw)).astype(dtype)
    flat = state.params
    average = state.average
    per_update, t0 = state.per_update, state.t0
    classifier = classes is not None

    rng = state.rng
    if p["early_stopping"] and chunked:  # split on the workers: X holds the training rows
        train, X_val, y_val = None, X.validation, None
    elif p["early_stopping"]:
        stratify = classifier and y_enc.ndim == 1  # a multilabel y is split at random
        if validation is None:
            train, val = _validation_split(rng, y_enc, p["validation_fraction"], stratify)
        else:
            train, val = validation
        X_val, y_val = X[val], y_enc[val]
        if sw_val is not None:
            sw_val = sw_val[val]
            if not np.any(sw_val > 0):  # scikit-learn's words
                raise ValueError(
                    "sample_weight: The sample weights for validation set are all zero, "
                    "consider using a different random state."
                )
    else:
        train, X_val, y_val = None, None, None
    n_train = n_samples if train is None else len(train)

    records = Records(p["record_updates"], validation=X_val is not None)
    rules = StoppingRules(p, state.adaptive_eta)
    report = EpochReport.create(p)
    stop_reason = "max_iter"
    # rows held elsewhere are shuffled where they are, by the kernel
    shuffled = p["shuffle"] and p["method"] != "batch" and not chunked
    orders = (
        _EpochOrders(rng, n_train, train, p["max_iter"], state.compose_orders) if shuffled else None
    )
    # The pass over X for NaN and inf runs on the worker while the first epoch runs,
    # when there is a worker (W1: 5 ms of a 90 ms fit): NaN does the kernels no harm,
    # and the fit raises before it uses that epoch.
    x_check = orders.alongside(check_X_finite, X) if orders is not None else None
    try:
        if x_check is None and not chunked:
            check_X_finite(X)
        n_updates_max = {"sgd": n_train, "minibatch": -(-n_train // p["batch_size"]), "batch": 1}
        # a network's first epoch ever sets its loss scale from its first update's loss
        # (at the initial weights), which the kernel records for free
        constant_loss = (
            constant_model_loss(y_enc, p["loss"])
            if state.network is not None and state.loss_scale is None
            else None
        )
        # the parameters the epoch of the lowest loss started from: kept when the loss
        # then keeps rising (loss_kept_rising); partial_fit's calls carry them over, so
        # that two calls diverge as a fit of two epochs does
        lowest_loss, lowest = state.lowest_loss, state.lowest
        falls_while_stable = (
            state.network is None
            and p["method"] == "batch"
            and p["optimizer"] == "sgd"
            and p["learning_rate"] == "constant"
        )
        start = time.perf_counter()
        for _ in range(p["max_iter"]):
            epoch = state.epochs_done
            order = orders.next() if orders is not None else train
            if p["learning_rate"] == "adaptive":
                config["eta0"] = rules.adaptive_eta
            elif per_update == "constant":
                config["eta0"] = epoch_eta(p, epoch)
            eta = update_eta(p, config["t"], t0) if per_update != "constant" else config["eta0"]
            if state.velocity_as_step and state.last_eta not in (None, eta):
                # keep the step-unit velocity across a change of rate (see TrainingState)
                config["optimizer_state"] *= state.last_eta / eta
            state.last_eta = eta
            setting_scale = constant_loss is not None and state.loss_scale is None
            if records.update_losses is not None or setting_scale:
                config["update_losses"] = np.empty(n_updates_max[p["method"]])
            last_good = flat.copy()
            last_average = None if average is None else average.copy()
            loss_sum, n_updates = kernel(X, y_enc, sw, order, flat, **config)
            if x_check is not None:
                x_check.result()  # NaN or inf in X: its ValueError, before the epoch is used
                x_check = None
            if setting_scale:
                assert constant_loss is not None
                state.loss_scale = loss_scale(float(config["update_losses"][0]), constant_loss)
                if records.update_losses is None:
                    config["update_losses"] = None
            epoch_loss = loss_sum / n_train
            finite = is_finite_epoch(epoch_loss, flat, average)
            exploded = finite and state.loss_exploded(epoch_loss)
            rising = finite and loss_kept_rising(
                [*records.loss_history, epoch_loss], p["n_iter_no_change"],
                falls_while_stable=falls_while_stable,
            )  # fmt: skip
            if exploded or rising or not finite:
                kept = lowest if lowest is not None else (last_good, last_average)
                flat[:] = kept[0]
                if average is not None and kept[1] is not None:
                    average[:] = kept[1]
                stop_reason = "diverged"
                state.exploded = exploded or rising
                if exploded:
                    why = (
                        f": its mean loss {epoch_loss:.3g} is over {LOSS_EXPLOSION_FACTOR:,.0f} "
                        f"times the {state.loss_scale:.3g} it started from"
                    )
                elif rising:
                    why = (
                        f": its mean loss rose faster each epoch for {p['n_iter_no_change']} "
                        f"epochs, to {epoch_loss:.3g} from a lowest {lowest_loss:.3g}"
                    )
                else:
                    why = ": its loss or weights are no longer finite"
                kept_text = "the weights its lowest-loss epoch began with"
                warn_diverged(epoch + 1, p["eta0"], kept_text, why)
                break
            if state.loss_scale is None:  # a linear model's: its first epoch's loss
                state.loss_scale = float(epoch_loss)
            if epoch_loss < lowest_loss:
                lowest_loss, lowest = epoch_loss, (last_good, last_average)
                state.lowest_loss, state.lowest = lowest_loss, lowest
            config["t"] += n_updates
            state.epochs_done += 1
            records.loss_history.append(float(epoch_loss))
            records.lr_history.append(eta)
            records.epoch_times.append(time.perf_counter() - start)
            if records.update_losses is not None:
                records.update_losses.append(config["update_losses"][:n_updates].copy())
            score = None
            if records.validation_history is not None:
                if chunked:
                    score = X_val.score(state)
                else:
                    assert y_val is not None
                    score = _score(state.decision_function(X_val), y_val, classifier, sw_val)
                records.validation_history.append(score)

            info = partial(
                _epoch_info, state, epoch + 1, epoch_loss, eta, score, config["t"],
                records.epoch_times[-1],
            )  # fmt: skip
            if report is not None:
                report.epoch(epoch_loss, eta, info)
            stop = rules.after_epoch(epoch_loss, score, records.epoch_times[-1], info)
            if stop is not None:
                stop_reason = stop
                break
        elapsed = time.perf_counter() - start
        if report is not None:
            report.close(stop_reason, len(records.loss_history), elapsed)
        state.adaptive_eta = rules.adaptive_eta
    finally:
        if orders is not None:
            orders.close()

    coef, intercept = state.coef_intercept()
    coefs, intercepts = state.layers()
    return records.result(
        coef=coef,
        intercept=intercept,
        coefs=coefs,
        intercepts=intercepts,
        multilabel=classifier and y_enc.ndim == 2,
        n_updates=config["t"],
        stop_reason=stop_reason,
        elapsed=elapsed,
        params=p,
        classes=classes,
    )
