"""gdfast.minimize: a user-written objective under the machinery of gdfast.fit.

Each test names its oracle: a closed form (np.linalg.lstsq), scipy's BFGS,
gdfast.reference.fit (the NumPy loop of gdfast.fit), or a NumPy transcription
of an update rule written out here.
"""

from __future__ import annotations

import numpy as np
import pytest

import gdfast
from tests.conftest import make_regression

OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]


def squared_error(w, Xb, yb):
    """The mean of 0.5 * (x w - y)^2 over the batch, and its gradient."""
    r = Xb @ w - yb
    return 0.5 * float(r @ r) / len(yb), Xb.T @ r / len(yb)


def quadratic(A, b):
    """A deterministic objective 0.5 / m |A w - b|^2 (no data)."""

    def fun(w, Xb, yb):
        assert Xb is None and yb is None
        r = A @ w - b
        return 0.5 * float(r @ r) / len(b), A.T @ r / len(b)

    return fun


# (1) closed form


def test_deterministic_batch_reaches_least_squares():
    rng = np.random.default_rng(0)
    A, b = rng.normal(size=(50, 4)), rng.normal(size=50)
    eta = 1.0 / np.linalg.eigvalsh(A.T @ A / 50).max()  # 1 / L: monotone descent
    res = gdfast.minimize(quadratic(A, b), np.zeros(4), eta0=eta, tol=None, max_iter=2000)
    expected = np.linalg.lstsq(A, b, rcond=None)[0]
    np.testing.assert_allclose(res.coef, expected, rtol=1e-10)
    assert res.params["method"] == "batch"  # the default without data
    assert res.n_updates == res.n_epochs == 2000


def test_batch_over_rows_reaches_least_squares():
    X, y = make_regression(n=300, d=4)
    eta = 1.0 / np.linalg.eigvalsh(X.T @ X / 300).max()
    res = gdfast.minimize(squared_error, np.zeros(4), X, y, method="batch", eta0=eta, tol=1e-14)
    np.testing.assert_allclose(res.coef, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-6)
    assert res.stop_reason == "tol"
    assert res.n_updates == res.n_epochs


# (2) a logistic regression written by the user, against scipy


def test_minibatch_adam_logistic_reaches_bfgs_minimiser():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(1)
    n, d, lam = 2000, 5, 1e-3
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ rng.normal(size=d)))).astype(float)

    def logistic(w, Xb, yb):  # mean log-loss + lam / 2 |w|^2
        z = Xb @ w
        loss = np.mean(np.logaddexp(0, z) - yb * z) + 0.5 * lam * w @ w
        return loss, Xb.T @ (1 / (1 + np.exp(-z)) - yb) / len(yb) + lam * w

    best = scipy_optimize.minimize(
        lambda w: logistic(w, X, y), np.zeros(d), jac=True, method="BFGS", options={"gtol": 1e-9}
    )
    assert best.success
    res = gdfast.minimize(
        logistic, np.zeros(d), X, y, method="minibatch", batch_size=32, optimizer="adam",
        learning_rate="cosine", eta0=0.01, max_iter=100, tol=None, random_state=0,
    )  # fmt: skip
    # Tolerance: with the step annealed to 0 by the cosine schedule the iterate
    # ends ~6e-4 from the minimiser (objective gap ~6e-8); 3e-3 leaves a 5x
    # margin yet is 20x below the estimate's standard error (~0.06 per
    # coefficient) and 10x below what a constant step reaches (~0.04).
    np.testing.assert_allclose(res.coef, best.x, atol=3e-3)
    assert logistic(res.coef, X, y)[0] - best.fun < 1e-6


# (3) the same permutations and batches as gdfast.fit


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize(
    ("method", "batch_size"), [("sgd", 1), ("minibatch", 32), ("minibatch", 7)]
)
def test_matches_reference_fit_update_by_update(method, batch_size, shuffle):
    X, y = make_regression(n=200, d=5)
    common = dict(
        method=method, batch_size=batch_size, eta0=0.02, max_iter=4, tol=None,
        random_state=3, shuffle=shuffle, record_updates=True,
    )  # fmt: skip
    ours = gdfast.minimize(squared_error, np.zeros(5), X, y, optimizer="sgd", **common)
    ref = gdfast.reference.fit(X, y, fit_intercept=False, **common)
    np.testing.assert_allclose(ours.update_losses, ref.update_losses, rtol=1e-10)
    np.testing.assert_allclose(ours.loss_history, ref.loss_history, rtol=1e-10)
    np.testing.assert_allclose(ours.coef, ref.coef, rtol=1e-10)
    assert ours.n_updates == ref.n_updates


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("learning_rate", ["invscaling", "exponential"])
def test_update_rules_and_schedules_match_reference_fit(optimizer, learning_rate):
    X, y = make_regression(n=100, d=3)
    common = dict(
        method="minibatch", batch_size=16, optimizer=optimizer, learning_rate=learning_rate,
        eta0=0.01, max_iter=3, tol=None, random_state=5,
    )  # fmt: skip
    ours = gdfast.minimize(squared_error, np.zeros(3), X, y, **common)
    ref = gdfast.reference.fit(X, y, fit_intercept=False, **common)
    np.testing.assert_allclose(ours.coef, ref.coef, rtol=1e-10)
    np.testing.assert_allclose(ours.lr_history, ref.lr_history, rtol=1e-12)


