"""The ``gdfast`` command (also ``python -m gdfast``).

``gdfast demo`` fits the three methods on the data shipped with gdfast, prints
a comparison table and writes ``gdfast-demo.png``, then races a linear model
against a network on generated digits; ``gdfast fit FILE --target
COLUMN`` fits a CSV, ``.npy`` or ``.npz`` file; ``gdfast predict MODEL DATA``
predicts with the model ``gdfast fit --output`` saved; ``gdfast bench`` races gdfast
against the NumPy loop and scikit-learn. Errors are one line on stderr and a
non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from ._network import ACTIVATIONS
from ._validation import LOSSES, METHODS, OPTIMIZERS

if TYPE_CHECKING:
    from ._result import FitResult

# The demo's learning rates suit standardised data: a full-gradient step can be
# large, a single-sample step must be small.
DEMO_SETTINGS: dict[str, dict[str, Any]] = {
    "batch": dict(eta0=0.5),
    "minibatch": dict(eta0=0.05, batch_size=32),
    "sgd": dict(eta0=0.005),
}
# The network half of the demo: the same descent for both models, so the test
# accuracy differs by the model alone (the linear one is at its optimum by then).
DEMO_DIGITS = dict(n_samples=8000, n_test=2000, random_state=0)
DEMO_NETWORK_SETTINGS: dict[str, Any] = dict(
    loss="softmax", method="minibatch", batch_size=32, optimizer="adam", eta0=0.01
)
DEMO_HIDDEN_LAYERS = (64,)
DEMO_NETWORK_EPOCHS = 10
DEMO_PLOT = "gdfast-demo.png"
PLOT_HINT = 'pip install "gdfast[plot]"'
SHIPPED_DATA = Path(__file__).with_name("data")
LEARNING_RATES = ("constant", "optimal", "invscaling", "adaptive", "exponential", "step", "cosine")


class CommandError(Exception):
    """A failure to report as one line on stderr (exit status 1)."""


def _standardize(X: np.ndarray) -> np.ndarray:
    return (X - X.mean(axis=0)) / X.std(axis=0)


# --- demo ---------------------------------------------------------------------


def demo_fits(max_iter: int = 100) -> tuple[str, dict[str, FitResult], float]:
    """Fit the three methods on the shipped housing data.

    Returns
    -------
    table : str
        The comparison table ``gdfast demo`` prints.
    results : dict of str to FitResult
        The fit of each method.
    optimum : float
        The least-squares optimum of the loss.
    """
    from . import reference
    from ._api import fit
    from .datasets import load_houses

    X, y, names = load_houses()
    X = _standardize(X)
    y = y - y.mean()  # centred target: the intercept starts where it ends
    n = X.shape[0]
    design = np.column_stack([X, np.ones(n)])
    optimum = np.linalg.lstsq(design, y, rcond=None)[0]
    best_loss = float(0.5 * np.mean((design @ optimum - y) ** 2))

    lines = [
        f"gdfast demo: least squares on houses.csv ({n:,} rows, {len(names)} features, "
        "standardised)",
        f"optimal loss (np.linalg.lstsq): {best_loss:.4f}",
        "",
        f"{'method':<10} {'eta0':>6} {'epochs':>6} {'updates':>9} {'final loss':>11} "
        f"{'time (ms)':>9} {'samples/s':>10} {'vs reference':>13}",
    ]
    results = {}
    for method, settings in DEMO_SETTINGS.items():
        params: dict[str, Any] = dict(
            method=method, max_iter=max_iter, tol=1e-4, random_state=0, **settings
        )
        res = fit(X, y, **params)
        results[method] = res
        speed = n * res.n_epochs / res.elapsed
        # one epoch of the same loop in NumPy, for the speed-up column
        start = time.perf_counter()
        reference.fit(X, y, **{**params, "max_iter": 1, "tol": None})
        numpy_speed = n / (time.perf_counter() - start)
        lines.append(
            f"{method:<10} {settings['eta0']:>6g} {res.n_epochs:>6} {res.n_updates:>9,} "
            f"{res.loss_history[-1]:>11.4f} {res.elapsed * 1e3:>9.1f} {speed:>10.3g} "
            f"{speed / numpy_speed:>12.3g}x"
        )
    lines += [
        "",
        "final loss: mean 0.5*(prediction - price)^2 over the last epoch, as the samples were "
        "used; samples/s = rows x epochs / time;",
        "vs reference: against one epoch of gdfast.reference, the same loop in NumPy for every "
        "loss and penalty",
        "(a minimal hand-written NumPy loop for this one model is a few times faster than it).",
    ]
    return "\n".join(lines), results, best_loss


def demo_network_fits(
    max_iter: int = DEMO_NETWORK_EPOCHS,
) -> tuple[str, dict[str, FitResult], tuple[np.ndarray, np.ndarray]]:
    """Fit a linear softmax model and a network on noisy seven-segment digits.

    The glyphs come from :func:`gdfast.datasets.make_segment_digits`; the last
    ``DEMO_DIGITS["n_test"]`` are held out. Both models train with the same
    descent (``DEMO_NETWORK_SETTINGS``) for at most ``max_iter`` epochs.

    Parameters
    ----------
    max_iter : int, default=10
        Maximum epochs of each fit.

    Returns
    -------
    table : str
        The comparison table ``gdfast demo`` prints below the first one.
    results : dict of str to FitResult
        ``"linear"`` and ``"network"``.
    test : tuple of ndarray
        The held-out glyphs and their digits, ``(X_test, y_test)``.
    """
    from . import reference
    from ._api import fit
    from .datasets import make_segment_digits

    n_test = DEMO_DIGITS["n_test"]
    X, y = make_segment_digits(DEMO_DIGITS["n_samples"], random_state=DEMO_DIGITS["random_state"])
    X_train, y_train, X_test, y_test = X[:-n_test], y[:-n_test], X[-n_test:], y[-n_test:]
    n = X_train.shape[0]
    s = DEMO_NETWORK_SETTINGS
    hidden = ",".join(map(str, DEMO_HIDDEN_LAYERS))
    lines = [
        f"gdfast demo: seven-segment digits (gdfast.datasets.make_segment_digits: {n:,} "
        f"training and {n_test:,} test glyphs of {X.shape[1]} pixels, shifted and noisy)",
        f"{s['loss']} loss, {s['method']} {s['batch_size']}, {s['optimizer']} eta0={s['eta0']:g}"
        f", at most {max_iter} epochs",
        "",
        f"{'model':<13} {'epochs':>6} {'updates':>8} {'final loss':>10} {'test accuracy':>13} "
        f"{'time (ms)':>9} {'samples/s':>10} {'vs reference':>13}",
    ]
    results = {}
    models: dict[str, dict[str, Any]] = {
        "linear": {},
        "network": dict(hidden_layer_sizes=DEMO_HIDDEN_LAYERS, activation="relu"),
    }
    for name, model in models.items():
        params: dict[str, Any] = dict(max_iter=max_iter, random_state=0, **s, **model)
        res = fit(X_train, y_train, **params)
        results[name] = res
        accuracy = float(np.mean(res.predict(X_test) == y_test))
        speed = n * res.n_epochs / res.elapsed
        start = time.perf_counter()
        reference.fit(X_train, y_train, **{**params, "max_iter": 1, "tol": None})
        numpy_speed = n / (time.perf_counter() - start)
        label = name if name == "linear" else f"network ({hidden},)"
        lines.append(
            f"{label:<13} {res.n_epochs:>6} {res.n_updates:>8,} {res.loss_history[-1]:>10.4f} "
            f"{accuracy:>13.1%} {res.elapsed * 1e3:>9.1f} {speed:>10.3g} "
            f"{speed / numpy_speed:>12.3g}x"
        )
    lines += [
        "",
        f"network ({hidden},): one hidden layer of {hidden} relu units; test accuracy: the share "
        "of the held-out glyphs classified right;",
        "a shifted stroke lands on other pixels, which no single linear template per digit "
        "follows: the linear model is near its optimum (about 79 %).",
    ]
    return "\n".join(lines), results, (X_test, y_test)


def demo(max_iter: int = 100) -> str:
    """Run the demo's fits and return its two tables.

    Parameters
    ----------
    max_iter : int, default=100
        Maximum epochs of each method on the housing data; the digits' fits
        take at most ``min(max_iter, 10)``.

    Returns
    -------
    str
        The least-squares table, a blank line, the digits table.
    """
    linear = demo_fits(max_iter)[0]
    return linear + "\n\n" + demo_network_fits(min(max_iter, DEMO_NETWORK_EPOCHS))[0]


def save_demo_plot(results: dict[str, FitResult], optimum: float, path: Path) -> None:
    """The three cost curves, per epoch and against time, in one PNG.

    The curves show the loss above the least-squares optimum on a log scale:
    how close each method gets, and how fast.
    """
    from dataclasses import replace

    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

    from .plotting import plot_curves

    fig = Figure(figsize=(11, 4.5), layout="constrained")
    by_epoch, by_time = fig.subplots(1, 2)
    excess = {
        f"{method}, eta0={res.params['eta0']:g}": replace(
            res, loss_history=res.loss_history - optimum
        )
        for method, res in results.items()
    }
    plot_curves(excess, ax=by_epoch, x="epoch", title="cost per epoch")
    plot_curves(excess, ax=by_time, x="time", title="cost against time")
    by_time.set_xscale("log")  # the methods' times differ by orders of magnitude
    for ax in (by_epoch, by_time):
        ax.set_ylabel(f"training loss - optimum ({optimum:.4g})")
    fig.suptitle(
        "gdfast demo: least squares on houses.csv by batch, mini-batch and stochastic "
        "gradient descent"
    )
    fig.savefig(path, dpi=100)


def _run_demo(args: argparse.Namespace) -> None:
    if args.max_iter < 1:
        raise ValueError("--max-iter: must be >= 1")
    table, results, optimum = demo_fits(args.max_iter)
    print(table)
    print()
    print(demo_network_fits(min(args.max_iter, DEMO_NETWORK_EPOCHS))[0])
    if args.no_plot:
        return
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(f"plot skipped: matplotlib is not installed; {PLOT_HINT} to get {args.plot}")
        return
    save_demo_plot(results, optimum, Path(args.plot))
    print(f"wrote {args.plot}: the three cost curves, per epoch and against time")


# --- fit ----------------------------------------------------------------------


def find_data(name: str, prog: str) -> Path:
    """The file ``name``; a bare file name not in the current folder is looked up
    among the data sets shipped with gdfast (``gdfast/data/``), with a line on
    stderr saying which file is used."""
    path = Path(name)
    if path.exists() or path.parent != Path("."):
        return path
    shipped = SHIPPED_DATA / path.name
    if shipped.is_file():
        print(
            f"{prog}: {name} is not in the current folder; using the one shipped with gdfast: "
            f"{shipped}",
            file=sys.stderr,
        )
        return shipped
    return path


def _check_file(path: Path, data: bool = True) -> None:
    if not path.exists():
        hint = ""
        if data and path.parent == Path("."):
            names = sorted(p.name for p in SHIPPED_DATA.iterdir() if p.is_file())
            hint = f" (nor among the data shipped with gdfast: {', '.join(names)})"
        raise OSError(f"{path}: no such file{hint}")
    if path.is_dir():
        raise OSError(f"{path}: is a directory, expected a file")


def _load_arrays(path: Path) -> np.ndarray | dict[str, np.ndarray]:
    """A .npy file's array, or a .npz file's arrays by name."""
    suffix = path.suffix.lower()
    try:
        loaded = np.load(path, allow_pickle=False)
        if suffix == ".npy":
            return np.asarray(loaded)
        with loaded as archive:
            return {name: archive[name] for name in archive.files}
    except Exception as exc:  # a bad header, a broken zip, pickled objects ...
        raise ValueError(f"{path.name}: not a readable {suffix} file ({_one_line(exc)})") from exc


def _is_csv(path: Path) -> bool:
    return path.suffix.lower() not in (".npy", ".npz")


def load_table(
    path: Path, target: str | None, delimiter: str = ","
) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    """Read X, y, the feature names and the target's name from a file.

    CSV (any other suffix too): a header row, ``target`` names a column.
    ``.npy``: a 2-D array; the target is its last column, or column ``target``
    (an integer). ``.npz``: arrays ``X`` and ``y`` (``target`` names another
    array for y), or a single 2-D array read as ``.npy``.
    """
    _check_file(path)
    if _is_csv(path):
        return _read_csv(path, target, delimiter)
    arrays = _load_arrays(path)
    if isinstance(arrays, np.ndarray):
        return _split_array(arrays, target, path.name)
    return _from_npz(arrays, target, path.name)


def _csv_fields(line: str, delimiter: str) -> list[str]:
    """A line's fields as np.genfromtxt splits them (after a '#', a comment)."""
    text = line.split("#", 1)[0].strip()
    return [field.strip() for field in text.split(delimiter)] if text else []


