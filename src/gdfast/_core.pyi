"""Stubs of the compiled core (private: use gdfast.fit)."""

import numpy as np
import numpy.typing as npt

has_openmp: bool

def max_threads() -> int: ...
def run_epoch(
    X: npt.NDArray[np.floating],
    y: npt.NDArray[np.floating],
    sample_weight: npt.NDArray[np.floating] | None,
    order: npt.NDArray[np.int64] | None,
    params: npt.NDArray[np.floating],
    n_outputs: int,
    fit_intercept: bool,
    loss: str,
    method: str,
    batch_size: int,
    eta0: float,
    alpha_l2: float,
    t: int,
    n_threads: int,
) -> tuple[float, int]: ...
