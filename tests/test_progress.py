"""progress=True (a tqdm bar on stderr) and verbose (scikit-learn's per-epoch lines)."""

from __future__ import annotations

import importlib.util
import re
import sys

import numpy as np
import pytest

import gdfast

from .conftest import make_regression

needs_tqdm = pytest.mark.skipif(
    importlib.util.find_spec("tqdm") is None, reason='needs tqdm: pip install "gdfast[progress]"'
)

NORM_LINE = re.compile(
    r"^Norm: \d+\.\d\d, NNZs: \d+, Bias: -?\d+\.\d{6}, T: \d+, Avg\. loss: \d+\.\d{6}$"
)


def fit_quietly(**params):
    X, y = make_regression(n=300)
    return gdfast.fit(X, y, random_state=0, **params)


@needs_tqdm
def test_progress_bar_ticks_once_per_epoch_with_loss_and_eta(capsys):
    res = fit_quietly(progress=True, eta0=0.05)
    err = capsys.readouterr().err
    assert f"{res.n_epochs}/1000" in err  # one tick per epoch, out of max_iter
    assert f"loss={res.loss_history[-1]:.6g}" in err
    assert "eta=0.05" in err and f"stop={res.stop_reason}" in err


@needs_tqdm
def test_progress_and_verbose_change_nothing_in_the_fit(capsys):
    plain = fit_quietly(method="sgd", eta0=0.01)
    shown = fit_quietly(method="sgd", eta0=0.01, progress=True, verbose=1)
    capsys.readouterr()
    np.testing.assert_array_equal(plain.coef, shown.coef)
    np.testing.assert_array_equal(plain.loss_history, shown.loss_history)
    assert (plain.stop_reason, plain.n_updates) == (shown.stop_reason, shown.n_updates)


@needs_tqdm
def test_a_callback_still_stops_with_stop_reason_callback(capsys):
    res = fit_quietly(progress=True, verbose=1, callback=lambda info: info.epoch == 3)
    out = capsys.readouterr()
    assert (res.stop_reason, res.n_epochs) == ("callback", 3)
    assert "stop=callback" in out.err
    assert "Stopped (callback) after 3 epochs" in out.out


def test_verbose_prints_scikit_learns_lines_per_epoch(capsys):
    res = fit_quietly(verbose=1, eta0=0.05)
    lines = capsys.readouterr().out.splitlines()
    epochs = [line for line in lines if line.startswith("-- Epoch ")]
    assert epochs == [f"-- Epoch {k}" for k in range(1, res.n_epochs + 1)]
    norms = [line for line in lines if line.startswith("Norm:")]
    assert len(norms) == res.n_epochs and all(NORM_LINE.match(line) for line in norms)
    assert f"Avg. loss: {res.loss_history[-1]:f}" in norms[-1]
    assert sum(line.startswith("Total training time: ") for line in lines) == res.n_epochs
    assert lines[-1].startswith(f"Convergence after {res.n_epochs} epochs took ")


def test_verbose_lines_equal_sgdregressors(capsys):
    sklearn = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = X @ [1.0, 2.0, 3.0, 4.0] + 0.5
    settings = dict(max_iter=3, tol=None, learning_rate="constant", eta0=0.01, shuffle=False)
    sklearn.SGDRegressor(verbose=1, penalty=None, **settings).fit(X, y)
    theirs = capsys.readouterr().out
    gdfast.fit(X, y, verbose=1, method="sgd", **settings)
    ours = capsys.readouterr().out

    def norm_lines(text):  # scikit-learn >= 1.8 appends ", Objective: ..."
        return [line.split(", Objective")[0] for line in text.splitlines() if "Norm:" in line]

    assert norm_lines(ours) == norm_lines(theirs) and len(norm_lines(ours)) == 3


def test_no_output_by_default(capsys):
    fit_quietly()
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


@needs_tqdm
def test_minimize_takes_progress_and_verbose(capsys):
    X, y = make_regression(n=300, noise=0.0)

    def fun(w, Xb, yb):
        r = Xb @ w - yb
        return 0.5 * np.mean(r**2), Xb.T @ r / len(yb)

    res = gdfast.minimize(
        fun, np.zeros(X.shape[1]), X, y, max_iter=4, tol=None, progress=True, verbose=1
    )
    out = capsys.readouterr()
    assert "4/4" in out.err and "loss=" in out.err
    assert out.out.count("-- Epoch ") == 4 and "Bias: 0.000000" in out.out
    assert res.n_epochs == 4


def test_reference_fit_takes_them_too(capsys):
    X, y = make_regression(n=100)
    gdfast.reference.fit(X, y, max_iter=2, tol=None, verbose=1)
    assert capsys.readouterr().out.count("-- Epoch ") == 2


def test_missing_tqdm_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "gdfast\[progress\]"'):
        fit_quietly(progress=True)
    fit_quietly(progress=False)  # without a bar tqdm is never imported


@pytest.mark.parametrize(
    "params, error",
    [
        (dict(progress="yes"), TypeError),
        (dict(progress=1), TypeError),
        (dict(verbose=-1), ValueError),
        (dict(verbose=1.5), TypeError),
    ],
)
def test_bad_values_name_the_parameter(params, error):
    name = next(iter(params))
    with pytest.raises(error, match=name):
        fit_quietly(**params)


def test_verbose_true_is_one(capsys):
    assert fit_quietly(verbose=True, max_iter=1).params["verbose"] == 1
    assert capsys.readouterr().out.count("-- Epoch ") == 1
