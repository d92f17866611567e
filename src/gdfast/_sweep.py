"""gdfast.sweep: one fit per learning rate, side by side."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._api import _check_params, default_params, fit
from ._result import FitResult
from ._threads import get_num_threads
from ._validation import check_float, check_int, check_X, is_sparse
from .plotting import epochs_run

if TYPE_CHECKING:
    from matplotlib.axes import Axes

DEFAULT_ETA0 = (0.1, 0.01, 0.001, 0.0001)
_DIVERGED_MESSAGE = "gdfast: the loss diverged"


@dataclass(frozen=True, repr=False)
class SweepResult:
    """The fits of :func:`gdfast.sweep`, one per learning rate.

    Attributes
    ----------
    results : dict of float to FitResult
        The fit of each ``eta0``, in the order given. A fit that diverged is
        kept, with ``stop_reason="diverged"``.
    best : FitResult or None
        The fit with the lowest final loss (``loss_history[-1]``) among those
        that did not diverge; None when every one diverged.
    best_eta0 : float or None
        Its learning rate.

    Examples
    --------
    >>> import numpy as np, gdfast
    >>> X = np.random.default_rng(0).normal(size=(1000, 5))
    >>> sweep = gdfast.sweep(X, X @ np.arange(1.0, 6.0), eta0=[1.0, 0.1, 0.01],
    ...                      method="batch", max_iter=50, tol=None, random_state=0)
    >>> sweep.best_eta0, sweep.diverged
    (1.0, ())
    >>> print(sweep.table())  # doctest: +ELLIPSIS
    gdfast.sweep: batch, squared_error, 3 learning rates
      eta0  epochs  updates  final loss  stop_reason  time (ms)
    *    1      50       50 ... max_iter ...
       0.1      50       50    0.001155  max_iter ...
      0.01      50       50       10.23  max_iter ...
    * best: the lowest final loss among the fits that did not diverge
    """

    results: dict[float, FitResult]
    best: FitResult | None
    best_eta0: float | None

    @property
    def diverged(self) -> tuple[float, ...]:
        """The learning rates whose fit diverged."""
        return tuple(eta for eta, res in self.results.items() if res.stop_reason == "diverged")

    def table(self) -> str:
        """The fits side by side: epochs, updates, final loss, stop reason, time.

        A diverged fit's row counts the epoch that diverged among its epochs
        (``n_epochs + 1``: that epoch ran, but its updates were undone, so the
        updates column leaves them out) and has no final loss.

        Returns
        -------
        str
            One row per learning rate; ``*`` marks the best.
        """
        p = next(iter(self.results.values())).params
        heads = ("eta0", "epochs", "updates", "final loss", "stop_reason", "time (ms)")
        rows = [heads]
        for eta, res in self.results.items():
            diverged = res.stop_reason == "diverged"
            final = "-" if diverged or res.n_epochs == 0 else f"{res.loss_history[-1]:.4g}"
            rows.append(
                (
                    f"{eta:g}",
                    str(epochs_run(res)),
                    f"{res.n_updates:,}",
                    final,
                    res.stop_reason,
                    f"{res.elapsed * 1e3:.1f}",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(heads))]
        markers = [" ", *("*" if eta == self.best_eta0 else " " for eta in self.results)]
        lines = [f"gdfast.sweep: {_describe(p)}, {len(self.results)} learning rates"]
        for marker, row in zip(markers, rows):
            cells = (
                c.ljust(w) if h == "stop_reason" else c.rjust(w)
                for c, w, h in zip(row, widths, heads)
            )
            lines.append((marker + " " + "  ".join(cells)).rstrip())
        if self.best_eta0 is None:
            lines.append("every fit diverged: try smaller learning rates")
        else:
            lines.append("* best: the lowest final loss among the fits that did not diverge")
        if self.diverged:
            lines.append("diverged: the epochs include the one that diverged, the updates do not")
        return "\n".join(lines)

    def plot(
        self,
        ax: Axes | None = None,
        x: str = "epoch",
        logy: bool = True,
        window: int | None = None,
    ) -> Axes:
        """All the cost curves overlaid, one per learning rate.

        A diverged fit has ``(diverged)`` in its legend label and its curve
        ends in an 'x' at its last finite loss (one that diverged in its first
        epoch has no finite loss: its 'x' sits on the top edge of the axes);
        the best has ``(best)``. Needs matplotlib.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when None.
        x : {"epoch", "time", "update"}, default="epoch"
            Epochs, seconds since each fit began, or updates (fit with
            ``record_updates=True``; only the trailing means are drawn).
        logy : bool, default=True
            A logarithmic loss axis (curves that differ by orders of magnitude).
        window : int, optional
            Draw the trailing mean of this many losses, as
            :meth:`FitResult.plot`.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from .plotting import plot_curves

        curves = {
            f"eta0={eta:g}" + (" (best)" if eta == self.best_eta0 else ""): res
            for eta, res in self.results.items()
        }
        p = next(iter(self.results.values())).params
        title = f"gdfast.sweep: {_describe(p)}"
        return plot_curves(curves, ax=ax, x=x, window=window, logy=logy, title=title)

    def __repr__(self) -> str:
        return (
            f"SweepResult(eta0={list(self.results)}, best_eta0={self.best_eta0}, "
            f"diverged={list(self.diverged)})"
        )


