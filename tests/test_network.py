"""The compiled network against independent truths: central finite differences
of a NumPy objective, NumPy backprop (gdfast.reference), and one plain step
written out by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gdfast
from gdfast import _core

ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
# (loss, n_outputs, per-output targets)
HEADS = (
    ("squared_error", 1, False),
    ("squared_error", 3, True),
    ("log_loss", 1, False),
    ("log_loss", 4, True),
    ("softmax", 3, False),
)


def _problem(loss, k, per_output, dtype, n=37, d=6, hidden=(5, 4), seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    if loss == "squared_error":
        y = rng.normal(size=(n, k) if per_output else n)
    elif loss == "log_loss":
        y = rng.choice([-1.0, 1.0], size=(n, k) if per_output else n)
    else:
        y = rng.integers(0, k, n).astype(float)
    sizes = np.array([d, *hidden, k], dtype=np.int64)
    n_params = sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(sizes) - 1))
    params = (rng.normal(size=n_params) * 0.7).astype(dtype)
    return X, y.astype(dtype), sizes, params


def _numpy_objective(X, y, sizes, params, activation, loss):
    """The summed loss in float64 NumPy, written independently of gdfast."""
    at, Ws, bs = 0, [], []
    for i in range(len(sizes) - 1):
        Ws.append(params[at : at + sizes[i] * sizes[i + 1]].reshape(sizes[i], sizes[i + 1]))
        at += sizes[i] * sizes[i + 1]
    for i in range(len(sizes) - 1):
        bs.append(params[at : at + sizes[i + 1]])
        at += sizes[i + 1]
    act = {
        "identity": lambda z: z,
        "logistic": lambda z: 1 / (1 + np.exp(-z)),
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0),
    }[activation]
    a = X
    for i, (W, b) in enumerate(zip(Ws, bs)):
        a = a @ W + b
        if i < len(Ws) - 1:
            a = act(a)
    if loss == "squared_error":
        return float(np.sum(0.5 * (a - y.reshape(a.shape)) ** 2) / a.shape[1])
    if loss == "log_loss":
        return float(np.sum(np.logaddexp(0, -y.reshape(a.shape) * a)))
    top = a.max(axis=1, keepdims=True)
    lse = np.log(np.exp(a - top).sum(axis=1)) + top[:, 0]
    return float(np.sum(lse - a[np.arange(len(y)), y.astype(int)]))


def _compiled(X, y, sizes, params, activation, loss, n_threads=1, l2=0.0, per_batch=0.0):
    return _core.network_gradient(
        X, y, None, params, layer_sizes=sizes, activation=activation, loss=loss,
        penalty_l2=l2, penalty_l2_per_batch=per_batch, n_threads=n_threads,
    )  # fmt: skip


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("loss", "k", "per_output"), HEADS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradient_matches_finite_differences_and_numpy_backprop(
    activation, loss, k, per_output, dtype
):
    X, y, sizes, params = _problem(loss, k, per_output, dtype)
    loss_sum, grad = _compiled(X, y, sizes, params, activation, loss)
    assert grad.dtype == dtype
    X64, y64, p64 = X.astype(float), y.astype(float), params.astype(float)
    truth = _numpy_objective(X64, y64, sizes, p64, activation, loss)
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    assert loss_sum == pytest.approx(truth, rel=rtol)

    # central differences in float64 (relu's kink is measure-zero at these points).
    # The squared error follows scikit-learn's MLP: its value is the mean over the
    # outputs, its gradient that of the sum (k times the value's).
    scale = k if loss == "squared_error" else 1
    h = 1e-6
    fd = np.array(
        [
            _numpy_objective(X64, y64, sizes, p64 + h * e, activation, loss)
            - _numpy_objective(X64, y64, sizes, p64 - h * e, activation, loss)
            for e in np.eye(p64.size)
        ]
    ) * (scale / (2 * h * len(y)))
    single = dtype == np.float32
    assert np.allclose(grad, fd, rtol=1e-3 if single else 1e-5, atol=1e-4 if single else 1e-7)

    # gdfast.reference's NumPy backprop: the oracle of the training loops
    layout = gdfast._network.NetworkLayout(tuple(int(s) for s in sizes), activation)
    ref_sum, ref_grad = layout.loss_gradient(X64, y64, p64, loss)
    assert ref_sum == pytest.approx(truth, rel=1e-12)
    assert np.allclose(grad, ref_grad / len(y), rtol=rtol * 10, atol=1e-5 if single else 1e-12)


def test_penalties_add_to_objective_and_gradient():
    X, y, sizes, params = _problem("softmax", 3, False, np.float64)
    base_loss, base_grad = _compiled(X, y, sizes, params, "tanh", "softmax")
    loss, grad = _compiled(X, y, sizes, params, "tanh", "softmax", l2=0.01, per_batch=0.5)
    n_weights = sum(sizes[i] * sizes[i + 1] for i in range(len(sizes) - 1))
    W = params[:n_weights]
    n = len(y)
    assert loss == pytest.approx(base_loss + 0.5 * 0.5 * W @ W, rel=1e-12)
    expected = base_grad.copy()
    expected[:n_weights] += (0.01 + 0.5 / n) * W
    assert np.allclose(grad, expected, rtol=1e-12, atol=1e-15)


def test_one_full_batch_sgd_step_equals_numpy():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 8))
    y = rng.integers(0, 3, 300)
    res = gdfast.fit(
        X, y, loss="softmax", hidden_layer_sizes=(7, 6), activation="tanh", method="batch",
        eta0=0.3, max_iter=1, tol=None, random_state=5,
    )  # fmt: skip
    # the initial weights: scikit-learn's Glorot draw from RandomState(5)
    rs = np.random.RandomState(5)
    sizes = (8, 7, 6, 3)
    Ws, bs = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        Ws.append(rs.uniform(-bound, bound, (fan_in, fan_out)))
        bs.append(rs.uniform(-bound, bound, fan_out))
    # forward, softmax, backward, all written out
    a = [X]
    for i, (W, b) in enumerate(zip(Ws, bs)):
        z = a[-1] @ W + b
        a.append(np.tanh(z) if i < 2 else z)
    p = np.exp(a[-1] - a[-1].max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta = p.copy()
    delta[np.arange(300), y] -= 1
    delta /= 300
    new_W, new_b = [None] * 3, [None] * 3
    for i in (2, 1, 0):
        new_W[i] = Ws[i] - 0.3 * (a[i].T @ delta)
        new_b[i] = bs[i] - 0.3 * delta.sum(axis=0)
        delta = (delta @ Ws[i].T) * (1 - a[i] ** 2)
    for got, want in zip(res.coefs + res.intercepts, new_W + new_b):
        assert np.allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("method", ["batch", "minibatch", "sgd"])
@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adam"])
def test_training_equals_the_numpy_loop_on_the_same_permutations(method, optimizer):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 5))
    y = X[:, 0] - 2 * np.tanh(X[:, 1]) + 0.1 * rng.normal(size=120)
    params = dict(
        hidden_layer_sizes=(6, 4), activation="relu", method=method, optimizer=optimizer,
        eta0=0.01, batch_size=16, max_iter=3, tol=None, random_state=2, penalty="l2", alpha=1e-3,
    )  # fmt: skip
    fast = gdfast.fit(X, y, **params)
    slow = gdfast.reference.fit(X, y, **params)
    assert np.allclose(fast.coef, slow.coef, rtol=1e-10, atol=1e-13)
    assert np.allclose(fast.intercept, slow.intercept, rtol=1e-10, atol=1e-13)
    assert np.allclose(fast.loss_history, slow.loss_history, rtol=1e-10)


def test_same_bits_for_any_thread_count():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 12))
    y = rng.integers(0, 3, 3000)
    params = dict(
        loss="softmax", hidden_layer_sizes=(16, 8), batch_size=600, eta0=0.1, max_iter=3,
        tol=None, random_state=0,
    )  # fmt: skip
    fits = [
        gdfast.fit(X, y, method=method, n_threads=threads, **params)
        for method in ("batch", "minibatch")
        for threads in (1, 2)
    ]
    assert np.array_equal(fits[0].coef, fits[1].coef)
    assert np.array_equal(fits[2].coef, fits[3].coef)


def test_sparse_input_equals_dense_and_float32_trains_float32():
    sparse = pytest.importorskip("scipy.sparse")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 10)) * (rng.random((200, 10)) < 0.3)
    y = (X.sum(axis=1) > 0).astype(int)
    params = dict(loss="log_loss", hidden_layer_sizes=(8,), max_iter=4, tol=None, random_state=0)
    dense = gdfast.fit(X, y, **params)
    csr = gdfast.fit(sparse.csr_matrix(X), y, **params)
    assert np.allclose(dense.coef, csr.coef, rtol=1e-12, atol=1e-15)
    single = gdfast.fit(X.astype(np.float32), y, **params)
    assert single.coef.dtype == np.float32 and single.coefs[0].dtype == np.float32
    assert np.allclose(single.coef, dense.coef, rtol=1e-3, atol=1e-4)


def test_multilabel_and_multi_output_targets():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int)
    res = gdfast.fit(X, Y, loss="log_loss", hidden_layer_sizes=(16,), eta0=0.1, max_iter=60,
                     random_state=0)  # fmt: skip
    assert res.coefs[-1].shape == (16, 2)
    assert res.multilabel and res.predict(X).shape == Y.shape
    assert np.mean(res.predict(X) == Y) > 0.95
    targets = np.column_stack([X[:, 0], -X[:, 1]])
    reg = gdfast.fit(X, targets, hidden_layer_sizes=(16,), eta0=0.05, max_iter=60, random_state=0)
    assert np.mean((reg.predict(X) - targets) ** 2) < 0.05 * np.var(targets)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hidden_layer_sizes": ()}, "hidden_layer_sizes: needs at least one"),
        ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes: every layer"),
        ({"hidden_layer_sizes": (4, 2.5)}, "hidden_layer_sizes: expected ints"),
        ({"activation": "sigmoid"}, "activation"),
        ({"loss": "hinge"}, "loss: a network trains with"),
        ({"penalty": "l1"}, "penalty: a network"),
    ],
)
def test_bad_network_parameters_are_named(changes, message):
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = np.arange(20) % 2
    params = {"loss": "log_loss", "hidden_layer_sizes": (4,), **changes}
    with pytest.raises((ValueError, TypeError), match=message):
        gdfast.fit(X, y, **params)


def test_nan_in_X_is_an_error_and_divergence_is_reported():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="X"):
        gdfast.fit(bad, X[:, 0], hidden_layer_sizes=(4,))
    with pytest.warns(RuntimeWarning, match="diverged"):
        res = gdfast.fit(X * 1e3, X[:, 0] * 1e6, hidden_layer_sizes=(8,), eta0=10.0, max_iter=50)
    assert res.stop_reason == "diverged"
    assert all(np.isfinite(c).all() for c in res.coefs)


@pytest.mark.parametrize(
    "loss, activation, eta0",
    [
        ("softmax", "relu", 1e3),  # finite throughout: the loss explodes, the weights do not
        ("log_loss", "relu", 1e6),
        ("softmax", "tanh", 1e6),
        ("squared_error", "logistic", 10.0),
        ("squared_error", "relu", 1e6),  # NaN and inf
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_exploding_loss_stops_diverged_with_a_warning_and_finite_weights(
    loss, activation, eta0, dtype
):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6)).astype(dtype)
    labels = np.argmax(X[:, :3], axis=1)
    y = 100.0 * X[:, 0] if loss == "squared_error" else labels
    params = dict(loss=loss, hidden_layer_sizes=(16,), activation=activation, max_iter=30,
                  random_state=0)  # fmt: skip
    with pytest.warns(RuntimeWarning, match="the loss diverged in epoch") as caught:
        res = gdfast.fit(X, y, eta0=eta0, **params)
    assert len(caught) == 1 and res.stop_reason == "diverged" and not res.converged
    assert all(np.isfinite(a).all() for a in [*res.coefs, *res.intercepts, res.coef])
    assert np.isfinite(res.loss_history).all()
    # the kept weights predict: finite decision values, the fit's own dtype
    assert np.isfinite(res.decision_function(X)).all() and res.coef.dtype == dtype


def test_a_warm_start_near_the_optimum_is_not_mistaken_for_divergence():
    # the first update's loss of a trained network is tiny; the floor of the loss scale
    # (the best constant prediction's loss) keeps a noisier later epoch from counting
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    params = dict(loss="log_loss", hidden_layer_sizes=(32,), random_state=0)
    trained = gdfast.fit(X, y, optimizer="adam", eta0=0.01, max_iter=300, tol=None, **params)
    assert trained.loss_history[-1] < 0.05
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        noisy = gdfast.fit(
            X, y, method="sgd", eta0=0.5, max_iter=5, tol=None, coef_init=trained.coefs,
            intercept_init=trained.intercepts, **params,
        )  # fmt: skip
    assert noisy.stop_reason == "max_iter"
    assert noisy.loss_history.max() > 10 * trained.loss_history[-1]  # far above where it began
