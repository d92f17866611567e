"""What gdfast.fit and gdfast.minimize share around their epochs: the checks
of the descent parameters, the stopping rules, the records, the result."""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ._result import EpochInfo, FitResult
from ._schedules import ADAPTIVE_DIVISOR, ADAPTIVE_MIN_ETA, LEARNING_RATES
from ._validation import METHODS, OPTIMIZERS, check_choice, check_float, check_int


def check_flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected a bool, got {type(value).__name__}")
    return bool(value)


def check_descent_params(p: dict[str, Any], *, eta0_may_be_zero: bool = False) -> None:
    """Check, in place, the parameters of the descent itself: method, update
    rule, schedule and stopping (not the model's: loss, penalty ...)."""
    check_choice("method", p["method"], METHODS)
    check_choice("optimizer", p["optimizer"], OPTIMIZERS)
    if not callable(p["learning_rate"]):
        check_choice("learning_rate", p["learning_rate"], LEARNING_RATES)
    for name in ("batch_size", "step_size", "max_iter", "n_iter_no_change"):
        p[name] = check_int(name, p[name], minimum=1)
    p["eta0"] = check_float("eta0", p["eta0"], positive=not eta0_may_be_zero)
    # a negative power_t makes "invscaling" grow (scikit-learn deprecates it, with a warning)
    p["power_t"] = check_float("power_t", p["power_t"])
    p["eta_min"] = check_float("eta_min", p["eta_min"], non_negative=True)
    p["decay_rate"] = check_float("decay_rate", p["decay_rate"], non_negative=True)
    if p["decay_rate"] > 1:
        raise ValueError(f"decay_rate: must be in [0, 1], got {p['decay_rate']}")
    for name in ("momentum", "beta_1", "beta_2"):
        p[name] = check_float(name, p[name], non_negative=True)
        if p[name] >= 1:
            raise ValueError(f"{name}: must be in [0, 1), got {p[name]}")
    p["eps"] = check_float("eps", p["eps"], positive=True)
    if p["tol"] is not None:
        p["tol"] = check_float("tol", p["tol"], non_negative=True)
    if p["target_loss"] is not None:
        p["target_loss"] = check_float("target_loss", p["target_loss"])
    if p["max_time"] is not None:
        p["max_time"] = check_float("max_time", p["max_time"], positive=True)
    if p["callback"] is not None and not callable(p["callback"]):
        raise TypeError(f"callback: expected a callable, got {type(p['callback']).__name__}")
    for flag in ("shuffle", "record_updates", "progress"):
        p[flag] = check_flag(flag, p[flag])
    if isinstance(p["verbose"], (bool, np.bool_)):
        p["verbose"] = int(p["verbose"])
    p["verbose"] = check_int("verbose", p["verbose"], minimum=0)


def is_finite_epoch(epoch_loss: float, *arrays: np.ndarray | None) -> bool:
    """The epoch's loss and every given array (parameters, their average) are finite."""
    return math.isfinite(epoch_loss) and all(
        a is None or bool(np.isfinite(a).all()) for a in arrays
    )


def loss_kept_rising(losses: list[float], epochs: int, *, falls_while_stable: bool) -> bool:
    """The epoch losses rose in each of the last ``epochs`` epochs, each rise larger than
    the one before (growth that feeds itself, as a step too large for the curvature
    gives), and either ended above the first epoch's loss or belong to a descent whose
    loss falls every epoch while it is stable (``falls_while_stable``: a linear model's
    full-batch descent at a constant rate with the plain rule). The noise of a
    stochastic plateau may rise a few epochs, but does not climb back past where the
    descent began."""
    if len(losses) <= epochs:
        return False
    recent = losses[-(epochs + 1) :]
    rises = [b - a for a, b in zip(recent, recent[1:])]
    growing = rises[0] > 0 and all(b > a for a, b in zip(rises, rises[1:]))
    return growing and (falls_while_stable or losses[-1] > losses[0])


def warn_diverged(epoch: int, eta0: float, kept: str, why: str = "") -> None:
    warnings.warn(
        f"gdfast: the loss diverged in epoch {epoch} (eta0={eta0:g}){why}; returning {kept}. "
        "Lower eta0.",
        RuntimeWarning,
        stacklevel=4,
    )


class StoppingRules:
    """The decisions after each epoch, in order: the callback, ``target_loss``,
    ``tol`` with ``n_iter_no_change`` (scikit-learn's rule; ``"adaptive"``
    divides the rate by 5 instead of stopping while it is above 1e-6), and
    ``max_time``. ``adaptive_eta`` is the rate ``"adaptive"`` runs at now."""

    def __init__(self, p: dict[str, Any], adaptive_eta: float) -> None:
        self.p = p
        self.adaptive_eta = adaptive_eta
        self.best = math.inf  # the best loss, or minus the best validation score
        self.no_improvement = 0

    def after_epoch(
        self,
        loss: float,
        score: float | None,
        elapsed: float,
        info: Callable[[], EpochInfo],
    ) -> str | None:
        """The stop reason, or None to go on; ``info`` is built only for a callback."""
        p = self.p
        if p["callback"] is not None and p["callback"](info()):
            return "callback"
        if p["target_loss"] is not None and loss <= p["target_loss"]:
            return "target_loss"
        if p["tol"] is not None:
            monitored = -score if score is not None else loss
            self.no_improvement = self.no_improvement + 1 if monitored > self.best - p["tol"] else 0
            self.best = min(self.best, monitored)
            if self.no_improvement >= p["n_iter_no_change"]:
                if p["learning_rate"] == "adaptive" and self.adaptive_eta > ADAPTIVE_MIN_ETA:
                    self.adaptive_eta /= ADAPTIVE_DIVISOR
                    self.no_improvement = 0
                else:
                    return "tol"
        if p["max_time"] is not None and elapsed >= p["max_time"]:
            return "max_time"
        return None


