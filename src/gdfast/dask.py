"""Gradient descent on dask arrays: the rows stay on the workers, only parameters and
gradients travel.

:func:`fit` takes the parameters of :func:`gdfast.fit` and runs on the active
``dask.distributed`` client, or on Dask's default scheduler without one:

- ``method="batch"``: every iteration sends the parameters to one task per row chunk;
  the task returns its chunk's loss sum and gradient sum from one fused C++ pass, and
  the driver adds them up in chunk order and applies the update rule, the schedule and
  the stopping rules as :func:`gdfast.fit` does. The answer is the in-memory answer to
  rounding, for any number of workers.
- ``method="minibatch"`` / ``"sgd"`` (local SGD with model averaging): every epoch, one
  task per chunk runs the C++ epoch over its chunk from the current parameters, in a
  seeded permutation of the chunk's rows, and the driver averages the chunks' models
  (and the update rules' states) weighted by their row counts. Same seed and chunking,
  same result.

Tasks are pure functions of (chunk, parameters): a worker lost mid-fit costs Dask a
recomputation of its chunks, not the fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _core
from ._api import (
    ChunkedRows,
    _class_weights,
    _encode_targets,
    check_validation_size,
    compiled_epoch,
    correct_predictions,
    default_params,
    run_fit,
    validation_rows,
)
from ._result import FitResult
from ._validation import CLASSIFICATION_LOSSES, CsrData, check_X

__all__ = ["fit"]


def _import_dask() -> Any:
    try:
        import dask
        import dask.array
    except ImportError as error:  # pragma: no cover - the test extras bring dask
        raise ImportError(
            'gdfast.dask needs dask: pip install "gdfast[dask]" (dask and distributed)'
        ) from error
    return dask


def fit(X: Any, y: Any, *, sample_weight: Any = None, **params: Any) -> FitResult:
    """Fit a linear model or a network by gradient descent on dask arrays, on the workers.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        Chunked by rows. A chunking that splits the columns is rechunked so that each
        chunk holds whole rows (``X.rechunk({1: -1})``); integer X trains in float64,
        float32 X in float32.
    y : dask.array.Array or numpy.ndarray of shape (n_samples,) or (n_samples, n_outputs)
        A dask array must have X's row chunks; a NumPy array is chunked like X. A 2-D y
        (a network's multi-output or multilabel targets) has its columns in one chunk.
    sample_weight : dask.array.Array or numpy.ndarray of shape (n_samples,), optional
        As ``y``.
    **params
        The parameters of :func:`gdfast.fit` (``method``, ``loss``, ``optimizer``,
        ``eta0``, ``max_iter``, ``callback``, ``progress``, ...), with the same defaults
        and meanings. ``early_stopping`` holds out ``validation_fraction`` of each chunk's
        rows (of each class, for a classifier of a 1-D y) on the workers, drawn by
        ``default_rng([seed, k])`` for chunk k, the seed being the first draw of
        ``default_rng(random_state)``, and scores them there every epoch. Not on dask
        arrays: ``record_updates`` with ``method="minibatch"`` or ``"sgd"`` (the chunks
        update side by side: there is no single sequence of updates).

    Returns
    -------
    FitResult
        As :func:`gdfast.fit`'s; ``n_updates`` counts, for minibatch and sgd, the
        updates of one chunk's epoch (the mean over the chunks, weighted by rows).

    Notes
    -----
    The rows are persisted on the workers once (``dask.persist``), checked for NaN and
    infinity there, and, for a classification loss, their labels found by one
    ``da.unique`` pass. Each iteration then moves only the parameters to the tasks and
    one gradient (batch) or one model (minibatch, sgd) per chunk back. With ``batch``
    the result equals in-memory :func:`gdfast.fit` to rounding (1e-10 relative); with
    local SGD each chunk's epoch starts from the same parameters, so the averaged model
    is not the in-memory one, but it trains to a loss close to it.

    Examples
    --------
    >>> import dask.array as da, numpy as np, gdfast.dask
    >>> rng = np.random.default_rng(0)
    >>> X_np = rng.normal(size=(2000, 3))
    >>> X = da.from_array(X_np, chunks=(500, 3))
    >>> y = X @ np.array([1.0, 2.0, 3.0]) + 0.5
    >>> res = gdfast.dask.fit(X, y, method="batch", eta0=0.5, max_iter=200, tol=None)
    >>> np.round(res.coef, 3), round(float(res.intercept), 3)
    (array([1., 2., 3.]), 0.5)
    """
    coef_init = params.pop("coef_init", None)
    intercept_init = params.pop("intercept_init", None)
    p = default_params(**params)
    rows, y_enc = prepare(X, y, sample_weight, p, np.random.default_rng(p["random_state"]))
    return run_fit(
        rows, y_enc, p, kernel=epoch_on_workers, coef_init=coef_init,
        intercept_init=intercept_init,
    )  # fmt: skip


def prepare(
    X: Any,
    y: Any,
    sample_weight: Any,
    p: dict[str, Any],
    rng: np.random.Generator,
    classes: np.ndarray | None = None,
) -> tuple[ChunkedRows, Any]:
    """The rows and encoded targets persisted on the workers, checked there, as the
    epoch loop and :func:`epoch_on_workers` take them (also the estimators' path).
    ``classes`` fixes the label set (partial_fit); otherwise one ``da.unique`` finds it.
    ``rng`` draws the chunks' permutations."""
    dask = _import_dask()
    da = dask.array
    if p["record_updates"] and p["method"] != "batch":
        raise ValueError(
            "record_updates: on dask arrays only with method='batch' (one update an epoch)"
        )
    network = p["hidden_layer_sizes"] is not None
    X = _check_dask_X(X)
    y = _rows_like(X, y, "y", allow_2d=network)
    sw = None if sample_weight is None else _rows_like(X, sample_weight, "sample_weight")
    dtype = np.dtype(X.dtype)
    classifier = p["loss"] in CLASSIFICATION_LOSSES
    if y.dtype.kind not in "biuf" and (not classifier or y.ndim == 2):
        kind = "a 2-D y" if y.ndim == 2 else "a regression target"
        raise ValueError(f"y: {kind} must be numeric, got dtype {y.dtype}")
    numeric = y.dtype.kind in "biuf"
    checks = {"X": da.isfinite(X).all(), "y": da.isfinite(y).all() if numeric else True}
    if sw is not None:
        sw = sw.astype(dtype)
        checks["sample_weight"] = da.isfinite(sw).all()
        checks["sample_weight >= 0"] = (sw >= 0).all()
    if classifier and y.ndim == 2:
        checks["indicator"] = da.isin(y, [0, 1]).all()
    elif classifier and (classes is None or p["class_weight"] is not None):
        checks["labels"] = da.unique(y, return_counts=True)
    found = dict(zip(checks, dask.compute(*checks.values())))
    for name in ("X", "y", "sample_weight"):
        if name in found and not found[name]:
            raise ValueError(f"{name}: contains NaN or inf; remove or impute non-finite values")
    if not found.get("sample_weight >= 0", True):
        raise ValueError("sample_weight: must be >= 0")
    if not found.get("indicator", True):
        raise ValueError("y: a 2-D classification y is a 0/1 label indicator matrix")
    class_weight = None
    sample_sw = sw
    if y.ndim == 2:  # a network's multilabel or multi-output y: one target per output
        n_outputs = int(y.shape[1])
        classes = np.arange(n_outputs) if classifier else None
        y_enc = y.map_blocks(_encode_chunk, p["loss"], dtype, None, network, dtype=dtype)
    elif classifier:
        if classes is None:
            classes = np.asarray(found["labels"][0])
        classes = np.asarray(classes)
        if len(classes) < 2:
            raise ValueError(f"y: a classifier needs at least two classes, got {len(classes)}")
        encoded, _, n_outputs = _encode_targets(classes, p["loss"], dtype, classes, network)
        encode = (_encode_chunk, p["loss"], dtype, classes, network)
        if encoded.ndim == 1:
            y_enc = y.map_blocks(*encode, dtype=dtype)
        else:  # a network's log loss on more than two classes: +-1 per output
            y_enc = y.map_blocks(*encode, dtype=dtype, new_axis=1,
                                 chunks=(y.chunks[0], (n_outputs,)))  # fmt: skip
        if p["class_weight"] is not None:
            sample_sw = sw  # the validation score weighs the samples, not the classes
            per_class = _class_weights_from_counts(p["class_weight"], classes, *found["labels"])
            if n_outputs > 1 and p["loss"] != "softmax":
                class_weight = per_class  # weighs the positives of each one-vs-rest problem
            else:  # a weight per row, as gdfast.fit folds it into the sample weights
                row_weight = y.map_blocks(_row_class_weight, classes, per_class, dtype=dtype)
                sw = row_weight if sw is None else sw * row_weight
    else:
        classes, n_outputs = None, 1
        y_enc = y.astype(dtype)
    held_out: list[Any] = []
    if p["early_stopping"]:  # the held-out rows stay on the workers too
        stratify = classifier and y_enc.ndim == 1
        X, y_enc, sw, *held_out = _hold_out(X, y_enc, sw, sample_sw, p, stratify)
    X, y_enc, sw, *held_out = dask.persist(X, y_enc, sw, *held_out)
    client = _active_client()
    chunks = _Chunks.of(X, y_enc, sw, client, rng=rng, shuffle=bool(p["shuffle"]))
    validation = None
    if held_out:
        X_val, y_val, sw_val = held_out
        validation = _Validation(_Chunks.of(X_val, y_val, sw_val, client), classifier)
    rows = ChunkedRows(
        shape=(int(X.shape[0]), int(X.shape[1])),
        dtype=dtype,
        classes=classes,
        n_outputs=n_outputs,
        chunks=chunks,
        class_weight=class_weight,
        validation=validation,
    )
    return rows, y_enc


def _hold_out(
    X: Any, y: Any, sw: Any, sample_sw: Any, p: dict[str, Any], stratify: bool
) -> tuple[Any, ...]:
    """(X, y, sw) of the training rows, then (X, y, sample_sw) of the validation rows:
    ``validation_fraction`` of each chunk's rows (of each class when stratified), drawn
    on the workers from a seed of ``random_state``, the chunk's index and its labels.
    ``sw`` has the class weights folded in, ``sample_sw`` (the score's) not."""
    import dask.array as da

    seed = _split_seed(p["random_state"])
    fraction = float(p["validation_fraction"])
    labels = y if y.ndim == 1 else y[:, 0]
    # persisted: its counts and every selection below read it, and would draw it again
    mask = labels.map_blocks(_validation_mask, seed, fraction, stratify, dtype=bool).persist()
    n_chunks = len(mask.chunks[0])
    per_chunk = mask.map_blocks(_count, dtype=np.int64, chunks=((1,) * n_chunks,)).compute()
    check_validation_size(int(per_chunk.sum()), int(X.shape[0]), fraction)
    rows = {True: tuple(per_chunk.tolist()), False: tuple(np.subtract(X.chunks[0], per_chunk))}

    def select(array: Any, keep: bool) -> Any:
        if array is None:
            return None
        chunks = (rows[keep], *array.chunks[1:])
        column = mask if array.ndim == 1 else mask[:, None]
        return da.map_blocks(_select_rows, array, column, keep, chunks=chunks, dtype=array.dtype)

    training = select(X, False), select(y, False), select(sw, False)
    return (*training, select(X, True), select(y, True), select(sample_sw, True))


def _split_seed(random_state: Any) -> int:
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    return int(np.random.default_rng(random_state).integers(2**63))


def _validation_mask(
    labels: np.ndarray, seed: int, fraction: float, stratify: bool, block_id: Any = None
) -> np.ndarray:
    rng = np.random.default_rng([seed, block_id[0]])
    mask = np.zeros(len(labels), dtype=bool)
    mask[validation_rows(rng, labels, fraction, stratify)] = True
    return mask


def _count(mask: np.ndarray) -> np.ndarray:
    return np.array([np.count_nonzero(mask)], dtype=np.int64)


def _select_rows(values: np.ndarray, mask: np.ndarray, keep: bool) -> np.ndarray:
    return values[mask.ravel() == keep]


def _class_weights_from_counts(
    class_weight: Any, classes: np.ndarray, labels: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """gdfast.fit's class weights (``_class_weights``) from the labels' counts, which
    one ``da.unique`` pass found on the workers, in place of the labels themselves."""
    if class_weight != "balanced":
        return _class_weights(class_weight, classes, np.asarray(labels))
    count = dict(zip(np.asarray(labels).tolist(), np.asarray(counts).tolist()))
    per_class = np.array([count.get(c, 0) for c in classes.tolist()], dtype=float)
    return float(np.sum(counts)) / (len(classes) * per_class)


def _row_class_weight(y: np.ndarray, classes: np.ndarray, per_class: np.ndarray) -> np.ndarray:
    return per_class[np.searchsorted(classes, y)]


def _active_client() -> Any:
    """The dask.distributed client of this context, or None (Dask's default scheduler)."""
    try:
        from distributed import get_client

        return get_client()
    except (ImportError, ValueError):
        return None


def _chunk_futures(array: Any) -> list[Any]:
    """The futures of a persisted array's row chunks, in row order."""
    from distributed import futures_of

    by_key = {future.key: future for future in futures_of(array)}
    keys = array.__dask_keys__()
    return [by_key[row[0] if array.ndim == 2 else row] for row in keys]


def _chunk_delayed(array: Any) -> list[Any]:
    return list(array.to_delayed().ravel())


def is_dask_array(X: Any) -> bool:
    """Whether ``X`` is a dask array (without importing dask when it is not)."""
    return type(X).__module__.startswith("dask.") and hasattr(X, "to_delayed")


def check_n_features(estimator: Any, X: Any, *, reset: bool) -> None:
    """scikit-learn's ``n_features_in_`` of an estimator for a dask X: set (``reset``)
    or checked, in scikit-learn's words (the rows are checked on the workers)."""
    if reset:
        estimator.n_features_in_ = int(X.shape[1])
    elif X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )


def map_rows(X: Any, predict: Any, n_columns: int | None, dtype: Any) -> Any:
    """``predict`` on each row chunk of the dask array ``X``: a dask array of shape
    (n_samples,) (``n_columns=None``) or (n_samples, n_columns), computed lazily."""
    X = _check_dask_X(X)
    if n_columns is None:
        return X.map_blocks(predict, dtype=dtype, drop_axis=1)
    return X.map_blocks(predict, dtype=dtype, chunks=(X.chunks[0], (n_columns,)))


def _check_dask_X(X: Any) -> Any:
    import dask.array as da

    if not isinstance(X, da.Array):
        raise TypeError(
            f"X: expected a dask array, got {type(X).__name__}; use gdfast.fit for data in memory"
        )
    if X.ndim != 2:
        raise ValueError(
            f"X: expected a 2-D dask array (n_samples, n_features), got shape {X.shape}"
        )
    if any(np.isnan(size) for size in X.shape):
        raise ValueError("X: has unknown chunk sizes; call X.compute_chunk_sizes() first")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"X: a chunk is not numeric (dtype {X.dtype}); convert it to floats")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})  # a task needs whole rows
    return X


