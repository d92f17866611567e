"""The examples in the docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "gdfast",
    "gdfast._api",
    "gdfast._minimize",
    "gdfast._result",
    "gdfast._sweep",
    "gdfast._threads",
    "gdfast.reference",
    "gdfast.datasets",
    "gdfast.estimators",
    "gdfast.plotting",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    failures, attempted = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0, f"{name} has no examples"
    assert failures == 0
