"""Stubs of the compiled core (private: use gdfast.fit)."""

import numpy as np
import numpy.typing as npt

has_openmp: bool

def max_threads() -> int: ...
def run_epoch(
    X: npt.NDArray[np.floating]
    | tuple[npt.NDArray[np.floating], npt.NDArray[np.integer], npt.NDArray[np.integer], int],
    y: npt.NDArray[np.floating],
    sample_weight: npt.NDArray[np.floating] | None,
    order: npt.NDArray[np.int64] | None,
    params: npt.NDArray[np.floating],
    *,
    n_outputs: int,
    fit_intercept: bool,
    loss: str,
    epsilon: float,
    class_weight: npt.NDArray[np.float64] | None,
    method: str,
    batch_size: int,
    learning_rate: str,
    eta0: float,
    power_t: float,
    optimal_t0: float,
    alpha: float,
    penalty_l2: float,
    penalty_l1: float,
    penalty_state: npt.NDArray[np.floating] | None,
    optimizer: str,
    momentum: float,
    beta_1: float,
    beta_2: float,
    eps: float,
    optimizer_state: npt.NDArray[np.floating] | None,
    average: npt.NDArray[np.floating] | None,
    average_start: int,
    t: int,
    n_threads: int,
    parallel: str,
    update_losses: npt.NDArray[np.float64] | None,
    layer_sizes: npt.NDArray[np.int64] | None = None,
    activation: str = "relu",
    penalty_l2_per_batch: float = 0.0,
    gradient_sum: npt.NDArray[np.floating] | None = None,
    gradient_loss_sum: float = 0.0,
    n_samples: int = -1,
) -> tuple[float, int]: ...
def linear_gradient_sum(
    X: npt.NDArray[np.floating]
    | tuple[npt.NDArray[np.floating], npt.NDArray[np.integer], npt.NDArray[np.integer], int],
    y: npt.NDArray[np.floating],
    sample_weight: npt.NDArray[np.floating] | None,
    params: npt.NDArray[np.floating],
    *,
    n_outputs: int,
    fit_intercept: bool,
    loss: str,
    epsilon: float,
    class_weight: npt.NDArray[np.float64] | None,
    n_threads: int,
) -> tuple[float, npt.NDArray[np.floating]]: ...
def network_gradient(
    X: npt.NDArray[np.floating]
    | tuple[npt.NDArray[np.floating], npt.NDArray[np.integer], npt.NDArray[np.integer], int],
    y: npt.NDArray[np.floating],
    sample_weight: npt.NDArray[np.floating] | None,
    params: npt.NDArray[np.floating],
    *,
    layer_sizes: npt.NDArray[np.int64],
    activation: str,
    loss: str,
    penalty_l2: float,
    penalty_l2_per_batch: float,
    n_threads: int,
) -> tuple[float, npt.NDArray[np.floating]]: ...
def apply_update(
    params: npt.NDArray[np.floating],
    grad: npt.NDArray[np.floating],
    optimizer_state: npt.NDArray[np.floating] | None,
    *,
    optimizer: str,
    eta: float,
    k: int,
    momentum: float,
    beta_1: float,
    beta_2: float,
    eps: float,
) -> None: ...
