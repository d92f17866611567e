"""scikit-learn estimators for networks: :class:`GDMLPClassifier` and :class:`GDMLPRegressor`.

Drop-in replacements for scikit-learn's ``MLPClassifier`` and ``MLPRegressor``:
the same parameters with the same names, defaults and meanings, the same fitted
attributes and methods, trained by gdfast's compiled network. ``n_threads``
comes after scikit-learn's parameters. What matches scikit-learn, draw for draw:
the Glorot initialisation from ``RandomState(random_state)`` and the epoch
permutations from the same generator, the loss (with ``alpha`` as scikit-learn's
MLP defines it, ``alpha / 2 * |W|^2 / batch size`` on every batch), momentum and
Nesterov momentum, the per-epoch ``invscaling`` and ``adaptive`` rates, and the
stopping rule. Adam differs in where ``epsilon`` enters the step by a factor
``sqrt(1 - beta_2^t)`` (PyTorch's form). Early stopping holds out the samples of
scikit-learn's ``train_test_split``, drawn from the same generator.

scikit-learn and SciPy are optional dependencies: ``pip install "gdfast[sklearn]"``.
"""

from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

try:
    from sklearn.utils.validation import validate_data
except ImportError as exc:
    raise ImportError(
        'GDMLPClassifier and GDMLPRegressor need scikit-learn >= 1.6: pip install "gdfast[sklearn]"'
    ) from exc

from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from . import _core
from . import dask as on_dask
from ._api import TrainingState, _encode_targets, compiled_epoch, default_params, run_fit
from ._network import ACTIVATIONS, check_hidden_layer_sizes
from ._result import FitResult
from ._validation import CsrData, check_X

SOLVERS = ("lbfgs", "sgd", "adam")
LEARNING_RATES = ("constant", "invscaling", "adaptive")


@dataclass(frozen=True)
class _OptimizerState:
    """What scikit-learn's fitted ``_optimizer`` tells: the rate of the next epoch."""

    learning_rate: float


class NotStochasticError(AttributeError, ValueError):
    """``partial_fit`` asked of ``solver="lbfgs"``: a ValueError, and an
    AttributeError as scikit-learn raises (``hasattr(est, "partial_fit")`` is False)."""


class _StochasticOnly:
    """``partial_fit`` as scikit-learn's ``available_if``: absent for lbfgs (hasattr is
    False), and calling it raises a NotStochasticError, a ValueError that says why."""

    def __init__(self, method: Any) -> None:
        self.method = method
        self.__doc__ = method.__doc__

    def __get__(self, estimator: Any, owner: Any = None) -> Any:
        if estimator is None:
            return self.method
        if estimator.solver not in ("sgd", "adam"):
            raise NotStochasticError(
                f"partial_fit: only for the stochastic solvers 'sgd' and 'adam'; "
                f"solver={estimator.solver!r} is not stochastic"
            )
        return self.method.__get__(estimator, owner)


