"""FitResult.save / load and to_dict / from_dict: a file round trip predicts as the original."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import gdfast
from gdfast import FitResult
from gdfast._result import save_file

from .conftest import make_classification, make_regression


def _labels(y, kind):
    """Integer classes 0..k-1 as labels of another dtype."""
    if kind == "str":
        return np.array(["cat", "dog", "emu", "fox"])[y]
    if kind == "float":
        return y * 2.0 - 1.0  # integral floats: scikit-learn calls others continuous
    if kind == "bool":
        return y.astype(bool)
    return y


CASES = {
    "regression": ("reg", {}),
    "regression float32": ("reg32", {"method": "sgd", "average": True}),
    "binary log_loss, str labels": ("bin-str", {"loss": "log_loss"}),
    "binary modified_huber, bool labels": ("bin-bool", {"loss": "modified_huber"}),
    "one-vs-rest log_loss, str labels": ("multi-str", {"loss": "log_loss"}),
    "one-vs-rest hinge, float labels": ("multi-float", {"loss": "hinge"}),
    "softmax, int labels": ("multi-int", {"loss": "softmax", "optimizer": "adam"}),
    "softmax float32": ("multi-int32", {"loss": "softmax"}),
    "network classifier, str labels": (
        "multi-str",
        {"loss": "softmax", "hidden_layer_sizes": (8, 4), "activation": "tanh"},
    ),
    "network binary, bool labels": (
        "bin-bool",
        {"loss": "log_loss", "hidden_layer_sizes": (8,), "activation": "logistic"},
    ),
    "network regressor": ("reg", {"hidden_layer_sizes": (8,), "activation": "relu"}),
    "network regressor float32": ("reg32", {"hidden_layer_sizes": (6, 5)}),
}


def _data(kind):
    if kind.startswith("reg"):
        X, y = make_regression(n=150, d=4)
    else:
        X, y = make_classification(n=150, d=4, n_classes=2 if kind.startswith("bin") else 4)
        y = _labels(y, kind.split("-")[1].rstrip("32"))
    return (X.astype(np.float32) if kind.endswith("32") else X), y


@pytest.mark.parametrize("case", CASES)
def test_saved_result_predicts_exactly_as_the_original(tmp_path, case):
    kind, params = CASES[case]
    X, y = _data(kind)
    res = gdfast.fit(X, y, max_iter=20, eta0=0.05, random_state=0, **params)
    path = tmp_path / "model.json"
    res.save(path)
    loaded = FitResult.load(path)

    X_new = np.random.default_rng(1).normal(size=(60, X.shape[1])).astype(X.dtype)
    assert np.array_equal(loaded.predict(X_new), res.predict(X_new))
    assert np.array_equal(loaded.decision_function(X_new), res.decision_function(X_new))
    assert loaded.predict(X_new).dtype == res.predict(X_new).dtype
    if params.get("loss") in ("log_loss", "modified_huber", "softmax"):
        assert np.array_equal(loaded.predict_proba(X_new), res.predict_proba(X_new))
    assert loaded.coef.dtype == res.coef.dtype == X.dtype
    assert type(loaded.intercept) is type(res.intercept)
    if res.classes is not None:
        assert loaded.classes.dtype == res.classes.dtype
        assert np.array_equal(loaded.classes, res.classes)
    if res.coefs is not None:
        assert [W.dtype for W in loaded.coefs] == [W.dtype for W in res.coefs]
        assert all(np.array_equal(a, b) for a, b in zip(loaded.coefs, res.coefs))
        assert all(np.array_equal(a, b) for a, b in zip(loaded.intercepts, res.intercepts))
    for name in ("loss_history", "lr_history", "epoch_times"):
        assert np.array_equal(getattr(loaded, name), getattr(res, name))
    for name in ("n_epochs", "n_updates", "converged", "stop_reason", "elapsed", "multilabel"):
        assert getattr(loaded, name) == getattr(res, name)
    assert loaded.params == res.params  # every parameter of these fits is plain
    assert repr(loaded) == repr(res)


def test_saved_linear_model_predicts_sparse_input_as_the_original(tmp_path):
    X, y = make_classification(n=200, d=6, n_classes=3)
    res = gdfast.fit(X, y, loss="log_loss", max_iter=10, random_state=0)
    res.save(tmp_path / "m.json")
    loaded = FitResult.load(tmp_path / "m.json")
    X_sparse = sp.random(50, 6, density=0.3, format="csr", random_state=0)
    assert np.array_equal(loaded.predict(X_sparse), res.predict(X_sparse))
    assert np.array_equal(loaded.predict_proba(X_sparse), res.predict_proba(X_sparse))
    # and the sparse predictions are the dense ones
    assert np.array_equal(loaded.predict(X_sparse), res.predict(X_sparse.toarray()))


def test_multilabel_network_and_recorded_histories_round_trip(tmp_path):
    X, _ = make_regression(n=120, d=3)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0]).astype(int)
    res = gdfast.fit(X, Y, loss="log_loss", hidden_layer_sizes=(5,), max_iter=5,
                     early_stopping=True, record_updates=True, random_state=0)  # fmt: skip
    res.save(tmp_path / "m.json")
    loaded = FitResult.load(tmp_path / "m.json")
    assert loaded.multilabel and np.array_equal(loaded.predict(X), res.predict(X))
    assert np.array_equal(loaded.predict_proba(X), res.predict_proba(X))
    assert np.array_equal(loaded.validation_history, res.validation_history)
    assert np.array_equal(loaded.update_losses, res.update_losses)
    assert loaded.update_losses.dtype == res.update_losses.dtype


def test_to_dict_is_json_and_from_dict_reads_it_back():
    X, y = make_regression()
    res = gdfast.fit(X.astype(np.float32), y, max_iter=3, random_state=0)
    data = json.loads(json.dumps(res.to_dict()))
    assert (data["format"], data["version"]) == ("gdfast.FitResult", 1)
    assert data["dtypes"]["coef"] == "float32" and data["n_epochs"] == 3
    again = FitResult.from_dict(data)
    assert np.array_equal(again.coef, res.coef) and again.coef.dtype == np.float32
    assert again.intercept == res.intercept and isinstance(again.intercept, np.float32)


def test_params_json_cannot_hold_are_listed_and_come_back_none(tmp_path):
    X, y = make_classification(n=100, d=3)
    seen = []
    res = gdfast.fit(
        X, y, loss="log_loss", hidden_layer_sizes=[4], max_iter=3, eta0=np.float32(0.25),
        class_weight={0: 1.0, 1: 3.0}, callback=seen.append,
        random_state=np.random.default_rng(0), learning_rate=lambda epoch: 0.1,
    )  # fmt: skip
    assert seen  # the callback ran
    res.save(tmp_path / "m.json")
    data = json.loads((tmp_path / "m.json").read_text())
    assert sorted(data["params_not_saved"]) == ["callback", "learning_rate", "random_state"]
    params = FitResult.load(tmp_path / "m.json").params
    assert params["callback"] is None and params["random_state"] is None
    assert params["learning_rate"] is None
    assert params["hidden_layer_sizes"] == (4,)  # a tuple again
    assert params["class_weight"] == {0: 1.0, 1: 3.0}  # keys: the labels, not their text
    assert params["eta0"] == float(np.float32(0.25)) and type(params["eta0"]) is float
    assert set(params) == set(res.params)


def test_class_weight_keys_come_back_as_string_and_bool_labels(tmp_path):
    X, y = make_classification(n=100, d=3)
    for labels, weights in (
        (np.where(y == 1, "spam", "ham"), {"spam": 2.0}),
        (y == 1, {True: 2.0, False: 0.5}),
    ):
        res = gdfast.fit(X, labels, loss="hinge", class_weight=weights, max_iter=2)
        res.save(tmp_path / "m.json")
        assert FitResult.load(tmp_path / "m.json").params["class_weight"] == weights


@pytest.mark.parametrize(
    "content, words",
    [
        ("this is not json", ["not a gdfast model file", "not JSON"]),
        (b"\xff\xfe\x00binary", ["not a gdfast model file", "not JSON"]),
        ("[1, 2, 3]", ["not a gdfast model file", "list"]),
        ('{"coef": [1.0]}', ["no 'format' key", "gdfast.FitResult"]),
        ('{"format": "sklearn.Pipeline", "version": 1}', ["format 'sklearn.Pipeline'"]),
        ('{"format": "gdfast.FitResult", "version": 2}', ["version 2", "reads version 1"]),
        ('{"format": "gdfast.FitResult"}', ["version None", "reads version 1"]),
    ],
)
def test_load_of_another_kind_of_file_names_the_path(tmp_path, content, words):
    path = tmp_path / "model.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(ValueError) as info:
        FitResult.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    for word in words:
        assert word in message, message


def test_load_names_a_missing_or_malformed_field(tmp_path):
    X, y = make_regression()
    data = gdfast.fit(X, y, max_iter=2).to_dict()
    for name, bad, word in (("coef", None, "coef: missing"), ("coef", "abc", "coef: expected")):
        broken = dict(data)
        if bad is None:
            del broken[name]
        else:
            broken[name] = bad
        (tmp_path / "m.json").write_text(json.dumps(broken))
        with pytest.raises(ValueError, match=word):
            FitResult.load(tmp_path / "m.json")
    with pytest.raises(ValueError, match="expected a dict"):
        FitResult.from_dict([1, 2])  # type: ignore[arg-type]


def test_load_missing_file_is_an_oserror(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.json"):
        FitResult.load(tmp_path / "nope.json")


def test_labels_json_cannot_write_are_a_clear_error():
    X, y = make_classification(n=80, d=2)
    res = gdfast.fit(X, np.where(y == 1, b"yes", b"no"), loss="hinge", max_iter=2)
    with pytest.raises(ValueError, match="classes: labels of dtype"):
        res.to_dict()


def test_load_warns_of_a_standardised_model(tmp_path):
    X, y = make_regression()
    res = gdfast.fit(X, y, max_iter=2)
    save_file(res, tmp_path / "m.json", {"standardize": {"mean": [0.0] * 5, "scale": [1.0] * 5}})
    with pytest.warns(UserWarning, match="standardised features"):
        FitResult.load(tmp_path / "m.json")
    save_file(res, tmp_path / "plain.json", {"standardize": None})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        FitResult.load(tmp_path / "plain.json")
    with pytest.raises(ValueError, match="the result's own keys"):
        save_file(res, tmp_path / "x.json", {"coef": 1})
