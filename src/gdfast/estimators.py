"""scikit-learn estimators: :class:`GDRegressor` and :class:`GDClassifier`.

Drop-in replacements for scikit-learn's ``SGDRegressor`` and ``SGDClassifier``:
the same parameters with the same names, defaults and meaning, the same
attributes and methods, trained by gdfast's compiled epochs. gdfast's own
parameters (``method``, ``batch_size``, ``optimizer`` ...) come after
scikit-learn's, with defaults that change nothing (``method="sgd"``,
``optimizer="sgd"``), so that swapping the class changes only the speed.

scikit-learn is an optional dependency: ``pip install "gdfast[sklearn]"``.
"""

from __future__ import annotations

import copy
import inspect
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

try:
    import sklearn  # noqa: F401
except ImportError as exc:
    raise ImportError(
        'GDRegressor and GDClassifier need scikit-learn: pip install "gdfast[sklearn]"'
    ) from exc
try:
    from sklearn.utils.validation import validate_data
except ImportError as exc:  # scikit-learn < 1.6
    raise ImportError(
        'GDRegressor and GDClassifier need scikit-learn >= 1.6: pip install -U "gdfast[sklearn]"'
    ) from exc

from joblib import effective_n_jobs
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from . import dask as on_dask
from ._api import (
    ChunkedRows,
    TrainingState,
    check_validation_size,
    compiled_epoch,
    default_params,
    random_state_of,
    run_fit,
)
from ._losses import predict_proba_from_scores
from ._result import EpochInfo, FitResult
from ._validation import CLASSIFICATION_LOSSES, REGRESSION_LOSSES

__all__ = ["GDClassifier", "GDRegressor"]

# parameters of the estimators that gdfast.fit does not take
_ESTIMATOR_ONLY = ("warm_start", "n_jobs")
_PROBA_LOSSES = ("log_loss", "modified_huber", "softmax")
_DEFAULT_EPSILON = 0.1
# scikit-learn's tables of its losses (``SGDRegressor.loss_functions``,
# ``SGDClassifier.loss_functions``): name -> (the loss gdfast computes, its constant:
# the hinge's threshold or the default epsilon). gdfast's "softmax" is not in them.
_REGRESSION_LOSS_FUNCTIONS: dict[str, tuple[Any, ...]] = {
    "squared_error": ("squared_error",),
    "huber": ("huber", _DEFAULT_EPSILON),
    "epsilon_insensitive": ("epsilon_insensitive", _DEFAULT_EPSILON),
    "squared_epsilon_insensitive": ("squared_epsilon_insensitive", _DEFAULT_EPSILON),
}
_CLASSIFICATION_LOSS_FUNCTIONS: dict[str, tuple[Any, ...]] = {
    "hinge": ("hinge", 1.0),
    "squared_hinge": ("squared_hinge", 1.0),
    "perceptron": ("hinge", 0.0),
    "log_loss": ("log_loss",),
    "modified_huber": ("modified_huber",),
    **_REGRESSION_LOSS_FUNCTIONS,
}
# scikit-learn >= 1.9 refuses weights that are all zero unless told otherwise
_ZERO_WEIGHTS_OPTION = (
    "allow_all_zero_weights" in inspect.signature(_check_sample_weight).parameters
)
_OVERFLOW = (  # scikit-learn's words
    "Floating-point under-/overflow occurred at epoch #{epoch}. Scaling input data with "
    "StandardScaler or MinMaxScaler might help."
)


def _dense(coef: Any) -> Any:
    return coef.toarray() if sparse.issparse(coef) else coef


def _squares_overflow(X: Any) -> bool:
    """Whether the square of X's largest value overflows its dtype: a sample's
    ``x @ x`` may then be infinite, and no learning rate keeps the first step's
    decision values finite; only scaling the data helps."""
    values = X.data if sparse.issparse(X) else np.asarray(X)
    if values.size == 0:
        return False
    with np.errstate(over="ignore"):
        return not np.isfinite(np.max(np.abs(values)) ** 2)


