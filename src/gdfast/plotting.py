"""Cost curves: :meth:`FitResult.plot` and :meth:`SweepResult.plot`.

The classic advice for gradient descent: plot the cost against time; if it
does not fall, lower the learning rate; for SGD, plot the mean of the last 10,
100 or 1,000 updates to see the trend through the noise. matplotlib is an
optional extra (``pip install "gdfast[plot]"``), imported on first use.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import numpy as np, gdfast
>>> X = np.random.default_rng(0).normal(size=(1000, 3))
>>> res = gdfast.fit(X, X @ [1.0, 2.0, 3.0], method="sgd", record_updates=True,
...                  max_iter=5, tol=None, random_state=0)
>>> ax = res.plot(x="update", window=100, logy=True)
>>> ax.get_xlabel(), [line.get_label() for line in ax.get_lines()]
('update', ['per update', 'mean of the last 100 updates'])
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._result import FitResult

__all__ = ["plot_curves", "plot_result"]

X_AXES = ("epoch", "time", "update")
_X_LABELS = {"epoch": "epoch", "time": "time (s)", "update": "update"}
_MISSING = 'plotting needs matplotlib: pip install "gdfast[plot]"'


def require_matplotlib() -> None:
    """Raise ImportError with the install command when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(_MISSING) from exc


def new_axes() -> Axes:
    """Axes on a new pyplot figure (shown inline in notebooks)."""
    require_matplotlib()
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    return ax


def default_window(n_values: int) -> int:
    """The window of the classic advice that suits ``n_values`` losses: the
    largest of 1,000, 100 and 10 that is at most a tenth of them (else 1)."""
    return next((w for w in (1000, 100, 10) if w * 10 <= n_values), 1)


def _check_x(x: str) -> None:
    if x not in X_AXES:
        raise ValueError(f"x: expected one of 'epoch', 'time', 'update', got {x!r}")


def _check_window(window: Any) -> None:
    if window is not None and (
        isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1
    ):
        raise ValueError(f"window: expected None or an int >= 1, got {window!r}")


def trailing_mean(values: np.ndarray, window: int) -> np.ndarray:
    """The mean of each ``window`` consecutive values, of length ``len(values) - window + 1``."""
    sums = np.cumsum(np.concatenate([[0.0], values]))
    return (sums[window:] - sums[:-window]) / window


def recorded_update_losses(result: FitResult, what: str) -> np.ndarray:
    """The loss of every update, as floats; a ValueError that says to pass
    ``record_updates=True`` when the fit kept only its epoch losses."""
    if result.update_losses is None:
        raise ValueError(
            f"{what} needs the loss of every update, which this fit did not record: "
            "fit with record_updates=True (loss_history holds the epoch losses)"
        )
    return np.asarray(result.update_losses, dtype=float)


def epochs_run(result: FitResult) -> int:
    """The epochs a fit ran: ``n_epochs``, and for a diverged fit also the
    epoch that diverged (its updates undone, so not in ``n_epochs``)."""
    return result.n_epochs + (result.stop_reason == "diverged")


def _series(result: FitResult, x: str) -> tuple[np.ndarray, np.ndarray]:
    """(x values, losses) of one curve."""
    if x == "update":
        losses = recorded_update_losses(result, "x='update'")
        return np.arange(1, len(losses) + 1), losses
    losses = np.asarray(result.loss_history, dtype=float)
    xs = result.epoch_times if x == "time" else np.arange(1, len(losses) + 1)
    return np.asarray(xs, dtype=float), losses


def _ylabel(results: Iterable[FitResult]) -> str:
    losses = {str(r.params.get("loss", "custom")) for r in results}
    name = losses.pop() if len(losses) == 1 else ""
    if name in ("", "custom"):
        return "training loss (mean per sample)"
    return f"training loss: {name} (mean per sample)"


def _draw(
    ax: Axes,
    result: FitResult,
    x: str,
    window: int | None,
    label: str,
    *,
    single: bool,
    named: bool = False,
) -> None:
    """One fit's curve: its losses and, with a window (always per update),
    their trailing mean; an 'x' at the last finite loss of a diverged fit.

    ``single``: the only fit on the axes, so the legend names the two series
    ("per update", "mean of the last 100 updates", after the fit's ``label``
    when it is ``named`` by the caller); otherwise it names the fit, and per
    update only the trailing mean is drawn.
    """
    xs, ys = _series(result, x)
    if window is None and x == "update":
        window = default_window(len(ys))
    diverged = result.stop_reason == "diverged"
    if diverged:
        label += " (diverged)"
    if diverged and not len(ys):  # diverged in its first epoch: no finite loss to draw
        _mark_diverged(ax, result, x, None, None, label)
        return
    smooth = window is not None and window > 1 and len(ys) >= window
    unit = "updates" if x == "update" else "epochs"
    prefix = f"{label}: " if single and named else ""
    color = None
    if single or not smooth or x != "update":
        raw_label = label if not smooth else f"{prefix}per {unit[:-1]}" if single else "_nolegend_"
        (line,) = ax.plot(
            xs,
            ys,
            alpha=0.35 if smooth else 1.0,
            linewidth=0.8 if smooth else 1.5,
            marker="o" if len(ys) <= 30 else None,  # a few epochs: show each one
            markersize=3,
            label=raw_label,
        )
        color = line.get_color()
    if smooth:
        assert window is not None
        (line,) = ax.plot(
            xs[window - 1 :],
            trailing_mean(ys, window),
            color=color,
            label=f"{prefix}mean of the last {window} {unit}" if single else label,
        )
        color = line.get_color()
    if diverged:
        _mark_diverged(ax, result, x, (xs[-1], ys[-1]), color, "_nolegend_")


