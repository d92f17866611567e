"""GDMLPClassifier / GDMLPRegressor against scikit-learn's MLPClassifier /
MLPRegressor on the same settings: draw for draw with the sgd solver, test
scores within noise with adam and lbfgs, and scikit-learn's estimator checks."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("scipy")

from sklearn.base import clone
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import gdfast
from gdfast import GDMLPClassifier, GDMLPRegressor


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=600, n_features=8, noise=5.0, random_state=0)
    y = y / np.std(y) + np.sin(X[:, 0])
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.3, random_state=0)


def _both(gd_class, sk_class, X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return gd_class(**params).fit(X, y), sk_class(**params).fit(X, y)


@pytest.mark.parametrize(
    "settings",
    [
        {"momentum": 0.9, "nesterovs_momentum": True},
        {"momentum": 0.9, "nesterovs_momentum": False, "learning_rate": "invscaling"},
        {"momentum": 0.0, "alpha": 0.01},
        {"learning_rate": "adaptive", "tol": 0.05, "n_iter_no_change": 2},
    ],
)
def test_sgd_solver_retraces_scikit_learn_draw_for_draw(digits, settings):
    X, _, y, _ = digits
    params = dict(
        hidden_layer_sizes=(24,), solver="sgd", learning_rate_init=0.05, max_iter=12,
        random_state=3, batch_size=64, **settings,
    )  # fmt: skip
    ours, theirs = _both(GDMLPClassifier, MLPClassifier, X, y, **params)
    assert ours.n_iter_ == theirs.n_iter_
    assert np.allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    for mine, sklearns in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert np.allclose(mine, sklearns, rtol=1e-7, atol=1e-9)
    assert ours.t_ == theirs.t_
    assert ours._optimizer.learning_rate == pytest.approx(theirs._optimizer.learning_rate)


def test_sgd_regressor_retraces_scikit_learn(regression):
    X, _, y, _ = regression
    params = dict(hidden_layer_sizes=(16, 8), activation="tanh", solver="sgd",
                  learning_rate_init=0.01, max_iter=10, random_state=0)  # fmt: skip
    ours, theirs = _both(GDMLPRegressor, MLPRegressor, X, y, **params)
    assert np.allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    assert np.allclose(ours.predict(X), theirs.predict(X), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("solver", ["adam", "lbfgs", "sgd"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic"])
def test_classifier_quality_matches_scikit_learn_on_digits(digits, solver, activation):
    X_train, X_test, y_train, y_test = digits
    params = dict(hidden_layer_sizes=(32,), activation=activation, solver=solver, max_iter=60,
                  random_state=0, learning_rate_init=0.01 if solver == "adam" else 0.1)  # fmt: skip
    ours, theirs = _both(GDMLPClassifier, MLPClassifier, X_train, y_train, **params)
    # 540 test digits: one standard error of the accuracy is about 0.6%
    assert abs(ours.score(X_test, y_test) - theirs.score(X_test, y_test)) < 0.02
    assert ours.score(X_test, y_test) > 0.9
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=0.2, abs=0.01)
    proba = ours.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10) and np.allclose(proba.sum(axis=1), 1)
    assert np.array_equal(ours.predict(X_test), ours.classes_[np.argmax(proba, axis=1)])


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_regressor_quality_matches_scikit_learn(regression, solver):
    X_train, X_test, y_train, y_test = regression
    params = dict(hidden_layer_sizes=(32,), solver=solver, max_iter=300, random_state=0,
                  learning_rate_init=0.01)  # fmt: skip
    ours, theirs = _both(GDMLPRegressor, MLPRegressor, X_train, y_train, **params)
    assert ours.score(X_test, y_test) > 0.8
    assert abs(ours.score(X_test, y_test) - theirs.score(X_test, y_test)) < 0.03


def test_lbfgs_equals_scikit_learn_to_rounding(digits):
    X, _, y, _ = digits
    params = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=20, random_state=0)
    ours, theirs = _both(GDMLPClassifier, MLPClassifier, X, y, **params)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)


def test_binary_and_multilabel_heads():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    clf = GDMLPClassifier((16,), max_iter=200, random_state=0).fit(X, y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 1
    assert set(clf.predict(X)) <= {"yes", "no"} and clf.score(X, y) > 0.9
    assert clf.predict_proba(X).shape == (300, 2)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > 0]).astype(int)
    multi = GDMLPClassifier((16,), max_iter=300, random_state=0).fit(X, Y)
    assert multi.out_activation_ == "logistic" and multi.predict(X).shape == Y.shape
    assert multi.score(X, Y) > 0.9  # subset accuracy
    reg = GDMLPRegressor((16,), max_iter=300, random_state=0).fit(
        X, np.column_stack([X[:, 0], X[:, 1]])
    )
    assert reg.predict(X).shape == (300, 2)


def test_early_stopping_keeps_the_best_weights(digits):
    X, _, y, _ = digits
    clf = GDMLPClassifier((16,), early_stopping=True, max_iter=40, random_state=0,
                          n_iter_no_change=3)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.best_loss_ is None and len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_partial_fit_float32_sparse_and_pickling(digits):
    sparse = pytest.importorskip("scipy.sparse")
    X, _, y, _ = digits
    clf = GDMLPClassifier((16,), solver="sgd", random_state=0)
    for _ in range(3):
        clf.partial_fit(X, y, classes=np.arange(10))
    assert len(clf.loss_curve_) == 3 and clf.loss_curve_[-1] < clf.loss_curve_[0]
    single = GDMLPClassifier((16,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        single.fit(X.astype(np.float32), y)
        csr = GDMLPClassifier((16,), max_iter=5, random_state=0).fit(sparse.csr_matrix(X), y)
        dense = GDMLPClassifier((16,), max_iter=5, random_state=0).fit(X, y)
    assert single.coefs_[0].dtype == np.float32
    assert np.allclose(csr.coefs_[0], dense.coefs_[0], rtol=1e-10, atol=1e-12)
    restored = pickle.loads(pickle.dumps(dense))
    assert np.array_equal(restored.predict(X), dense.predict(X))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"hidden_layer_sizes": ()}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (10, -1)}, "hidden_layer_sizes"),
        ({"activation": "softplus"}, "activation"),
        ({"solver": "rmsprop"}, "solver"),
        ({"learning_rate": "optimal"}, "learning_rate"),
    ],
)
def test_bad_parameters_are_named(params, message):
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises((ValueError, TypeError), match=message):
        GDMLPClassifier(**params).fit(X, np.arange(20) % 2)


def test_partial_fit_with_lbfgs_and_nan_input_are_errors():
    X = np.random.default_rng(0).normal(size=(20, 3))
    est = GDMLPRegressor(solver="lbfgs")
    assert not hasattr(est, "partial_fit")  # as scikit-learn's
    with pytest.raises(ValueError, match="partial_fit"):
        est.partial_fit(X, X[:, 0])
    X[2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        GDMLPRegressor().fit(X, np.ones(20))


def test_diverging_network_warns_and_keeps_finite_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = 1e6 * X[:, 0]
    est = GDMLPRegressor((32,), solver="sgd", learning_rate_init=1.0, momentum=0.0, max_iter=50)
    with pytest.warns(RuntimeWarning, match="diverged"):
        est.fit(X, y)
    assert est.result_.stop_reason == "diverged"
    assert all(np.isfinite(c).all() for c in est.coefs_)


def test_exploding_classifier_loss_warns_and_keeps_finite_weights():
    # finite weights, a log loss of 1e18 after one epoch: scikit-learn carries on with
    # the garbage; gdfast stops, warns and keeps the weights from before the epoch
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = np.argmax(X[:, :3], axis=1)
    est = GDMLPClassifier((32,), solver="sgd", learning_rate_init=1e3, momentum=0.0, max_iter=50,
                          random_state=0)  # fmt: skip
    with pytest.warns(RuntimeWarning, match="diverged"):
        est.fit(X, y)
    assert est.result_.stop_reason == "diverged"
    assert all(np.isfinite(a).all() for a in [*est.coefs_, *est.intercepts_])
    assert np.isfinite(est.predict_proba(X)).all() and set(est.predict(X)) <= {0, 1, 2}


def test_fit_api_trains_a_network_through_every_method(digits):
    X, X_test, y, y_test = digits
    for method in ("batch", "minibatch", "sgd"):
        res = gdfast.fit(
            X, y, loss="softmax", hidden_layer_sizes=(32,), method=method, optimizer="adam",
            eta0=0.01 if method != "batch" else 0.05, max_iter=40 if method != "sgd" else 5,
            random_state=0,
        )  # fmt: skip
        assert np.mean(res.predict(X_test) == y_test) > 0.9, method


# The settings scikit-learn runs these checks with on its own MLPs
# (sklearn/utils/_test_common/instance_generator.py, PER_ESTIMATOR_CHECK_PARAMS):
# a weight of 2 is a repeated sample for lbfgs and for a full batch, not for the
# shuffled minibatches of the defaults.
_CHECK_PARAMS = {
    ("GDMLPClassifier", "check_sample_weight_equivalence_on_dense_data"): {"solver": "lbfgs"},
    ("GDMLPRegressor", "check_sample_weight_equivalence_on_dense_data"): {
        "solver": "sgd",
        "tol": 0.01,
        "random_state": 42,
    },
}


@parametrize_with_checks([GDMLPClassifier(max_iter=50), GDMLPRegressor(max_iter=50)])
def test_sklearn_estimator_checks(estimator, check):
    name = getattr(check, "func", check).__name__
    settings = _CHECK_PARAMS.get((type(estimator).__name__, name))
    if settings is not None:
        estimator = clone(estimator).set_params(**settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.mark.parametrize("kind", ["multiclass", "binary", "regressor"])
def test_early_stopping_holds_out_scikit_learns_samples_draw_for_draw(kind):
    # train_test_split from the same generator between the initial weights and the
    # first shuffle (stratified for binary labels only, as scikit-learn's MLP)
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    settings = dict(
        hidden_layer_sizes=(16,), solver="sgd", early_stopping=True, random_state=0,
        max_iter=25, momentum=0.9, learning_rate_init=0.05, n_iter_no_change=3,
    )  # fmt: skip
    if kind == "regressor":
        ours, theirs = GDMLPRegressor(**settings), MLPRegressor(**settings)
        y = y.astype(float)
    else:
        ours, theirs = GDMLPClassifier(**settings), MLPClassifier(**settings)
        y = (y > 4).astype(int) if kind == "binary" else y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y)
        theirs.fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, atol=1e-12)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=1e-7, atol=1e-10)