def _has_header(path: Path, delimiter: str) -> bool:
    """Whether the first line holds a field that is not a number."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            fields = _csv_fields(line, delimiter)
            if fields:
                try:
                    [float(field) for field in fields]
                except ValueError:
                    return True
                return False
    return True


def _ragged_line(path: Path, delimiter: str) -> str | None:
    """The first line whose number of fields differs from the first line's, described."""
    with open(path, encoding="utf-8") as handle:
        first = expected = 0
        for number, line in enumerate(handle, 1):
            count = len(_csv_fields(line, delimiter))
            if not count:
                continue
            if not expected:
                first, expected = number, count
            elif count != expected:
                return (
                    f"line {number} has {count} fields, but line {first} has {expected}: "
                    "every line needs the same number of fields"
                )
    return None


def _csv_columns(path: Path, delimiter: str, header: bool = True) -> np.ma.MaskedArray:
    """The CSV as a masked record array, one field a column: by the header's names,
    or ``column 1``, ``column 2``, ... without a header. Ragged lines, a file
    without data and missing values are one-line errors naming the line."""
    names: Any = True
    if not header:
        with open(path, encoding="utf-8") as handle:
            lines = (_csv_fields(line, delimiter) for line in handle)
            names = [f"column {i + 1}" for i in range(len(next(filter(None, lines), [])))]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an empty file: reported below, in one line
            table = np.genfromtxt(
                path,
                delimiter=delimiter,
                names=names,
                dtype=None,
                encoding="utf-8",
                deletechars="",
                replace_space=" ",
                autostrip=True,
                usemask=True,
            )
    except ValueError as exc:
        ragged = _ragged_line(path, delimiter)
        raise ValueError(f"{path.name}: {ragged or _one_line(exc)}") from None
    table = np.ma.atleast_1d(table)
    if not table.dtype.names or table.shape[0] == 0:
        raise ValueError(f"{path.name}: no data rows" + (" under the header" if header else ""))
    for name in table.dtype.names:
        missing = np.ma.getmaskarray(table[name])
        if missing.any():
            row = int(np.argmax(missing)) + 1 + header  # 1-based, after the header
            raise ValueError(f"{path.name}: column {name!r} has a missing value (line {row})")
    return table


