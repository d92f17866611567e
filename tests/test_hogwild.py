"""parallel="hogwild": lock-free SGD threads, opt-in."""

from __future__ import annotations

import numpy as np
import pytest

import gdfast

from .conftest import make_classification, make_regression


def test_one_thread_hogwild_is_the_deterministic_loop():
    X, y = make_regression(n=2000)
    params = dict(method="sgd", max_iter=3, tol=None, random_state=0, n_threads=1)
    hogwild = gdfast.fit(X, y, parallel="hogwild", **params)
    plain = gdfast.fit(X, y, **params)
    assert np.array_equal(hogwild.coef, plain.coef)


@pytest.mark.parametrize("sparse", [False, True])
def test_two_hogwild_threads_reach_the_same_quality(sparse):
    X, y = make_regression(n=20_000, d=20, noise=0.1)
    if sparse:
        import scipy.sparse

        X = scipy.sparse.csr_matrix(X)
    params = dict(
        method="sgd",
        eta0=0.005,
        max_iter=5,
        tol=None,
        random_state=0,
        penalty=None if sparse else "l2",
        alpha=1e-5,
    )
    hogwild = gdfast.fit(X, y, parallel="hogwild", n_threads=2, **params)
    plain = gdfast.fit(X, y, **params)
    truth = np.linalg.lstsq(
        np.column_stack([np.asarray(X.todense()) if sparse else X, np.ones(len(y))]), y, rcond=None
    )[0]
    assert np.isfinite(hogwild.coef).all()
    np.testing.assert_allclose(hogwild.coef, truth[:-1], atol=0.02)
    assert hogwild.loss_history[-1] <= 1.05 * plain.loss_history[-1]
    assert hogwild.n_updates == plain.n_updates == 5 * 20_000


def test_hogwild_classifier_learns():
    X, y = make_classification(n=5000, d=5, n_classes=3)
    res = gdfast.fit(
        X,
        y,
        loss="hinge",
        method="sgd",
        parallel="hogwild",
        n_threads=2,
        eta0=0.01,
        max_iter=5,
        random_state=0,
    )
    assert np.mean(res.predict(X) == y) > 0.9


@pytest.mark.parametrize(
    "change",
    [
        dict(method="minibatch"),
        dict(method="batch"),
        dict(optimizer="adam"),
        dict(average=True),
        dict(penalty="l1"),
        dict(penalty="elasticnet"),
    ],
)
def test_hogwild_refuses_what_it_cannot_share(change):
    X, y = make_regression()
    with pytest.raises(ValueError, match=r"^parallel: 'hogwild' needs"):
        gdfast.fit(X, y, parallel="hogwild", **{"method": "sgd", **change})


def test_unknown_parallel_is_named():
    X, y = make_regression()
    with pytest.raises(ValueError, match=r"^parallel:"):
        gdfast.fit(X, y, parallel="threads")


def test_hogwild_on_sparse_data_refuses_a_penalty():
    import scipy.sparse

    X, y = make_regression()
    with pytest.raises(ValueError, match=r"^parallel: 'hogwild' on sparse X needs penalty=None"):
        gdfast.fit(scipy.sparse.csr_matrix(X), y, method="sgd", parallel="hogwild", penalty="l2")
