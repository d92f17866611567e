"""Learning-rate schedules decided once per epoch, and the constants of the
per-update ones (which run in C++: schedule.hpp)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._losses import binary_loss

PER_UPDATE = ("constant", "optimal", "invscaling")
PER_EPOCH = ("adaptive", "exponential", "step", "cosine")
LEARNING_RATES = PER_UPDATE + PER_EPOCH

ADAPTIVE_DIVISOR = 5.0  # scikit-learn's: eta /= 5 whenever the stopping test fails
ADAPTIVE_MIN_ETA = 1e-6  # ... until it falls below this


def optimal_t0(alpha: float, loss: str, epsilon: float) -> float:
    """scikit-learn's offset for ``"optimal"``: eta(t) = 1 / (alpha * (t0 + t)).

    Bottou's heuristic: the first step is the one a typical weight of size
    1 / sqrt(sqrt(alpha)) would take.
    """
    typw = math.sqrt(1.0 / math.sqrt(alpha))
    # softmax has no one-output derivative; its two-class case is log_loss
    binary = "log_loss" if loss == "softmax" else loss
    _, derivative = binary_loss(binary, np.array([-typw]), np.array([1.0]), epsilon)
    initial_eta0 = typw / max(1.0, float(derivative[0]))
    return 1.0 / (initial_eta0 * alpha)


def epoch_eta(p: dict[str, Any], epoch: int) -> float:
    """The learning rate of a whole epoch (0-based) under a per-epoch schedule."""
    schedule: str | Callable[[int], float] = p["learning_rate"]
    eta0 = p["eta0"]
    if callable(schedule):
        eta = schedule(epoch)
        if isinstance(eta, bool) or not isinstance(eta, (int, float, np.floating, np.integer)):
            raise TypeError(
                f"learning_rate: the callable returned {type(eta).__name__}, not a number"
            )
        if not (math.isfinite(eta) and eta > 0):
            raise ValueError(
                f"learning_rate: the callable returned {eta} for epoch {epoch}; need > 0"
            )
        return float(eta)
    if schedule == "exponential":
        return float(eta0 * p["decay_rate"] ** epoch)
    if schedule == "step":
        return float(eta0 * p["decay_rate"] ** (epoch // p["step_size"]))
    if schedule == "cosine":
        progress = min(epoch / p["max_iter"], 1.0)
        return float(
            p["eta_min"] + 0.5 * (eta0 - p["eta_min"]) * (1 + math.cos(math.pi * progress))
        )
    return float(eta0)  # constant, optimal, invscaling (C++ varies those per update), adaptive


def update_eta(p: dict[str, Any], t: int, t0: float) -> float:
    """The learning rate of update number t (0-based) under a per-update schedule."""
    if p["learning_rate"] == "optimal":
        return 1.0 / (p["alpha"] * (t0 + t))
    if p["learning_rate"] == "invscaling":
        return float(p["eta0"] / (t + 1) ** p["power_t"])
    return float(p["eta0"])