def _numeric_columns(table: np.ma.MaskedArray, names: Sequence[str], source: str) -> np.ndarray:
    for name in names:
        if table.dtype[name].kind not in "biuf":
            example = np.ma.getdata(table[name])[0]
            raise ValueError(
                f"{source}: column {name!r} is not numeric (e.g. {example!r}); "
                "gdfast needs numeric features"
            )
    return np.column_stack([np.ma.getdata(table[name]).astype(np.float64) for name in names])


def _read_csv(
    path: Path, target: str | None, delimiter: str
) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    if target is None:
        raise ValueError("--target: name the column to predict (a CSV needs it)")
    table = _csv_columns(path, delimiter)
    names = list(table.dtype.names or ())
    if target not in names:
        raise ValueError(
            f"--target: no column {target!r} in {path.name}; its columns are {', '.join(names)}"
        )
    features = [name for name in names if name != target]
    if not features:
        raise ValueError(f"{path.name}: no feature columns besides the target {target!r}")
    X = _numeric_columns(table, features, path.name)
    return X, np.ma.getdata(table[target]), features, target


def _split_array(
    table: np.ndarray, target: str | None, source: str
) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    if table.ndim != 2 or table.shape[1] < 2:
        raise ValueError(
            f"{source}: expected a 2-D array with the target as one of at least two columns, "
            f"got shape {table.shape}"
        )
    n_columns = table.shape[1]
    column = n_columns - 1
    if target is not None:
        try:
            column = int(target)
        except ValueError:
            raise ValueError(
                f"--target: {source} is an array, so the target is a column index, got {target!r}"
            ) from None
        if not -n_columns <= column < n_columns:
            raise ValueError(f"--target: column {column} is out of range for {n_columns} columns")
        column %= n_columns
    features = [i for i in range(n_columns) if i != column]
    names = [f"x{i}" for i in features]
    return table[:, features], table[:, column], names, f"column {column}"


