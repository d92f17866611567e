"""Each stop_reason is reached by a case built for it; records are consistent."""

from __future__ import annotations

import numpy as np
import pytest

import gdfast

from .conftest import make_classification, make_regression


def test_target_loss_stops_once_reached(regression):
    X, y = regression
    res = gdfast.fit(X, y, method="batch", eta0=0.1, target_loss=0.05, tol=None)
    assert res.stop_reason == "target_loss" and res.converged
    assert res.loss_history[-1] <= 0.05 < res.loss_history[-2]


def test_max_time_stops_after_the_epoch_that_passes_it(regression):
    X, y = regression
    res = gdfast.fit(X, y, max_time=1e-9, tol=None)
    assert res.stop_reason == "max_time" and res.n_epochs == 1 and not res.converged


def test_callback_sees_every_epoch_and_can_stop():
    X, y = make_regression()
    seen = []

    def callback(info):
        seen.append(info)
        return info.epoch == 3

    res = gdfast.fit(X, y, method="batch", eta0=0.1, tol=None, callback=callback)
    assert res.stop_reason == "callback" and res.n_epochs == 3
    assert [info.epoch for info in seen] == [1, 2, 3]
    assert [info.loss for info in seen] == list(res.loss_history)
    np.testing.assert_array_equal(seen[-1].coef, res.coef)
    assert seen[-1].n_updates == 3


def test_early_stopping_watches_the_validation_score():
    X, y = make_classification(n=1000, d=5)
    res = gdfast.fit(
        X,
        y,
        loss="log_loss",
        method="sgd",
        eta0=0.01,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=3,
        tol=1e-3,
        random_state=0,
    )
    history = res.validation_history
    assert history is not None and len(history) == res.n_epochs
    assert np.all((history >= 0) & (history <= 1)) and history.max() > 0.9
    assert res.stop_reason == "tol"
    # scikit-learn's rule, on the score: the last 3 epochs failed to beat the best by tol
    failed = [history[i] < history[:i].max() + 1e-3 for i in range(1, len(history))]
    assert failed[-3:] == [True, True, True]


def test_early_stopping_regression_score_is_r2_of_held_out_rows():
    X, y = make_regression(n=500)
    res = gdfast.fit(
        X,
        y,
        early_stopping=True,
        validation_fraction=0.2,
        random_state=1,
        eta0=0.05,
        max_iter=20,
        tol=None,
    )
    assert res.validation_history is not None and res.validation_history[-1] > 0.95


def test_divergence_keeps_last_finite_state(regression):
    X, y = regression
    with pytest.warns(RuntimeWarning, match="diverged"):
        res = gdfast.fit(X * 1e3, y, method="sgd", eta0=10.0, average=True, tol=None)
    assert res.stop_reason == "diverged"
    assert np.isfinite(res.coef).all() and len(res.lr_history) == res.n_epochs


def test_an_average_that_overflows_is_divergence_too():
    # float32 sparse log_loss with a huge step: the loss stays finite (~1e34) while the
    # lazily kept average of the coefficients overflows to -inf (a hypothesis find)
    import scipy.sparse

    X = scipy.sparse.random(18, 1, density=0.5, format="csr", dtype=np.float32, random_state=0)
    y = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 1])
    params = dict(
        loss="log_loss", method="minibatch", batch_size=1, eta0=15.0, learning_rate="constant",
        penalty="elasticnet", alpha=1.0, average=True, fit_intercept=False, max_iter=2,
        tol=None, random_state=0,
    )  # fmt: skip
    with pytest.warns(RuntimeWarning, match="diverged"):
        res = gdfast.fit(X, y, **params)
    assert res.stop_reason == "diverged"
    assert np.isfinite(res.coef).all() and np.isfinite(res.loss_history).all()


def test_record_updates_and_moving_average(regression):
    X, y = regression
    res = gdfast.fit(
        X,
        y,
        method="minibatch",
        batch_size=20,
        eta0=0.05,
        max_iter=4,
        tol=None,
        record_updates=True,
        random_state=0,
    )
    assert res.update_losses is not None and len(res.update_losses) == res.n_updates == 40
    # each epoch's loss is the mean of its 10 equally sized updates
    np.testing.assert_allclose(res.update_losses.reshape(4, 10).mean(axis=1), res.loss_history)
    window = 7
    expected = np.convolve(res.update_losses, np.ones(window) / window, mode="valid")
    np.testing.assert_allclose(res.moving_average(window), expected)
    with pytest.raises(ValueError, match=r"^window:"):
        res.moving_average(0)


def test_moving_average_without_recorded_updates_says_to_record_them(regression):
    # issue 15: an error, not the epoch losses quietly averaged in their place
    X, y = regression
    res = gdfast.fit(X, y, max_iter=5, tol=None)
    assert res.update_losses is None
    with pytest.raises(ValueError, match=r"moving_average .*record_updates=True"):
        res.moving_average(2)


def test_sample_weight_zero_drops_samples():
    X, y = make_regression(n=200)
    weights = np.ones(200)
    weights[100:] = 0.0
    # batch: a zero weight removes the sample from the mean gradient's sum, not from its count
    weighted = gdfast.fit(
        X, y, method="batch", sample_weight=weights, eta0=0.2, max_iter=4000, tol=None
    )
    truth = np.linalg.lstsq(np.column_stack([X[:100], np.ones(100)]), y[:100], rcond=None)[0]
    np.testing.assert_allclose(weighted.coef, truth[:-1], atol=1e-6)