def _rows_like(X: Any, values: Any, name: str, allow_2d: bool = False) -> Any:
    """``values`` as a dask array with X's row chunks: 1-D, or 2-D (a network's
    multilabel or multi-output y) with ``allow_2d``, its columns in one chunk."""
    import dask.array as da

    n = X.shape[0]
    if not isinstance(values, da.Array):
        values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim not in ((1, 2) if allow_2d else (1,)) or values.shape[0] != n:
        expected = f"({n},) or ({n}, n_outputs)" if allow_2d else f"({n},)"
        raise ValueError(f"{name}: expected shape {expected}, got {values.shape}")
    if not isinstance(values, da.Array):
        return da.from_array(values, chunks=(X.chunks[0], *((-1,) * (values.ndim - 1))))
    if values.chunks[0] != X.chunks[0]:
        raise ValueError(
            f"{name}: its row chunks {values.chunks[0]} differ from X's {X.chunks[0]}; "
            f"rechunk it with {name}.rechunk(X.chunks[0])"
        )
    return values if values.ndim == 1 else values.rechunk({1: -1})


def _encode_chunk(
    y: np.ndarray, loss: str, dtype: np.dtype, classes: np.ndarray, network: bool
) -> np.ndarray:
    return _encode_targets(y, loss, dtype, classes, network)[0]