def _mark_diverged(
    ax: Axes,
    result: FitResult,
    x: str,
    last: tuple[float, float] | None,
    color: Any,
    label: str,
) -> None:
    """The 'x' where a diverged fit stopped: at its ``last`` finite loss, or,
    when it diverged in its first epoch, on the top edge of the axes above
    where it stopped (epoch 1, its seconds, update 1), with the fit's label."""
    style = dict(marker="x", markersize=10, markeredgewidth=2, linestyle="none", color=color)
    if last is not None:
        ax.plot([last[0]], [last[1]], label=label, **style)
        return
    where = {"epoch": epochs_run(result), "time": result.elapsed, "update": result.n_updates + 1}
    # x in data units, y in axes units: 1 is the top edge whatever the losses' scale
    ax.plot(
        [where[x]], [1.0], transform=ax.get_xaxis_transform(), clip_on=False, label=label, **style
    )


def _finish(ax: Axes, x: str, results: Iterable[FitResult], logy: bool) -> None:
    ax.set_xlabel(_X_LABELS[x])
    if x != "time":
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(_ylabel(results))
    if logy:
        ys = [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]
        if max((y.max() for y in ys if y.size), default=0.0) > 1e290:
            ax.set_ymargin(0)  # a diverged curve near 1e308: a margin would overflow
        ax.set_yscale("log")
    ax.grid(True, which="major", alpha=0.3)


def plot_result(
    result: FitResult,
    ax: Axes | None = None,
    x: str = "epoch",
    window: int | None = None,
    logy: bool = False,
    label: str | None = None,
) -> Axes:
    """One fit's cost curve: :meth:`FitResult.plot` (see it for the parameters).

    Parameters
    ----------
    result : FitResult
        The fit to draw.
    ax, x, window, logy, label
        As for :meth:`FitResult.plot`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    _check_x(x)
    _check_window(window)
    new = ax is None
    if ax is None:
        ax = new_axes()
    named = label is not None
    if label is None:
        label = f"{result.params.get('method')}, eta0={result.params.get('eta0', 0):g}"
    _draw(ax, result, x, window, label, single=True, named=named)
    _finish(ax, x, [result], logy)
    if result.stop_reason == "diverged" and not len(_series(result, x)[1]):
        ax.text(0.5, 0.5, "diverged in its first epoch: no finite loss to draw; lower eta0",
                transform=ax.transAxes, ha="center", va="center")  # fmt: skip
    if new:
        what = "gdfast.minimize" if result.params.get("loss") == "custom" else "gdfast.fit"
        if result.stop_reason == "diverged":
            stopped = f"diverged in epoch {epochs_run(result)}"
        else:
            stopped = f"{result.stop_reason}, {result.n_epochs} epochs"
        ax.set_title(f"{what}: {label} ({stopped})")
    if len(ax.get_lines()) > 1 or result.stop_reason == "diverged" or not new:
        ax.legend()
    return ax


def plot_curves(
    results: dict[str, FitResult],
    ax: Axes | None = None,
    x: str = "epoch",
    window: int | None = None,
    logy: bool = True,
    title: str | None = None,
) -> Axes:
    """Several fits' cost curves overlaid, one colour each, labelled by the keys.

    Per update (``x="update"``) only the trailing means are drawn. A diverged
    fit has ``(diverged)`` in its label and its curve ends in an 'x' at its
    last finite loss; one that diverged in its first epoch has no finite loss,
    so its 'x' sits on the top edge of the axes, at epoch 1.

    Parameters
    ----------
    results : dict of str to FitResult
        The curves and their legend labels.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    x : {"epoch", "time", "update"}, default="epoch"
        The horizontal axis: epochs, seconds, or updates (needs
        ``record_updates=True``: a ValueError otherwise).
    window : int, optional
        Draw the trailing mean of this many losses; per update, by default
        the largest of 1,000, 100 and 10 that is at most a tenth of them.
    logy : bool, default=True
        A logarithmic loss axis.
    title : str, optional
        The axes' title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    _check_x(x)
    _check_window(window)
    if ax is None:
        ax = new_axes()
    if window is None and x == "update":  # one window for every curve
        # sized by the fits that did not diverge (one that diverged early has few updates)
        finished = [r for r in results.values() if r.stop_reason != "diverged"]
        n = min(len(_series(result, x)[1]) for result in finished or results.values())
        window = default_window(n)
    for label, result in results.items():
        _draw(ax, result, x, window, label, single=False)
    _finish(ax, x, results.values(), logy)
    if title is not None:
        ax.set_title(title)
    ax.legend()
    return ax
