"""The gdfast command, run as a user runs it: in a subprocess."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from gdfast.datasets import load_houses


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gdfast", *args], capture_output=True, text=True, timeout=120
    )


def test_demo_prints_the_three_methods_near_the_optimum():
    out = run("demo")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    optimum = float(next(line for line in lines if line.startswith("optimal loss")).split()[-1])
    # the optimum the demo quotes is the least-squares one on standardised features
    X, y, _ = load_houses()
    Xs = np.column_stack([(X - X.mean(0)) / X.std(0), np.ones(len(y))])
    sol = np.linalg.lstsq(Xs, y - y.mean(), rcond=None)[0]
    assert abs(optimum - 0.5 * np.mean((Xs @ sol - (y - y.mean())) ** 2)) < 1e-3
    for method in ("batch", "minibatch", "sgd"):
        row = next(line for line in lines if line.startswith(method + " "))
        final_loss = float(row.split()[4])
        assert optimum <= final_loss + 1e-3 and final_loss < optimum * 1.05


def test_bad_option_is_one_line_and_nonzero():
    out = run("demo", "--max-iter", "0")
    assert out.returncode != 0
    assert out.stderr.strip().count("\n") == 0 and "--max-iter" in out.stderr
    assert "Traceback" not in out.stderr


def test_help_works():
    out = run("--help")
    assert out.returncode == 0 and "demo" in out.stdout