# (4) each update rule's first two steps, transcribed in NumPy


def numpy_steps(optimizer, grad_of, w, eta, n_steps, mu=0.9, b1=0.9, b2=0.999, eps=1e-8):
    """PyTorch's forms of the update rules, written out."""
    w = w.copy()
    s1, s2 = np.zeros_like(w), np.zeros_like(w)
    for k in range(1, n_steps + 1):
        g = grad_of(w)
        if optimizer == "sgd":
            w = w - eta * g
        elif optimizer == "momentum":
            s1 = mu * s1 + g
            w = w - eta * s1
        elif optimizer == "nesterov":
            s1 = mu * s1 + g
            w = w - eta * (g + mu * s1)
        elif optimizer == "adagrad":
            s1 = s1 + g * g
            w = w - eta * g / (np.sqrt(s1) + eps)
        elif optimizer == "rmsprop":
            s1 = b2 * s1 + (1 - b2) * g * g
            w = w - eta * g / (np.sqrt(s1) + eps)
        elif optimizer == "adam":
            s1 = b1 * s1 + (1 - b1) * g
            s2 = b2 * s2 + (1 - b2) * g * g
            w = w - eta * (s1 / (1 - b1**k)) / (np.sqrt(s2 / (1 - b2**k)) + eps)
    return w


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_first_two_steps_match_numpy_formula(optimizer, dtype):
    rng = np.random.default_rng(2)
    A, b = rng.normal(size=(6, 3)), rng.normal(size=6)
    w0 = rng.normal(size=3)
    res = gdfast.minimize(
        quadratic(A.astype(dtype), b.astype(dtype)), w0.astype(dtype), optimizer=optimizer,
        eta0=0.1, momentum=0.8, beta_1=0.85, beta_2=0.95, eps=1e-6, max_iter=2, tol=None,
    )  # fmt: skip
    expected = numpy_steps(
        optimizer, lambda w: A.T @ (A @ w - b) / 6, w0, 0.1, 2, mu=0.8, b1=0.85, b2=0.95, eps=1e-6
    )
    assert res.coef.dtype == dtype
    np.testing.assert_allclose(res.coef, expected, rtol=1e-12 if dtype == np.float64 else 2e-5)
    assert res.n_updates == 2


def test_invscaling_decays_per_update():
    g = np.array([1.0, -2.0])
    res = gdfast.minimize(
        lambda w, Xb, yb: (0.0, g), np.zeros(2), np.zeros((10, 1)), method="sgd",
        learning_rate="invscaling", eta0=0.5, power_t=0.5, max_iter=2, tol=None,
    )  # fmt: skip
    etas = 0.5 / np.sqrt(np.arange(1, 21))  # eta0 / (t + 1)^power_t for t = 0 .. 19
    np.testing.assert_allclose(res.coef, -g * etas.sum(), rtol=1e-12)
    np.testing.assert_allclose(res.lr_history, [etas[0], etas[10]])


def test_callable_schedule_sets_each_epoch():
    g = np.array([1.0])
    res = gdfast.minimize(
        lambda w, Xb, yb: (0.0, g), np.zeros(1), learning_rate=lambda e: 1.0 / (e + 1),
        max_iter=4, tol=None,
    )  # fmt: skip
    np.testing.assert_allclose(res.lr_history, [1, 1 / 2, 1 / 3, 1 / 4])
    np.testing.assert_allclose(res.coef, [-(1 + 1 / 2 + 1 / 3 + 1 / 4)])


# what fun sees, what the result holds


def test_loss_history_weights_updates_by_batch_size():
    """fun returns the batch mean of y: weighted by batch size, the epoch loss is mean(y)."""
    y = np.arange(10.0) ** 2
    res = gdfast.minimize(
        lambda w, Xb, yb: (float(np.mean(yb)), np.zeros(1)), np.zeros(1), np.zeros((10, 1)), y,
        batch_size=4, max_iter=3, tol=None, random_state=0, record_updates=True,
    )  # fmt: skip
    np.testing.assert_allclose(res.loss_history, [np.mean(y)] * 3)
    assert res.update_losses.shape == (9,)  # batches of 4, 4, 2 rows
    assert res.n_updates == 9