@dataclass
class _Chunks:
    """The persisted chunks, in row order: one future per chunk with a client, one
    delayed object without."""

    xs: list[Any]
    ys: list[Any]
    ws: list[Any] | None
    client: Any  # a distributed client (chunks are futures) or None (delayed objects)
    rows: np.ndarray
    rng: Any = field(repr=False)  # a Generator, or a network estimator's RandomState
    shuffle: bool = True
    # the persisted arrays: while they live, the workers keep their chunks
    persisted: tuple[Any, ...] = field(default=(), repr=False)

    @classmethod
    def of(
        cls,
        X: Any,
        y: Any,
        sample_weight: Any,
        client: Any,
        rng: Any = None,
        shuffle: bool = False,
    ) -> _Chunks:
        """The chunks of persisted arrays: futures with a client, delayed objects without."""
        blocks = _chunk_futures if client is not None else _chunk_delayed
        return cls(
            xs=blocks(X),
            ys=blocks(y),
            ws=None if sample_weight is None else blocks(sample_weight),
            client=client,
            rows=np.array(X.chunks[0], dtype=np.int64),
            rng=rng,
            shuffle=shuffle,
            persisted=(X, y, sample_weight),
        )

    def map(self, task: Any, *args: Any, each: list[Any] | None = None) -> list[Any]:
        """``task(x, y, sample_weight, *args)`` on the workers for every chunk, or
        ``task(x, y, sample_weight, each[k], *args)`` for chunk k with ``each``; the
        results in chunk order. With a client, one submitted task per chunk."""
        ws = self.ws if self.ws is not None else [None] * len(self.xs)
        own = [()] * len(self.xs) if each is None else [(value,) for value in each]
        calls = [(self.xs[k], self.ys[k], ws[k], *own[k], *args) for k in range(len(self.xs))]
        if self.client is not None:
            return list(self.client.gather([self.client.submit(task, *c) for c in calls]))
        import dask

        return list(dask.compute(*(dask.delayed(task, pure=True)(*c) for c in calls)))


