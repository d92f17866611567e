"""Every ```python block of README.md runs as written, top to bottom in one session (as a
new user pastes them into one notebook), without numeric warnings.

No block is left out: each needs only the test extras (scikit-learn, matplotlib, tqdm,
dask), and a slow example is made smaller in the README rather than skipped here.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks() -> list[tuple[int, str]]:
    """(the line before the block's first line, its code) for each ```python block."""
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(1)), m.group(1)) for m in _BLOCK.finditer(text)]


def test_every_python_fence_is_found():
    text = README.read_text(encoding="utf-8")
    blocks = python_blocks()
    assert len(blocks) == text.count("```python") >= 8  # quick start ... gdfast.minimize
    assert all(code.strip() for _, code in blocks)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """The README's blocks run in order in one namespace, in an empty folder, headless;
    a RuntimeWarning (NumPy's overflow or invalid value, gdfast's divergence) fails."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace: dict = {"__name__": "__readme__"}
    after: list[dict] = []  # a shallow copy of the namespace after each block
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path_factory.mktemp("readme"))
        for line, code in python_blocks():
            # padded with blank lines: a traceback names the README's own line
            compiled = compile("\n" * line + code, str(README), "exec")
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)
                exec(compiled, namespace)
            after.append(dict(namespace))
            plt.close("all")
    return after


def test_every_block_runs_in_one_session_without_numeric_warnings(session):
    assert len(session) == len(python_blocks())


def test_the_numpy_loop_and_gdfast_make_the_same_updates(session):
    # the README's claim: "the coefficients agree to about 1e-15"
    codes = [code for _, code in python_blocks()]
    loop = next(i for i, code in enumerate(codes) if "for epoch in range(3)" in code)
    assert "gdfast.fit" in codes[loop + 1]
    np.testing.assert_allclose(session[loop + 1]["w"], session[loop]["w"], rtol=0, atol=1e-12)
    assert session[loop + 1]["b"] == pytest.approx(session[loop]["b"], abs=1e-12)
