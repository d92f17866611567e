"""gdfast: fast batch, mini-batch and stochastic gradient descent.

The inner loops are C++ (OpenMP threads, the GIL released); the Python layer
draws the permutations, schedules, stops and builds the result.

>>> import numpy as np, gdfast
>>> X = np.random.default_rng(0).normal(size=(500, 4))
>>> res = gdfast.fit(X, X @ [1.0, 2.0, 3.0, 4.0], method="sgd", eta0=0.01, random_state=0)
>>> res.stop_reason
'tol'
"""

from typing import TYPE_CHECKING, Any

from . import reference
from ._api import fit
from ._minimize import minimize
from ._result import FitResult
from ._sweep import SweepResult, sweep
from ._threads import get_num_threads, set_num_threads

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .estimators import GDClassifier, GDRegressor
    from .neural_network import GDMLPClassifier, GDMLPRegressor

__all__ = [
    "FitResult",
    "GDClassifier",
    "GDMLPClassifier",
    "GDMLPRegressor",
    "GDRegressor",
    "SweepResult",
    "__version__",
    "fit",
    "get_num_threads",
    "minimize",
    "reference",
    "set_num_threads",
    "sweep",
]


def __getattr__(name: str) -> Any:
    # the scikit-learn estimators load on first use: scikit-learn is an optional extra
    if name in ("GDClassifier", "GDRegressor"):
        from . import estimators

        return getattr(estimators, name)
    if name in ("GDMLPClassifier", "GDMLPRegressor"):
        from . import neural_network

        return getattr(neural_network, name)
    raise AttributeError(f"module 'gdfast' has no attribute {name!r}")