# The settings a chunk's gradient needs (run_epoch takes them all): a linear model's, and
# a network's (config holds layer_sizes and activation only for a network).
_GRADIENT_SETTINGS = ("n_outputs", "fit_intercept", "loss", "epsilon", "class_weight")
_NETWORK_GRADIENT_SETTINGS = ("layer_sizes", "activation", "loss")
# The arrays an epoch updates in place besides the parameters.
_STATES = ("optimizer_state", "penalty_state", "average")


def epoch_on_workers(
    rows: ChunkedRows,
    y: Any,
    sample_weight: Any,
    order: Any,
    params: np.ndarray,
    **config: Any,
) -> tuple[float, int]:
    """The epoch kernel of the epoch loop (``run_fit``) for rows on the workers."""
    chunks: _Chunks = rows.chunks
    n_chunks = len(chunks.xs)
    if config["method"] == "batch":
        loss_sum, grad_sum = gradient_sum(rows, params, config)
        empty_X = np.empty((0, rows.shape[1]), dtype=rows.dtype)
        empty_y = np.empty((0, *y.shape[1:]), dtype=rows.dtype)
        return _core.run_epoch(
            empty_X, empty_y, None, None, params, **config,
            gradient_sum=grad_sum, gradient_loss_sum=loss_sum, n_samples=rows.shape[0],
        )  # fmt: skip
    seeds = _chunk_seeds(chunks.rng, n_chunks) if chunks.shuffle else None
    states = {name: config[name] for name in _STATES}
    # a network's first epoch asks for its first update's loss (its loss scale): chunk 0's
    settings = {name: value for name, value in config.items() if name not in _STATES}
    settings["update_losses"] = config["update_losses"] is not None
    orders = [None] * n_chunks if seeds is None else [int(seed) for seed in seeds]
    parts = chunks.map(_chunk_epoch, params, states, settings, each=orders)
    weights = chunks.rows / chunks.rows.sum()
    params[:] = sum(w * part[2] for w, part in zip(weights, parts))
    for name in _STATES:
        if config[name] is not None:
            config[name][:] = sum(w * part[3][name] for w, part in zip(weights, parts))
    if config["update_losses"] is not None:
        config["update_losses"][0] = parts[0][4]
    loss_sum = float(sum(part[0] for part in parts))
    n_updates = round(float(np.dot(weights, [part[1] for part in parts])))
    return loss_sum, n_updates


