"""Sparse data, as text gives: a SciPy CSR matrix of word counts, a linear SVM by SGD.

Each update costs the non-zeros of its row, not the 50,000 features.

Run: python examples/04_sparse_text_like.py   (needs scipy)
"""

import sys
import time

import numpy as np

import gdfast

try:
    from scipy import sparse
except ImportError:
    sys.exit("this example needs scipy: pip install scipy")

rng = np.random.default_rng(0)
n, d, per_row = 20_000, 50_000, 30
# "documents": 30 distinct words each, a few words carry the label
rows = np.repeat(np.arange(n), per_row)
cols = rng.integers(0, d, size=n * per_row)
X = sparse.csr_matrix((np.ones(n * per_row), (rows, cols)), shape=(n, d))
X.sum_duplicates()
w_true = np.zeros(d)
w_true[rng.choice(d, 500, replace=False)] = rng.normal(size=500) * 3
y = np.where(X @ w_true > 0, "spam", "ham")

train, test = slice(0, 16_000), slice(16_000, None)
start = time.perf_counter()
res = gdfast.fit(
    X[train],
    y[train],
    loss="hinge",
    penalty="l2",
    alpha=1e-5,
    method="sgd",
    eta0=0.01,
    max_iter=10,
    random_state=0,
)
seconds = time.perf_counter() - start
accuracy = np.mean(res.predict(X[test]) == y[test])
print(f"{X.shape[0]:,} x {X.shape[1]:,} CSR, {X.nnz:,} non-zeros; classes {res.classes.tolist()}")
print(
    f"hinge + l2 by sgd: {res.n_epochs} epochs in {seconds * 1e3:.0f} ms "
    f"({res.stop_reason}); held-out accuracy {accuracy:.3f}"
)
print(f"{res.n_updates / seconds:.3g} updates/s on {per_row} non-zeros a row")
