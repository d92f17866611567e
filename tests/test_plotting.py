"""FitResult.plot, headless (Agg): the lines, their data and the labels are there."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import gdfast

from .conftest import make_regression

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def sgd_result():
    X, y = make_regression(n=500)
    return gdfast.fit(
        X, y, method="sgd", eta0=0.01, max_iter=4, tol=None, record_updates=True, random_state=0
    )


def labels(ax):
    return [line.get_label() for line in ax.get_lines()]


def test_per_epoch_curve_with_labels(sgd_result):
    ax = sgd_result.plot()
    assert isinstance(ax, matplotlib.axes.Axes)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(line.get_ydata(), sgd_result.loss_history)
    assert ax.get_xlabel() == "epoch"
    assert ax.get_ylabel() == "training loss: squared_error (mean per sample)"
    assert "sgd, eta0=0.01" in ax.get_title() and ax.get_yscale() == "linear"


def test_against_time_in_seconds_on_a_log_axis(sgd_result):
    ax = sgd_result.plot(x="time", logy=True)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), sgd_result.epoch_times)
    assert ax.get_xlabel() == "time (s)" and ax.get_yscale() == "log"


def test_per_update_with_the_moving_average(sgd_result):
    ax = sgd_result.plot(x="update", window=100)
    raw, mean = ax.get_lines()
    assert labels(ax) == ["per update", "mean of the last 100 updates"]
    assert ax.get_xlabel() == "update"
    np.testing.assert_array_equal(raw.get_ydata(), sgd_result.update_losses)
    np.testing.assert_allclose(mean.get_ydata(), sgd_result.moving_average(100))
    assert mean.get_xdata()[0] == 100 and mean.get_xdata()[-1] == sgd_result.n_updates
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels(ax)


def test_per_update_window_defaults_to_the_classic_ones(sgd_result):
    # 2,000 updates: the largest of 1,000 / 100 / 10 that is at most a tenth of them
    assert labels(sgd_result.plot(x="update"))[1] == "mean of the last 100 updates"


def test_window_per_epoch(sgd_result):
    ax = sgd_result.plot(window=2)
    assert labels(ax) == ["per epoch", "mean of the last 2 epochs"]
    np.testing.assert_allclose(
        ax.get_lines()[1].get_ydata(), np.convolve(sgd_result.loss_history, [0.5, 0.5], "valid")
    )


def test_draws_into_given_axes_to_overlay_fits(sgd_result):
    X, y = make_regression(n=500)
    other = gdfast.fit(X, y, method="batch", eta0=0.1, max_iter=4, tol=None)
    _, ax = plt.subplots()
    assert sgd_result.plot(ax=ax) is ax
    other.plot(ax=ax, label="full batch")
    assert labels(ax) == ["sgd, eta0=0.01", "full batch"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels(ax)


def test_a_diverged_fit_is_marked():
    X, y = make_regression(n=200)
    with pytest.warns(RuntimeWarning, match="diverged"):
        res = gdfast.fit(X, y, method="batch", eta0=10.0, max_iter=1000, tol=None)
    assert res.stop_reason == "diverged" and res.n_epochs > 0
    ax = res.plot(logy=True)
    curve, mark = ax.get_lines()
    assert curve.get_label().endswith("(diverged)")
    assert mark.get_marker() == "x" and mark.get_xdata()[0] == res.n_epochs
    assert mark.get_ydata()[0] == res.loss_history[-1]


def test_minimize_results_plot_too():
    res = gdfast.minimize(lambda w, _, __: (float(w @ w), 2 * w), [3.0, -4.0], max_iter=20)
    ax = res.plot(logy=True)
    assert ax.get_ylabel() == "training loss (mean per sample)"
    assert ax.get_title().startswith("gdfast.minimize")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(x="epochs"), "x: expected one of"),
        (dict(window=0), "window"),
        (dict(window=2.5), "window"),
    ],
)
def test_bad_arguments(sgd_result, kwargs, message):
    with pytest.raises(ValueError, match=message):
        sgd_result.plot(**kwargs)


def test_per_update_needs_record_updates():
    X, y = make_regression(n=100)
    res = gdfast.fit(X, y, max_iter=2)
    with pytest.raises(ValueError, match="record_updates=True"):
        res.plot(x="update")


def test_missing_matplotlib_says_how_to_install_it(monkeypatch, sgd_result):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    with pytest.raises(ImportError, match=r'pip install "gdfast\[plot\]"'):
        sgd_result.plot()


def test_no_warnings_on_a_normal_plot(sgd_result):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sgd_result.plot(x="update", logy=True).figure.canvas.draw()


def test_per_update_label_names_both_series(sgd_result):
    # issue 15: label= was ignored for x="update"
    ax = sgd_result.plot(x="update", window=100, label="plain sgd")
    assert labels(ax) == ["plain sgd: per update", "plain sgd: mean of the last 100 updates"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels(ax)
    assert "plain sgd" in ax.get_title()


def test_per_update_label_overlays_two_fits(sgd_result):
    X, y = make_regression(n=500)
    adam = gdfast.fit(
        X, y, method="sgd", optimizer="adam", eta0=0.01, max_iter=4, tol=None,
        record_updates=True, random_state=0,
    )  # fmt: skip
    _, ax = plt.subplots()
    sgd_result.plot(ax=ax, x="update", window=1, label="sgd")  # window 1: the raw losses only
    adam.plot(ax=ax, x="update", window=1, label="adam")
    assert labels(ax) == ["sgd", "adam"]
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), adam.update_losses)


def test_a_fit_diverged_in_its_first_epoch_has_its_x_on_the_top_edge():
    X, y = make_regression(n=200)
    with pytest.warns(RuntimeWarning, match="diverged"):  # max_iter=1: it ran one epoch
        res = gdfast.fit(X, y, method="sgd", eta0=10.0, max_iter=1, record_updates=True)
    assert res.stop_reason == "diverged" and res.n_epochs == 0  # nothing finite to draw
    for x, at in [("epoch", 1), ("update", 1), ("time", res.elapsed)]:
        ax = res.plot(x=x, logy=True)
        (mark,) = ax.get_lines()
        assert mark.get_marker() == "x" and mark.get_label() == "sgd, eta0=10 (diverged)"
        assert list(mark.get_xdata()) == [at] and list(mark.get_ydata()) == [1.0]
        # y in axes units: 1.0 is the top edge, whatever the loss axis shows
        assert mark.get_transform() == ax.get_xaxis_transform()
        assert ax.get_title().endswith("(diverged in epoch 1)")
        assert "no finite loss" in " ".join(t.get_text() for t in ax.texts)
        ax.figure.canvas.draw()
