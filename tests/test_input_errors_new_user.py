"""Inputs a new user gets wrong are refused with a message that names the problem
(issue 15): a continuous target with a classification loss, and X of three dimensions."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import gdfast


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