def test_fun_sees_the_rows_of_the_permutation_and_a_read_only_w():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10.0)
    seen = []

    def fun(w, Xb, yb):
        assert not w.flags.writeable
        np.testing.assert_array_equal(Xb[:, 0] / 2, yb)  # rows of X and y stay paired
        seen.append(yb.copy())
        return 0.0, np.zeros(2)

    gdfast.minimize(fun, np.zeros(2), X, y, batch_size=3, max_iter=2, tol=None, random_state=7)
    rng = np.random.default_rng(7)
    for epoch in range(2):
        order = rng.permutation(10)
        np.testing.assert_array_equal(np.concatenate(seen[4 * epoch : 4 * epoch + 4]), order)


def test_batch_passes_the_data_itself():
    X, y = make_regression(n=50, d=2)
    calls = []

    def fun(w, Xb, yb):
        calls.append((Xb is X, yb is y))
        return 0.0, np.zeros(2)

    gdfast.minimize(fun, np.zeros(2), X, y, method="batch", max_iter=2, tol=None)
    assert calls == [(True, True), (True, True)]


def test_result_keeps_float32_and_behaves_as_a_linear_model():
    X, y = make_regression(n=100, d=3)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    x0 = np.zeros(3, np.float32)
    res = gdfast.minimize(squared_error, x0, X32, y32, max_iter=3, random_state=0)
    assert res.coef.dtype == np.float32 and res.coef.shape == (3,)
    assert not x0.any()  # x0 is not modified
    assert res.params["loss"] == "custom" and res.classes is None
    assert not res.is_classifier
    np.testing.assert_allclose(res.predict(X32), X32 @ res.coef, rtol=1e-6)
    with pytest.raises(AttributeError, match="predict_proba"):
        res.predict_proba(X32)
    assert "loss='custom'" in repr(res)


def test_sparse_rows_match_dense():
    sparse = pytest.importorskip("scipy.sparse")
    X, y = make_regression(n=60, d=4)
    X[np.abs(X) < 0.7] = 0.0

    def sparse_error(w, Xb, yb):
        r = Xb @ w - yb
        return 0.5 * float(r @ r) / len(yb), Xb.T @ r / len(yb)

    common = dict(batch_size=8, max_iter=3, tol=None, random_state=1)
    dense = gdfast.minimize(squared_error, np.zeros(4), X, y, **common)
    csr = gdfast.minimize(sparse_error, np.zeros(4), sparse.csr_matrix(X), y, **common)
    np.testing.assert_allclose(csr.coef, dense.coef, rtol=1e-12)


# (5) stopping


def constant(w, Xb, yb):
    return 1.0, np.zeros_like(w)


def test_stops_on_tol_after_n_iter_no_change():
    res = gdfast.minimize(constant, np.zeros(2), tol=1e-3, n_iter_no_change=4)
    assert (res.stop_reason, res.n_epochs, res.converged) == ("tol", 5, True)


def test_adaptive_divides_eta_by_5_before_stopping():
    res = gdfast.minimize(constant, np.zeros(2), learning_rate="adaptive", eta0=1.0, max_iter=14)
    # the tol test fails after epochs 6 and 11 (5 epochs without improvement each time)
    np.testing.assert_allclose(res.lr_history, [1.0] * 6 + [0.2] * 5 + [0.04] * 3)


def test_stops_on_target_loss():
    res = gdfast.minimize(lambda w, X, y: (float(w @ w), 2 * w), [1.0, 1.0], eta0=0.1,
                          target_loss=1e-4, tol=None)  # fmt: skip
    assert res.stop_reason == "target_loss" and res.converged
    assert res.loss_history[-1] <= 1e-4 < res.loss_history[-2]


def test_stops_at_max_iter():
    res = gdfast.minimize(constant, np.zeros(2), max_iter=7, tol=None)
    assert (res.stop_reason, res.n_epochs, res.converged) == ("max_iter", 7, False)


def test_stops_when_the_callback_says_so():
    infos = []

    def callback(info):
        infos.append(info)
        return info.epoch == 3

    res = gdfast.minimize(lambda w, X, y: (float(w @ w), 2 * w), [1.0], eta0=0.25,
                          callback=callback, tol=None)  # fmt: skip
    assert (res.stop_reason, res.n_epochs, res.converged) == ("callback", 3, True)
    np.testing.assert_allclose([i.coef[0] for i in infos], [0.5, 0.25, 0.125])
    assert [i.n_updates for i in infos] == [1, 2, 3]
    assert infos[-1].loss == res.loss_history[-1] and infos[-1].intercept == 0


