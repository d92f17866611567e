"""Run scikit-learn's own sklearn/linear_model/tests/test_sgd.py with
GDClassifier / GDRegressor in place of SGDClassifier / SGDRegressor.

    python scripts/run_sklearn_sgd_tests.py [pytest arguments]

Copies the installed scikit-learn's test file to a temporary directory, swaps
every ``linear_model.SGDClassifier`` / ``linear_model.SGDRegressor`` (the test
file's factories ``SGDClassifier`` / ``SGDRegressor`` and its sparse subclasses
``_SparseSGDClassifier`` / ``_SparseSGDRegressor`` build on them) for gdfast's
classes, and runs pytest on it; prints the pass rate.

The counted tests are the classifier / regressor tests: those of the One-Class
SVM (``SGDOneClassSVM``, which gdfast does not offer; every test id naming
``oneclass``, ``one_class`` or ``ocsvm``) are deselected, as they would run
scikit-learn's own estimator.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import sklearn

SOURCE = Path(sklearn.__file__).parent / "linear_model" / "tests" / "test_sgd.py"
SWAPS = {
    "linear_model.SGDClassifier": "GDClassifier",
    "linear_model.SGDRegressor": "GDRegressor",
}
IMPORT = "from gdfast import GDClassifier, GDRegressor\n"
ONE_CLASS_SVM = "not oneclass and not one_class and not ocsvm"


def _environment() -> dict[str, str]:
    """This environment, with PYTHONPATH's entries made absolute: pytest runs in
    the temporary directory (``PYTHONPATH=src`` works from the repository)."""
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        parts = env["PYTHONPATH"].split(os.pathsep)
        env["PYTHONPATH"] = os.pathsep.join(str(Path(part).resolve()) for part in parts if part)
    return env


def main() -> int:
    text = SOURCE.read_text()
    for old, new in SWAPS.items():
        text = text.replace(old, new)
    text = IMPORT + text
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "test_sgd_gdfast.py"
        target.write_text(text)
        done = subprocess.run(
            [sys.executable, "-m", "pytest", str(target), "-q", "-p", "no:cacheprovider",
             "-o", "addopts=", "-p", "sklearn.conftest",  # its fixtures (global_random_seed)
             "-k", ONE_CLASS_SVM, "-rfE", *sys.argv[1:]],
            capture_output=True, text=True, cwd=tmp, env=_environment(),
        )  # fmt: skip
    print(done.stdout[-12000:])
    counts = dict(
        (kind, int(n)) for n, kind in re.findall(r"(\d+) (passed|failed|errors?)", done.stdout)
    )
    total = sum(n for kind, n in counts.items() if kind != "deselected")
    if total:
        print(f"scikit-learn {sklearn.__version__} test_sgd.py, classifier/regressor tests: "
              f"{counts.get('passed', 0)}/{total} passed "
              f"({100 * counts.get('passed', 0) / total:.1f}%)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
