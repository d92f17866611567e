"""The kernels built per instruction set: each one the module picks really runs, and all
compute the same fits.

The builds must not share compiled code: when they did (one copy of every template
instance for all of them), forcing the portable build still ran the AVX2 one, and the
AVX-512 network products were never called. Each case runs in a fresh interpreter, since
the module chooses its kernels once, at import, from ``GDFAST_ISA`` and the CPU."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

FIT = """
import sys
import numpy as np
import gdfast
import gdfast._core as core

rng = np.random.default_rng(0)
X = rng.normal(size=(600, 37))
y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int) + (X[:, 2] > 0)
fits = {}
for dtype in (np.float64, np.float32):
    for method in ("minibatch", "batch", "sgd"):
        result = gdfast.fit(X.astype(dtype), y, loss="softmax", hidden_layer_sizes=(19, 40),
                            method=method, max_iter=3, eta0=0.01, random_state=0, tol=None)
        fits[f"network-{dtype.__name__}-{method}"] = np.concatenate(
            [w.ravel() for w in result.coefs + result.intercepts])
    result = gdfast.fit(X.astype(dtype), X[:, 0] + 0.5 * X[:, 3], method="sgd", max_iter=3,
                        random_state=0, tol=None)
    fits[f"linear-{dtype.__name__}"] = np.r_[result.coef.ravel(), np.ravel(result.intercept)]
np.savez(sys.argv[1], isa=core.isa, **fits)
"""


def fits_with(isa: str | None, tmp_path: Path) -> tuple[str, dict[str, np.ndarray]]:
    """The fits of FIT in a fresh interpreter with ``GDFAST_ISA=isa`` (None: unset), and
    the kernels it chose."""
    env = {k: v for k, v in os.environ.items() if k != "GDFAST_ISA"}
    if isa is not None:
        env["GDFAST_ISA"] = isa
    out = tmp_path / f"{isa}.npz"
    subprocess.run([sys.executable, "-c", FIT, str(out)], env=env, check=True, timeout=120)
    with np.load(out) as saved:
        return str(saved["isa"]), {k: saved[k] for k in saved.files if k != "isa"}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str | None, tuple[str, dict]]:
    tmp = tmp_path_factory.mktemp("dispatch")
    return {isa: fits_with(isa, tmp) for isa in (None, "x86-64-v3", "baseline")}


def test_forcing_the_portable_build_is_obeyed(builds: dict) -> None:
    assert builds["baseline"][0] == "baseline"


def test_every_build_fits_the_same_models(builds: dict) -> None:
    _, reference = builds["baseline"]
    for isa, (name, fits) in builds.items():
        for case, params in fits.items():
            rtol = 1e-10 if "float64" in case else 1e-4
            scale = np.abs(reference[case]).max()
            np.testing.assert_allclose(
                params,
                reference[case],
                rtol=0,
                atol=rtol * scale,
                err_msg=f"{case} under {name} (GDFAST_ISA={isa})",
            )


def test_the_vector_builds_really_run(builds: dict) -> None:
    """The AVX2 build contracts multiplies and adds (FMA) where the portable one cannot:
    its float64 networks differ from the portable ones in the last bits, which they would
    not if both ran the same compiled code."""
    name, fits = builds["x86-64-v3"]
    if name == "baseline":  # not an x86-64-v3 CPU (or not x86-64): one build only
        assert builds[None][0] == "baseline"
        return
    _, portable = builds["baseline"]
    differing = [
        c for c in fits if c.startswith("network") and not np.array_equal(fits[c], portable[c])
    ]
    assert differing, "the AVX2 kernels computed the portable kernels' bits: they did not run"


def test_the_avx512_network_kernels_match_the_avx2_bits(builds: dict) -> None:
    """Every element of a product is summed in the same order whatever the register block,
    with the same multiply-adds: the AVX-512 network kernels give the AVX2 ones' bits."""
    default_name, default = builds[None]
    v3_name, v3 = builds["x86-64-v3"]
    if "x86-64-v4" not in default_name:  # no AVX-512 here: the default is one of the others
        assert default_name in (v3_name, "baseline")
        return
    assert v3_name == "x86-64-v3"
    for case in default:
        np.testing.assert_array_equal(default[case], v3[case], err_msg=case)