class _GDBase(BaseEstimator):
    """What GDRegressor and GDClassifier share: the mapping of the estimator's
    parameters to gdfast's, the training state, the linear scores, and
    densify / sparsify."""

    _estimator_kind = ""  # "regressor" or "classifier"
    _losses: tuple[str, ...] = ()
    coef_: Any  # an ndarray, or a SciPy CSR matrix after sparsify()
    intercept_: np.ndarray

    # --- parameters -------------------------------------------------------
    def _check_own_params(self, *, first_partial_fit: bool = False) -> None:
        """Check the parameters gdfast.fit does not check itself."""
        if self.loss not in self._losses:
            shown = ", ".join(repr(loss) for loss in self._losses)
            raise ValueError(
                f"loss: {self.loss!r} is not a {self._estimator_kind} loss of "
                f"{type(self).__name__}; expected one of {shown}"
            )
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise TypeError(f"warm_start: expected a bool, got {type(self.warm_start).__name__}")
        if self.penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError("l1_ratio must be set when penalty is 'elasticnet'")
        if first_partial_fit and self.early_stopping:  # after fit, scikit-learn lets it pass
            raise ValueError("early_stopping should be False with partial_fit")
        if isinstance(self.power_t, (int, float)) and self.power_t < 0:  # as scikit-learn 1.8+
            warnings.warn(
                "Negative values for `power_t` are deprecated in version 1.8 of scikit-learn "
                "and will raise an error in 1.10. Use values in the range [0.0, inf) instead.",
                FutureWarning,
                stacklevel=3,
            )

    def _gdfast_params(self, **changes: Any) -> dict[str, Any]:
        """The estimator's parameters as :func:`gdfast.fit` takes them."""
        params = {
            name: value
            for name, value in self.get_params(deep=False).items()
            if name not in _ESTIMATOR_ONLY
        }
        if params["l1_ratio"] is None:  # allowed by scikit-learn unless penalty="elasticnet"
            params["l1_ratio"] = 0.0
        n_jobs = getattr(self, "n_jobs", None)
        if params["n_threads"] is None and n_jobs is not None:
            params["n_threads"] = int(effective_n_jobs(n_jobs))
        params.update(changes)
        return default_params(**params)

    # --- data ---------------------------------------------------------------
    def _validate_training_data(self, X: Any, y: Any, *, reset: bool) -> tuple[Any, Any]:
        if on_dask.is_dask_array(X):  # checked on the workers, by gdfast.dask.prepare
            on_dask.check_n_features(self, X, reset=reset)
            return X, y
        # gdfast checks X for NaN / inf itself (one pass, not two); y is checked here.
        return validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            order="C",
            ensure_all_finite=False,
            y_numeric=self._estimator_kind == "regressor",
            reset=reset,
        )

    def _validate_X_predict(self, X: Any) -> Any:
        check_is_fitted(self)
        return validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False
        )

    def _sample_weight(self, sample_weight: Any, X: Any) -> np.ndarray | None:
        if sample_weight is None:
            return None
        # with early_stopping, weights that are all zero fail the validation set's test,
        # with the more telling message (as in scikit-learn)
        option = {"allow_all_zero_weights": bool(self.early_stopping)}
        return _check_sample_weight(
            sample_weight, X, dtype=X.dtype, **(option if _ZERO_WEIGHTS_OPTION else {})
        )

    def _validation_split(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """scikit-learn's split of ``early_stopping``, sorted (train, validation)
        indices: the same samples as ``SGDClassifier`` / ``SGDRegressor`` hold out for
        the same ``random_state`` (stratified for a classifier)."""
        splitter = StratifiedShuffleSplit if self._estimator_kind == "classifier" else ShuffleSplit
        cv = splitter(
            test_size=self.validation_fraction, random_state=random_state_of(self.random_state)
        )
        train, validation = next(cv.split(np.zeros((len(y), 1)), y))
        check_validation_size(len(validation), len(y), self.validation_fraction)
        return np.sort(train), np.sort(validation)

    # --- training -----------------------------------------------------------
    def _train(
        self,
        X: Any,
        y: np.ndarray,
        *,
        partial: bool,
        classes: np.ndarray | None = None,
        sample_weight: Any = None,
        coef_init: Any = None,
        intercept_init: Any = None,
    ) -> FitResult:
        """One call of gdfast's epoch loop on the estimator's training state.

        ``fit`` starts a new state (``partial=False``); ``partial_fit`` creates
        one on its first call and reuses it after, for one epoch per call.
        """
        if partial:  # one epoch a call: no progress bar for each
            params = self._gdfast_params(max_iter=1, tol=None, early_stopping=False, progress=False)
        else:
            params = self._gdfast_params()
        state: TrainingState | None = getattr(self, "_state", None) if partial else None
        if state is not None:
            # work on a copy: an interrupted partial_fit leaves the estimator as it was
            state = copy.deepcopy(state)
        kernel: Any = compiled_epoch
        if on_dask.is_dask_array(X):  # the rows stay on the workers (gdfast.dask)
            if self._estimator_kind == "classifier" and self.loss in REGRESSION_LOSSES:
                raise ValueError(
                    f"loss: {self.loss!r} (a regression loss) in GDClassifier is not "
                    "supported on dask arrays yet; use a classification loss"
                )
            known = classes if state is None else state.classes
            X, y = on_dask.prepare(X, y, sample_weight, params, np.random.default_rng(), known)
            classes, sw, kernel = X.classes, None, on_dask.epoch_on_workers
        else:
            sw = self._sample_weight(sample_weight, X)
        if state is None:
            state = TrainingState.for_labels(
                params, X.shape[1], X.dtype, classes, coef_init, intercept_init
            )
        if isinstance(X, ChunkedRows):
            X.chunks.rng = state.rng  # the chunks' permutations carry on across partial_fit
        validation = (
            self._validation_split(y)
            if params["early_stopping"] and kernel is compiled_epoch
            else None
        )
        result = run_fit(
            X, y, params, kernel=kernel, sample_weight=sw, state=state, validation=validation
        )
        if (
            result.stop_reason == "diverged"
            and result.n_epochs == 0
            and not state.exploded
            and kernel is compiled_epoch  # X is here, not on dask workers
            and _squares_overflow(X)
        ):
            # no finite first epoch on data of this scale: scikit-learn's error (a
            # step too large for the data warns, and keeps the weights its lowest-loss
            # epoch began with)
            raise ValueError(_OVERFLOW.format(epoch=state.epochs_done + 1))
        self._state = state
        self._set_fitted(
            result, partial=partial, held_out=0 if validation is None else len(validation[1])
        )
        if not partial:
            if self.tol is not None and self.n_iter_ == self.max_iter:
                warnings.warn(
                    "Maximum number of iteration reached before convergence. "
                    "Consider increasing max_iter to improve the fit.",
                    ConvergenceWarning,
                    stacklevel=3,
                )
        return result

    def _set_fitted(self, result: FitResult, *, partial: bool, held_out: int = 0) -> None:
        self.coef_, self.intercept_ = self._public_shapes(result)
        self.n_iter_ = result.n_epochs
        # scikit-learn's t_ counts the held-out samples of early_stopping too, every epoch
        # (its schedules count the updates alone, as gdfast's do)
        self._t_held_out = held_out * result.n_epochs + (
            getattr(self, "_t_held_out", 0) if partial else 0
        )
        self.t_ = float(result.n_updates + 1 + self._t_held_out)
        previous = getattr(self, "loss_curve_", None)
        if partial and previous is not None:
            self.loss_curve_ = np.concatenate([previous, result.loss_history])
        else:
            self.loss_curve_ = result.loss_history.copy()
        self.result_ = result
        self._set_average_parts()

    def _set_average_parts(self) -> None:
        """scikit-learn's attributes of an averaged model, in its shapes (one row:
        1-D): ``_average_coef`` / ``_average_intercept`` (the average, what ``coef_`` /
        ``intercept_`` hold once averaging has begun) and ``_standard_coef`` /
        ``_standard_intercept`` (the last iterate); absent without ``average``."""
        names = ("_average_coef", "_average_intercept", "_standard_coef", "_standard_intercept")
        state = self._state
        if state.average is None:
            for name in names:
                self.__dict__.pop(name, None)
            return
        average_coef, average_intercept = state.coef_intercept(state.average)
        coef, intercept = state.coef_intercept(state.params)
        parts = (average_coef, np.atleast_1d(average_intercept), coef, np.atleast_1d(intercept))
        for name, value in zip(names, parts):
            setattr(self, name, value)

    def _public_shapes(self, result: FitResult) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _warm_start_init(self, coef_init: Any, intercept_init: Any) -> tuple[Any, Any]:
        """scikit-learn's warm start: the previous solution is the starting point."""
        if self.warm_start and getattr(self, "coef_", None) is not None:
            if coef_init is None:
                coef_init = _dense(self.coef_)
            if intercept_init is None:
                intercept_init = self.intercept_
        return coef_init, intercept_init

    # --- prediction -----------------------------------------------------------
    def _scores(self, X: Any) -> np.ndarray:
        """``X @ coef_.T + intercept_`` of shape (n_samples, n_outputs)."""
        coef = self.coef_
        if not sparse.issparse(coef) and coef.ndim == 1:  # the regressor's
            return (X @ coef + self.intercept_)[:, np.newaxis]
        scores = X @ coef.T
        if sparse.issparse(scores):
            scores = scores.toarray()
        return np.asarray(scores) + self.intercept_

    def densify(self) -> _GDBase:
        """Convert a sparse ``coef_`` (see :meth:`sparsify`) back to a NumPy array.

        Returns
        -------
        self
            The fitted estimator.
        """
        check_is_fitted(self)
        if sparse.issparse(self.coef_):
            coef = self.coef_.toarray()
            self.coef_ = coef.ravel() if self._estimator_kind == "regressor" else coef
        return self

    def sparsify(self) -> _GDBase:
        """Store ``coef_`` as a SciPy CSR matrix, as scikit-learn's ``sparsify``.

        Worth it when most coefficients are zero (an L1 or elastic-net
        penalty): prediction is then faster and the model smaller. ``fit``,
        ``partial_fit`` and :meth:`densify` bring back a NumPy array.

        Returns
        -------
        self
            The fitted estimator.
        """
        check_is_fitted(self)
        self.coef_ = sparse.csr_matrix(self.coef_)
        return self

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags: those of SGDRegressor / SGDClassifier (sparse X accepted)."""
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class GDRegressor(RegressorMixin, _GDBase):
    """Linear regression by gradient descent: a drop-in for ``SGDRegressor``.

    The parameters up to ``average`` are scikit-learn's ``SGDRegressor``'s,
    with the same names, defaults and meaning; the ones after are gdfast's.
    With the defaults (``method="sgd"``, ``optimizer="sgd"``) the updates are
    scikit-learn's, sample by sample: with ``shuffle=False`` the coefficients
    agree to rounding (shuffled, the permutations are gdfast's own). The
    difference is the speed.

    Parameters
    ----------
    loss : {"squared_error", "huber", "epsilon_insensitive", \
"squared_epsilon_insensitive"}, default="squared_error"
        The loss; ``squared_error`` is ``0.5 * (p - y)**2``.
    penalty : {"l2", "l1", "elasticnet", None}, default="l2"
        ``alpha * (l1_ratio * |w|_1 + (1 - l1_ratio) / 2 * |w|_2^2)``; the
        intercept is not penalised.
    alpha : float, default=0.0001
        Strength of the penalty; also sets ``learning_rate="optimal"``.
    l1_ratio : float or None, default=0.15
        The L1 share of ``"elasticnet"`` (None allowed for other penalties).
    fit_intercept : bool, default=True
        Whether to fit an intercept.
    max_iter : int, default=1000
        Maximum number of epochs of :meth:`fit` (``partial_fit`` runs one).
    tol : float or None, default=1e-3
        Stop once the epoch loss (or the validation score, with
        ``early_stopping``) has not improved by ``tol`` for
        ``n_iter_no_change`` epochs in a row. None disables the test.
    shuffle : bool, default=True
        Shuffle the samples every epoch.
    verbose : int, default=0
        Print, after every epoch, scikit-learn's lines (``-- Epoch``,
        ``Norm: ..., NNZs: ..., Bias: ..., T: ..., Avg. loss: ...``,
        ``Total training time``).
    epsilon : float, default=0.1
        The margin of ``huber`` and the epsilon-insensitive losses.
    random_state : int, RandomState instance, Generator or None, default=None
        Seed of the shuffling and of the validation split.
    learning_rate : str or callable, default="invscaling"
        ``"constant"``, ``"optimal"``, ``"invscaling"``, ``"adaptive"`` as in
        scikit-learn; gdfast adds ``"exponential"``, ``"step"``, ``"cosine"`` and
        callables ``epoch -> eta`` (see :func:`gdfast.fit`).
    eta0 : float, default=0.01
        The initial learning rate.
    power_t : float, default=0.25
        Exponent of ``"invscaling"``; a negative one (deprecated by scikit-learn)
        warns with a ``FutureWarning`` and makes the rate grow.
    early_stopping : bool, default=False
        Stop on the score (R^2, weighted by ``sample_weight``) of a held-out
        ``validation_fraction``: the samples ``SGDRegressor`` holds out for the
        same ``random_state`` (scikit-learn's ``ShuffleSplit``).
    validation_fraction : float, default=0.1
        See ``early_stopping``.
    n_iter_no_change : int, default=5
        See ``tol``.
    warm_start : bool, default=False
        Start :meth:`fit` from the previous solution.
    average : bool or int, default=False
        Averaged SGD: the mean of the iterates, from the first update (True) or
        from update number ``average``.
    method : {"sgd", "minibatch", "batch"}, default="sgd"
        Samples per update: one, ``batch_size``, or all of them.
    batch_size : int, default=32
        Samples per update of ``method="minibatch"``.
    optimizer : {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}, \
default="sgd"
        The update rule.
    momentum, beta_1, beta_2, eps : float, default=0.9, 0.9, 0.999, 1e-8
        The update rules' constants (``eps``: the stability term).
    decay_rate, step_size, eta_min : float, int, float, default=0.9, 10, 0.0
        The constants of the ``"exponential"``, ``"step"`` and ``"cosine"``
        schedules.
    target_loss : float or None, default=None
        Stop once an epoch's loss is at or below it.
    max_time : float or None, default=None
        Stop after the first epoch that ends past this many seconds.
    n_threads : int or None, default=None
        Threads of the ``batch`` / ``minibatch`` gradient reductions
        (default :func:`gdfast.get_num_threads`).
    parallel : {"deterministic", "hogwild"}, default="deterministic"
        ``"hogwild"``: lock-free SGD threads (``method="sgd"``, plain rule, no L1,
        no averaging); faster on large data, not reproducible bit for bit.
    record_updates : bool, default=False
        Keep every update's loss in ``result_.update_losses``.
    callback : callable or None, default=None
        ``callback(info: EpochInfo) -> bool`` after every epoch; True stops.
    progress : bool, default=False
        A tqdm progress bar over the epochs of ``fit`` (``pip install "gdfast[progress]"``).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        The coefficients (in X's dtype: float32 stays float32).
    intercept_ : ndarray of shape (1,)
        The intercept.
    n_iter_ : int
        Epochs run by the last ``fit`` or ``partial_fit`` call.
    t_ : float
        Updates made so far plus one, as scikit-learn counts them (with
        ``early_stopping``, the held-out samples of every epoch too).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Column names of a pandas DataFrame X (all strings).
    loss_curve_ : ndarray of shape (n_epochs,)
        The mean loss of every epoch since ``fit`` (``partial_fit`` appends).
    result_ : FitResult
        The result of the last ``fit`` or ``partial_fit`` call.
    loss_functions : dict
        Class attribute: scikit-learn's table of its losses, name -> (the loss,
        its constant: the hinge's threshold or the default epsilon).

    Notes
    -----
    Where gdfast and scikit-learn differ:

    - ``tol`` tests the epoch's mean loss, as scikit-learn did before 1.8;
      scikit-learn 1.8 and later test the loss plus the penalty, so with a
      penalty the two may stop at different epochs (the updates are the same).
    - A diverging loss (see :func:`gdfast.fit`, Notes: not finite, over
      1e4 times where it began, or rising faster every epoch) stops the fit
      with a ``RuntimeWarning`` and the coefficients its lowest-loss epoch
      began with (``result_.stop_reason == "diverged"``), where scikit-learn
      clips the loss's derivative at 1e12 and raises ``ValueError`` on
      overflow. gdfast raises scikit-learn's ``ValueError`` ("Floating-point
      under-/overflow ...") when the first epoch is not finite on data whose
      squared values overflow (no learning rate helps there, scaling does).
    - float32 data gives a float32 ``intercept_`` too.
    - Sparse X gives the model dense X gives; scikit-learn damps the
      intercept's updates by a factor 0.01 on sparse X.
    - With ``warm_start`` and ``average``, a second ``fit`` starts from
      ``coef_`` with a fresh average (as ``SGDClassifier`` does;
      ``SGDRegressor`` carries its running average over).

    Examples
    --------
    >>> import numpy as np
    >>> from gdfast import GDRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 3))
    >>> y = X @ [1.0, 2.0, 3.0] + 0.5
    >>> reg = GDRegressor(penalty=None, random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 2), np.round(reg.intercept_, 2)
    (array([1., 2., 3.]), array([0.5]))
    >>> round(reg.score(X, y), 4)
    1.0
    """

    _estimator_kind = "regressor"
    _losses = REGRESSION_LOSSES
    loss_functions = _REGRESSION_LOSS_FUNCTIONS

    def __init__(
        self,
        loss: str = "squared_error",
        *,
        penalty: str | None = "l2",
        alpha: float = 0.0001,
        l1_ratio: float | None = 0.15,
        fit_intercept: bool = True,
        max_iter: int = 1000,
        tol: float | None = 1e-3,
        shuffle: bool = True,
        verbose: int = 0,
        epsilon: float = 0.1,
        random_state: Any = None,
        learning_rate: str | Callable[[int], float] = "invscaling",
        eta0: float = 0.01,
        power_t: float = 0.25,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        warm_start: bool = False,
        average: bool | int = False,
        method: str = "sgd",
        batch_size: int = 32,
        optimizer: str = "sgd",
        momentum: float = 0.9,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        eps: float = 1e-8,
        decay_rate: float = 0.9,
        step_size: int = 10,
        eta_min: float = 0.0,
        target_loss: float | None = None,
        max_time: float | None = None,
        n_threads: int | None = None,
        parallel: str = "deterministic",
        record_updates: bool = False,
        callback: Callable[[EpochInfo], bool | None] | None = None,
        progress: bool = False,
    ) -> None:
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.epsilon = epsilon
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.average = average
        self.method = method
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.eps = eps
        self.decay_rate = decay_rate
        self.step_size = step_size
        self.eta_min = eta_min
        self.target_loss = target_loss
        self.max_time = max_time
        self.n_threads = n_threads
        self.parallel = parallel
        self.record_updates = record_updates
        self.callback = callback
        self.progress = progress

    def fit(
        self,
        X: Any,
        y: Any,
        coef_init: Any = None,
        intercept_init: Any = None,
        sample_weight: Any = None,
    ) -> GDRegressor:
        """Fit the model: up to ``max_iter`` epochs of gradient descent.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 is kept, other dtypes become float64.
        y : array-like of shape (n_samples,)
            Targets.
        coef_init : ndarray of shape (n_features,), default=None
            Starting coefficients (default zeros, or ``coef_`` with ``warm_start``).
        intercept_init : ndarray of shape (1,), default=None
            Starting intercept.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples' losses.

        Returns
        -------
        self : GDRegressor
            The fitted estimator.
        """
        self._check_own_params()
        X, y = self._validate_training_data(X, y, reset=True)
        coef_init, intercept_init = self._warm_start_init(coef_init, intercept_init)
        self._train(
            X,
            y,
            partial=False,
            sample_weight=sample_weight,
            coef_init=coef_init,
            intercept_init=intercept_init,
        )
        return self

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> GDRegressor:
        """Run one epoch over the given samples, carrying on from the previous call.

        The update count ``t_`` (which drives ``"optimal"`` and
        ``"invscaling"``), the optimizer's moments, the L1 and averaging
        states and the random generator carry over from the previous
        ``partial_fit`` (or ``fit``) call. ``tol`` and ``max_iter`` are not used.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of the training data.
        y : array-like of shape (n_samples,)
            Its targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples' losses.

        Returns
        -------
        self : GDRegressor
            The updated estimator.
        """
        first_call = getattr(self, "_state", None) is None
        self._check_own_params(first_partial_fit=first_call)
        X, y = self._validate_training_data(X, y, reset=first_call)
        self._train(X, y, partial=True, sample_weight=sample_weight)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets ``X @ coef_ + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            The predictions.
        """
        if on_dask.is_dask_array(X):
            return on_dask.map_rows(X, self.predict, None, self.coef_.dtype)
        return self._scores(self._validate_X_predict(X)).ravel()

    def _public_shapes(self, result: FitResult) -> tuple[np.ndarray, np.ndarray]:
        return result.coef, np.atleast_1d(result.intercept)


class GDClassifier(ClassifierMixin, _GDBase):
    """Linear classifiers by gradient descent: a drop-in for ``SGDClassifier``.

    The parameters up to ``average`` are scikit-learn's ``SGDClassifier``'s,
    with the same names, defaults and meaning; the ones after are gdfast's.
    With the defaults (``method="sgd"``, ``optimizer="sgd"``) the updates are
    scikit-learn's, sample by sample; more than two classes are fitted
    one-vs-rest (all classes in one pass over the data), or as one
    multinomial model with ``loss="softmax"``.

    Parameters
    ----------
    loss : {"hinge", "log_loss", "modified_huber", "squared_hinge", \
"perceptron", "squared_error", "huber", "epsilon_insensitive", \
"squared_epsilon_insensitive", "softmax"}, default="hinge"
        The loss. The regression losses fit the +-1 targets of each class, as in
        ``SGDClassifier``. ``"softmax"`` (gdfast's) is multinomial logistic regression,
        one weight row per class.
    penalty : {"l2", "l1", "elasticnet", None}, default="l2"
        ``alpha * (l1_ratio * |w|_1 + (1 - l1_ratio) / 2 * |w|_2^2)``; the
        intercept is not penalised.
    alpha : float, default=0.0001
        Strength of the penalty; also sets ``learning_rate="optimal"``.
    l1_ratio : float or None, default=0.15
        The L1 share of ``"elasticnet"`` (None allowed for other penalties).
    fit_intercept : bool, default=True
        Whether to fit an intercept.
    max_iter : int, default=1000
        Maximum number of epochs of :meth:`fit` (``partial_fit`` runs one).
    tol : float or None, default=1e-3
        Stop once the epoch loss (or the validation accuracy, with
        ``early_stopping``) has not improved by ``tol`` for
        ``n_iter_no_change`` epochs in a row. None disables the test.
    shuffle : bool, default=True
        Shuffle the samples every epoch.
    verbose : int, default=0
        Print, after every epoch, scikit-learn's lines (``-- Epoch``,
        ``Norm: ..., NNZs: ..., Bias: ..., T: ..., Avg. loss: ...``,
        ``Total training time``).
    epsilon : float, default=0.1
        Unused by the classification losses (kept for scikit-learn's signature).
    n_jobs : int or None, default=None
        The thread count when ``n_threads`` is None (``-1``: all CPUs).
    random_state : int, RandomState instance, Generator or None, default=None
        Seed of the shuffling and of the validation split.
    learning_rate : str or callable, default="optimal"
        ``"constant"``, ``"optimal"``, ``"invscaling"``, ``"adaptive"`` as in
        scikit-learn; gdfast adds ``"exponential"``, ``"step"``, ``"cosine"`` and
        callables ``epoch -> eta`` (see :func:`gdfast.fit`).
    eta0 : float, default=0.01
        The initial learning rate (unused by ``"optimal"``).
    power_t : float, default=0.5
        Exponent of ``"invscaling"``; a negative one (deprecated by scikit-learn)
        warns with a ``FutureWarning`` and makes the rate grow.
    early_stopping : bool, default=False
        Stop on the accuracy (weighted by ``sample_weight``) of a held-out
        ``validation_fraction``: the samples ``SGDClassifier`` holds out for the
        same ``random_state`` (scikit-learn's ``StratifiedShuffleSplit``).
    validation_fraction : float, default=0.1
        See ``early_stopping``.
    n_iter_no_change : int, default=5
        See ``tol``.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, as scikit-learn applies them.
    warm_start : bool, default=False
        Start :meth:`fit` from the previous solution.
    average : bool or int, default=False
        Averaged SGD: the mean of the iterates, from the first update (True) or
        from update number ``average``.
    method : {"sgd", "minibatch", "batch"}, default="sgd"
        Samples per update: one, ``batch_size``, or all of them.
    batch_size : int, default=32
        Samples per update of ``method="minibatch"``.
    optimizer : {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}, \
default="sgd"
        The update rule.
    momentum, beta_1, beta_2, eps : float, default=0.9, 0.9, 0.999, 1e-8
        The update rules' constants (``eps``: the stability term).
    decay_rate, step_size, eta_min : float, int, float, default=0.9, 10, 0.0
        The constants of the ``"exponential"``, ``"step"`` and ``"cosine"``
        schedules.
    target_loss : float or None, default=None
        Stop once an epoch's loss is at or below it.
    max_time : float or None, default=None
        Stop after the first epoch that ends past this many seconds.
    n_threads : int or None, default=None
        Threads of the ``batch`` / ``minibatch`` gradient reductions (default
        ``n_jobs``, else :func:`gdfast.get_num_threads`).
    parallel : {"deterministic", "hogwild"}, default="deterministic"
        ``"hogwild"``: lock-free SGD threads (``method="sgd"``, plain rule, no L1,
        no averaging); faster on large data, not reproducible bit for bit.
    record_updates : bool, default=False
        Keep every update's loss in ``result_.update_losses``.
    callback : callable or None, default=None
        ``callback(info: EpochInfo) -> bool`` after every epoch; True stops.
    progress : bool, default=False
        A tqdm progress bar over the epochs of ``fit`` (``pip install "gdfast[progress]"``).

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        The coefficients: one row for two classes (two with ``"softmax"``).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        The intercepts.
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    n_iter_ : int
        Epochs run by the last ``fit`` or ``partial_fit`` call.
    t_ : float
        Updates made so far plus one, as scikit-learn counts them (with
        ``early_stopping``, the held-out samples of every epoch too).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Column names of a pandas DataFrame X (all strings).
    loss_curve_ : ndarray of shape (n_epochs,)
        The mean loss of every epoch since ``fit`` (``partial_fit`` appends);
        one-vs-rest adds up the classes' losses.
    result_ : FitResult
        The result of the last ``fit`` or ``partial_fit`` call.
    loss_functions : dict
        Class attribute: scikit-learn's table of its losses, name -> (the loss,
        its constant: the hinge's threshold or the default epsilon).

    Notes
    -----
    Where gdfast and scikit-learn differ:

    - ``tol`` tests the epoch's mean loss, as scikit-learn did before 1.8;
      scikit-learn 1.8 and later test the loss plus the penalty, so with a
      penalty the two may stop at different epochs (the updates are the same).
    - A diverging loss (see :func:`gdfast.fit`, Notes: not finite, over
      1e4 times where it began, or rising faster every epoch) stops the fit
      with a ``RuntimeWarning`` and the coefficients its lowest-loss epoch
      began with (``result_.stop_reason == "diverged"``), where scikit-learn
      clips the loss's derivative at 1e12 and raises ``ValueError`` on
      overflow. gdfast raises scikit-learn's ``ValueError`` ("Floating-point
      under-/overflow ...") when the first epoch is not finite on data whose
      squared values overflow (no learning rate helps there, scaling does).
    - float32 data gives a float32 ``intercept_`` too.
    - Sparse X gives the model dense X gives; scikit-learn damps the
      intercept's updates by a factor 0.01 on sparse X.
    - One-vs-rest fits every class in one pass over the data: ``tol`` tests
      the sum of the classes' losses, where scikit-learn stops each class on
      its own (``n_iter_`` is then its largest count).
    - A regression loss is not supported on dask arrays yet.

    Examples
    --------
    >>> import numpy as np
    >>> from gdfast import GDClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 3))
    >>> y = np.where(X @ [1.0, -2.0, 0.5] > 0, "yes", "no")
    >>> clf = GDClassifier(loss="log_loss", random_state=0).fit(X, y)
    >>> clf.classes_, clf.coef_.shape
    (array(['no', 'yes'], dtype='<U3'), (1, 3))
    >>> clf.score(X, y) > 0.95
    True
    >>> clf.predict(X[:3])
    array(['yes', 'yes', 'no'], dtype='<U3')
    >>> clf.predict_proba([[0.1, 0.0, 0.0], [-0.1, 0.0, 0.0]]).round(2)
    array([[0.2 , 0.8 ],
           [0.65, 0.35]])
    """

    _estimator_kind = "classifier"
    _losses = (*CLASSIFICATION_LOSSES, *REGRESSION_LOSSES)
    loss_functions = _CLASSIFICATION_LOSS_FUNCTIONS
    classes_: np.ndarray

    def __init__(
        self,
        loss: str = "hinge",
        *,
        penalty: str | None = "l2",
        alpha: float = 0.0001,
        l1_ratio: float | None = 0.15,
        fit_intercept: bool = True,
        max_iter: int = 1000,
        tol: float | None = 1e-3,
        shuffle: bool = True,
        verbose: int = 0,
        epsilon: float = 0.1,
        n_jobs: int | None = None,
        random_state: Any = None,
        learning_rate: str | Callable[[int], float] = "optimal",
        eta0: float = 0.01,
        power_t: float = 0.5,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        class_weight: dict[Any, float] | str | None = None,
        warm_start: bool = False,
        average: bool | int = False,
        method: str = "sgd",
        batch_size: int = 32,
        optimizer: str = "sgd",
        momentum: float = 0.9,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        eps: float = 1e-8,
        decay_rate: float = 0.9,
        step_size: int = 10,
        eta_min: float = 0.0,
        target_loss: float | None = None,
        max_time: float | None = None,
        n_threads: int | None = None,
        parallel: str = "deterministic",
        record_updates: bool = False,
        callback: Callable[[EpochInfo], bool | None] | None = None,
        progress: bool = False,
    ) -> None:
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.epsilon = epsilon
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.average = average
        self.method = method
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.eps = eps
        self.decay_rate = decay_rate
        self.step_size = step_size
        self.eta_min = eta_min
        self.target_loss = target_loss
        self.max_time = max_time
        self.n_threads = n_threads
        self.parallel = parallel
        self.record_updates = record_updates
        self.callback = callback
        self.progress = progress

    def fit(
        self,
        X: Any,
        y: Any,
        coef_init: Any = None,
        intercept_init: Any = None,
        sample_weight: Any = None,
    ) -> GDClassifier:
        """Fit the model: up to ``max_iter`` epochs of gradient descent.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 is kept, other dtypes become float64.
        y : array-like of shape (n_samples,)
            Class labels of any type (at least two classes).
        coef_init : ndarray of shape (n_classes, n_features), default=None
            Starting coefficients (``(1, n_features)`` or ``(n_features,)`` for
            two classes; default zeros, or ``coef_`` with ``warm_start``).
        intercept_init : ndarray of shape (n_classes,), default=None
            Starting intercepts.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples' losses, multiplied by ``class_weight``.

        Returns
        -------
        self : GDClassifier
            The fitted estimator.
        """
        self._check_own_params()
        X, y = self._validate_training_data(X, y, reset=True)
        if on_dask.is_dask_array(X):  # the classes: one da.unique pass on the workers
            coef_init, intercept_init = self._warm_start_init(coef_init, intercept_init)
            self._train(
                X, y, partial=False, sample_weight=sample_weight, coef_init=coef_init,
                intercept_init=intercept_init,
            )  # fmt: skip
            return self
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.shape[0] < 2:
            raise ValueError(
                f"The number of classes has to be greater than one; got {classes.shape[0]} class"
            )
        coef_init, intercept_init = self._warm_start_init(coef_init, intercept_init)
        self._train(
            X,
            y,
            partial=False,
            classes=classes,
            sample_weight=sample_weight,
            coef_init=coef_init,
            intercept_init=intercept_init,
        )
        return self

    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> GDClassifier:
        """Run one epoch over the given samples, carrying on from the previous call.

        The update count ``t_`` (which drives ``"optimal"`` and
        ``"invscaling"``), the optimizer's moments, the L1 and averaging
        states and the random generator carry over from the previous
        ``partial_fit`` (or ``fit``) call. ``tol`` and ``max_iter`` are not used.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of the training data.
        y : array-like of shape (n_samples,)
            Its labels.
        classes : array-like of shape (n_classes,), default=None
            All the classes, required on the first call (a chunk need not
            contain every class); if given later, it must be the same.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples' losses.

        Returns
        -------
        self : GDClassifier
            The updated estimator.
        """
        first_call = getattr(self, "_state", None) is None
        self._check_own_params(first_partial_fit=first_call)
        if first_call:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            if self.class_weight == "balanced":  # scikit-learn's words
                raise ValueError(
                    "class_weight 'balanced' is not supported for partial_fit. In order to "
                    "use 'balanced' weights, use compute_class_weight('balanced', "
                    "classes=classes, y=y). In place of y you can use a large enough sample "
                    "of the full training set target to properly estimate the class "
                    "frequency distributions. Pass the resulting weights as the "
                    "class_weight parameter."
                )
        elif classes is not None and not np.array_equal(self.classes_, unique_labels(classes)):
            raise ValueError(
                f"`classes={classes!r}` is not the same as on last call to partial_fit, "
                f"was: {self.classes_!r}"
            )
        X, y = self._validate_training_data(X, y, reset=first_call)
        if not on_dask.is_dask_array(X):
            check_classification_targets(y)
        self._train(
            X,
            y,
            partial=True,
            classes=unique_labels(classes) if first_call else None,
            sample_weight=sample_weight,
        )
        return self

    def _public_shapes(self, result: FitResult) -> tuple[np.ndarray, np.ndarray]:
        assert result.classes is not None
        self.classes_ = result.classes
        return np.atleast_2d(result.coef), np.atleast_1d(result.intercept)

    def decision_function(self, X: Any) -> np.ndarray:
        """Confidence scores ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the score of ``classes_[1]`` (positive: that class
            is predicted); a binary ``"softmax"`` model gives the difference of
            its two rows' scores, the log-odds of ``classes_[1]``.
        """
        if on_dask.is_dask_array(X):
            binary = self.coef_.shape[0] == 1 or len(self.classes_) == 2
            n_columns = None if binary else len(self.classes_)
            return on_dask.map_rows(X, self.decision_function, n_columns, self.coef_.dtype)
        scores = self._scores(self._validate_X_predict(X))
        if scores.shape[1] == 1:
            return scores.ravel()
        if len(self.classes_) == 2:  # binary softmax: two rows
            return scores[:, 1] - scores[:, 0]
        return scores

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            The label of the highest score (two classes: ``classes_[1]`` where
            the decision function is positive).
        """
        if on_dask.is_dask_array(X):
            return on_dask.map_rows(X, self.predict, None, self.classes_.dtype)
        scores = self.decision_function(X)
        if scores.ndim == 1:
            index = (scores > 0).astype(np.intp)
        else:
            index = np.argmax(scores, axis=1)
        return self.classes_[index]

    def _check_proba(self) -> bool:
        if self.loss not in _PROBA_LOSSES:
            raise AttributeError(
                f"probability estimates are not available for loss={self.loss!r}; "
                "use 'log_loss', 'modified_huber' or 'softmax'"
            )
        return True

    @available_if(_check_proba)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (``loss`` in "log_loss", "modified_huber", "softmax").

        As scikit-learn defines them: the sigmoid of the decision value
        (``log_loss``) or ``(clip(d, -1, 1) + 1) / 2`` (``modified_huber``),
        normalised over the classes for one-vs-rest; the softmax of the scores
        (``softmax``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        if on_dask.is_dask_array(X):
            return on_dask.map_rows(X, self.predict_proba, len(self.classes_), self.coef_.dtype)
        scores = self._scores(self._validate_X_predict(X))
        if scores.shape[1] == 1:
            scores = scores.ravel()
        return predict_proba_from_scores(self.loss, scores)

    @available_if(_check_proba)
    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Log-probabilities (``-inf`` where ``modified_huber`` gives 0).
        """
        return np.log(self.predict_proba(X))