class Records:
    """The per-epoch records that become a FitResult."""

    def __init__(self, record_updates: bool, validation: bool) -> None:
        self.loss_history: list[float] = []
        self.lr_history: list[float] = []
        self.epoch_times: list[float] = []
        self.validation_history: list[float] | None = [] if validation else None
        self.update_losses: list[np.ndarray] | None = [] if record_updates else None

    def result(
        self,
        *,
        coef: np.ndarray,
        intercept: Any,
        coefs: list[np.ndarray] | None = None,
        intercepts: list[np.ndarray] | None = None,
        multilabel: bool = False,
        n_updates: int,
        stop_reason: str,
        elapsed: float,
        params: dict[str, Any],
        classes: np.ndarray | None,
    ) -> FitResult:
        updates = self.update_losses
        return FitResult(
            coef=coef,
            intercept=intercept,
            loss_history=np.asarray(self.loss_history),
            validation_history=None
            if self.validation_history is None
            else np.asarray(self.validation_history),
            lr_history=np.asarray(self.lr_history),
            epoch_times=np.asarray(self.epoch_times),
            update_losses=None
            if updates is None
            else (np.concatenate(updates) if updates else np.empty(0)),
            n_epochs=len(self.loss_history),
            n_updates=n_updates,
            converged=stop_reason in ("tol", "target_loss", "callback"),
            stop_reason=stop_reason,
            elapsed=elapsed,
            params=params,
            classes=classes,
            coefs=coefs,
            intercepts=intercepts,
            multilabel=multilabel,
        )


class EpochReport:
    """What a fit shows while it runs: ``progress`` (a tqdm bar on stderr, one
    tick per epoch, the loss and learning rate as its postfix) and ``verbose``
    (scikit-learn's per-epoch lines on stdout). It only reads: it never changes
    the fit or its ``stop_reason``.
    """

    def __init__(self, p: dict[str, Any]) -> None:
        self.verbose = p["verbose"]
        self.bar: Any = None
        if p["progress"]:
            try:
                from tqdm import tqdm
            except ImportError as exc:
                raise ImportError(
                    'progress=True needs tqdm: pip install "gdfast[progress]"'
                ) from exc
            self.bar = tqdm(
                total=p["max_iter"], unit="epoch", desc=f"gdfast {p['method']}", file=sys.stderr
            )

    @classmethod
    def create(cls, p: dict[str, Any]) -> EpochReport | None:
        """A report, or None (no cost per epoch) when neither is asked for."""
        return cls(p) if p["progress"] or p["verbose"] else None

    def epoch(self, loss: float, eta: float, info: Callable[[], EpochInfo]) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"loss={loss:.6g}, eta={eta:.3g}", refresh=False)
            self.bar.update(1)
        if self.verbose:
            self._print(verbose_lines(info()))

    def close(self, stop_reason: str, n_epochs: int, elapsed: float) -> None:
        if self.verbose and stop_reason == "tol":
            self._print(f"Convergence after {n_epochs} epochs took {elapsed:.2f} seconds")
        elif self.verbose and stop_reason != "max_iter":
            self._print(
                f"Stopped ({stop_reason}) after {n_epochs} epochs took {elapsed:.2f} seconds"
            )
        if self.bar is not None:
            postfix = f"{self.bar.postfix}, " if self.bar.postfix else ""
            self.bar.set_postfix_str(f"{postfix}stop={stop_reason}", refresh=False)
            self.bar.close()

    def _print(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=sys.stdout)  # above the bar, which stays on stderr
        else:
            print(text)


def verbose_lines(info: EpochInfo) -> str:
    """scikit-learn's ``verbose`` lines for one epoch."""
    coef = np.asarray(info.coef)
    bias = np.ravel(info.intercept)
    bias_text = (
        f"{bias[0]:.6f}" if bias.size == 1 else "[" + ", ".join(f"{b:.6f}" for b in bias) + "]"
    )
    line = (
        f"Norm: {np.linalg.norm(coef):.2f}, NNZs: {np.count_nonzero(coef)}, "
        f"Bias: {bias_text}, T: {info.n_updates}, Avg. loss: {info.loss:f}"
    )
    if info.validation_score is not None:
        line += f", Validation score: {info.validation_score:f}"
    return f"-- Epoch {info.epoch}\n{line}\nTotal training time: {info.elapsed:.2f} seconds."
