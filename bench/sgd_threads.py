"""Issue 14: gdfast against itself on 1 and 2 threads, through the public API.

    python bench/sgd_threads.py [rounds=9] [workload ...] [sklearn] [numpy]
    (workloads W1, W1f32, W2, W3, W5, W4; default all)

After a warm-up round, each round fits every workload once with ``n_threads=1`` and once
with ``n_threads=2`` (interleaved, so that the machine's drift hits both alike) and prints,
per workload, the median M samples/s with min and max, the ratio of the medians, and whether
the coefficients are equal bit for bit (they must be: the second thread only moves data).
With ``sklearn``, the sgd workloads also run scikit-learn's ``SGDRegressor`` (W4:
``SGDClassifier``) in the same rounds, and the ratios of both gdfast runs to it are printed.
With ``numpy``, W5 also runs the NumPy mini-batch loop (``gdfast.reference.fit``, the same
permutations), its peer.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
import workloads

import gdfast
import gdfast.reference

W5_PARAMS = dict(workloads.W5["params"])
# the method each peer races: scikit-learn the sgd workloads, the NumPy loop the mini-batch one
PEER_METHOD = {"sklearn": "sgd", "numpy": "minibatch"}
RUNS: dict[str, tuple[dict[str, Any], Any, dict[str, Any]]] = {
    "W1": (workloads.W1, np.float64, workloads.W1["params"]),
    "W1f32": (workloads.W1, np.float32, workloads.W1["params"]),
    "W2": (workloads.W2, np.float64, workloads.W2["params"]),
    "W3": (workloads.W3, np.float64, workloads.W3["params"]),
    "W5": (workloads.W5, np.float64, W5_PARAMS),
    "W4": (workloads.W4, np.float64, workloads.W4["params"]),
}


def main(argv: list[str]) -> None:
    rounds = int(argv[0]) if argv else 9
    peers = [a for a in PEER_METHOD if a in argv]
    names = [a for a in argv[1:] if a not in peers] or list(RUNS)
    contestants = (1, 2, *peers)
    data = {}
    for name in names:
        shape, dtype, params = RUNS[name]
        if "nnz" in shape:
            X, y = workloads.make_sparse_classification(shape["n"], shape["d"], shape["nnz"])
        else:
            X, y = workloads.make_regression(shape["n"], shape["d"], dtype)
        data[name] = (X, y, params, shape["n"] * params["max_iter"])
    rates: dict[tuple[str, Any], list[float]] = {(n, c): [] for n in names for c in contestants}
    coefs: dict[tuple[str, Any], np.ndarray] = {}
    for round_ in range(rounds + 1):  # round 0 warms up (imports, first allocations): not counted
        for name in names:
            X, y, params, samples = data[name]
            for who in contestants:
                if who in PEER_METHOD and params["method"] != PEER_METHOD[who]:
                    continue
                start = time.perf_counter()
                if who == "numpy":
                    gdfast.reference.fit(X, y, **params)
                elif who == "sklearn" and "nnz" in RUNS[name][0]:
                    workloads.sklearn_classifier_fit(X, y, params)
                elif who == "sklearn":
                    workloads.sklearn_regressor_fit(X, y, params)
                else:
                    res = gdfast.fit(X, y, **dict(params, n_threads=who))
                    coefs[name, who] = np.append(res.coef, res.intercept)
                if round_ > 0:
                    rates[name, who].append(samples / (time.perf_counter() - start) / 1e6)
    for name in names:
        line = []
        for threads in (1, 2):
            r = rates[name, threads]
            line.append(f"{threads} thr {np.median(r):6.2f} M/s ({min(r):.2f}-{max(r):.2f})")
        ratio = np.median(rates[name, 2]) / np.median(rates[name, 1])
        same = np.array_equal(coefs[name, 1], coefs[name, 2])
        print(f"{name:6s} {'  '.join(line)}  2/1 {ratio:.2f}x  bits equal: {same}")
        for peer, label in (("sklearn", "scikit-learn"), ("numpy", "the NumPy loop")):
            if rates.get((name, peer)):
                r = rates[name, peer]
                one, two = (np.median(rates[name, c]) / np.median(r) for c in (1, 2))
                print(
                    f"{'':6s} {label} {np.median(r):.2f} M/s ({min(r):.2f}-{max(r):.2f}): "
                    f"gdfast 1 thr {one:.2f}x, 2 thr {two:.2f}x"
                )


if __name__ == "__main__":
    main(sys.argv[1:])
