"""gdfast.sweep: one fit per learning rate, in threads, equal to the fits one by one."""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest

import gdfast

from .conftest import make_classification, make_regression

RATES = [0.1, 0.01, 0.001, 0.0001]


@pytest.fixture(scope="module")
def data():
    return make_regression(n=2000, d=8)


@pytest.mark.parametrize("method", ["minibatch", "sgd", "batch"])
def test_parallel_sweep_equals_sequential_fits_bit_for_bit(data, method):
    X, y = data
    params = dict(method=method, max_iter=20, random_state=0)
    sweep = gdfast.sweep(X, y, eta0=RATES, n_jobs=2, **params)
    assert list(sweep.results) == RATES
    for eta, res in sweep.results.items():
        alone = gdfast.fit(X, y, eta0=eta, **params)
        np.testing.assert_array_equal(res.coef, alone.coef)
        assert res.intercept == alone.intercept
        np.testing.assert_array_equal(res.loss_history, alone.loss_history)
        assert res.stop_reason == alone.stop_reason
        assert res.params["n_threads"] == 1  # one thread per fit when the fits run at once


def test_one_job_runs_them_in_turn_with_the_default_threads(data):
    X, y = data
    sweep = gdfast.sweep(X, y, eta0=[0.01, 0.001], n_jobs=1, max_iter=3, random_state=0)
    assert all(r.params["n_threads"] == gdfast.get_num_threads() for r in sweep.results.values())


def test_best_is_the_lowest_final_loss_that_did_not_diverge(data):
    X, y = data
    with pytest.warns(RuntimeWarning) as caught:
        sweep = gdfast.sweep(X, y, eta0=[10.0, *RATES], method="sgd", max_iter=10, random_state=0)
    # one summary warning, not one per diverged fit
    assert len(caught) == 1 and "eta0=10" in str(caught[0].message)
    assert sweep.diverged == (10.0,)
    assert sweep.results[10.0].stop_reason == "diverged"  # kept
    finals = {eta: r.loss_history[-1] for eta, r in sweep.results.items() if eta != 10.0}
    assert sweep.best_eta0 == min(finals, key=finals.get)
    assert sweep.best is sweep.results[sweep.best_eta0]
    assert repr(sweep).startswith("SweepResult(eta0=[10.0, 0.1")


def test_when_every_fit_diverges_best_is_none(data):
    X, y = data
    with pytest.warns(RuntimeWarning, match="every fit diverged"):
        sweep = gdfast.sweep(X, y, eta0=[50.0, 20.0], method="sgd", max_iter=5)
    assert sweep.best is None and sweep.best_eta0 is None
    assert "every fit diverged" in sweep.table()


