"""W4 sparse: SGD with the hinge loss and an L2 penalty on a wide CSR matrix.

Data (``default_rng(0)``): CSR n=200,000, d=100,000, 50 random columns a row (repeats
summed), N(0,1) values; ``y = (X @ w > 0)`` as 0.0 / 1.0 for ``w ~ N(0,1)``. Run:
``method="sgd"``, ``loss="hinge"``, ``penalty="l2"``, ``alpha=1e-5``,
``learning_rate="optimal"`` (scikit-learn's default), 3 epochs, shuffled, ``random_state=0``.
Peers: ``SGDClassifier(loss="hinge", penalty="l2", alpha=1e-5, max_iter=3, tol=None,
shuffle=True, random_state=0)`` and ``gdfast.reference`` (it densifies every row: raced on
the first 300 rows). Quality: the mean hinge loss on the training data (computed here for
both) within 1% of the peer's, or lower.

Known quality gap (the test is marked xfail for it, not strict): on sparse input
scikit-learn scales every intercept update by ``SPARSE_INTERCEPT_DECAY = 0.01``
(``sklearn/linear_model/_base.py``), on dense input it does not. gdfast updates the
intercept the same way for both, so it matches ``SGDClassifier`` on the dense copy of the
data to rounding (``shuffle=False``) but not on the CSR one, where the damped intercept
gives scikit-learn a lower hinge loss under the large early steps of ``"optimal"``.
"""

from __future__ import annotations

import pytest
import workloads
from workloads import W4, hinge_loss

PARAMS = W4["params"]
EPOCHS = PARAMS["max_iter"]


@pytest.fixture(scope="module")
def w4():
    pytest.importorskip("scipy")
    return workloads.make_sparse_classification(workloads.rows(W4["n"]), W4["d"], W4["nnz"])


@pytest.mark.benchmark(group="W4")
def test_w4_sklearn_sgdclassifier(w4, race, bars, benchmark):
    X, y = w4
    model = race(lambda: workloads.sklearn_classifier_fit(X, y, PARAMS), X.shape[0] * EPOCHS)
    loss = hinge_loss(X, y, model.coef_, model.intercept_)
    bars.record("W4/sklearn", loss)
    benchmark.extra_info["final_loss"] = loss


@pytest.mark.benchmark(group="W4")
def test_w4_reference_numpy_on_300_rows(w4, race_reference):
    race_reference("W4/reference", *w4, PARAMS, hinge_loss, workloads.REFERENCE_SUBSET["W4"])


@pytest.mark.benchmark(group="W4")
@pytest.mark.xfail(
    raises=AssertionError,
    strict=False,
    reason="scikit-learn damps the intercept on sparse input (SPARSE_INTERCEPT_DECAY=0.01)",
)
def test_w4_gdfast_hinge_within_1pct_of_sklearn(w4, race, bars, quality):
    X, y = w4
    res = race(lambda: workloads.gdfast_fit(X, y, PARAMS), X.shape[0] * EPOCHS, gdfast=True)

    def sklearn_loss() -> float:
        model = workloads.sklearn_classifier_fit(X, y, PARAMS)
        return hinge_loss(X, y, model.coef_, model.intercept_)

    bar = bars.get("W4/sklearn", sklearn_loss)
    quality(hinge_loss(X, y, res.coef, res.intercept), "sklearn", bar)