@dataclass
class _Validation:
    """Early stopping's held-out rows on the workers, scored where they are."""

    chunks: _Chunks
    classifier: bool

    def score(self, state: Any) -> float:
        """The model's score on the held-out rows, as ``gdfast.fit``'s ``_score``:
        accuracy (subset accuracy for multilabel) or R^2 (its mean over outputs),
        weighted by the rows' sample weights."""
        if state.network is not None:
            model = (state.network, state.reported_params(), None)
        else:
            model = (None, *state.coef_intercept())
        parts = self.chunks.map(_chunk_score_parts, *model, self.classifier)
        if self.classifier:
            correct, weight_sum = np.sum(parts, axis=0)
            return float(correct / weight_sum)
        # weighted residual sums, then the targets' weighted sums of squares about their
        # mean, merged chunk by chunk (Chan et al.'s pairwise update: no cancellation)
        residual: Any = 0.0
        weight: Any = 0.0
        mean: Any = 0.0
        squares: Any = 0.0
        for part_residual, part_weight, part_mean, part_squares in parts:
            if not part_weight[0] > 0:
                continue
            total = weight + part_weight
            delta = part_mean - mean
            squares = squares + part_squares + delta**2 * weight * part_weight / total
            mean = mean + delta * part_weight / total
            residual, weight = residual + part_residual, total
        residual, squares = np.asarray(residual), np.asarray(squares)
        # a constant target: 1 if predicted exactly, else 0 (scikit-learn's r2_score)
        r2 = np.where(squares > 0, 1 - residual / np.where(squares > 0, squares, 1), residual == 0)
        return float(np.mean(r2))


