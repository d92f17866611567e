"""Run scikit-learn's own sklearn/neural_network/tests/test_mlp.py with
GDMLPClassifier / GDMLPRegressor in place of MLPClassifier / MLPRegressor.

    python scripts/run_sklearn_mlp_tests.py [pytest arguments]

Copies the installed scikit-learn's test file to a temporary directory, swaps
the import, and runs pytest on it; prints the pass rate.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import sklearn

SOURCE = Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
SWAP = "from gdfast import GDMLPClassifier as MLPClassifier, GDMLPRegressor as MLPRegressor"


def main() -> int:
    text = SOURCE.read_text()
    text = text.replace("from sklearn.neural_network import MLPClassifier, MLPRegressor", SWAP)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "test_mlp_gdfast.py"
        target.write_text(text)
        done = subprocess.run(
            [sys.executable, "-m", "pytest", str(target), "-q", "-p", "no:cacheprovider",
             "-o", "addopts=", *sys.argv[1:]],
            capture_output=True, text=True, cwd=tmp,
        )  # fmt: skip
    print(done.stdout[-6000:])
    counts = dict(
        (kind, int(n)) for n, kind in re.findall(r"(\d+) (passed|failed|error)", done.stdout)
    )
    total = sum(counts.values())
    if total:
        print(f"scikit-learn {sklearn.__version__} test_mlp.py: {counts.get('passed', 0)}/{total}"
              f" passed ({100 * counts.get('passed', 0) / total:.1f}%)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
