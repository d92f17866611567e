"""The gdfast command, run as a user runs it: in a subprocess."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gdfast
from gdfast import FitResult
from gdfast.cli import DEMO_DIGITS, demo_network_fits
from gdfast.datasets import load_houses, make_segment_digits

HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(*args: str, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gdfast", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
    )


def assert_one_line_error(out: subprocess.CompletedProcess, *words: str) -> None:
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert out.stderr.startswith("gdfast")
    for word in words:
        assert word in out.stderr, out.stderr


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """``gdfast demo`` run once, as a user runs it, in a directory of its own."""
    cwd = tmp_path_factory.mktemp("demo")
    return run("demo", cwd=cwd), cwd


def test_demo_prints_the_three_methods_near_the_optimum(demo_run):
    out, tmp_path = demo_run
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    optimum = float(next(line for line in lines if line.startswith("optimal loss")).split()[-1])
    # the optimum the demo quotes is the least-squares one on standardised features
    X, y, _ = load_houses()
    Xs = np.column_stack([(X - X.mean(0)) / X.std(0), np.ones(len(y))])
    sol = np.linalg.lstsq(Xs, y - y.mean(), rcond=None)[0]
    assert abs(optimum - 0.5 * np.mean((Xs @ sol - (y - y.mean())) ** 2)) < 1e-3
    for method in ("batch", "minibatch", "sgd"):
        row = next(line for line in lines if line.startswith(method + " "))
        final_loss = float(row.split()[4])
        assert optimum <= final_loss + 1e-3 and final_loss < optimum * 1.05
    if HAS_MATPLOTLIB:
        assert (tmp_path / "gdfast-demo.png").read_bytes()[:8] == PNG_SIGNATURE
        assert lines[-1].startswith("wrote gdfast-demo.png")


def _accuracy_by_numpy_forward_pass(res, X, y):
    """The share of X's labels a fit predicts, from its weights alone."""
    if res.coefs is None:
        scores = X @ res.coef.T + res.intercept
    else:
        scores = X
        for i, (W, b) in enumerate(zip(res.coefs, res.intercepts)):
            scores = scores @ W + b
            if i < len(res.coefs) - 1:
                scores = np.maximum(scores, 0)  # relu
    return float(np.mean(res.classes[np.argmax(scores, axis=1)] == y))


def test_demo_network_row_beats_the_linear_row_by_a_numpy_forward_pass(demo_run):
    out, _ = demo_run
    assert out.returncode == 0, out.stderr
    rows = {
        line.split()[0]: line.split()
        for line in out.stdout.splitlines()
        if line.startswith(("linear ", "network (64,) "))
    }
    assert set(rows) == {"linear", "network"}, out.stdout
    # the held-out glyphs, drawn here from the generator, not taken from the demo
    X, y = make_segment_digits(DEMO_DIGITS["n_samples"], random_state=DEMO_DIGITS["random_state"])
    X_test, y_test = X[-DEMO_DIGITS["n_test"] :], y[-DEMO_DIGITS["n_test"] :]
    _, results, _ = demo_network_fits()  # the same seeds: the same weights as the command's
    assert results["network"].coefs is not None and results["linear"].coefs is None
    assert [W.shape for W in results["network"].coefs] == [(63, 64), (64, 10)]
    accuracy = {name: _accuracy_by_numpy_forward_pass(res, X_test, y_test)
                for name, res in results.items()}  # fmt: skip
    assert accuracy["network"] > 0.9 and accuracy["linear"] < 0.85
    assert accuracy["network"] > accuracy["linear"] + 0.1
    for name, cells in rows.items():
        printed = next(c for c in cells if c.endswith("%"))
        assert printed == f"{accuracy[name]:.1%}", (name, cells)


