"""gdfast.dask: batch equal to the in-memory fit, local SGD close to it, errors, and a
fit that survives a killed worker (a LocalCluster of 2 worker processes, kept small)."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

import gdfast

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import gdfast.dask  # noqa: E402


def regression(n: int = 3000, d: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.3 + 0.1 * rng.normal(size=n)
    return X, y


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_local_sgd_averages_the_chunk_models_by_their_rows(optimizer):
    # one epoch from zero weights: the average of the chunks' own epochs, each computed
    # in memory over the permutation the chunk's task draws. It runs before the cluster
    # starts: on Dask's threaded scheduler the tasks share their argument arrays, and
    # each must still start from the driver's parameters and rule states
    assert distributed.client._get_global_client() is None
    X, y = regression(n=900)
    params = dict(
        method="minibatch", batch_size=16, max_iter=1, tol=None, eta0=0.05, optimizer=optimizer
    )
    got = gdfast.dask.fit(da.from_array(X, chunks=(600, 6)), y, random_state=3, **params)
    seeds = np.random.default_rng(3).integers(2**63, size=2)
    models = []
    for k, (lo, hi) in enumerate([(0, 600), (600, 900)]):
        order = np.random.default_rng(int(seeds[k])).permutation(hi - lo)
        res = gdfast.fit(X[lo:hi][order], y[lo:hi][order], shuffle=False, **params)
        models.append(np.append(res.coef, res.intercept))
    expected = (600 * models[0] + 300 * models[1]) / 900
    np.testing.assert_allclose(np.append(got.coef, got.intercept), expected, rtol=1e-12)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


BATCH_CASES = [
    dict(loss="squared_error"),
    dict(loss="squared_error", penalty="l2", alpha=0.01, optimizer="adam", eta0=0.05),
    dict(loss="huber", penalty="elasticnet", alpha=0.001, learning_rate="invscaling"),
    dict(loss="log_loss", eta0=0.5),
    dict(loss="softmax", eta0=0.5, optimizer="momentum"),
]


def labels(y: np.ndarray, loss: str) -> np.ndarray:
    if loss == "log_loss":
        return (y > 0).astype(np.int64)
    if loss == "softmax":
        return np.digitize(y, [-1.0, 1.0])
    return y


@pytest.mark.parametrize("case", BATCH_CASES, ids=lambda c: "-".join(map(str, c.values())))
def test_batch_equals_in_memory_on_the_default_scheduler(case):
    X, y = regression()
    y = labels(y, case["loss"])
    sw = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    params = {"method": "batch", "max_iter": 40, "tol": None, "eta0": 0.1, **case}
    expected = gdfast.fit(X, y, sample_weight=sw, **params)
    got = gdfast.dask.fit(
        da.from_array(X, chunks=(700, 6)), da.from_array(y, chunks=700),
        sample_weight=da.from_array(sw, chunks=700), **params,
    )  # fmt: skip
    np.testing.assert_allclose(got.coef, expected.coef, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got.intercept, expected.intercept, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got.loss_history, expected.loss_history, rtol=1e-10)
    assert got.stop_reason == expected.stop_reason
    if expected.classes is not None:
        np.testing.assert_array_equal(got.classes, expected.classes)


def test_batch_equals_in_memory_on_a_cluster_for_any_chunking(client):
    X, y = regression()
    params = dict(method="batch", max_iter=30, tol=None, eta0=0.2, penalty="l2", alpha=0.01)
    expected = gdfast.fit(X, y, **params)
    for rows in (3000, 1000, 499):
        got = gdfast.dask.fit(da.from_array(X, chunks=(rows, 3)), y, **params)
        np.testing.assert_allclose(got.coef, expected.coef, rtol=1e-10)
        np.testing.assert_allclose(got.intercept, expected.intercept, rtol=1e-10)


def test_batch_float32_trains_float32():
    X, y = regression()
    got = gdfast.dask.fit(
        da.from_array(X.astype(np.float32), chunks=(1000, 6)), y.astype(np.float32),
        method="batch", max_iter=20, tol=None, eta0=0.1,
    )  # fmt: skip
    expected = gdfast.fit(
        X.astype(np.float32), y.astype(np.float32), method="batch", max_iter=20, tol=None, eta0=0.1
    )
    assert got.coef.dtype == np.float32
    np.testing.assert_allclose(got.coef, expected.coef, rtol=1e-5)


@pytest.mark.parametrize("method", ["minibatch", "sgd"])
def test_local_sgd_trains_within_two_percent_of_in_memory(client, method):
    # chunks of 5,000 rows: each chunk's epoch gets near the optimum on its own, as the
    # 100,000-row chunks of W8 do; smaller chunks average models that are further from it
    X, y = regression(n=20_000)
    eta0 = {"minibatch": 0.02, "sgd": 0.002}[method]
    params = dict(method=method, max_iter=5, tol=None, eta0=eta0, random_state=0)
    in_memory = gdfast.fit(X, y, **params)
    Xd = da.from_array(X, chunks=(5000, 6))
    first = gdfast.dask.fit(Xd, y, **params)
    again = gdfast.dask.fit(Xd, y, **params)
    np.testing.assert_array_equal(first.coef, again.coef)  # same seed and chunking

    def training_loss(res):
        return float(np.mean((X @ res.coef + res.intercept - y) ** 2) / 2)

    assert training_loss(first) <= 1.02 * training_loss(in_memory)
    assert first.n_epochs == 5 and first.stop_reason == "max_iter"


def test_a_killed_worker_costs_a_recomputation_not_the_fit(client):
    X, y = regression()
    Xd = da.from_array(X, chunks=(500, 6))
    params = dict(method="batch", max_iter=12, tol=None, eta0=0.2)
    clean = gdfast.dask.fit(Xd, y, **params)
    pids = client.run(os.getpid)
    killed = []

    def kill_one(info):
        if info.epoch == 4 and not killed:
            pid = next(iter(pids.values()))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    faulty = gdfast.dask.fit(Xd, y, callback=kill_one, **params)
    assert killed
    np.testing.assert_allclose(faulty.coef, clean.coef, rtol=1e-10)
    np.testing.assert_allclose(faulty.intercept, clean.intercept, rtol=1e-10)
    assert faulty.n_epochs == 12


def test_errors_name_the_argument_and_the_problem():
    X, y = regression(n=100)
    Xd = da.from_array(X, chunks=(50, 6))
    with pytest.raises(TypeError, match="X: expected a dask array"):
        gdfast.dask.fit(X, y)
    with pytest.raises(ValueError, match="y: its row chunks"):
        gdfast.dask.fit(Xd, da.from_array(y, chunks=30))
    with pytest.raises(ValueError, match="sample_weight: expected shape"):
        gdfast.dask.fit(Xd, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="X: a chunk is not numeric"):
        gdfast.dask.fit(da.from_array(X.astype(str), chunks=(50, 6)), y)
    with pytest.raises(ValueError, match="y: a regression target must be numeric"):
        gdfast.dask.fit(Xd, da.from_array(y.astype(str), chunks=50))
    with pytest.raises(ValueError, match="y: a classifier needs at least two classes"):
        gdfast.dask.fit(Xd, np.zeros(100), loss="log_loss")
    bad = X.copy()
    bad[70, 2] = np.nan
    with pytest.raises(ValueError, match="X: contains NaN"):
        gdfast.dask.fit(da.from_array(bad, chunks=(50, 6)), y)
    with pytest.raises(ValueError, match=r"validation_fraction: 0\.001 of 100 samples leaves"):
        gdfast.dask.fit(Xd, y, early_stopping=True, validation_fraction=0.001)
    with pytest.raises(ValueError, match="record_updates: on dask arrays only with method='batch'"):
        gdfast.dask.fit(Xd, y, record_updates=True)
    with pytest.raises(TypeError, match="unknown parameter"):
        gdfast.dask.fit(Xd, y, learning_rat="constant")


def test_columns_split_across_chunks_are_rechunked_into_whole_rows():
    X, y = regression(n=600)
    params = dict(method="batch", max_iter=10, tol=None, eta0=0.1)
    got = gdfast.dask.fit(da.from_array(X, chunks=(200, 2)), y, **params)
    np.testing.assert_allclose(got.coef, gdfast.fit(X, y, **params).coef, rtol=1e-10)


def test_a_chunks_gradient_sum_is_numpys():
    from gdfast import _core

    X, y = regression(n=500)
    rng = np.random.default_rng(2)
    params = rng.normal(size=7)
    sw = rng.uniform(0.5, 2.0, size=500)
    loss_sum, grad = _core.linear_gradient_sum(
        X, y, sw, params, n_outputs=1, fit_intercept=True, loss="squared_error", epsilon=0.1,
        class_weight=None, n_threads=1,
    )  # fmt: skip
    residual = X @ params[:6] + params[6] - y
    np.testing.assert_allclose(loss_sum, np.sum(sw * residual**2) / 2, rtol=1e-12)
    np.testing.assert_allclose(grad[:6], X.T @ (sw * residual), rtol=1e-12)
    np.testing.assert_allclose(grad[6], np.sum(sw * residual), rtol=1e-12)


def test_estimators_train_on_dask_arrays_and_predict_dask_arrays(client):
    from gdfast import GDClassifier, GDRegressor

    X, y = regression()
    Xd = da.from_array(X, chunks=(1000, 6))
    settings = dict(method="batch", eta0=0.1, max_iter=30, tol=None, random_state=0)
    reg = GDRegressor(**settings).fit(Xd, da.from_array(y, chunks=1000))
    expected = GDRegressor(**settings).fit(X, y)
    np.testing.assert_allclose(reg.coef_, expected.coef_, rtol=1e-10)
    assert reg.n_features_in_ == 6 and reg.n_iter_ == 30
    pred = reg.predict(Xd)
    assert isinstance(pred, da.Array) and pred.chunks == ((1000,) * 3,)
    np.testing.assert_allclose(pred.compute(), expected.predict(X), rtol=1e-10)

    labels3 = np.array(["low", "mid", "high"])[np.digitize(y, [-1.0, 1.0])]
    clf = GDClassifier(loss="softmax", **settings).fit(Xd, labels3)
    expected = GDClassifier(loss="softmax", **settings).fit(X, labels3)
    np.testing.assert_array_equal(clf.classes_, expected.classes_)
    np.testing.assert_allclose(clf.coef_, expected.coef_, rtol=1e-10)
    proba = clf.predict_proba(Xd)
    assert isinstance(proba, da.Array) and proba.shape == (3000, 3)
    np.testing.assert_allclose(proba.compute(), expected.predict_proba(X), rtol=1e-10)
    np.testing.assert_array_equal(clf.predict(Xd).compute(), expected.predict(X))
    np.testing.assert_allclose(
        clf.decision_function(Xd).compute(), expected.decision_function(X), rtol=1e-10
    )


def test_partial_fit_on_dask_arrays_carries_on_like_in_memory():
    from gdfast import GDClassifier

    X, y = regression()
    labels2 = (y > 0).astype(int)
    Xd = da.from_array(X, chunks=(750, 6))
    settings = dict(method="batch", eta0=0.5, random_state=0)
    on_dask, in_memory = GDClassifier(**settings), GDClassifier(**settings)
    for _ in range(3):
        on_dask.partial_fit(Xd, labels2, classes=[0, 1])
        in_memory.partial_fit(X, labels2, classes=[0, 1])
    np.testing.assert_allclose(on_dask.coef_, in_memory.coef_, rtol=1e-10)
    assert on_dask.t_ == in_memory.t_
    with pytest.raises(ValueError, match="X has 3 features"):
        on_dask.partial_fit(Xd[:, :3], labels2)


@pytest.mark.parametrize("loss", ["softmax", "log_loss", "squared_error"])
def test_a_network_in_batch_equals_in_memory(loss):
    X, y = regression(n=1200)
    y = labels(y, "softmax") if loss != "squared_error" else y
    params = dict(
        hidden_layer_sizes=(8, 5), activation="tanh", loss=loss, method="batch", eta0=0.1,
        max_iter=15, tol=None, random_state=0, penalty="l2", alpha=1e-3,
    )  # fmt: skip
    expected = gdfast.fit(X, y, **params)
    got = gdfast.dask.fit(da.from_array(X, chunks=(500, 6)), y, **params)
    for ours, theirs in zip(got.coefs + got.intercepts, expected.coefs + expected.intercepts):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(got.loss_history, expected.loss_history, rtol=1e-10)


def test_a_network_trains_by_local_sgd(client):
    X, y = regression(n=6000)
    classes = labels(y, "softmax")
    params = dict(
        hidden_layer_sizes=(16,), loss="softmax", method="minibatch", optimizer="adam",
        eta0=0.01, max_iter=8, tol=None, random_state=0,
    )  # fmt: skip
    in_memory = gdfast.fit(X, classes, **params)
    got = gdfast.dask.fit(da.from_array(X, chunks=(3000, 6)), classes, **params)
    accuracy = np.mean(got.predict(X) == classes)
    assert accuracy >= np.mean(in_memory.predict(X) == classes) - 0.02
    assert got.stop_reason == "max_iter"


@pytest.mark.parametrize(
    "case",
    [
        dict(loss="softmax", class_weight="balanced"),
        dict(loss="log_loss", class_weight={0: 3.0}),  # binary: one output, weights folded in
        dict(loss="hinge", class_weight="balanced"),  # 3 classes: one-vs-rest outputs
    ],
    ids=lambda c: f"{c['loss']}-{c['class_weight']}",
)
def test_class_weight_equals_in_memory(case):
    X, y = regression(n=1500)
    y = (y > 0.8).astype(int) if case["loss"] == "log_loss" else np.digitize(y, [-1.5, 1.0])
    sw = np.random.default_rng(4).uniform(0.5, 2.0, size=len(y))
    params = dict(method="batch", max_iter=25, tol=None, eta0=0.3, **case)
    expected = gdfast.fit(X, y, sample_weight=sw, **params)
    got = gdfast.dask.fit(da.from_array(X, chunks=(400, 6)), y, sample_weight=sw, **params)
    np.testing.assert_allclose(got.coef, expected.coef, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(got.intercept, expected.intercept, rtol=1e-10, atol=1e-13)
    unweighted = gdfast.fit(X, y, sample_weight=sw, **dict(params, class_weight=None))
    assert not np.allclose(got.coef, unweighted.coef, rtol=1e-3)  # the weights took part


def test_a_network_takes_a_2d_y_on_dask_arrays():
    # multi-output regression and multilabel targets: one output per column
    X, y = regression(n=900)
    targets = {
        "squared_error": np.column_stack([y, X[:, 0] - y]),
        "log_loss": np.column_stack([y > 0, X[:, 1] > 0, y < -1]).astype(int),
    }
    for loss, Y in targets.items():
        params = dict(
            hidden_layer_sizes=(6,), loss=loss, method="batch", eta0=0.2, max_iter=10,
            tol=None, random_state=0,
        )  # fmt: skip
        expected = gdfast.fit(X, Y, **params)
        Yd = da.from_array(Y, chunks=(300, 1))  # its columns are joined into one chunk
        got = gdfast.dask.fit(da.from_array(X, chunks=(300, 6)), Yd, **params)
        for ours, theirs in zip(got.coefs + got.intercepts, expected.coefs + expected.intercepts):
            np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)
    bad = targets["log_loss"] * 2
    with pytest.raises(ValueError, match="y: a 2-D classification y is a 0/1 label indicator"):
        gdfast.dask.fit(da.from_array(X, chunks=(300, 6)), bad, **params)


def mlp_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y = regression(n=n, seed=seed)
    return X, y, np.array(["a", "b", "c"])[np.digitize(y, [-1.0, 1.0])]


def test_mlp_estimators_with_lbfgs_equal_in_memory_and_predict_dask_arrays(client):
    from sklearn.exceptions import ConvergenceWarning

    from gdfast import GDMLPClassifier, GDMLPRegressor

    X, y, labels3 = mlp_data(1500)
    Xd = da.from_array(X, chunks=(500, 6))
    sw = np.random.default_rng(5).uniform(0.5, 2.0, size=len(y))
    # 20 iterations: L-BFGS-B amplifies the last bits of a sum's rounding over many
    settings = dict(hidden_layer_sizes=(7,), solver="lbfgs", max_iter=20, random_state=0)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        clf = GDMLPClassifier(**settings).fit(Xd, da.from_array(labels3, chunks=500), sw)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        expected = GDMLPClassifier(**settings).fit(X, labels3, sw)
    for ours, theirs in zip(clf.coefs_ + clf.intercepts_, expected.coefs_ + expected.intercepts_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)
    assert clf.n_iter_ == expected.n_iter_ and clf.n_features_in_ == 6
    np.testing.assert_array_equal(clf.classes_, expected.classes_)
    pred, proba, log_proba = clf.predict(Xd), clf.predict_proba(Xd), clf.predict_log_proba(Xd)
    assert all(isinstance(a, da.Array) for a in (pred, proba, log_proba))
    np.testing.assert_array_equal(pred.compute(), expected.predict(X))
    np.testing.assert_allclose(proba.compute(), expected.predict_proba(X), rtol=1e-6)
    np.testing.assert_allclose(log_proba.compute(), expected.predict_log_proba(X), rtol=1e-6)

    Y = np.column_stack([y, X[:, 0] * y])
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        reg = GDMLPRegressor(**settings).fit(Xd, Y)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        expected_reg = GDMLPRegressor(**settings).fit(X, Y)
    np.testing.assert_allclose(reg.coefs_[0], expected_reg.coefs_[0], rtol=1e-8, atol=1e-10)
    out = reg.predict(Xd)
    assert isinstance(out, da.Array) and out.shape == (1500, 2)
    np.testing.assert_allclose(out.compute(), expected_reg.predict(X), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_mlp_estimators_train_by_local_sgd_as_well_as_in_memory(client, solver):
    # chunks of 5,000 rows, batches of 200: 25 updates a chunk an epoch, as a real
    # cluster's chunks give many; averaging a few updates' models would lag behind
    from sklearn.exceptions import ConvergenceWarning

    from gdfast import GDMLPClassifier, GDMLPRegressor

    X, y, labels3 = mlp_data(10_000)
    Xd = da.from_array(X, chunks=(5000, 6))
    rate = {"sgd": 0.1, "adam": 0.01}[solver]
    settings = dict(
        hidden_layer_sizes=(16,), solver=solver, learning_rate_init=rate, max_iter=15,
        random_state=0, n_iter_no_change=100,
    )  # fmt: skip
    with pytest.warns(ConvergenceWarning):
        clf = GDMLPClassifier(**settings).fit(Xd, labels3)
    with pytest.warns(ConvergenceWarning):
        in_memory = GDMLPClassifier(**settings).fit(X, labels3)
    assert clf.n_iter_ == 15 and len(clf.loss_curve_) == 15
    assert clf.score(X, labels3) >= in_memory.score(X, labels3) - 0.01
    with pytest.warns(ConvergenceWarning):
        reg = GDMLPRegressor(**settings).fit(Xd, da.from_array(y, chunks=5000))
    with pytest.warns(ConvergenceWarning):
        reg_in_memory = GDMLPRegressor(**settings).fit(X, y)
    assert reg.score(X, y) >= reg_in_memory.score(X, y) - 0.001
    again = GDMLPRegressor(**settings)
    for _ in range(2):
        again.partial_fit(Xd, y)
    assert again.t_ == 2 * 10_000 and len(again.loss_curve_) == 2
    assert again.loss_curve_[1] < again.loss_curve_[0]


def held_out_rows(labels: np.ndarray, bounds, random_state: int, fraction: float) -> np.ndarray:
    """The rows early stopping holds out on dask arrays, drawn as the docs say: in each
    chunk k, ``fraction`` of each class's rows by ``default_rng([seed, k])``, where the
    seed is the first draw of ``default_rng(random_state)``."""
    seed = int(np.random.default_rng(random_state).integers(2**63))
    held = []
    for k, (lo, hi) in enumerate(bounds):
        rng = np.random.default_rng([seed, k])
        chunk = labels[lo:hi]
        for c in np.unique(chunk):
            group = np.flatnonzero(chunk == c)
            held.append(lo + rng.permutation(group)[: round(fraction * len(group))])
    return np.sort(np.concatenate(held))


@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
def test_early_stopping_holds_out_rows_on_the_workers_and_scores_them(loss):
    from sklearn.metrics import accuracy_score, r2_score

    X, y = regression(n=3000)
    classifier = loss == "log_loss"
    if classifier:
        y = (y > 0.5).astype(int)
    bounds = [(0, 1000), (1000, 2000), (2000, 3000)]
    # a regression target is one group; a classifier's split is stratified per class
    labels = y if classifier else np.zeros(len(y))
    held = held_out_rows(labels, bounds, random_state=7, fraction=0.2)
    train = np.setdiff1d(np.arange(len(y)), held)
    sw = np.random.default_rng(3).uniform(0.5, 2.0, size=len(y))
    params = dict(loss=loss, method="batch", eta0=0.3, max_iter=8, tol=None, random_state=7)
    got = gdfast.dask.fit(
        da.from_array(X, chunks=(1000, 6)), y, sample_weight=sw, early_stopping=True,
        validation_fraction=0.2, **params,
    )  # fmt: skip
    expected = gdfast.fit(X[train], y[train], sample_weight=sw[train], **params)
    np.testing.assert_allclose(got.coef, expected.coef, rtol=1e-10)
    np.testing.assert_allclose(got.intercept, expected.intercept, rtol=1e-10)
    # the held-out rows' score, weighted by their sample weights as in memory
    predicted, w = got.predict(X[held]), sw[held]
    score = (
        accuracy_score(y[held], predicted, sample_weight=w)
        if classifier
        else r2_score(y[held], predicted, sample_weight=w)
    )
    assert got.validation_history[-1] == pytest.approx(score, rel=1e-10)
    assert len(got.validation_history) == 8


def test_early_stopping_stops_estimators_on_dask_arrays(client):
    from gdfast import GDMLPRegressor, GDRegressor

    X, y = regression(n=4000)
    Xd = da.from_array(X, chunks=(2000, 6))
    reg = GDRegressor(method="batch", eta0=0.2, early_stopping=True, random_state=0).fit(Xd, y)
    assert reg.n_iter_ < reg.max_iter  # stopped once the held-out R^2 no longer improved
    assert reg.score(X, y) > 0.99
    net = GDMLPRegressor(
        (8,), early_stopping=True, random_state=0, learning_rate_init=0.01, max_iter=200
    ).fit(Xd, y)
    assert net.n_iter_ < 200 and len(net.validation_scores_) == net.n_iter_
    assert net.best_validation_score_ == max(net.validation_scores_) > 0.95