class _GDMLPBase(BaseEstimator):
    """What the two networks share: parameters, training, the forward pass."""

    _estimator_kind = ""
    coefs_: list[np.ndarray]
    intercepts_: list[np.ndarray]
    loss_curve_: list[float]
    validation_scores_: list[float] | None
    best_loss_: float | None
    best_validation_score_: float | None
    _state: TrainingState

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        n_threads: int | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.n_threads = n_threads

    # --- parameters -------------------------------------------------------
    def _check_own_params(self) -> None:
        """What gdfast.fit does not check for the estimator: scikit-learn's rules."""
        check_hidden_layer_sizes(self.hidden_layer_sizes)
        for name, value, allowed in (
            ("activation", self.activation, ACTIVATIONS),
            ("solver", self.solver, SOLVERS),
            ("learning_rate", self.learning_rate, LEARNING_RATES),
        ):
            if value not in allowed:
                raise ValueError(
                    f"{name}: expected one of {', '.join(map(repr, allowed))}, got {value!r}"
                )
        if not (isinstance(self.alpha, Real) and self.alpha >= 0):
            raise ValueError(f"alpha: must be >= 0, got {self.alpha!r}")
        if not (isinstance(self.learning_rate_init, Real) and self.learning_rate_init > 0):
            raise ValueError(f"learning_rate_init: must be > 0, got {self.learning_rate_init!r}")
        if not (isinstance(self.max_iter, (int, np.integer)) and self.max_iter >= 1):
            raise ValueError(f"max_iter: must be an int >= 1, got {self.max_iter!r}")
        if not (isinstance(self.max_fun, (int, np.integer)) and self.max_fun >= 1):
            raise ValueError(f"max_fun: must be an int >= 1, got {self.max_fun!r}")
        if not isinstance(self.momentum, Real) or not 0 <= self.momentum <= 1:
            raise ValueError(f"momentum: must be in [0, 1], got {self.momentum!r}")
        if self.batch_size != "auto" and not (
            isinstance(self.batch_size, (int, np.integer)) and self.batch_size >= 1
        ):
            raise ValueError(f"batch_size: expected 'auto' or an int >= 1, got {self.batch_size!r}")
        for name in ("shuffle", "warm_start", "nesterovs_momentum", "early_stopping"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name}: expected a bool, got {getattr(self, name)!r}")

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        assert not isinstance(self.batch_size, str)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going to be "
                "clipped",
                UserWarning,
                stacklevel=4,
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _gdfast_params(
        self, loss: str, n_samples: int, n_train: int, t_before: int = 0
    ) -> dict[str, Any]:
        """The estimator's parameters as :func:`gdfast.fit` takes them."""
        if self.solver == "adam":
            optimizer = "adam"
        elif self.momentum > 0:
            optimizer = "nesterov" if self.nesterovs_momentum else "momentum"
        else:
            optimizer = "sgd"
        learning_rate: Any = "constant"
        if self.solver == "sgd" and self.learning_rate == "adaptive":
            learning_rate = "adaptive"
        elif self.solver == "sgd" and self.learning_rate == "invscaling":
            # scikit-learn's MLP rescales once an epoch, by the samples seen so far
            rate, power = float(self.learning_rate_init), float(self.power_t)

            def learning_rate(epoch: int) -> float:
                return rate / (t_before + epoch * n_train + 1) ** power

        patience = self.n_iter_no_change
        endless = isinstance(patience, Real) and math.isinf(patience)
        return default_params(
            loss=loss,
            hidden_layer_sizes=check_hidden_layer_sizes(self.hidden_layer_sizes),
            activation=self.activation,
            method="minibatch",
            batch_size=self._batch_size(n_samples),
            optimizer=optimizer,
            learning_rate=learning_rate,
            eta0=float(self.learning_rate_init),
            max_iter=int(self.max_iter),
            tol=None if endless else self.tol,
            # scikit-learn stops after more than n_iter_no_change epochs without progress
            n_iter_no_change=1 if endless else int(patience) + 1,
            early_stopping=bool(self.early_stopping),
            validation_fraction=self.validation_fraction,
            shuffle=bool(self.shuffle),
            random_state=self.random_state,
            momentum=min(float(self.momentum), 0.999999),
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            eps=self.epsilon,
            n_threads=self.n_threads,
            verbose=int(self.verbose),
        )

    # --- data ---------------------------------------------------------------
    def _validate_training_data(self, X: Any, y: Any, *, reset: bool) -> tuple[Any, Any]:
        if on_dask.is_dask_array(X):  # checked on the workers, by gdfast.dask.prepare
            on_dask.check_n_features(self, X, reset=reset)
            return X, y
        # gdfast checks X for NaN / inf itself, overlapped with the first epoch on large
        # data (one pass, not two, as GDRegressor); y is checked here.
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            order="C",
            ensure_all_finite=False,
            multi_output=True,
            y_numeric=self._estimator_kind == "regressor",
            reset=reset,
        )
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please change "
                "the shape of y to (n_samples, ), for example using ravel().",
                DataConversionWarning,
                stacklevel=4,
            )
            y = y.ravel()
        return X, y

    def _validate_X_predict(self, X: Any) -> Any:
        check_is_fitted(self)
        return validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False
        )

    def _out_activation(self, n_outputs: int, multilabel: bool) -> str:
        raise NotImplementedError

    def _loss_and_targets(
        self, y: np.ndarray, partial_classes: Any, warm: bool
    ) -> tuple[str, np.ndarray]:
        raise NotImplementedError

    # --- training -----------------------------------------------------------
    def _fit(
        self, X: Any, y: Any, *, partial: bool, classes: Any = None, sample_weight: Any = None
    ) -> Any:
        self._check_own_params()
        if partial and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        first = not hasattr(self, "coefs_") or (not self.warm_start and not partial)
        chunked = on_dask.is_dask_array(X)
        X, y = self._validate_training_data(X, y, reset=first)
        if chunked:  # the labels' set is all the driver learns of a dask y
            loss, _ = self._loss_and_targets(self._dask_label_set(y), classes, warm=not first)
            y_fit, sw = y, sample_weight
        else:
            loss, y_fit = self._loss_and_targets(y, classes, warm=not first)
            sw = (
                None
                if sample_weight is None
                else _check_sample_weight(sample_weight, X, dtype=X.dtype)
            )
        n = int(X.shape[0])
        if self.solver == "lbfgs":
            return self._fit_lbfgs(X, y_fit, loss, first, sw)
        n_val = math.ceil(self.validation_fraction * n) if self.early_stopping else 0
        params = self._gdfast_params(loss, n, n - n_val, 0 if first else int(self.t_))
        if partial:
            params.update(max_iter=1, tol=None, early_stopping=False, progress=False)
        # scikit-learn divides a batch's weighted loss, and its L2 term, by the batch's
        # weight sum; the engine divides by its sample count. Weights scaled to a mean of
        # 1, and alpha with them, make the two the same for a full batch (a weight of 2
        # is then a repeated sample) and equal in expectation for smaller ones.
        mean_weight = 1.0
        if sw is not None:
            mean_weight = float(np.mean(sw))
            if not mean_weight > 0:
                raise ValueError("sample_weight: the weights sum to zero")
            sw = sw / mean_weight
        state: TrainingState | None = None
        if partial and not first and hasattr(self, "_state"):
            state = copy.deepcopy(self._state)  # an interrupted call leaves the estimator as it was
        kernel: Any = compiled_epoch
        if chunked:  # the rows stay on the workers: local SGD (gdfast.dask)
            X, y_fit = on_dask.prepare(
                X, y_fit, sw, params, np.random.default_rng(), self._label_set()
            )
            sw, kernel = None, on_dask.epoch_on_workers
        if state is None:
            init = (None, None) if first else (self.coefs_, self.intercepts_)
            n_outputs = y_fit.shape[1] if y_fit.ndim == 2 else 1
            state = TrainingState.for_labels(
                params, X.shape[1], X.dtype, self._label_set(), init[0], init[1], n_outputs
            )
            state.config["penalty_l2_per_batch"] = float(self.alpha) / mean_weight
            state.compose_orders = True
            state.velocity_as_step = params["optimizer"] in ("momentum", "nesterov")
        validation = None
        if chunked:
            X.chunks.rng = state.rng  # the chunks' permutations carry on across partial_fit
        elif params["early_stopping"]:
            validation = self._validation_split(y_fit, state.rng)
        best: dict[str, Any] = {}
        verbose = bool(self.verbose)
        first_epoch = 0 if first else self.n_iter_

        def after_epoch(info: Any) -> None:
            if verbose:  # scikit-learn's MLP lines
                print(f"Iteration {first_epoch + info.epoch}, loss = {info.loss:.8f}")
                if info.validation_score is not None:
                    print(f"Validation score: {info.validation_score:f}")
            if info.validation_score is not None and (
                "score" not in best or info.validation_score > best["score"]
            ):
                best.update(score=info.validation_score, flat=(info.coef, info.intercept))

        params.update(callback=after_epoch, verbose=0)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="gdfast: the loss diverged")
            result = run_fit(
                X, y_fit, params, kernel=kernel, state=state, sample_weight=sw,
                validation=validation,
            )  # fmt: skip
        # the closures are the fit's own: the fitted estimator pickles without them
        result.params.update(callback=None, learning_rate=self.learning_rate)
        if result.stop_reason == "diverged" and result.n_epochs == 0 and not state.exploded:
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may contain "
                "large values and need to be preprocessed."
            )
        if result.stop_reason == "diverged":
            warnings.warn(
                "GDMLP: the loss diverged; kept the weights its lowest-loss epoch began with. "
                "Lower learning_rate_init.",
                RuntimeWarning,
                stacklevel=3,
            )
        self._state = state
        self._set_fitted(result, first=first, best=best, n_train=n - n_val)
        self._optimizer = _OptimizerState(self._next_learning_rate(params, state))
        if not partial and result.stop_reason == "max_iter":
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _set_fitted(
        self, result: FitResult, *, first: bool, best: dict[str, Any], n_train: int
    ) -> None:
        assert result.coefs is not None and result.intercepts is not None
        self.coefs_, self.intercepts_ = result.coefs, result.intercepts
        if best:  # scikit-learn's early stopping hands back the best-scoring weights
            weights, biases = best["flat"]
            flat = np.concatenate([weights, biases])
            network = self._state.network
            assert network is not None
            self.coefs_, self.intercepts_ = (
                [a.copy() for a in part] for part in network.split(flat)
            )
        losses = list(result.loss_history)
        scores = None if result.validation_history is None else list(result.validation_history)
        if first or not hasattr(self, "loss_curve_"):
            self.loss_curve_, self.t_ = [], 0
            self.best_loss_ = np.inf
            self.validation_scores_ = [] if scores is not None else None
            self.best_validation_score_ = -np.inf if scores is not None else None
        self.loss_curve_ = self.loss_curve_ + losses
        self.n_iter_ = result.n_epochs  # of this call, as scikit-learn's
        self.t_ += result.n_epochs * n_train
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else np.nan
        if scores is not None and self.validation_scores_ is not None:
            self.validation_scores_ = self.validation_scores_ + scores
            self.best_validation_score_ = max(self.validation_scores_, default=-np.inf)
            self.best_loss_ = None
        elif losses:
            self.best_loss_ = min(self.best_loss_ or np.inf, min(losses))
        self.n_layers_ = len(self.coefs_) + 1
        self.n_outputs_ = self.coefs_[-1].shape[1]
        self.out_activation_ = self._out_activation(self.n_outputs_, result.multilabel)
        self.result_ = result
        self._no_improvement_count = self._epochs_without_improvement()

    def _validation_split(
        self, y: np.ndarray, rng: np.random.RandomState
    ) -> tuple[np.ndarray, np.ndarray]:
        """scikit-learn's held-out samples of ``early_stopping`` (its ``train_test_split``,
        stratified for binary labels), drawn from the fit's generator
        between the initial weights and the first shuffle, as scikit-learn draws them;
        the training samples in the split's order, which the epochs then shuffle."""
        from sklearn.model_selection import train_test_split

        # scikit-learn stratifies a classifier of one output only (binary labels), by
        # its binarized column of bools
        labels = self._label_set()
        binary = self._estimator_kind == "classifier" and labels is not None and len(labels) == 2
        stratify = self._label_binarizer.transform(y).astype(bool) if binary else None
        train, validation = train_test_split(
            np.arange(len(y)),
            test_size=self.validation_fraction,
            random_state=rng,
            stratify=stratify,
        )
        if len(validation) < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size "
                "of your dataset."
            )
        return train, np.sort(validation)

    def _epochs_without_improvement(self) -> int:
        """scikit-learn's ``_no_improvement_count`` after the last epoch, from the curves."""
        tol = float(self.tol)
        count, best = 0, -np.inf
        if getattr(self, "validation_scores_", None) is not None:
            for score in self.validation_scores_ or ():
                count = count + 1 if score < best + tol else 0
                best = max(best, score)
            return count
        best = np.inf
        for loss in self.loss_curve_:
            count = count + 1 if loss > best - tol else 0
            best = min(best, loss)
        return count

    def _next_learning_rate(self, params: dict[str, Any], state: TrainingState) -> float:
        """The rate the next epoch would take: scikit-learn's ``_optimizer.learning_rate``."""
        if params["learning_rate"] == "adaptive":
            return float(state.adaptive_eta)
        if callable(params["learning_rate"]):
            return float(params["learning_rate"](state.epochs_done))
        return float(self.learning_rate_init)

    def _fit_lbfgs(
        self,
        X: Any,
        y: Any,
        loss: str,
        first: bool,
        sample_weight: Any,
    ) -> Any:
        """SciPy's L-BFGS-B on the full-batch objective, its loss and gradient in C++
        (on the workers, one task per chunk, for a dask X)."""
        try:
            from scipy.optimize import minimize
        except ImportError as exc:
            raise ImportError('solver="lbfgs" needs SciPy: pip install "gdfast[sklearn]"') from exc
        n = int(X.shape[0])
        params = self._gdfast_params(loss, n, n)
        init = (None, None) if first else (self.coefs_, self.intercepts_)
        n_outputs = y.shape[1] if y.ndim == 2 else 1
        network_settings: dict[str, Any] = {}
        total_weight = n if sample_weight is None else float(np.sum(sample_weight))
        if on_dask.is_dask_array(X):
            rows, _ = on_dask.prepare(
                X, y, sample_weight, params, np.random.default_rng(), self._label_set()
            )
            dtype = rows.dtype

            def data_part(flat: np.ndarray) -> tuple[float, np.ndarray]:
                return on_dask.gradient_sum(rows, flat, network_settings)
        else:
            dtype = X.dtype
            data = check_X(X)
            X_core = data.parts if isinstance(data, CsrData) else data
            y_core, _, _ = _encode_targets(np.asarray(y), loss, dtype, self._label_set(), True)

            def data_part(flat: np.ndarray) -> tuple[float, np.ndarray]:
                loss_sum, mean = _core.network_gradient(
                    X_core, y_core, sample_weight, flat, penalty_l2=0.0,
                    penalty_l2_per_batch=0.0, n_threads=n_threads, **network_settings,
                )  # fmt: skip
                return loss_sum, mean * n

        state = TrainingState.for_labels(
            params, X.shape[1], dtype, self._label_set(), init[0], init[1], n_outputs
        )
        network = state.network
        assert network is not None
        network_settings.update(
            layer_sizes=np.array(network.layer_sizes, dtype=np.int64),
            activation=network.activation,
            loss=loss,
        )
        n_weights = network.n_penalized
        alpha = float(self.alpha)
        n_threads = state.config["n_threads"]

        def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
            # scikit-learn's objective: (loss sum + alpha / 2 * |W|^2) / total weight
            loss_sum, grad_sum = data_part(flat.astype(dtype))
            weights = flat[:n_weights]
            grad = grad_sum.astype(np.float64)
            grad[:n_weights] += alpha * weights
            penalty = 0.5 * alpha * float(weights @ weights)
            return (loss_sum + penalty) / total_weight, grad / total_weight

        solution = minimize(
            objective,
            state.params.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            options={
                "maxfun": int(self.max_fun),
                "maxiter": int(self.max_iter),
                "gtol": float(self.tol),
                **({"iprint": int(self.verbose) - 1} if self.verbose else {}),
            },
        )
        self.coefs_, self.intercepts_ = (
            [a.astype(dtype) for a in part] for part in network.split(solution.x.copy())
        )
        self.n_iter_ = int(solution.nit)
        self.loss_ = float(solution.fun)
        self.best_loss_ = None
        self.t_ = 0
        self.n_layers_ = len(self.coefs_) + 1
        self.n_outputs_ = self.coefs_[-1].shape[1]
        multilabel = loss == "log_loss" and y.ndim == 2
        self.out_activation_ = self._out_activation(self.n_outputs_, multilabel)
        if solution.status != 0:
            warnings.warn(
                f"lbfgs failed to converge after {solution.nit} iteration(s) "
                f"(status={solution.status}): {solution.message}. Increase max_iter or max_fun.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _label_set(self) -> np.ndarray | None:
        return None

    def _dask_label_set(self, y: Any) -> Any:
        """What :meth:`_loss_and_targets` needs to know of a dask array's targets."""
        return y

    # --- prediction -----------------------------------------------------------
    def _forward(self, X: Any) -> np.ndarray:
        """The output layer's values after its activation, (n_samples, n_outputs)."""
        from ._network import forward

        X = self._validate_X_predict(X)
        scores = forward(X, self.coefs_, self.intercepts_, self.activation)[-1]
        if self.out_activation_ == "logistic":
            return 0.5 * (1 + np.tanh(0.5 * scores))
        if self.out_activation_ == "softmax":
            exp = np.exp(scores - scores.max(axis=1, keepdims=True))
            return exp / exp.sum(axis=1, keepdims=True)
        return scores

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags: sparse X accepted, as scikit-learn's MLP."""
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class GDMLPClassifier(ClassifierMixin, _GDMLPBase):
    """A multi-layer perceptron classifier trained by gdfast: scikit-learn's
    ``MLPClassifier``, with its parameters and attributes, but faster.

    Binary targets train one logistic output, more classes a softmax output,
    a 2-D 0/1 indicator y (multilabel) one logistic output per label, all on
    the log loss. See the module's documentation for what matches scikit-learn.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Units of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        The hidden layers' activation.
    solver : {"lbfgs", "sgd", "adam"}, default="adam"
        ``"sgd"`` (with ``momentum`` / ``nesterovs_momentum``), ``"adam"``, or
        SciPy's L-BFGS-B on the full-batch loss (its gradient from C++).
    alpha : float, default=0.0001
        L2 strength, as scikit-learn's MLP: ``alpha / 2 * |W|^2 / batch size`` is
        added to each batch's mean loss.
    batch_size : int or "auto", default="auto"
        Samples per update, ``min(200, n_samples)`` for ``"auto"``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        The rate of ``solver="sgd"``, changed once an epoch.
    learning_rate_init : float, default=0.001
        The initial rate (sgd, adam).
    power_t : float, default=0.5
        Exponent of ``"invscaling"``.
    max_iter : int, default=200
        Epochs (sgd, adam) or iterations (lbfgs).
    shuffle : bool, default=True
        Shuffle the samples each epoch.
    random_state : int, RandomState or None, default=None
        Seed of the initial weights, the permutations and the validation split.
    tol : float, default=1e-4
        Progress below which an epoch counts as no improvement.
    verbose : bool, default=False
        Print progress.
    warm_start : bool, default=False
        Start ``fit`` from the previous solution.
    momentum : float, default=0.9
        Momentum of ``solver="sgd"``.
    nesterovs_momentum : bool, default=True
        Nesterov's form of the momentum.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop on its accuracy;
        the best-scoring weights are kept.
    validation_fraction : float, default=0.1
        See ``early_stopping``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's moment decays.
    epsilon : float, default=1e-8
        Adam's stability term.
    n_iter_no_change : int, default=10
        Epochs without improvement by ``tol`` before stopping.
    max_fun : int, default=15000
        Loss evaluations of lbfgs at most.
    n_threads : int, optional
        Threads for the gradient reductions (the bits do not depend on it).

    Attributes
    ----------
    classes_ : ndarray
        The class labels.
    coefs_, intercepts_ : list of ndarray
        Weights of shape (fan_in, fan_out) and biases of each layer.
    loss_, best_loss_ : float
        The last epoch's loss and the best one (None with early stopping).
    loss_curve_ : list of float
        The loss of every epoch (sgd, adam).
    validation_scores_, best_validation_score_ : list of float, float or None
        With early stopping, the held-out accuracy per epoch and its best.
    t_ : int
        Training samples seen.
    n_iter_, n_layers_, n_outputs_ : int
        Epochs run, layers (input and output included), outputs.
    out_activation_ : str
        ``"logistic"`` or ``"softmax"``.
    n_features_in_ : int
    feature_names_in_ : ndarray
        When X has string column names.
    result_ : FitResult
        gdfast's record of the last fit (sgd, adam).

    Examples
    --------
    >>> import numpy as np, gdfast
    >>> X = np.random.default_rng(0).normal(size=(300, 4))
    >>> y = (X[:, 0] * X[:, 1] > 0).astype(int)
    >>> clf = gdfast.GDMLPClassifier((32,), max_iter=300, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    _estimator_kind = "classifier"

    def _loss_and_targets(
        self, y: np.ndarray, partial_classes: Any, warm: bool
    ) -> tuple[str, np.ndarray]:
        kind = type_of_target(y)
        if kind not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(f"y: Unknown label type {kind!r}; expected class labels")
        if not hasattr(self, "_label_binarizer"):
            binarizer = LabelBinarizer()
            multilabel = kind == "multilabel-indicator"
            labels = y if partial_classes is None or multilabel else np.asarray(partial_classes)
            if labels.ndim == 1:
                # the label set, not every label: LabelBinarizer.fit runs type_of_target and
                # unique_labels over its input (4 ms on 50,000 labels, a quarter of the
                # estimator's own time on W7); the set gives it the same classes_ and y_type_
                try:
                    labels = np.unique(labels)
                except TypeError:  # mixed label types: LabelBinarizer says so in its words
                    pass
            binarizer.fit(labels)
            self._label_binarizer = binarizer
            self.classes_ = binarizer.classes_
        elif warm and y.ndim == 1:
            labels = np.unique(y)
            if self.warm_start and not np.array_equal(labels, self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, `y` has {labels}"
                )
            unknown = np.setdiff1d(labels, self.classes_)
            if unknown.size:
                raise ValueError(
                    f"y: labels {unknown.tolist()} are not in classes_ {self.classes_.tolist()}"
                )
        if y.ndim == 2:
            return "log_loss", y
        return ("log_loss" if len(self.classes_) == 2 else "softmax"), y

    def _label_set(self) -> np.ndarray | None:
        if getattr(self._label_binarizer, "y_type_", "") == "multilabel-indicator":
            return None
        return self.classes_

    def _dask_label_set(self, y: Any) -> np.ndarray:
        """The labels of y (one ``da.unique`` pass); for a 2-D y, a 0/1 indicator of
        its width (its values are checked on the workers)."""
        if y.ndim == 2:
            return np.repeat([[0], [1]], y.shape[1], axis=1)
        if on_dask.is_dask_array(y):
            import dask.array as da

            return np.asarray(da.unique(y).compute())
        return np.unique(np.asarray(y))

    def _out_activation(self, n_outputs: int, multilabel: bool) -> str:
        return "logistic" if multilabel or n_outputs == 1 else "softmax"

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> GDMLPClassifier:
        """Fit the network to data X and labels y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels, or a 0/1 indicator matrix (multilabel).
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the samples' losses, scaled to a mean of 1 (and
            ``alpha`` with them): a weight of 2 is a repeated sample for a
            full batch and for lbfgs, as in scikit-learn.

        Returns
        -------
        self
        """
        if not self.warm_start and hasattr(self, "_label_binarizer"):
            del self._label_binarizer
        return self._fit(X, y, partial=False, sample_weight=sample_weight)

    @_StochasticOnly
    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> GDMLPClassifier:
        """One epoch over X and y, from the current weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), optional
            All the labels; required on the first call.

        Returns
        -------
        self
        """
        if not hasattr(self, "coefs_") and classes is None:
            raise ValueError("classes: must be passed on the first call to partial_fit")
        if hasattr(self, "classes_") and classes is not None:
            if not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    f"classes={np.asarray(classes)!r} is not the same as on last call to "
                    f"partial_fit, was: {self.classes_!r}"
                )
        return self._fit(X, y, partial=True, classes=classes)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels (a 0/1 matrix for multilabel).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            A dask array for a dask X.
        """
        if on_dask.is_dask_array(X):
            check_is_fitted(self)
            # multilabel: a 0/1 column per label
            n_columns = self.n_outputs_ if self._label_set() is None else None
            return on_dask.map_rows(X, self.predict, n_columns, self.classes_.dtype)
        proba = self._forward(X)
        if self.n_outputs_ == 1:
            proba = proba.ravel()
        return self._label_binarizer.inverse_transform(proba)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            A dask array for a dask X.
        """
        if on_dask.is_dask_array(X):
            check_is_fitted(self)
            n_columns = max(len(self.classes_), self.n_outputs_)
            return on_dask.map_rows(X, self.predict_proba, n_columns, self.coefs_[0].dtype)
        proba = self._forward(X)
        if self.n_outputs_ == 1 and self.out_activation_ == "logistic":
            return np.column_stack([1 - proba[:, 0], proba[:, 0]])
        return proba

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            A dask array for a dask X.
        """
        proba: Any = self.predict_proba(X)
        return proba.map_blocks(np.log) if on_dask.is_dask_array(proba) else np.log(proba)

    def __sklearn_tags__(self) -> Any:
        """Multilabel y accepted, as scikit-learn's MLPClassifier."""
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class GDMLPRegressor(RegressorMixin, _GDMLPBase):
    """A multi-layer perceptron regressor trained by gdfast: scikit-learn's
    ``MLPRegressor``, with its parameters and attributes, but faster.

    An identity output per target on the squared error (scikit-learn's: the
    loss is ``mean((y - p)^2) / 2`` over samples and outputs). The parameters
    are those of :class:`GDMLPClassifier`; early stopping scores R^2.

    Parameters
    ----------
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate, \
learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose, \
warm_start, momentum, nesterovs_momentum, early_stopping, validation_fraction, \
beta_1, beta_2, epsilon, n_iter_no_change, max_fun, n_threads
        As for :class:`GDMLPClassifier`.

    Attributes
    ----------
    coefs_, intercepts_, loss_, best_loss_, loss_curve_, validation_scores_, \
best_validation_score_, t_, n_iter_, n_layers_, n_outputs_, n_features_in_, \
feature_names_in_, result_
        As for :class:`GDMLPClassifier`.
    out_activation_ : str
        ``"identity"``.

    Examples
    --------
    >>> import numpy as np, gdfast
    >>> X = np.random.default_rng(0).normal(size=(400, 3))
    >>> y = np.sin(X[:, 0]) + X[:, 1] ** 2
    >>> reg = gdfast.GDMLPRegressor((32,), max_iter=500, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.9
    True
    """

    _estimator_kind = "regressor"

    def _loss_and_targets(
        self, y: np.ndarray, partial_classes: Any, warm: bool
    ) -> tuple[str, np.ndarray]:
        return "squared_error", y

    def _out_activation(self, n_outputs: int, multilabel: bool) -> str:
        return "identity"

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> GDMLPRegressor:
        """Fit the network to data X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), optional
            As for :meth:`GDMLPClassifier.fit`.

        Returns
        -------
        self
        """
        return self._fit(X, y, partial=False, sample_weight=sample_weight)

    @_StochasticOnly
    def partial_fit(self, X: Any, y: Any) -> GDMLPRegressor:
        """One epoch over X and y, from the current weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self
        """
        return self._fit(X, y, partial=True)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
            A dask array for a dask X.
        """
        if on_dask.is_dask_array(X):
            check_is_fitted(self)
            n_columns = None if self.n_outputs_ == 1 else self.n_outputs_
            return on_dask.map_rows(X, self.predict, n_columns, self.coefs_[0].dtype)
        out = self._forward(X)
        return out.ravel() if out.shape[1] == 1 else out