def sweep(
    X: Any,
    y: Any,
    eta0: Iterable[float] = DEFAULT_ETA0,
    *,
    n_jobs: int | None = None,
    progress: bool = False,
    **params: Any,
) -> SweepResult:
    """Fit one model per learning rate and compare them.

    The classic advice: if the cost does not fall, lower the learning rate; try
    0.1, 0.01, 0.001, 0.0001. Every fit takes the same ``params`` and sees the
    same permutations of the samples, so only ``eta0`` differs. The fits run in
    threads at once (the compiled epochs release the GIL), each on one thread;
    the results are the same, bit for bit, as fitting them one after another.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
        Training data, as for :func:`gdfast.fit` (converted once, not per fit).
    y : array-like of shape (n_samples,)
        Targets or class labels.
    eta0 : iterable of float, default=(0.1, 0.01, 0.001, 0.0001)
        The learning rates, each > 0 and different.
    n_jobs : int, optional
        Fits run at once; default ``min(len(eta0), gdfast.get_num_threads())``.
        Above 1, each fit runs on one thread (unless ``n_threads`` is given);
        1 runs them one after another, each with ``n_threads`` threads.
    progress : bool, default=False
        A tqdm bar on stderr with one tick per finished fit (the fits draw no
        bars of their own).
    **params
        Any other parameter of :func:`gdfast.fit`. ``random_state``: an int is
        used by every fit as given; None or a Generator gives one seed drawn
        for the sweep. ``verbose`` makes the fits run one after another, so
        that their lines do not interleave; a ``callback`` may be called from
        several threads at once.

    Returns
    -------
    SweepResult
        ``results``, ``best``, ``best_eta0``, ``diverged``, ``table()``,
        ``plot()``.

    Warns
    -----
    RuntimeWarning
        One warning naming the learning rates whose fit diverged (instead of
        one per fit).

    Examples
    --------
    >>> import numpy as np, gdfast
    >>> X = np.random.default_rng(0).normal(size=(2000, 5))
    >>> y = X @ np.arange(1.0, 6.0)
    >>> sweep = gdfast.sweep(X, y, method="sgd", max_iter=5, random_state=0)
    >>> sweep.best_eta0, sweep.best.n_epochs
    (0.1, 5)
    """
    rates = _check_rates(eta0)
    if not isinstance(params.get("random_state"), (int, np.integer)):
        # one seed for the whole sweep: every learning rate sees the same permutations
        rng = np.random.default_rng(params.get("random_state"))
        params["random_state"] = int(rng.integers(2**63 - 1))
    params["progress"] = False
    checked = _check_params(default_params(**params, eta0=rates[0]))  # fail before any fit
    if not is_sparse(X):
        X = check_X(X)
    if n_jobs is None:
        n_jobs = min(len(rates), get_num_threads())
    n_jobs = check_int("n_jobs", n_jobs, minimum=1)
    if checked["verbose"]:
        n_jobs = 1
    if n_jobs > 1 and params.get("n_threads") is None:
        params["n_threads"] = 1

    bar = _progress_bar(len(rates)) if progress else None
    with warnings.catch_warnings():
        # one summary warning below, not one per diverged fit
        warnings.filterwarnings("ignore", message=_DIVERGED_MESSAGE, category=RuntimeWarning)
        try:
            results = _run(X, y, rates, params, n_jobs, bar)
        finally:
            if bar is not None:
                bar.close()
    finished = {
        eta: res
        for eta, res in results.items()
        if res.stop_reason != "diverged" and res.n_epochs > 0
    }
    best_eta0 = min(finished, key=lambda eta: finished[eta].loss_history[-1], default=None)
    diverged = [eta for eta, res in results.items() if res.stop_reason == "diverged"]
    if diverged:
        shown = ", ".join(f"{eta:g}" for eta in diverged)
        if best_eta0 is None:
            message = f"every fit diverged (eta0={shown}): try smaller learning rates"
        else:
            message = (
                f"the loss diverged for eta0={shown}; those fits are kept "
                "(stop_reason='diverged') and left out of .best"
            )
        warnings.warn(f"gdfast.sweep: {message}", RuntimeWarning, stacklevel=2)
    return SweepResult(
        results=results,
        best=None if best_eta0 is None else results[best_eta0],
        best_eta0=best_eta0,
    )


def _run(
    X: Any, y: Any, rates: list[float], params: dict[str, Any], n_jobs: int, bar: Any
) -> dict[float, FitResult]:
    """The fits, in the order of ``rates``; the bar ticks in this thread."""
    if n_jobs == 1:
        results = {}
        for eta in rates:
            results[eta] = fit(X, y, eta0=eta, **params)
            if bar is not None:
                bar.update(1)
        return results
    with ThreadPoolExecutor(n_jobs, thread_name_prefix="gdfast-sweep") as pool:
        futures = {pool.submit(fit, X, y, eta0=eta, **params): eta for eta in rates}
        try:
            for future in as_completed(futures):
                future.result()
                if bar is not None:
                    bar.update(1)
        except BaseException:  # the first error (or Ctrl-C) ends the sweep
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        return {eta: future.result() for future, eta in futures.items()}


def _describe(p: dict[str, Any]) -> str:
    """The method and loss of the fits, and their network if they train one."""
    text = f"{p.get('method')}, {p.get('loss')}"
    hidden = p.get("hidden_layer_sizes")
    if hidden is not None:
        text += f", network {tuple(hidden)} {p.get('activation')}"
    return text


def _check_rates(eta0: Any) -> list[float]:
    values = [eta0] if np.ndim(eta0) == 0 and not isinstance(eta0, Iterable) else list(eta0)
    if not values:
        raise ValueError("eta0: expected at least one learning rate")
    rates = [check_float("eta0", value, positive=True) for value in values]
    if len(set(rates)) != len(rates):
        raise ValueError(f"eta0: the learning rates must differ, got {values}")
    return rates


def _progress_bar(total: int) -> Any:
    try:
        from tqdm import tqdm
    except ImportError as exc:
        raise ImportError('progress=True needs tqdm: pip install "gdfast[progress]"') from exc
    return tqdm(total=total, unit="fit", desc="gdfast.sweep", file=sys.stderr)