def test_no_warning_when_nothing_diverges(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gdfast.sweep(X, y, eta0=[0.01, 0.001], max_iter=3, random_state=0)


def test_table_has_a_row_per_rate_and_marks_the_best(data):
    X, y = data
    sweep = gdfast.sweep(X, y, eta0=RATES, method="sgd", max_iter=5, random_state=0)
    lines = sweep.table().splitlines()
    assert lines[0] == "gdfast.sweep: sgd, squared_error, 4 learning rates"
    assert lines[1].split() == [
        "eta0", "epochs", "updates", "final", "loss", "stop_reason", "time", "(ms)"
    ]  # fmt: skip
    rows = lines[2:6]
    assert [float(row[1:].split()[0]) for row in rows] == RATES
    best = [row for row in rows if row.startswith("*")]
    assert len(best) == 1 and float(best[0][1:].split()[0]) == sweep.best_eta0
    row = rows[RATES.index(0.01)][1:].split()
    res = sweep.results[0.01]
    assert int(row[1]) == res.n_epochs and float(row[3]) == pytest.approx(
        res.loss_history[-1], rel=1e-2
    )


def test_every_rate_sees_the_same_permutations(data):
    X, y = data
    rng = np.random.default_rng(5)
    sweep = gdfast.sweep(X, y, eta0=[0.01, 0.001], method="sgd", max_iter=2, random_state=rng)
    seeds = {res.params["random_state"] for res in sweep.results.values()}
    assert len(seeds) == 1
    again = gdfast.sweep(
        X, y, eta0=[0.01, 0.001], method="sgd", max_iter=2, random_state=np.random.default_rng(5)
    )
    np.testing.assert_array_equal(again.results[0.01].coef, sweep.results[0.01].coef)


def test_classifier_and_sparse_input():
    sparse = pytest.importorskip("scipy.sparse")
    X, y = make_classification(n=400)
    sweep = gdfast.sweep(
        sparse.csr_matrix(X), y, eta0=[0.1, 0.01], loss="log_loss", method="sgd", max_iter=5
    )
    assert sweep.best is not None and list(sweep.best.classes) == [0, 1]


NETWORK = dict(
    loss="softmax", hidden_layer_sizes=(16,), activation="relu", method="minibatch",
    batch_size=32, max_iter=8, random_state=0,
)  # fmt: skip


@pytest.fixture(scope="module")
def network_sweep():
    X, y = make_classification(n=600, d=6, n_classes=3)
    with pytest.warns(RuntimeWarning) as caught:  # eta0=1000 blows the network up
        sweep = gdfast.sweep(X, y, eta0=[1000.0, 0.3, 0.03, 0.003], n_jobs=2, **NETWORK)
    assert len(caught) == 1 and "eta0=1000" in str(caught[0].message)
    return X, y, sweep


def test_network_sweep_equals_separate_fits_with_the_same_seed(network_sweep):
    X, y, sweep = network_sweep
    for eta, res in sweep.results.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            alone = gdfast.fit(X, y, eta0=eta, **NETWORK)
        assert len(caught) == (eta == 1000.0)  # the diverged fit warns alone, not in the sweep
        np.testing.assert_array_equal(res.loss_history, alone.loss_history)
        for a, b in zip([*res.coefs, *res.intercepts], [*alone.coefs, *alone.intercepts]):
            np.testing.assert_array_equal(a, b)
        assert res.stop_reason == alone.stop_reason and res.n_epochs == alone.n_epochs
        assert res.coef is not None and res.params["n_threads"] == 1
    assert sweep.diverged == (1000.0,)
    assert all(np.isfinite(W).all() for W in sweep.results[1000.0].coefs)
    best = sweep.best
    assert best is not None and sweep.best_eta0 in (0.3, 0.03)
    assert np.mean(best.predict(X) == y) > 0.9


def test_network_sweep_table_names_the_network(network_sweep):
    _, _, sweep = network_sweep
    lines = sweep.table().splitlines()
    assert lines[0] == "gdfast.sweep: minibatch, softmax, network (16,) relu, 4 learning rates"
    rows = {float(line[1:].split()[0]): line[1:].split() for line in lines[2:6]}
    assert rows[1000.0][3] == "-" and rows[1000.0][4] == "diverged"
    for eta in (0.3, 0.03, 0.003):
        res = sweep.results[eta]
        assert int(rows[eta][1]) == res.n_epochs
        assert float(rows[eta][3]) == pytest.approx(res.loss_history[-1], rel=1e-3)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(eta0=[]), ValueError, "at least one"),
        (dict(eta0=[0.1, -1.0]), ValueError, "eta0: must be > 0"),
        (dict(eta0=[0.1, 0.1]), ValueError, "must differ"),
        (dict(eta0=["fast"]), TypeError, "eta0"),
        (dict(learning_rat="constant"), TypeError, "learning_rat"),
        (dict(loss="nope"), ValueError, "loss"),
        (dict(n_jobs=0), ValueError, "n_jobs"),
    ],
)
def test_bad_arguments_fail_before_any_fit(data, kwargs, error, message):
    X, y = data
    with pytest.raises(error, match=message):
        gdfast.sweep(X, y, **kwargs)