def _chunk_score_parts(
    X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None, network: Any, params: Any,
    intercept: Any, classifier: bool,
) -> np.ndarray:  # fmt: skip
    """A chunk's share of the score (a task on a worker), weighted by sample_weight:
    (correct, weight) for a classifier; per output (residual sum of squares, weight,
    mean, sum of squares about the mean) for a regressor. ``params`` is a network's
    flat vector or a linear coef."""
    rows = check_X(X, dtype=params.dtype, finite=False)
    if network is not None:
        scores = network.decision_function(rows, params)
    else:
        scores = np.asarray(rows @ params.T) + intercept
    y = np.asarray(y)
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    if classifier:
        return np.array([w @ correct_predictions(scores, y), w.sum()], dtype=np.float64)
    targets = y.reshape(len(y), -1).astype(np.float64)
    residual = w @ (targets - scores.reshape(targets.shape)) ** 2
    weight = w.sum()
    mean = w @ targets / weight if weight > 0 else np.zeros(targets.shape[1])
    squares = w @ (targets - mean) ** 2
    return np.stack([residual, np.full(targets.shape[1], weight), mean, squares])


def _chunk_seeds(rng: np.random.Generator | np.random.RandomState, n_chunks: int) -> np.ndarray:
    """The seeds of the chunks' permutations for an epoch, from the fit's generator (a
    network estimator's is scikit-learn's ``RandomState``)."""
    if isinstance(rng, np.random.RandomState):
        return rng.randint(2**63 - 1, size=n_chunks, dtype=np.int64)
    return rng.integers(2**63, size=n_chunks)


