"""Every script in examples/ runs, headless, in a fresh folder, and says what it did."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None

# script -> (what its output must contain, the pictures it writes with matplotlib)
EXPECTED = {
    "01_quickstart.py": (["FitResult(", "least-squares optimum"], ["quickstart.png"]),
    "02_replace_numpy_loop.py": (["speed-up", "the same coefficients"], []),
    "03_learning_rate_sweep.py": (
        ["gdfast.sweep: sgd", "best learning rate"],
        ["sweep.png", "sgd_updates.png"],
    ),
    "04_sparse_text_like.py": (["CSR", "held-out accuracy"], []),
    "05_custom_objective_minimize.py": (["estimated:"], ["poisson.png"]),
}


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs(script, tmp_path):
    if script.startswith("04") and importlib.util.find_spec("scipy") is None:
        pytest.skip("needs scipy")
    args = ["20000", "20"] if script.startswith("02") else []  # smaller: a quicker race
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "Warning" not in out.stderr, out.stderr
    words, pictures = EXPECTED[script]
    for word in words:
        assert word in out.stdout, out.stdout
    for picture in pictures if HAS_MATPLOTLIB else []:
        assert (tmp_path / picture).read_bytes()[:4] == b"\x89PNG"
