"""gdfast.fit's contract: determinism, dtypes, stopping, the result, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

import gdfast
from gdfast._validation import check_X_finite

from .conftest import make_classification, make_regression


@pytest.mark.parametrize("method", ["sgd", "minibatch", "batch"])
def test_same_seed_gives_identical_bits(method, regression):
    X, y = regression
    a = gdfast.fit(X, y, method=method, max_iter=5, tol=None, random_state=7)
    b = gdfast.fit(X, y, method=method, max_iter=5, tol=None, random_state=7)
    assert np.array_equal(a.coef, b.coef) and a.intercept == b.intercept
    assert np.array_equal(a.loss_history, b.loss_history)


def test_different_seeds_give_different_paths(regression):
    X, y = regression
    a = gdfast.fit(X, y, method="sgd", max_iter=2, tol=None, random_state=1)
    b = gdfast.fit(X, y, method="sgd", max_iter=2, tol=None, random_state=2)
    assert not np.array_equal(a.coef, b.coef)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method, batch_size", [("batch", 32), ("minibatch", 2000)])
def test_thread_count_does_not_change_bits(method, batch_size, dtype):
    # 5,000 rows make 20 reduction blocks per update: the threads really split the work.
    X, y = make_regression(n=5000, d=20)
    X = X.astype(dtype)
    runs = [
        gdfast.fit(
            X,
            y,
            method=method,
            batch_size=batch_size,
            eta0=0.1,
            max_iter=5,
            tol=None,
            random_state=0,
            n_threads=n,
        )
        for n in (1, 2)
    ]
    assert np.array_equal(runs[0].coef, runs[1].coef)
    assert runs[0].intercept == runs[1].intercept
    assert np.array_equal(runs[0].loss_history, runs[1].loss_history)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtype_is_kept(dtype, regression):
    X, y = regression
    res = gdfast.fit(X.astype(dtype), y, max_iter=2)
    assert res.coef.dtype == dtype
    assert res.predict(X).dtype == dtype


def test_integer_X_is_converted_to_float64(regression):
    X, y = regression
    res = gdfast.fit(np.round(X * 10).astype(np.int32), y, max_iter=2)
    assert res.coef.dtype == np.float64


def test_read_only_and_fortran_inputs_work(regression):
    X, y = regression
    expected = gdfast.fit(X, y, max_iter=3, random_state=0)
    frozen = X.copy()
    frozen.flags.writeable = False
    for variant in (frozen, np.asfortranarray(X)):
        res = gdfast.fit(variant, y, max_iter=3, random_state=0)
        assert np.array_equal(res.coef, expected.coef)


def test_tol_stops_when_loss_stops_falling(regression):
    X, y = regression
    res = gdfast.fit(X, y, method="batch", eta0=0.1, tol=1e-3, n_iter_no_change=3)
    assert res.stop_reason == "tol" and res.converged
    assert res.n_epochs < 1000
    # scikit-learn's rule: each of the last n_iter_no_change epochs failed to beat
    # the best loss before it by tol, and no earlier run of 3 such epochs exists
    history = res.loss_history
    failed = [history[i] > history[:i].min() - 1e-3 for i in range(1, len(history))]
    assert failed[-3:] == [True, True, True]
    assert not any(all(failed[i : i + 3]) for i in range(len(failed) - 3))


def test_max_iter_stop_is_not_converged(regression):
    X, y = regression
    res = gdfast.fit(X, y, max_iter=3, tol=None)
    assert res.stop_reason == "max_iter" and not res.converged
    assert res.n_epochs == 3 and len(res.epoch_times) == 3
    assert np.all(np.diff(res.epoch_times) >= 0)


def test_update_counts_follow_the_method(regression):
    X, y = regression  # 200 samples
    assert gdfast.fit(X, y, method="sgd", max_iter=2, tol=None).n_updates == 400
    assert gdfast.fit(X, y, method="minibatch", batch_size=64, max_iter=2, tol=None).n_updates == 8
    assert gdfast.fit(X, y, method="batch", max_iter=2, tol=None).n_updates == 2


def test_divergence_stops_with_warning_and_finite_coef(regression):
    X, y = regression
    with pytest.warns(RuntimeWarning, match="diverged"):
        res = gdfast.fit(X * 1e3, y, method="batch", eta0=10.0, max_iter=1000, tol=None)
    assert res.stop_reason == "diverged" and not res.converged
    assert np.isfinite(res.coef).all() and np.isfinite(res.intercept)
    assert res.n_epochs == len(res.loss_history)
    assert np.isfinite(res.loss_history).all()


def standardized_diabetes() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def largest_curvature(X: np.ndarray) -> float:
    """The largest eigenvalue of the mean squared error's Hessian in (coef, intercept):
    plain batch GD on it is stable exactly below a step of 2 / this."""
    design = np.c_[X, np.ones(len(X))]
    return float(np.linalg.eigvalsh(design.T @ design / len(X)).max())


def squared_loss(X: np.ndarray, y: np.ndarray, res: gdfast.FitResult) -> float:
    return float(0.5 * np.mean((X @ res.coef + res.intercept - y) ** 2))


@pytest.mark.parametrize("eta0", [10.0, 0.5])
def test_a_loss_that_keeps_rising_is_divergence_not_convergence(eta0):
    # the case: on standardised diabetes eta0=10 ran the loss from 6.3 to 9.7e9
    # and 0.5 (just above 2 / L = 0.497) rose slowly; both ended "tol", converged
    X, y = standardized_diabetes()
    assert 2 / largest_curvature(X) < 0.5
    with pytest.warns(RuntimeWarning, match=r"diverged .*Lower eta0"):
        res = gdfast.fit(X, y, method="batch", eta0=eta0, max_iter=1000)
    assert res.stop_reason == "diverged" and not res.converged
    assert np.isfinite(res.coef).all() and np.isfinite(res.intercept)
    # the weights of the lowest loss the descent reached (a batch epoch's loss is that
    # of the weights it began with), recomputed here from them
    assert squared_loss(X, y, res) == pytest.approx(min(res.loss_history), rel=1e-9)


def test_a_step_just_below_the_limit_still_converges():
    X, y = standardized_diabetes()
    eta0 = 0.95 * 2 / largest_curvature(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = gdfast.fit(X, y, method="batch", eta0=eta0, max_iter=5000, tol=1e-6)
    assert res.stop_reason == "tol" and res.converged
    ols = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]
    assert res.coef == pytest.approx(ols[:-1], rel=1e-2, abs=0.5)


def test_a_slow_divergence_with_momentum_is_caught_once_above_its_start():
    # momentum's loss may rise and fall again: only rises that climb past the first
    # epoch's loss count. Heavy ball (v = 0.9 v + g) is stable below a step of
    # 2 (1 + 0.9) / L; 5% above it the loss climbs there within a few epochs.
    X, y = standardized_diabetes()
    eta0 = 1.05 * 2 * 1.9 / largest_curvature(X)
    with pytest.warns(RuntimeWarning, match="rose faster each epoch"):
        res = gdfast.fit(X, y, method="batch", optimizer="momentum", eta0=eta0, max_iter=2000)
    assert res.stop_reason == "diverged" and np.isfinite(res.coef).all()
    assert squared_loss(X, y, res) == pytest.approx(min(res.loss_history), rel=1e-9)


def test_a_noisy_stochastic_plateau_is_not_divergence():
    X, y = make_regression(n=500, noise=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = gdfast.fit(X, y, method="sgd", eta0=0.01, tol=None, max_iter=200, random_state=0)
    assert res.stop_reason == "max_iter" and len(res.loss_history) == 200
    design = np.c_[X, np.ones(len(X))]
    ols = np.linalg.lstsq(design, y, rcond=None)[0]
    assert squared_loss(X, y, res) < 1.05 * 0.5 * np.mean((design @ ols - y) ** 2)


def test_estimators_and_sweep_report_divergence_as_fit_does():
    X, y = standardized_diabetes()
    est = gdfast.GDRegressor(method="batch", learning_rate="constant", eta0=0.5, max_iter=1000)
    with pytest.warns(RuntimeWarning, match="diverged"):
        est.fit(X, y)
    assert est.result_.stop_reason == "diverged" and np.isfinite(est.coef_).all()
    with pytest.warns(RuntimeWarning, match=r"diverged for eta0=0\.5, 10"):
        sweep = gdfast.sweep(X, y, eta0=[0.1, 0.5, 10.0], method="batch", max_iter=1000)
    assert sweep.diverged == (0.5, 10.0) and sweep.best_eta0 == 0.1


def test_coef_init_and_intercept_init_start_the_fit(regression):
    X, y = regression
    start = gdfast.fit(X, y, method="batch", max_iter=5, tol=None)
    resumed = gdfast.fit(
        X,
        y,
        method="batch",
        max_iter=5,
        tol=None,
        coef_init=start.coef,
        intercept_init=start.intercept,
    )
    straight = gdfast.fit(X, y, method="batch", max_iter=10, tol=None)
    np.testing.assert_allclose(resumed.coef, straight.coef, rtol=1e-12)


def test_binary_labels_are_kept(classification):
    X, y = classification
    labels = np.where(y == 1, "spam", "ham")
    res = gdfast.fit(X, labels, loss="log_loss", eta0=0.1, max_iter=20, random_state=0)
    assert res.coef.shape == (X.shape[1],)
    assert set(res.predict(X)) <= {"spam", "ham"}
    assert np.mean(res.predict(X) == labels) > 0.9
    proba = res.predict_proba(X)
    assert proba.shape == (X.shape[0], 2)
    # column order follows classes: P(spam) grows with the decision value
    assert np.array_equal(proba[:, 1] > 0.5, res.decision_function(X) > 0)


def test_predict_proba_needs_log_loss(regression):
    X, y = regression
    with pytest.raises(AttributeError, match="log_loss"):
        gdfast.fit(X, y, max_iter=1).predict_proba(X)


def test_result_is_frozen_and_serialisable(regression):
    X, y = regression
    res = gdfast.fit(X, y, max_iter=2)
    with pytest.raises(AttributeError):
        res.n_epochs = 5  # type: ignore[misc]
    data = json.loads(json.dumps(res.to_dict()))
    assert data["n_epochs"] == 2 and len(data["coef"]) == X.shape[1]
    assert "FitResult(" in repr(res) and "n_epochs=2" in repr(res)


def test_num_threads_setting_roundtrip():
    default = gdfast.get_num_threads()
    try:
        gdfast.set_num_threads(1)
        assert gdfast.get_num_threads() == 1
    finally:
        gdfast.set_num_threads(None)
    assert gdfast.get_num_threads() == default
    with pytest.raises(ValueError, match="n_threads"):
        gdfast.set_num_threads(0)


# --- bad input: each error names the argument ---------------------------------------


@pytest.mark.parametrize(
    "change, exc, name",
    [
        (dict(loss="squared_hinge_typo"), ValueError, "loss"),
        (dict(method="newton"), ValueError, "method"),
        (dict(learning_rate="sometimes"), ValueError, "learning_rate"),
        (dict(penalty="l3"), ValueError, "penalty"),
        (dict(eta0=0.0), ValueError, "eta0"),
        (dict(eta0=-1.0), ValueError, "eta0"),
        (dict(eta0=float("nan")), ValueError, "eta0"),
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(batch_size=2.5), TypeError, "batch_size"),
        (dict(max_iter=0), ValueError, "max_iter"),
        (dict(alpha=-1.0), ValueError, "alpha"),
        (dict(n_iter_no_change=0), ValueError, "n_iter_no_change"),
        (dict(n_threads=0), ValueError, "n_threads"),
        (dict(fit_intercept="yes"), TypeError, "fit_intercept"),
        (dict(coef_init=np.zeros(3)), ValueError, "coef_init"),
        (dict(intercept_init=[0.0, 1.0]), ValueError, "intercept_init"),
        (dict(sample_weight=np.ones(3)), ValueError, "sample_weight"),
        (dict(sample_weight=-np.ones(200)), ValueError, "sample_weight"),
        (dict(sample_weight=np.full(200, np.nan)), ValueError, "sample_weight"),
        (dict(sample_weight=np.full(200, np.inf)), ValueError, "sample_weight"),
        (dict(optimizer="lbfgs"), ValueError, "optimizer"),
        (dict(tol=-1e-3), ValueError, "tol"),
        (dict(coef_init=np.zeros((2, 5))), ValueError, "coef_init"),
        (dict(coef_init=np.full(5, np.nan)), ValueError, "coef_init"),
    ],
)
def test_bad_parameter_is_named(regression, change, exc, name):
    X, y = regression
    with pytest.raises(exc, match=rf"^{name}:"):
        gdfast.fit(X, y, **change)


def test_unknown_keyword_is_a_type_error(regression):
    X, y = regression
    with pytest.raises(TypeError, match="learnin_rate"):
        gdfast.fit(X, y, learnin_rate="constant")


@pytest.mark.parametrize(
    "X, y, name, problem",
    [
        (np.ones((5, 2)), np.ones(4), "y", "must match"),
        (np.ones(5), np.ones(5), "X", "2-D"),
        (np.ones((0, 2)), np.ones(0), "X", "empty"),
        (np.ones((5, 0)), np.ones(5), "X", "no features"),
        (np.array([[1.0, np.nan]] * 5), np.ones(5), "X", "NaN"),
        (np.array([[1.0, np.inf]] * 5), np.ones(5), "X", "inf"),
        (np.ones((5, 2)), np.array([1, 2, 3, np.nan, 5]), "y", "NaN"),
        (np.ones((5, 2)), np.ones((5, 2)), "y", "1-D"),
        (np.ones((5, 2)), np.array([1, 2, 3, np.inf, 5]), "y", "inf"),
        (np.ones((5, 2, 2)), np.ones(5), "X", "2-D"),
    ],
)
def test_bad_data_is_named(X, y, name, problem):
    with pytest.raises(ValueError, match=rf"^{name}:.*{problem}"):
        gdfast.fit(X, y)


@pytest.mark.parametrize("value, kind", [(np.nan, "NaN"), (np.inf, "inf")])
@pytest.mark.parametrize("method", ["sgd", "minibatch"])
def test_bad_values_in_large_X_are_named(value, kind, method):
    # with 10,000 samples or more a worker checks X while the first epoch runs
    X, y = make_regression(n=20_000, d=3)
    X[-1, 1] = value
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divergence warning from the NaN epoch either
        with pytest.raises(ValueError, match=rf"^X: contains {kind}"):
            gdfast.fit(X, y, method=method, max_iter=3, tol=None)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_finite_values_whose_sum_overflows_are_accepted(dtype):
    # the fast check sums X; a sum that overflows must not be taken for an inf in X
    X = np.full((6, 2), np.finfo(dtype).max / 2, dtype)
    with np.errstate(over="ignore"):
        assert np.isinf(X.sum())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor warn of the overflow
        check_X_finite(X)
    with pytest.raises(ValueError, match=r"^X: contains inf"):
        check_X_finite(np.vstack([X, np.full((1, 2), np.inf, dtype)]))


@pytest.mark.parametrize(
    "X",
    [np.array([["a", "b"]] * 5), np.ones((5, 2)) + 1j, np.array([[object(), 1.0]] * 5)],
    ids=["strings", "complex", "objects"],
)
def test_non_numeric_X_is_a_type_error(X):
    with pytest.raises(TypeError, match=r"^X:.*(numbers|numeric)"):
        gdfast.fit(X, np.ones(5))


def test_classifier_needs_two_classes():
    X = np.ones((5, 2))
    with pytest.raises(ValueError, match=r"^y:.*two classes"):
        gdfast.fit(X, np.zeros(5), loss="log_loss")


def test_regression_target_must_be_numeric():
    with pytest.raises(TypeError, match=r"^y:"):
        gdfast.fit(np.ones((3, 2)), np.array(["a", "b", "c"]))


def test_predict_checks_feature_count(regression):
    X, y = regression
    res = gdfast.fit(X, y, max_iter=1)
    with pytest.raises(ValueError, match=r"^X:.*features"):
        res.predict(X[:, :2])


def test_no_warning_on_a_normal_fit(regression):
    X, y = regression
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gdfast.fit(X, y, max_iter=3)


def test_classification_data_is_deterministic():
    X1, y1 = make_classification(seed=4)
    X2, y2 = make_classification(seed=4)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)


@pytest.mark.parametrize("method", ["sgd", "minibatch", "batch"])
def test_training_state_carries_over_between_calls(method):
    # two calls of 2 epochs on one state == one call of 4 epochs: t, optimizer
    # moments, L1 state, averaging, the epoch count and the generator all carry over
    from gdfast._api import TrainingState, _check_params, compiled_epoch, default_params, run_fit

    X, y = make_regression()
    settings = dict(
        method=method,
        optimizer="adam",
        penalty="elasticnet",
        alpha=0.01,
        learning_rate="invscaling",
        average=30,
        eta0=0.05,
        tol=None,
        random_state=4,
    )
    whole = gdfast.fit(X, y, max_iter=4, **settings)
    params = default_params(max_iter=2, **settings)
    state = TrainingState(_check_params(params), X.shape[1], X.dtype, None, 1)
    run_fit(X, y, params, kernel=compiled_epoch, state=state)
    second = run_fit(X, y, params, kernel=compiled_epoch, state=state)
    assert state.t == whole.n_updates == second.n_updates
    assert np.array_equal(second.coef, whole.coef) and second.intercept == whole.intercept


def test_background_shuffling_draws_the_same_orders():
    # above the threshold the next permutation is drawn in a worker thread: the
    # orders must be those of the generator drawn inline, subset or not
    from gdfast._api import _EpochOrders

    n = _EpochOrders.BACKGROUND_MIN_SAMPLES
    subset = np.arange(0, 2 * n, 2)
    for rows in (None, subset):
        threaded = _EpochOrders(np.random.default_rng(11), n, rows, 3)
        assert threaded._pool is not None
        inline = np.random.default_rng(11)
        for _ in range(3):
            expected = inline.permutation(n)
            assert np.array_equal(threaded.next(), expected if rows is None else rows[expected])
        threaded.close()


@pytest.mark.parametrize("loss", ["log_loss", "hinge", "softmax"])
def test_a_continuous_target_with_a_classification_loss_is_refused(loss):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = X @ np.array([1.0, 2.0, 3.0]) + 0.5  # 50 distinct prices, not labels
    with pytest.raises(ValueError, match="y: Unknown label type: continuous"):
        gdfast.fit(X, y, loss=loss, max_iter=2)
    # integer-valued floats are labels, as for scikit-learn
    gdfast.fit(X, (y > 0).astype(np.float64), loss=loss, max_iter=2, tol=None)


def test_the_cli_refuses_a_continuous_target_with_log_loss_in_one_line(tmp_path):
    rng = np.random.default_rng(0)
    table = np.column_stack([rng.normal(size=(40, 2)), rng.uniform(100, 900, size=40)])
    path = tmp_path / "prices.csv"
    np.savetxt(path, table, delimiter=",", header="a,b,price", comments="")
    run = subprocess.run(
        [sys.executable, "-m", "gdfast", "fit", str(path), "--target", "price",
         "--loss", "log_loss"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode != 0
    assert "Unknown label type: continuous" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("shape", [(4, 3, 2), (2, 2, 2, 2)])
def test_x_of_more_than_two_dimensions_says_what_it_got(shape):
    X = np.zeros(shape)
    with pytest.raises(
        ValueError, match=r"X: expected a 2-D array .* got a \d-D array of shape"
    ) as e:
        gdfast.fit(X, np.zeros(shape[0]))
    assert "reshape(-1, 1)" not in str(e.value)
    with pytest.raises(ValueError, match="reshape"):
        gdfast.fit(np.zeros(5), np.zeros(5))


def test_a_dataframe_with_text_or_categories_names_the_columns():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {"rooms": [1.0, 2.0, 3.0, 4.0], "city": ["a", "b", "a", "c"],
         "kind": pd.Categorical(["u", "v", "u", "v"]), "new": [True, False, True, True]}
    )  # fmt: skip
    with pytest.raises(TypeError, match=r"X: column\(s\) 'city', 'kind' are not numeric"):
        gdfast.fit(df, np.arange(4.0))
    res = gdfast.fit(df[["rooms", "new"]], np.arange(4.0), max_iter=3, tol=None)
    assert res.coef.shape == (2,)