def _from_npz(
    arrays: dict[str, np.ndarray], target: str | None, source: str
) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    if "X" in arrays:
        name = target if target is not None else "y"
        if name not in arrays or name == "X":
            raise ValueError(
                f"--target: no array {name!r} for y in {source}; its arrays are {', '.join(arrays)}"
            )
        X = arrays["X"]
        if X.ndim != 2:
            raise ValueError(f"{source}: X must be 2-D, got shape {X.shape}")
        return X, arrays[name], [f"x{i}" for i in range(X.shape[1])], name
    if len(arrays) == 1:
        return _split_array(next(iter(arrays.values())), target, source)
    raise ValueError(
        f"{source}: expected arrays 'X' and 'y' (or a single 2-D table); found "
        f"{', '.join(arrays) or 'none'}"
    )


def _layer_sizes(text: str) -> tuple[int, ...]:
    """``64,64`` as (64, 64), for --hidden-layer-sizes."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated unit counts such as 64,64, got {text!r}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"every layer needs at least one unit, got {text!r}")
    return sizes


def _fit_params(args: argparse.Namespace) -> dict[str, Any]:
    """The options given on the command line, as gdfast.fit parameters."""
    names = (
        "loss", "method", "batch_size", "optimizer", "learning_rate", "eta0", "alpha",
        "max_iter", "tol", "random_state", "hidden_layer_sizes", "activation",
    )  # fmt: skip
    params = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    if params.get("tol") == "none":
        params["tol"] = None
    if args.penalty is not None:
        params["penalty"] = None if args.penalty == "none" else args.penalty
    if args.progress:
        params["progress"] = True
    return params


def _summary(res: FitResult, names: list[str], target: str, source: str, n: int) -> str:
    p = res.params
    lines = [
        f"gdfast fit: {source}, {n:,} rows, {len(names)} features, target {target}",
        f"loss {p['loss']}, method {p['method']}, eta0 {p['eta0']:g}: {res.n_epochs} epochs "
        f"({res.n_updates:,} updates) in {res.elapsed * 1e3:.1f} ms, stopped by {res.stop_reason}",
        f"final loss {res.loss_history[-1]:.6g} (mean over the last epoch)",
        "",
    ]
    if res.coefs is not None:
        shapes = " -> ".join(str(W.shape[0]) for W in res.coefs) + f" -> {res.coefs[-1].shape[1]}"
        lines.append(f"network {shapes} units, {p['activation']} hidden activation")
        return "\n".join(lines)
    coef = np.atleast_2d(res.coef)
    intercept = np.atleast_1d(res.intercept)
    if coef.shape[0] == 1:
        heads = ["coef"]
    else:
        assert res.classes is not None
        heads = [str(c) for c in res.classes]
    width = max(len(name) for name in [*names, "intercept", "feature"])
    cell = max(12, *(len(h) for h in heads))
    lines.append(f"{'feature':<{width}} " + " ".join(f"{h:>{cell}}" for h in heads))
    for j, name in enumerate(names):
        lines.append(f"{name:<{width}} " + " ".join(f"{v:>{cell}.6g}" for v in coef[:, j]))
    lines.append(f"{'intercept':<{width}} " + " ".join(f"{v:>{cell}.6g}" for v in intercept))
    if res.classes is not None and coef.shape[0] == 1:
        lines.append(f"classes {res.classes.tolist()} (coef > 0 favours {res.classes[1]!r})")
    return "\n".join(lines)


def _run_fit(args: argparse.Namespace) -> None:
    from ._api import fit

    if args.plot is not None:
        from .plotting import require_matplotlib

        require_matplotlib()  # before the fit, not after
    path = find_data(args.file, "gdfast fit")
    X, y, names, target = load_table(path, args.target, args.delimiter)
    scaling = None
    if args.standardize:
        mean, scale = X.mean(axis=0), X.std(axis=0)
        scale[scale == 0] = 1.0
        X = (X - mean) / scale
        scaling = {"mean": mean.tolist(), "scale": scale.tolist()}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="gdfast: the loss diverged")  # said below
        res = fit(X, y, **_fit_params(args))
    if res.stop_reason == "diverged":
        hint = "" if args.standardize else " (or use --standardize)"
        raise CommandError(
            f"the loss diverged in epoch {res.n_epochs + 1} (eta0={res.params['eta0']:g}): "
            f"lower --eta0{hint}; nothing written"
        )
    hint = "" if args.standardize else " (or use --standardize)"
    if res.n_epochs > 1 and res.loss_history[-1] > res.loss_history[0]:
        warnings.warn(
            f"the loss rose from {res.loss_history[0]:.4g} to {res.loss_history[-1]:.4g}: "
            f"lower --eta0{hint}",
            RuntimeWarning,
            stacklevel=1,
        )
    print(_summary(res, names, target, path.name, X.shape[0]))
    if args.output is not None:
        from ._result import save_file

        about = {"source": str(path), "target": target, "feature_names": names}
        save_file(res, args.output, {**about, "standardize": scaling})
        print(f"wrote {args.output}: the model as JSON (gdfast predict and FitResult.load read it)")
    if args.plot is not None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7, 4.5), layout="constrained")
        res.plot(ax=fig.subplots(), logy=True, label=f"{path.name}: {res.params['method']}")
        fig.savefig(args.plot, dpi=100)
        print(f"wrote {args.plot}: the cost per epoch")


# --- predict ------------------------------------------------------------------


def load_features(
    path: Path, res: FitResult, about: dict[str, Any], delimiter: str = ","
) -> np.ndarray:
    """Read the features a saved model predicts from, as ``gdfast fit`` reads data.

    CSV with a header: the columns named by the model's ``feature_names``
    (others, such as the target, are ignored); without a header, or for a model
    saved without feature names, every column in order. ``.npy``: a 2-D array
    of the features, or of the features and the target column the model was
    fitted with (``target`` ``"column K"``), which is dropped. ``.npz``: array
    ``X``, or a single 2-D array read as ``.npy``.
    """
    _check_file(path)
    names = about.get("feature_names")
    if _is_csv(path):
        header = _has_header(path, delimiter)
        table = _csv_columns(path, delimiter, header)
        columns = list(table.dtype.names or ())
        if header and names is not None:
            missing = [name for name in names if name not in columns]
            if missing:
                raise ValueError(
                    f"{path.name}: no column {missing[0]!r}, which the model was fitted with "
                    f"(its features: {', '.join(map(str, names))}; the file's columns: "
                    f"{', '.join(columns)})"
                )
            columns = names
        return _numeric_columns(table, columns, path.name)
    arrays = _load_arrays(path)
    if isinstance(arrays, dict):
        if "X" not in arrays and len(arrays) != 1:
            raise ValueError(
                f"{path.name}: expected an array 'X' (or a single 2-D table); found "
                f"{', '.join(arrays) or 'none'}"
            )
        arrays = arrays["X"] if "X" in arrays else next(iter(arrays.values()))
    n_features = res.coef.shape[-1] if res.coefs is None else res.coefs[0].shape[0]
    target = str(about.get("target", ""))
    if arrays.ndim == 2 and arrays.shape[1] == n_features + 1 and target.startswith("column "):
        return np.delete(arrays, int(target.split()[1]), axis=1)  # the target column, dropped
    return arrays


def _run_predict(args: argparse.Namespace) -> None:
    import csv

    from ._result import load_file

    _check_file(Path(args.model), data=False)
    res, about = load_file(args.model)
    path = find_data(args.data, "gdfast predict")
    X = load_features(path, res, about, args.delimiter)
    scaling = about.get("standardize")
    if scaling:
        mean, scale = np.asarray(scaling["mean"]), np.asarray(scaling["scale"])
        if X.ndim != 2 or X.shape[1] != mean.shape[0]:
            raise ValueError(
                f"{path.name}: has {X.shape[-1]} features, but the model was fitted with "
                f"{mean.shape[0]}"
            )
        X = (X - mean) / scale
    target = str(about.get("target") or "prediction")
    if args.proba:
        try:
            values = res.predict_proba(X)
        except AttributeError as exc:
            raise CommandError(f"--proba: {exc}") from None
    else:
        values = res.predict(X)
    if values.ndim == 1:
        heads = [target]
    elif res.classes is not None:
        heads = [str(label) for label in res.classes.tolist()]
    else:
        heads = [f"{target} {j}" for j in range(values.shape[1])]
    rows = [[str(v)] for v in values] if values.ndim == 1 else [list(map(str, r)) for r in values]
    if args.output is None:
        if values.ndim == 1:
            print("\n".join(row[0] for row in rows))
        else:
            csv.writer(sys.stdout, lineterminator="\n").writerows([heads, *rows])
        return
    with open(args.output, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([heads, *rows])
    what = "probabilities" if args.proba else "predictions"
    columns = f"column {heads[0]}" if len(heads) == 1 else f"columns {', '.join(heads)}"
    print(f"wrote {args.output}: {len(rows):,} {what}, {columns}")


# --- bench --------------------------------------------------------------------


def _run_bench(args: argparse.Namespace) -> None:
    from . import reference
    from ._api import fit

    n, d, epochs = args.n, args.d, args.epochs
    for name, value, minimum in (("--n", n, 100), ("--d", d, 1), ("--epochs", epochs, 1)):
        if value < minimum:
            raise ValueError(f"{name}: must be >= {minimum}, got {value}")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
    eta0 = 1e-3

    def loss(coef: np.ndarray, intercept: Any) -> str:
        return f"{0.5 * np.mean((X @ coef + intercept - y) ** 2):.5f}"

    def best_time(run: Any) -> tuple[float, Any]:
        times, out = [], None
        for _ in range(args.repeat):
            start = time.perf_counter()
            out = run()
            times.append(time.perf_counter() - start)
        return min(times), out

    settings = dict(method="sgd", eta0=eta0, max_iter=epochs, tol=None, random_state=0)
    rows = []
    seconds, res = best_time(lambda: fit(X, y, **settings))
    gdfast_speed = n * epochs / seconds
    rows.append(("gdfast.fit (sgd)", n, epochs, seconds, loss(res.coef, res.intercept)))
    if not args.no_sklearn and _has_module("sklearn"):
        from sklearn.linear_model import SGDRegressor

        model = SGDRegressor(
            penalty=None, learning_rate="constant", eta0=eta0, max_iter=epochs, tol=None,
            shuffle=True, random_state=0,
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            seconds, model = best_time(lambda: model.fit(X, y))
        rows.append(
            ("scikit-learn SGDRegressor", n, epochs, seconds, loss(model.coef_, model.intercept_))
        )
    subset = min(n, args.reference_rows)
    start = time.perf_counter()
    reference.fit(X[:subset], y[:subset], **{**settings, "max_iter": 1})
    rows.append(("gdfast.reference (NumPy)", subset, 1, time.perf_counter() - start, "-"))

    print(
        f"gdfast bench: least squares, X ~ N(0, 1) of {n:,} x {d} float64, sgd, "
        f"constant eta0={eta0:g}, {epochs} epochs, shuffled (best of {args.repeat})"
    )
    print(
        f"{'peer':<26} {'rows':>8} {'epochs':>6} {'time (ms)':>10} {'samples/s':>10} "
        f"{'gdfast is':>10} {'final loss':>11}"
    )
    for name, rows_used, n_epochs, secs, final in rows:
        speed = rows_used * n_epochs / secs
        print(
            f"{name:<26} {rows_used:>8,} {n_epochs:>6} {secs * 1e3:>10.1f} {speed:>10.3g} "
            f"{gdfast_speed / speed:>9.3g}x {final:>11}"
        )
    print(
        "final loss: 0.5 * mean squared error of the fitted model on all rows; "
        f"the NumPy loop runs one epoch on the first {subset:,} rows."
    )


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


# --- the command line -----------------------------------------------------------


def _number_or(word: str) -> Callable[[str], float | str]:
    """An argparse type: a number, or ``word`` (any case)."""

    def parse(text: str) -> float | str:
        if text.lower() == word:
            return word
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a number or {word!r}, got {text!r}"
            ) from None

    return parse


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors as one line on stderr."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog="gdfast",
        description="Fast batch, mini-batch and stochastic gradient descent.",
        epilog="Run 'gdfast COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"gdfast {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo_cmd = commands.add_parser(
        "demo",
        help="fit the three methods on the shipped data, print a table, plot the cost curves; "
        "then a linear model against a network",
        description="Fit batch, mini-batch and stochastic gradient descent on the housing data "
        f"shipped with gdfast, print the comparison table and write {DEMO_PLOT} (the three "
        f"cost curves; needs matplotlib: {PLOT_HINT}). Then train a linear softmax model and "
        "a network with one hidden layer on noisy seven-segment digits and print their test "
        "accuracies.",
    )
    demo_cmd.add_argument(
        "--max-iter",
        type=int,
        default=100,
        help=f"maximum epochs per method (default 100; the digits: at most {DEMO_NETWORK_EPOCHS})",
    )
    demo_cmd.add_argument(
        "--plot", default=DEMO_PLOT, metavar="PNG", help=f"where to write the plot ({DEMO_PLOT})"
    )
    demo_cmd.add_argument("--no-plot", action="store_true", help="print the table only")

    fit_cmd = commands.add_parser(
        "fit",
        help="fit a linear model to a CSV, .npy or .npz file",
        description="Fit a linear model by gradient descent to a data file and print it. "
        "CSV: a header row, --target names the column to predict, the other columns are the "
        "features. .npy: a 2-D array whose last column (or column --target) is the target. "
        ".npz: arrays X and y (or --target names the array for y), or one 2-D array.",
    )
    fit_cmd.add_argument("file", metavar="FILE", help="a .csv, .npy or .npz file")
    fit_cmd.add_argument("--target", help="the column (CSV), column index (.npy) or array (.npz)")
    fit_cmd.add_argument(
        "--loss",
        choices=LOSSES,
        metavar="LOSS",
        help=f"{', '.join(LOSSES)} (default squared_error)",
    )
    fit_cmd.add_argument(
        "--hidden-layer-sizes",
        type=_layer_sizes,
        metavar="N,N,...",
        help="train a network with these hidden layers, e.g. 64,64 (default: a linear model)",
    )
    fit_cmd.add_argument(
        "--activation",
        choices=ACTIVATIONS,
        help="the hidden layers' activation, for a network (default relu)",
    )
    fit_cmd.add_argument("--method", choices=METHODS, help="the method (default minibatch)")
    fit_cmd.add_argument("--batch-size", type=int, help="samples per update (default 32)")
    fit_cmd.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        metavar="RULE",
        help=f"the update rule: {', '.join(OPTIMIZERS)} (default sgd)",
    )
    fit_cmd.add_argument(
        "--learning-rate",
        choices=LEARNING_RATES,
        metavar="SCHEDULE",
        help=f"{', '.join(LEARNING_RATES)} (default constant)",
    )
    fit_cmd.add_argument(
        "--eta0",
        type=_number_or("auto"),
        help="the (initial) learning rate (default 0.01), or 'auto' with --method batch: "
        "1 / the largest curvature",
    )
    fit_cmd.add_argument(
        "--penalty", choices=("none", "l2", "l1", "elasticnet"), help="(default none)"
    )
    fit_cmd.add_argument("--alpha", type=float, help="penalty strength (default 1e-4)")
    fit_cmd.add_argument("--max-iter", type=int, help="maximum epochs (default 1000)")
    fit_cmd.add_argument(
        "--tol",
        type=_number_or("none"),
        help="stopping tolerance, or 'none' to run max-iter epochs (1e-3)",
    )
    fit_cmd.add_argument("--random-state", type=int, help="seed of the permutations")
    fit_cmd.add_argument(
        "--standardize",
        action="store_true",
        help="centre and scale the features first (the JSON keeps the mean and scale)",
    )
    fit_cmd.add_argument("--delimiter", default=",", help="the CSV delimiter (default ',')")
    fit_cmd.add_argument("--output", "-o", metavar="JSON", help="write the model as JSON here")
    fit_cmd.add_argument(
        "--plot", metavar="PNG", help=f"write the cost curve here (needs matplotlib: {PLOT_HINT})"
    )
    fit_cmd.add_argument("--progress", action="store_true", help="a progress bar (needs tqdm)")

    predict_cmd = commands.add_parser(
        "predict",
        help="predict with a model that 'gdfast fit --output' (or FitResult.save) wrote",
        description="Load a model saved as JSON and print its predictions for a data file, one "
        "a line (or write them as a CSV column with --output). The data are read as 'gdfast "
        "fit' reads them: a CSV with a header supplies the columns the model was fitted with, "
        "by name (others, such as the target, are ignored); a CSV without a header, a .npy "
        "array or an .npz array X, the features in order. A model fitted with --standardize "
        "scales the data as it was scaled.",
    )
    predict_cmd.add_argument("model", metavar="MODEL", help="the model's .json file")
    predict_cmd.add_argument("data", metavar="DATA", help="a .csv, .npy or .npz file")
    predict_cmd.add_argument(
        "--output", "-o", metavar="CSV", help="write the predictions here, as a CSV column"
    )
    predict_cmd.add_argument(
        "--proba",
        action="store_true",
        help="class probabilities (log_loss, modified_huber, softmax): one column a class",
    )
    predict_cmd.add_argument("--delimiter", default=",", help="the CSV delimiter (default ',')")

    bench_cmd = commands.add_parser(
        "bench",
        help="a quick race: gdfast against the NumPy loop and scikit-learn",
        description="A quick version of the benchmark comparison: least-squares SGD on random "
        "data, gdfast.fit against gdfast.reference (the NumPy loop, on a subset) and "
        "scikit-learn's SGDRegressor when installed; prints samples/s and ratios.",
    )
    bench_cmd.add_argument("--n", type=int, default=50_000, help="rows (default 50,000)")
    bench_cmd.add_argument("--d", type=int, default=100, help="features (default 100)")
    bench_cmd.add_argument("--epochs", type=int, default=3, help="epochs (default 3)")
    bench_cmd.add_argument("--repeat", type=int, default=3, help="best of this many (default 3)")
    bench_cmd.add_argument(
        "--reference-rows",
        type=int,
        default=5_000,
        help="rows for the NumPy loop's one epoch (default 5,000)",
    )
    bench_cmd.add_argument("--no-sklearn", action="store_true", help="leave scikit-learn out")
    return parser


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gdfast`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    prog = f"gdfast {args.command}"

    def show_warning(message: Any, category: Any, *rest: Any, **kwargs: Any) -> None:
        print(f"{prog}: warning: {_one_line(message)}", file=sys.stderr)

    run = {"demo": _run_demo, "fit": _run_fit, "predict": _run_predict, "bench": _run_bench}[
        args.command
    ]
    with warnings.catch_warnings():
        warnings.showwarning = show_warning
        try:
            run(args)
        except BrokenPipeError:  # the reader went away (gdfast ... | head): stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 1
        except CommandError as exc:
            print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
            return 1
        except (ValueError, TypeError, OSError, ImportError, KeyError) as exc:
            print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"{prog}: interrupted", file=sys.stderr)
            return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
