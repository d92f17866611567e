"""Property-based: any shape, dtype, method, loss and parameters give finite
results or a clear error, never a crash or a silent NaN."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gdfast
from gdfast._validation import CLASSIFICATION_LOSSES, LOSSES, METHODS, OPTIMIZERS, PENALTIES

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw):
    n = draw(st.integers(1, 40))
    d = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    X = (rng.normal(size=(n, d)) * scale).astype(dtype)
    loss = draw(st.sampled_from(LOSSES))
    if loss in CLASSIFICATION_LOSSES:
        n_classes = draw(st.integers(1, 4))
        y = rng.integers(0, n_classes, size=n)
    else:
        y = rng.normal(size=n) * scale
    params = dict(
        loss=loss,
        method=draw(st.sampled_from(METHODS)),
        batch_size=draw(st.integers(1, 64)),
        optimizer=draw(st.sampled_from(OPTIMIZERS)),
        learning_rate=draw(st.sampled_from(["constant", "invscaling", "adaptive", "cosine"])),
        eta0=draw(st.floats(1e-5, 100.0)),
        penalty=draw(st.sampled_from(PENALTIES)),
        alpha=draw(st.floats(0.0, 1.0)),
        average=draw(st.sampled_from([False, True, 3])),
        fit_intercept=draw(st.booleans()),
        max_iter=draw(st.integers(1, 5)),
        tol=None,
        random_state=seed,
    )
    return X, y, params


@SETTINGS
@given(problems())
def test_fit_gives_finite_results_or_a_clear_error(problem):
    X, y, params = problem
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # divergence is reported, not raised
            res = gdfast.fit(X, y, **params)
    except (ValueError, TypeError) as error:
        # the only errors a valid call can meet: one class for a classifier
        assert str(error).startswith("y:"), error
        return
    assert np.isfinite(res.coef).all() and np.all(np.isfinite(res.intercept))
    assert np.isfinite(res.loss_history).all()
    assert res.coef.dtype == X.dtype
    assert res.n_epochs <= params["max_iter"]
    assert res.stop_reason in ("max_iter", "diverged")
    prediction = res.predict(X)
    assert prediction.shape == (X.shape[0],)


@SETTINGS
@given(problems(), st.sampled_from(["csr", "csc"]))
def test_sparse_fit_gives_finite_results_or_a_clear_error(problem, fmt):
    import scipy.sparse

    X, y, params = problem
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            X_sparse = scipy.sparse.random(
                *X.shape, density=0.5, format=fmt, dtype=X.dtype, random_state=0
            )
            res = gdfast.fit(X_sparse, y, **params)
    except (ValueError, TypeError) as error:
        assert str(error).startswith("y:"), error
        return
    assert np.isfinite(res.coef).all() and np.all(np.isfinite(res.intercept))