def test_a_single_rate_is_a_sweep_of_one(data):
    X, y = data
    sweep = gdfast.sweep(X, y, eta0=0.01, max_iter=2)
    assert list(sweep.results) == [0.01] and sweep.best_eta0 == 0.01


def test_verbose_runs_the_fits_in_turn(data, capsys):
    X, y = data
    gdfast.sweep(X, y, eta0=[0.01, 0.001], max_iter=2, tol=None, verbose=1)
    out = capsys.readouterr().out
    # in turn: the first fit's two epochs, then the second's
    assert [line for line in out.splitlines() if line.startswith("--")] == [
        "-- Epoch 1", "-- Epoch 2", "-- Epoch 1", "-- Epoch 2"
    ]  # fmt: skip


@pytest.mark.skipif(importlib.util.find_spec("tqdm") is None, reason="needs tqdm")
def test_progress_is_one_bar_over_the_fits(data, capsys):
    X, y = data
    gdfast.sweep(X, y, eta0=RATES, max_iter=2, progress=True)
    err = capsys.readouterr().err
    assert "4/4" in err and "fit" in err and "epoch" not in err


@pytest.fixture
def agg():
    """matplotlib on the Agg backend, every figure closed after the test."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


@pytest.mark.usefixtures("agg")
class TestPlot:
    def test_all_curves_overlaid_best_and_diverged_marked(self, data):
        X, y = data
        with pytest.warns(RuntimeWarning):
            sweep = gdfast.sweep(
                X, y, eta0=[5.0, 0.1, 0.01], method="batch", max_iter=300, tol=None
            )
        assert sweep.diverged == (5.0,) and sweep.results[5.0].n_epochs > 0
        ax = sweep.plot()
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend == ["eta0=5 (diverged)", "eta0=0.1 (best)", "eta0=0.01"]
        marks = [line for line in ax.get_lines() if line.get_marker() == "x"]
        assert len(marks) == 1 and marks[0].get_xdata()[0] == sweep.results[5.0].n_epochs
        assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"
        assert ax.get_ylabel().startswith("training loss") and "batch" in ax.get_title()

    def test_per_update_draws_the_moving_averages(self, data):
        X, y = data
        sweep = gdfast.sweep(
            X, y, eta0=[0.01, 0.001], method="sgd", max_iter=2, tol=None, record_updates=True
        )
        ax = sweep.plot(x="update", logy=False)
        assert len(ax.get_lines()) == 2  # one smoothed curve per rate, no raw noise
        assert len(ax.get_lines()[0].get_ydata()) == 4000 - 100 + 1  # window 100: 4,000 updates
        assert ax.get_xlabel() == "update" and ax.get_yscale() == "linear"

    def test_network_sweep_plots_its_curves(self, network_sweep):
        _, _, sweep = network_sweep
        ax = sweep.plot()
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend[0] == "eta0=1000 (diverged)" and len(legend) == 4
        assert "network (16,) relu" in ax.get_title()

    def test_against_time(self, data):
        X, y = data
        sweep = gdfast.sweep(X, y, eta0=[0.01, 0.001], max_iter=3, tol=None)
        ax = sweep.plot(x="time")
        np.testing.assert_array_equal(
            ax.get_lines()[0].get_xdata(), sweep.results[0.01].epoch_times
        )


def standardized_diabetes():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_diabetes(return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def hand_batch_losses(X, y, eta0, n_epochs):
    """Full-batch descent on the mean squared error, by hand: the loss at the
    weights each epoch begins with (what gdfast records for method="batch")."""
    Xb = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(Xb.shape[1])
    losses = []
    for _ in range(n_epochs):
        residual = Xb @ w - y
        losses.append(0.5 * np.mean(residual**2))
        w -= eta0 * Xb.T @ residual / len(y)
    return np.array(losses)


def table_row(sweep, eta0):
    rows = sweep.table().splitlines()[2 : 2 + len(sweep.results)]
    (row,) = [r[1:].split() for r in rows if float(r[1:].split()[0]) == eta0]
    return row


@pytest.mark.usefixtures("agg")
class TestDivergedRuns:
    """Issue 15: a diverged fit's curve is drawn to its last finite epoch and ends in
    an 'x'; its table row says how many epochs it ran and that it diverged."""

    def test_batch_at_eta0_10_on_standardized_data(self):
        X, y = standardized_diabetes()
        with pytest.warns(RuntimeWarning, match="eta0=10"):
            sweep = gdfast.sweep(X, y, eta0=[10.0, 0.1], method="batch", max_iter=50, tol=None)
        # by hand: the epoch whose loss first exceeds 10,000 times the first epoch's
        # diverges; the epochs before it are kept
        hand = hand_batch_losses(X, y, 10.0, 10)
        diverging = int(np.argmax(hand > 1e4 * hand[0])) + 1
        assert diverging == 3  # 1.45e4, 2.41e6, 2.25e9 (> 1.45e8)
        kept = hand[: diverging - 1]

        epochs, updates, final, stop_reason = table_row(sweep, 10.0)[1:5]
        assert (int(epochs), int(updates)) == (diverging, diverging - 1)
        assert (final, stop_reason) == ("-", "diverged")
        assert sweep.table().splitlines()[-1].startswith("diverged: the epochs include")

        ax = sweep.plot()
        curve, mark = ax.get_lines()[:2]  # eta0=10 is drawn first: its curve, then its 'x'
        assert curve.get_label() == "eta0=10 (diverged)"
        np.testing.assert_array_equal(curve.get_xdata(), np.arange(1, diverging))
        np.testing.assert_allclose(curve.get_ydata(), kept, rtol=1e-9)
        assert mark.get_marker() == "x" and mark.get_color() == curve.get_color()
        assert list(mark.get_xdata()) == [diverging - 1]
        assert mark.get_ydata()[0] == pytest.approx(kept[-1], rel=1e-9)
        assert mark.get_transform() == ax.transData  # on the curve, not on the edge

    def test_a_rate_that_diverges_in_its_first_epoch(self, data):
        X, y = data
        with pytest.warns(RuntimeWarning, match="eta0=10"):
            sweep = gdfast.sweep(
                X, y, eta0=[10.0, 0.01], method="sgd", max_iter=2, tol=None,
                record_updates=True, random_state=0,
            )  # fmt: skip
        res = sweep.results[10.0]
        assert res.stop_reason == "diverged" and res.n_epochs == 0  # epoch 1 not finite
        assert table_row(sweep, 10.0)[1:5] == ["1", "0", "-", "diverged"]

        for x in ("epoch", "update"):
            ax = sweep.plot(x=x)
            first, *others = ax.get_lines()
            # no finite loss: only its 'x', on the top edge at epoch (update) 1, in the legend
            assert first.get_marker() == "x" and first.get_label() == "eta0=10 (diverged)"
            assert list(first.get_xdata()) == [1] and list(first.get_ydata()) == [1.0]
            assert first.get_transform() == ax.get_xaxis_transform()
            legend = [t.get_text() for t in ax.get_legend().get_texts()]
            assert legend == ["eta0=10 (diverged)", "eta0=0.01 (best)"]
            assert [line.get_label() for line in others] == ["eta0=0.01 (best)"]
        # per update, the window suits the 4,000 updates of the fit that ran (100),
        # not the diverged fit's none
        assert len(others[0].get_ydata()) == 4000 - 100 + 1

    def test_per_update_without_recorded_updates_is_an_error(self, data):
        X, y = data
        sweep = gdfast.sweep(X, y, eta0=[0.01, 0.001], max_iter=2, random_state=0)
        with pytest.raises(ValueError, match="record_updates=True"):
            sweep.plot(x="update")