def gradient_sum(
    rows: ChunkedRows, params: np.ndarray, config: dict[str, Any]
) -> tuple[float, np.ndarray]:
    """The data loss sum and gradient sum over all the rows at ``params`` (no penalty):
    one task per chunk, the parts added in chunk order, so the sums are the same for any
    number of workers. ``config`` is the epoch's (or a network's layer sizes, activation
    and loss)."""
    network = config.get("layer_sizes") is not None
    names = _NETWORK_GRADIENT_SETTINGS if network else _GRADIENT_SETTINGS
    settings = {name: config[name] for name in names}
    loss_sum = 0.0
    grad_sum = np.zeros_like(params)
    for part_loss, part_grad in rows.chunks.map(_chunk_gradient_sum, params, settings):
        loss_sum += part_loss
        grad_sum += part_grad
    return loss_sum, grad_sum


def _chunk_gradient_sum(
    X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None, params: np.ndarray,
    settings: dict[str, Any],
) -> tuple[float, np.ndarray]:  # fmt: skip
    """One chunk's loss sum and gradient sum at ``params`` (a task on a worker)."""
    rows = check_X(X, dtype=params.dtype, finite=False)
    sample_weight = None if sample_weight is None else np.ascontiguousarray(sample_weight)
    data = rows.parts if isinstance(rows, CsrData) else rows
    y = np.ascontiguousarray(y)
    if "layer_sizes" not in settings:
        return _core.linear_gradient_sum(data, y, sample_weight, params, n_threads=1, **settings)
    # a network's gradient is the engine's mean over the chunk's rows, the penalty left out
    loss_sum, mean = _core.network_gradient(
        data, y, sample_weight, params, penalty_l2=0.0, penalty_l2_per_batch=0.0, n_threads=1,
        **settings,
    )  # fmt: skip
    return loss_sum, mean * rows.shape[0]


def _chunk_epoch(
    X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None, seed: int | None,
    params: np.ndarray, states: dict[str, Any], config: dict[str, Any],
) -> tuple[float, int, np.ndarray, dict[str, Any], float]:  # fmt: skip
    """One chunk's epoch from ``params`` in a seeded permutation (a task on a worker)."""
    # copies: on Dask's threaded scheduler the tasks share their arguments' arrays
    params = params.copy()
    states = {name: None if state is None else state.copy() for name, state in states.items()}
    rows = check_X(X, dtype=params.dtype, finite=False)
    sample_weight = None if sample_weight is None else np.ascontiguousarray(sample_weight)
    order = None if seed is None else np.random.default_rng(seed).permutation(rows.shape[0])
    n = rows.shape[0]
    update_losses = np.full(n, np.nan) if config["update_losses"] else None
    config = dict(config, n_threads=1, update_losses=update_losses)
    loss_sum, n_updates = compiled_epoch(
        rows, np.ascontiguousarray(y), sample_weight, order, params, **config, **states
    )
    first_loss = float("nan") if update_losses is None else float(update_losses[0])
    return loss_sum, n_updates, params, states, first_loss