def test_stops_at_max_time():
    res = gdfast.minimize(constant, np.zeros(2), max_time=1e-9, tol=None)
    assert (res.stop_reason, res.n_epochs, res.converged) == ("max_time", 1, False)


def test_divergence_warns_and_returns_the_last_complete_epoch():
    X = np.ones((8, 1))
    kept = []
    with pytest.warns(RuntimeWarning, match="diverged"), np.errstate(over="ignore"):
        res = gdfast.minimize(
            lambda w, Xb, yb: (float(w @ w), 2 * w), [1.0], X, batch_size=2, eta0=1.5,
            max_iter=1000, tol=None, callback=lambda info: kept.append(info.coef),
        )  # fmt: skip
    assert res.stop_reason == "diverged" and not res.converged
    assert np.isfinite(res.coef).all() and np.isfinite(res.loss_history).all()
    np.testing.assert_array_equal(res.coef, kept[-1])  # not the iterate inside the bad epoch
    assert res.n_epochs == len(kept) == len(res.lr_history) and res.n_updates == 4 * res.n_epochs


# (6) bad input


def test_fun_must_be_callable():
    with pytest.raises(TypeError, match=r"^fun: expected a callable"):
        gdfast.minimize("not a function", np.zeros(2))


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ((1.0, np.zeros(3)), "gradient of shape \\(3,\\)"),
        ((1.0, np.zeros((2, 1))), "gradient of shape \\(2, 1\\)"),
        ((np.nan, np.zeros(2)), "loss nan at x0"),
        ((1.0, np.array([0.0, np.inf])), "gradient with NaN or inf"),
        ((np.ones(2), np.zeros(2)), "loss must be a real scalar"),
        (("1.0", np.zeros(2)), "loss must be a real scalar"),
        ((1.0, "grad"), "not a numeric array"),
        (np.zeros(2), "must return a pair"),
        ((1.0, np.zeros(2), 0), "must return a pair"),
    ],
)
def test_bad_output_of_fun_at_x0(output, message):
    with pytest.raises(ValueError, match=f"^fun: .*{message}"):
        gdfast.minimize(lambda w, X, y: output, np.zeros(2))


def test_wrong_gradient_shape_later_names_fun():
    calls = []

    def fun(w, X, y):
        calls.append(1)
        return 1.0, np.zeros(2 if len(calls) == 1 else 3)

    with pytest.raises(ValueError, match=r"^fun: returned a gradient of shape"):
        gdfast.minimize(fun, np.zeros(2), tol=None)


@pytest.mark.parametrize(
    ("x0", "error", "message"),
    [
        (np.zeros((2, 2)), ValueError, "expected a 1-D array, got 2-D"),
        (1.0, ValueError, "expected a 1-D array, got 0-D"),
        (np.zeros(0), ValueError, "empty"),
        ([0.0, np.nan], ValueError, "contains NaN"),
        (["a", "b"], TypeError, "expected numbers"),
    ],
)
def test_bad_x0_is_named(x0, error, message):
    with pytest.raises(error, match=f"^x0: {message}"):
        gdfast.minimize(constant, x0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(method="sgd"), ValueError, "^method: 'sgd' draws rows of X, but X is None"),
        (dict(method="newton"), ValueError, "^method: unknown value"),
        (dict(y=np.zeros(3)), ValueError, "^y: given without X"),
        (dict(X=np.zeros((3, 1)), y=np.zeros(4)), ValueError, "^y: has 4 rows but X has 3"),
        (dict(X=np.array([[np.nan]])), ValueError, "^X: contains NaN"),
        (dict(X=np.zeros((0, 2))), ValueError, "^X: empty"),
        (dict(X=3.0), ValueError, "^X: expected an array"),
        (dict(learning_rate="optimal"), ValueError, "^learning_rate: 'optimal' is not available"),
        (dict(learning_rate="fast"), ValueError, "^learning_rate: unknown value"),
        (dict(optimizer="lbfgs"), ValueError, "^optimizer: unknown value"),
        (dict(eta0=0.0), ValueError, "^eta0: must be > 0"),
        (dict(batch_size=0), ValueError, "^batch_size: must be >= 1"),
        (dict(beta_2=1.0), ValueError, "^beta_2: must be in"),
        (dict(shuffle="yes"), TypeError, "^shuffle: expected a bool"),
        (dict(callback=3), TypeError, "^callback: expected a callable"),
    ],
)
def test_bad_parameters_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        gdfast.minimize(constant, np.zeros(1), **kwargs)