def test_demo_without_matplotlib_prints_the_table_and_says_how_to_get_the_plot(tmp_path):
    # a matplotlib that cannot be imported shadows the installed one
    fake = tmp_path / "fake" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named matplotlib')\n")
    path = [str(tmp_path / "fake"), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    out = run("demo", "--max-iter", "5", cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert all(any(line.startswith(m + " ") for line in lines) for m in ("batch", "sgd"))
    skipped = [line for line in lines if "skipped" in line]
    assert len(skipped) == 1 and 'pip install "gdfast[plot]"' in skipped[0]
    assert not (tmp_path / "gdfast-demo.png").exists()


def write_csv(path, X, y, names, target="price k"):
    header = ",".join([*names, target])
    rows = "\n".join(",".join(map(str, [*x, t])) for x, t in zip(X.tolist(), y.tolist()))
    path.write_text(header + "\n" + rows + "\n")


def test_fit_csv_prints_writes_json_and_plot(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, -2.0, 0.5] + 3.0
    write_csv(tmp_path / "data.csv", X, y, ["a", "b", "c"])
    args = ["fit", "data.csv", "--target", "price k", "--method", "batch", "--eta0", "0.5"]
    args += ["--max-iter", "500", "--output", "model.json"]
    if HAS_MATPLOTLIB:
        args += ["--plot", "cost.png"]
    out = run(*args, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "300 rows, 3 features, target price k" in out.stdout
    assert "intercept" in out.stdout and "stopped by" in out.stdout
    model = json.loads((tmp_path / "model.json").read_text())
    np.testing.assert_allclose(model["coef"], [1.0, -2.0, 0.5], atol=1e-3)
    assert abs(model["intercept"] - 3.0) < 1e-3
    assert model["feature_names"] == ["a", "b", "c"] and model["target"] == "price k"
    assert model["params"]["method"] == "batch" and model["params"]["eta0"] == 0.5
    if HAS_MATPLOTLIB:
        assert (tmp_path / "cost.png").read_bytes()[:8] == PNG_SIGNATURE


def test_fit_classifier_with_text_labels(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2))
    labels = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    lines = ["x1,x2,label"] + [f"{a},{b},{c}" for (a, b), c in zip(X.tolist(), labels)]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    out = run(
        "fit", "d.csv", "--target", "label", "--loss", "log_loss", "-o", "m.json", cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert "classes ['no', 'yes']" in out.stdout
    assert json.loads((tmp_path / "m.json").read_text())["classes"] == ["no", "yes"]


def test_fit_npy_and_npz(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 2))
    y = X @ [2.0, 1.0]
    np.save(tmp_path / "t.npy", np.column_stack([y, X]))  # target first: --target 0
    np.savez(tmp_path / "a.npz", X=X, price=y)
    for args in (["t.npy", "--target", "0"], ["a.npz", "--target", "price"]):
        out = run("fit", *args, "--method", "batch", "--eta0", "0.5", "-o", "m.json", cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        coef = json.loads((tmp_path / "m.json").read_text())["coef"]
        np.testing.assert_allclose(coef, [2.0, 1.0], atol=1e-3)


def test_fit_eta0_auto_steps_one_over_the_largest_curvature(tmp_path):
    X = np.random.default_rng(0).normal(size=(300, 3)) * [1.0, 3.0, 0.5]
    y = X @ [1.0, -2.0, 0.5] + 3.0
    write_csv(tmp_path / "data.csv", X, y, ["a", "b", "c"])
    args = ["fit", "data.csv", "--target", "price k", "--method", "batch", "--eta0", "auto"]
    out = run(*args, "--max-iter", "2000", "--tol", "none", "--output", "model.json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    A = np.column_stack([X, np.ones(len(X))])
    L = np.linalg.eigvalsh(A.T @ A / len(X)).max()
    model = json.loads((tmp_path / "model.json").read_text())
    assert model["params"]["eta0"] == pytest.approx(1 / L, rel=1e-3)
    np.testing.assert_allclose(model["coef"], [1.0, -2.0, 0.5], atol=1e-3)


@pytest.mark.parametrize(
    "args, words",
    [
        (["fit", "missing.csv", "--target", "y"], ["missing.csv", "no such file"]),
        (["fit", "data.csv", "--target", "nope"], ["no column 'nope'", "a, b, c, price k"]),
        (["fit", "data.csv", "--target", "price k", "--eta0", "-1"], ["eta0", "> 0"]),
        (["fit", "data.csv", "--target", "price k", "--eta0", "fast"], ["--eta0", "--help"]),
        (["fit", "data.csv", "--target", "price k", "--loss", "cubic"], ["--loss", "cubic"]),
        (
            ["fit", "data.csv", "--target", "price k", "--method", "sgd", "--eta0", "100"],
            ["diverged", "lower --eta0"],
        ),
        (["fit", "bad.npz"], ["bad.npz", "not a readable .npz file"]),
        (["fit", "ragged.csv", "--target", "c"], ["ragged.csv", "line 4 has 4 fields"]),
        (["fit", "short.csv", "--target", "c"], ["short.csv", "line 3 has 2 fields"]),
        (["predict", "data.csv", "data.csv"], ["data.csv", "not a gdfast model file"]),
        (["predict", "v9.json", "data.csv"], ["v9.json", "version 9", "reads version 1"]),
        (["predict", "nope.json", "data.csv"], ["nope.json"]),
        (["predict", "model.json", "missing.csv"], ["missing.csv", "no such file"]),
        (["predict", "model.json", "no_b.csv"], ["no_b.csv", "no column 'b'"]),
        (["predict", "model.json", "data.csv", "--proba"], ["--proba", "log_loss"]),
        (["predict", "model.json"], ["DATA"]),
        (["demo", "--max-iter", "0"], ["--max-iter"]),
        (["fit", "data.csv", "--target", "c", "--eta0", "fast"], ["--eta0", "'auto'"]),
        (["fit", "data.csv", "--target", "c", "--eta0", "auto"], ["eta0", "method='batch'"]),
    ],
)
def test_errors_are_one_line_and_nonzero(tmp_path, args, words):
    X = np.random.default_rng(0).normal(size=(50, 3))
    write_csv(tmp_path / "data.csv", X, X.sum(axis=1) * 100, ["a", "b", "c"])
    (tmp_path / "bad.npz").write_bytes(b"not a zip file")
    (tmp_path / "ragged.csv").write_text("a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n1,2,3\n")
    (tmp_path / "short.csv").write_text("a,b,c\n1,2,3\n4,5\n")
    (tmp_path / "v9.json").write_text('{"format": "gdfast.FitResult", "version": 9}')
    (tmp_path / "no_b.csv").write_text("a,c\n1,2\n")
    gdfast.fit(X, X.sum(axis=1), max_iter=2).save(tmp_path / "model.json")
    (tmp_path / "model.json").write_text(
        json.dumps({**json.loads((tmp_path / "model.json").read_text()),
                    "feature_names": ["a", "b", "c"]})
    )  # fmt: skip
    out = run(*args, cwd=tmp_path)
    assert_one_line_error(out, *words)
    assert "Some errors were detected" not in out.stderr and "Line #" not in out.stderr


def test_fit_warns_in_one_line_when_the_loss_rises(tmp_path):
    # the largest curvature of X / n is about 1: a step of 2 grows the loss every epoch,
    # but 4 epochs are too few to call it divergence (5 rises in a row)
    X = np.random.default_rng(0).normal(size=(50, 3))
    write_csv(tmp_path / "data.csv", X, X.sum(axis=1), ["a", "b", "c"])
    args = ("--method", "batch", "--eta0", "2", "--max-iter", "4")
    out = run("fit", "data.csv", "--target", "price k", *args, cwd=tmp_path)
    assert out.returncode == 0 and "final loss" in out.stdout
    assert out.stderr.count("\n") == 1 and "warning: the loss rose" in out.stderr
    assert "lower --eta0" in out.stderr


@pytest.mark.parametrize("eta0", ["20", "2"])
def test_fit_that_diverges_fails_in_one_line_and_writes_nothing(tmp_path, eta0):
    # 20: the loss is 10,000 times its start within 3 epochs; 2: it rises faster every
    # epoch for 5 epochs
    X = np.random.default_rng(0).normal(size=(50, 3))
    write_csv(tmp_path / "data.csv", X, X.sum(axis=1), ["a", "b", "c"])
    args = ("--method", "batch", "--eta0", eta0, "--max-iter", "50", "--output", "model.json")
    out = run("fit", "data.csv", "--target", "price k", *args, cwd=tmp_path)
    assert_one_line_error(out, "the loss diverged", "lower --eta0")
    assert not (tmp_path / "model.json").exists()


def test_bench_prints_a_quick_table():
    out = run("bench", "--n", "5000", "--d", "20", "--repeat", "1", "--reference-rows", "500")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("gdfast bench: least squares")
    ours = next(line for line in lines if line.startswith("gdfast.fit (sgd)"))
    numpy_loop = next(line for line in lines if line.startswith("gdfast.reference (NumPy)"))
    assert ours.split()[-2] == "1x"  # gdfast against itself
    assert float(numpy_loop.split()[-2].rstrip("x")) > 1  # faster than the NumPy loop
    if importlib.util.find_spec("sklearn") is not None:
        sklearn_row = next(line for line in lines if line.startswith("scikit-learn"))
        # the same quality: final losses within 1%
        assert float(sklearn_row.split()[-1]) == pytest.approx(float(ours.split()[-1]), rel=0.01)


def test_help_works_everywhere():
    out = run("--help")
    assert out.returncode == 0
    assert all(c in out.stdout for c in ("demo", "fit", "predict", "bench"))
    commands = (("demo", "--max-iter"), ("fit", "--target"), ("predict", "--proba"),
                ("bench", "--n"))  # fmt: skip
    for command, word in commands:
        out = run(command, "--help")
        assert out.returncode == 0 and word in out.stdout, out.stderr


def test_fit_trains_a_network_with_hidden_layer_sizes(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)  # not linearly separable: a network is needed
    path = tmp_path / "xor.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,c,label", comments="")
    out = tmp_path / "model.json"
    done = run("fit", str(path), "--target", "label", "--loss", "log_loss",
               "--hidden-layer-sizes", "16,8", "--activation", "tanh", "--eta0", "0.1",
               "--max-iter", "200", "--random-state", "0", "-o", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "network 3 -> 16 -> 8 -> 1 units, tanh" in done.stdout
    model = json.loads(out.read_text())
    shapes = [np.asarray(W).shape for W in model["coefs"]]
    assert shapes == [(3, 16), (16, 8), (8, 1)]
    # the saved network predicts: forward pass in NumPy from the JSON alone
    a = X
    for i, (W, b) in enumerate(zip(model["coefs"], model["intercepts"])):
        a = a @ np.asarray(W) + np.asarray(b)
        if i < len(model["coefs"]) - 1:
            a = np.tanh(a)
    assert np.mean((a[:, 0] > 0) == (y == 1)) > 0.9
    bad = run("fit", str(path), "--target", "label", "--hidden-layer-sizes", "16,x")
    assert bad.returncode != 0 and "--hidden-layer-sizes" in bad.stderr


# --- predict ------------------------------------------------------------------


def read_column(path):
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], [row[0] if len(row) == 1 else row for row in rows[1:]]


def test_predict_equals_load_and_the_in_process_fit(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3))
    labels = np.array(["ant", "bee", "cow"])[np.argmax(X @ rng.normal(size=(3, 3)), axis=1)]
    lines = ["x1,x2,x3,kind"] + [f"{a},{b},{c},{k}" for (a, b, c), k in zip(X.tolist(), labels)]
    (tmp_path / "train.csv").write_text("\n".join(lines) + "\n")
    settings = dict(loss="log_loss", method="minibatch", eta0=0.05, max_iter=30, random_state=0)
    options = [f"--{k.replace('_', '-')}={v}" for k, v in settings.items()]
    done = run("fit", "train.csv", "--target", "kind", *options, "-o", "m.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr

    # new rows, with the columns in another order and without the target
    X_new = rng.normal(size=(50, 3))
    rows = ["x3,x1,x2"] + [f"{c},{a},{b}" for a, b, c in X_new.tolist()]
    (tmp_path / "new.csv").write_text("\n".join(rows) + "\n")
    printed = run("predict", "m.json", "new.csv", cwd=tmp_path)
    assert printed.returncode == 0 and printed.stderr == "", printed.stderr
    predicted = printed.stdout.split()

    in_process = gdfast.fit(X, labels, **settings).predict(X_new)
    loaded = FitResult.load(tmp_path / "m.json").predict(X_new)
    assert predicted == in_process.tolist() == loaded.tolist()
    assert sorted(set(predicted)) == ["ant", "bee", "cow"]

    # --output: a CSV column named by the target; --proba: a column a class
    assert run("predict", "m.json", "new.csv", "-o", "p.csv", cwd=tmp_path).returncode == 0
    assert read_column(tmp_path / "p.csv") == (["kind"], in_process.tolist())
    out = run("predict", "m.json", "new.csv", "--proba", "-o", "q.csv", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    head, proba = read_column(tmp_path / "q.csv")
    assert head == ["ant", "bee", "cow"]
    expected = gdfast.fit(X, labels, **settings).predict_proba(X_new)
    assert np.array_equal(np.array(proba, dtype=float), expected)

    # the training file itself: its target column is ignored
    again = run("predict", "m.json", "train.csv", cwd=tmp_path)
    assert again.stdout.split() == gdfast.fit(X, labels, **settings).predict(X).tolist()


def test_predict_regression_npy_and_headerless_csv_match_load(tmp_path):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 2)).astype(np.float32)
    y = X @ np.array([2.0, -1.0], dtype=np.float32) + 0.5
    np.save(tmp_path / "t.npy", np.column_stack([y, X]))  # the target first: --target 0
    args = ("--method", "batch", "--eta0", "0.5", "--max-iter", "50", "--random-state", "0")
    done = run("fit", "t.npy", "--target", "0", *args, "-o", "m.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    res = FitResult.load(tmp_path / "m.json")
    assert res.coef.dtype == np.float32  # float32 data, float32 model
    expected = res.predict(X)
    np.testing.assert_allclose(expected, y, atol=1e-2)  # and it fits
    np.save(tmp_path / "x.npy", X)
    np.savetxt(tmp_path / "x.csv", X.astype(np.float64), delimiter=",")  # no header
    for data in ("t.npy", "x.npy", "x.csv"):
        out = run("predict", "m.json", data, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        printed = np.array(out.stdout.split(), dtype=np.float32)
        assert np.array_equal(printed, expected), data


def test_predict_network_and_standardized_model(tmp_path):
    rng = np.random.default_rng(5)
    X = rng.normal(loc=50.0, scale=10.0, size=(300, 3))
    y = np.where((X[:, 0] - 50) * (X[:, 1] - 50) > 0, "same", "other")
    lines = ["a,b,c,sign"] + [f"{p},{q},{r},{s}" for (p, q, r), s in zip(X.tolist(), y)]
    (tmp_path / "xor.csv").write_text("\n".join(lines) + "\n")
    done = run("fit", "xor.csv", "--target", "sign", "--loss", "log_loss", "--standardize",
               "--hidden-layer-sizes", "8", "--eta0", "0.1", "--max-iter", "100",
               "--random-state", "0", "-o", "net.json", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = run("predict", "net.json", "xor.csv", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    # the scaling computed here, not read from the file
    scale = X.std(axis=0)
    with pytest.warns(UserWarning, match="standardised"):
        res = FitResult.load(tmp_path / "net.json")
    expected = res.predict((X - X.mean(axis=0)) / scale)
    assert out.stdout.split() == expected.tolist()
    assert np.mean(expected == y) > 0.9  # a network: the xor pattern is learnt
    (tmp_path / "two.csv").write_text("1.0,2.0\n3.0,4.0\n")  # no header, a column short
    short = run("predict", "net.json", "two.csv", cwd=tmp_path)
    assert_one_line_error(short, "two.csv", "has 2 features", "fitted with 3")


def test_readme_cli_commands_run_in_an_empty_folder(tmp_path):
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## The `gdfast` command", 1)[1].split("```bash", 1)[1]
    block = section.split("```", 1)[0].replace("\\\n", " ")
    commands = [shlex.split(line, comments=True) for line in block.splitlines()]
    commands = [c for c in commands if c[:2] in (["gdfast", "fit"], ["gdfast", "predict"])]
    assert [c[1] for c in commands] == ["fit", "predict"]
    for command in commands:
        if not HAS_MATPLOTLIB and "--plot" in command:
            i = command.index("--plot")
            del command[i : i + 2]
        out = run(*command[1:], cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        shipped = Path(gdfast.__file__).parent / "data" / "houses.csv"
        assert re.fullmatch(
            f"gdfast {command[1]}: houses.csv is not in the current folder; using the one "
            f"shipped with gdfast: {re.escape(str(shipped))}\n",
            out.stderr,
        ), out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["model.json", "pred.csv", *(["cost.png"] if HAS_MATPLOTLIB else [])]
    )
    # the predictions: the saved model on the standardised table, near least squares
    X, y, _ = load_houses()
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    head, predicted = read_column(tmp_path / "pred.csv")
    predicted = np.array(predicted, dtype=float)
    with pytest.warns(UserWarning, match="standardised"):
        assert np.array_equal(predicted, FitResult.load(tmp_path / "model.json").predict(Xs))
    design = np.column_stack([Xs, np.ones(len(y))])
    best = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    assert head == ["price_k"]
    assert np.mean((predicted - y) ** 2) < 1.02 * np.mean((best - y) ** 2)
