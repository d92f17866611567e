"""Each learning-rate schedule equals its formula (lr_history: the rate of each
epoch's first update)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gdfast

from .conftest import make_regression

N = 200  # samples of the fixture data: sgd makes N updates an epoch


def lr_history(classes: bool = False, **params):
    X, y = make_regression(n=N)
    if classes:
        y = (y > np.median(y)).astype(int)
    return gdfast.fit(X, y, method="sgd", max_iter=6, tol=None, random_state=0, **params).lr_history


def test_constant():
    np.testing.assert_allclose(lr_history(eta0=0.03), [0.03] * 6)


def test_invscaling_is_eta0_over_t_to_the_power_t():
    expected = [0.1 / (1 + N * e) ** 0.5 for e in range(6)]
    np.testing.assert_allclose(
        lr_history(learning_rate="invscaling", eta0=0.1, power_t=0.5), expected
    )


def test_optimal_is_bottous_schedule_with_sklearns_offset():
    alpha = 0.01
    typw = math.sqrt(1 / math.sqrt(alpha))
    t0 = 1 / (typw * alpha)  # scikit-learn: optimal_init = 1 / (initial_eta0 * alpha)
    expected = [1 / (alpha * (t0 + N * e)) for e in range(6)]
    # the schedule of the classifiers: its first steps (1 / (alpha t0) = 3.2) send a
    # squared error to 1e76 and divergence, a log loss not
    history = lr_history(
        classes=True, loss="log_loss", learning_rate="optimal", alpha=alpha, penalty="l2"
    )
    np.testing.assert_allclose(history, expected)


def test_exponential_step_cosine_and_callable():
    np.testing.assert_allclose(
        lr_history(learning_rate="exponential", eta0=0.1, decay_rate=0.5),
        [0.1 * 0.5**e for e in range(6)],
    )
    np.testing.assert_allclose(
        lr_history(learning_rate="step", eta0=0.1, decay_rate=0.1, step_size=4),
        [0.1, 0.1, 0.1, 0.1, 0.01, 0.01],
    )
    np.testing.assert_allclose(
        lr_history(learning_rate="cosine", eta0=0.1, eta_min=0.001),
        [0.001 + 0.5 * 0.099 * (1 + math.cos(math.pi * e / 6)) for e in range(6)],
    )
    np.testing.assert_allclose(
        lr_history(learning_rate=lambda epoch: 0.01 / (epoch + 1)),
        [0.01 / (e + 1) for e in range(6)],
    )


def test_per_epoch_rate_is_the_rate_the_kernel_used():
    # an epoch run at the scheduled rate equals a constant-rate epoch at that rate
    X, y = make_regression(n=N)
    scheduled = gdfast.fit(
        X,
        y,
        method="sgd",
        learning_rate="exponential",
        eta0=0.1,
        decay_rate=0.5,
        max_iter=2,
        tol=None,
        random_state=0,
    )
    first = gdfast.fit(X, y, method="sgd", eta0=0.1, max_iter=1, tol=None, random_state=0)
    rng = np.random.default_rng(0)
    rng.permutation(N)  # the first epoch's order
    order = rng.permutation(N)
    by_hand = gdfast.reference.fit(
        X[order],
        y[order],
        method="sgd",
        eta0=0.05,
        max_iter=1,
        tol=None,
        shuffle=False,
        coef_init=first.coef,
        intercept_init=first.intercept,
    )
    np.testing.assert_allclose(scheduled.coef, by_hand.coef, rtol=1e-10)


def test_adaptive_divides_by_five_whenever_the_loss_stalls():
    X, y = make_regression(n=N)
    res = gdfast.fit(
        X,
        y,
        method="sgd",
        learning_rate="adaptive",
        eta0=0.1,
        tol=1e-3,
        n_iter_no_change=2,
        max_iter=200,
        random_state=0,
    )
    rates = res.lr_history
    changes = rates[1:] / rates[:-1]
    assert set(np.round(changes, 12)) <= {1.0, 0.2}
    assert np.sum(np.isclose(changes, 0.2)) >= 2
    assert res.stop_reason == "tol" and rates[-1] <= 1e-6 * 5


@pytest.mark.parametrize("bad", [lambda e: -1.0, lambda e: float("nan"), lambda e: "fast"])
def test_callable_schedule_returning_garbage_is_named(bad):
    X, y = make_regression(n=N)
    with pytest.raises((ValueError, TypeError), match=r"^learning_rate:"):
        gdfast.fit(X, y, learning_rate=bad, max_iter=2)


def test_optimal_works_for_softmax_with_log_loss_offset():
    from .conftest import make_classification

    X, y = make_classification(n=300, d=4, n_classes=3)
    res = gdfast.fit(
        X,
        y,
        loss="softmax",
        learning_rate="optimal",
        alpha=0.01,
        penalty="l2",
        method="sgd",
        max_iter=3,
        tol=None,
        random_state=0,
    )
    typw = math.sqrt(1 / math.sqrt(0.01))
    assert res.lr_history[0] == pytest.approx(typw)  # 1 / (alpha * t0) with log_loss's t0
    assert np.mean(res.predict(X) == y) > 0.8
