"""Checks of user input: every error names the argument and the problem."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

REGRESSION_LOSSES = ("squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive")
BINARY_LOSSES = ("log_loss", "hinge", "squared_hinge", "modified_huber", "perceptron")
CLASSIFICATION_LOSSES = (*BINARY_LOSSES, "softmax")
LOSSES = REGRESSION_LOSSES + CLASSIFICATION_LOSSES
METHODS = ("batch", "minibatch", "sgd")
PENALTIES = (None, "l2", "l1", "elasticnet")
PARALLEL = ("deterministic", "hogwild")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
# update-rule state arrays of the size of the parameters
OPTIMIZER_STATE_SLOTS = {
    "sgd": 0,
    "momentum": 1,
    "nesterov": 1,
    "adagrad": 1,
    "rmsprop": 1,
    "adam": 2,
}


def check_choice(name: str, value: Any, choices: tuple[Any, ...]) -> Any:
    if value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name}: unknown value {value!r}; expected one of {shown}")
    return value


def check_int(name: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {value}")
    return int(value)


def check_float(
    name: str, value: Any, *, positive: bool = False, non_negative: bool = False
) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(f"{name}: must be finite, got {value}")
    if positive and out <= 0:
        raise ValueError(f"{name}: must be > 0, got {value}")
    if non_negative and out < 0:
        raise ValueError(f"{name}: must be >= 0, got {value}")
    return out


def is_sparse(value: Any) -> bool:
    """A SciPy sparse matrix or array (without importing SciPy)."""
    return hasattr(value, "tocsr") and hasattr(value, "nnz")


class CsrData:
    """A CSR matrix and the arrays the compiled core reads, as SciPy stores them.

    The core reads int32 and int64 offsets and indices alike; only a matrix
    whose two index arrays differ in type is converted (once, to int64).
    """

    __slots__ = ("matrix", "parts")

    def __init__(self, matrix: Any) -> None:
        self.matrix = matrix
        indices, indptr = matrix.indices, matrix.indptr
        if indices.dtype != indptr.dtype or indices.dtype not in (np.int32, np.int64):
            indices, indptr = indices.astype(np.int64), indptr.astype(np.int64)
        self.parts = (
            np.ascontiguousarray(matrix.data),
            np.ascontiguousarray(indices),
            np.ascontiguousarray(indptr),
            int(matrix.shape[1]),
        )

    @property
    def shape(self) -> tuple[int, int]:
        n_rows, n_cols = self.matrix.shape
        return int(n_rows), int(n_cols)

    @property
    def dtype(self) -> np.dtype:
        return self.matrix.dtype

    def __getitem__(self, rows: Any) -> CsrData:
        return CsrData(self.matrix[rows])

    def __matmul__(self, other: np.ndarray) -> np.ndarray:
        return np.asarray(self.matrix @ other)

    def dense_rows(self, rows: np.ndarray) -> np.ndarray:
        return self.matrix[rows].toarray()


def check_sparse_X(X: Any, dtype: Any = None, finite: bool = True) -> CsrData:
    """A SciPy sparse X as CSR (CSC and COO converted once) of float32/float64."""
    matrix = X.tocsr()
    if dtype is None:
        dtype = matrix.dtype if matrix.dtype in (np.float32, np.float64) else np.float64
    if matrix.dtype != dtype:
        matrix = matrix.astype(dtype)
    if matrix.ndim != 2:
        raise ValueError(f"X: expected a 2-D matrix, got {matrix.ndim}-D")
    if matrix.shape[0] == 0:
        raise ValueError("X: empty, needs at least one sample")
    if matrix.shape[1] == 0:
        raise ValueError("X: has no features")
    if finite:
        check_finite("X", matrix.data)
    return CsrData(matrix)


def _as_float_array(name: str, value: Any, dtype: Any = None) -> np.ndarray:
    if is_sparse(value):
        raise TypeError(f"{name}: sparse input is not supported here; pass {name}.toarray()")
    dtypes = getattr(value, "dtypes", None)
    if dtypes is not None and hasattr(dtypes, "items"):  # a DataFrame: name what is not numeric
        text = [
            str(column)
            for column, kind in dtypes.items()
            if getattr(kind, "kind", "O") not in "biuf"
        ]
        if text:
            raise TypeError(
                f"{name}: column(s) {', '.join(map(repr, text))} are not numeric (text or "
                "categories); encode them first, e.g. pandas.get_dummies or scikit-learn's "
                "OneHotEncoder, or drop them"
            )
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pandas extension arrays, ragged lists ...
        raise TypeError(f"{name}: cannot be read as a numeric array ({exc})") from exc
    if dtype is None:
        dtype = arr.dtype if arr.dtype in (np.float32, np.float64) else np.float64
    if arr.dtype.kind == "c":
        raise TypeError(f"{name}: expected real numbers, got complex dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(dtype)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name}: expected numbers, got dtype {arr.dtype}") from exc
    return np.ascontiguousarray(arr, dtype=dtype)


def check_finite(name: str, arr: np.ndarray) -> None:
    # A finite sum has no NaN or inf in it: one pass, no mask of X's size (min and max
    # took two: 11 ms on W1's X against 5). A sum that overflows is checked again exactly.
    with np.errstate(over="ignore", invalid="ignore"):
        total = arr.sum()
    if np.isfinite(total):
        return
    if not np.isfinite(arr).all():
        kind = "NaN" if np.isnan(arr).any() else "inf"
        raise ValueError(f"{name}: contains {kind}; remove or impute non-finite values")


def check_X(X: Any, dtype: Any = None, finite: bool = True) -> np.ndarray | CsrData:
    """X as a C-contiguous float32/float64 2-D array, copied only when it must be,
    or as :class:`CsrData` when it is a SciPy sparse matrix. ``finite=False``
    leaves the pass over the values for NaN and inf to the caller
    (:func:`check_X_finite`), which may overlap it with other work."""
    if is_sparse(X):
        return check_sparse_X(X, dtype, finite)
    arr = _as_float_array("X", X, dtype)
    if arr.ndim != 2:
        hint = "; use X.reshape(-1, 1) for a single feature" if arr.ndim == 1 else ""
        raise ValueError(
            f"X: expected a 2-D array (n_samples, n_features), got a {arr.ndim}-D array of "
            f"shape {arr.shape}{hint}"
        )
    if arr.shape[0] == 0:
        raise ValueError("X: empty, needs at least one sample")
    if arr.shape[1] == 0:
        raise ValueError("X: has no features")
    if finite:
        check_finite("X", arr)
    return arr


def check_X_finite(X: np.ndarray | CsrData) -> None:
    check_finite("X", X.matrix.data if isinstance(X, CsrData) else X)


def check_y_shape(y: Any, n_samples: int, allow_2d: bool = False) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1 and not (allow_2d and arr.ndim == 2):
        expected = "a 1-D or 2-D array" if allow_2d else "a 1-D array"
        raise ValueError(f"y: expected {expected}, got shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise ValueError(f"y: has {arr.shape[0]} samples but X has {n_samples}; they must match")
    return arr


def check_sample_weight(sample_weight: Any, n_samples: int, dtype: Any) -> np.ndarray | None:
    if sample_weight is None:
        return None
    sw = _as_float_array("sample_weight", sample_weight, dtype)
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(f"sample_weight: expected shape ({n_samples},), got {sw.shape}")
    check_finite("sample_weight", sw)
    if (sw < 0).any():
        raise ValueError("sample_weight: must be >= 0")
    return sw
