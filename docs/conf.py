"""Sphinx configuration of gdfast's documentation site.

Build it with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``
(``pip install ".[docs]"`` first). The guide pages are README.md's sections, the
example pages run examples/ under matplotlib's Agg backend: both are generated
into docs/_generated/ at every build by _ext/gdfast_pages.py.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import gdfast

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "gdfast"
author = "the gdfast developers"
copyright = "the gdfast developers"
version = release = gdfast.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "gdfast_pages",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_generated/intro.md"]  # index.md includes the intro
templates_path = ["_templates"]
html_theme = "furo"
html_title = f"gdfast {release}"
smartquotes = False  # "squared_error" is a value to type, not prose to typeset

# the README's links to headings of other pages (bench/PROFILES.md#w2)
myst_heading_anchors = 3

# the API reference: one page per public name, its NumPy-style docstring
autosummary_generate = True
autodoc_typehints = "none"  # the signature and numpydoc's Parameters say it once each
numpydoc_show_class_members = True
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False  # its links lead to other projects' sites: no network here
# numpydoc's checks of the docstrings' form, each a build warning (an error under -W): a
# docstring on every public name, known sections in order, a summary sentence, the documented
# parameters those of the signature and in its order. Not the checks of content every
# docstring need not have (See Also, Examples, an extended summary, a type for every parameter).
numpydoc_validation_checks = {
    "GL03", "GL05", "GL06", "GL07", "GL08", "GL09", "GL10",
    "SS01", "SS02", "SS03", "PR02", "PR03", "PR10",
}  # fmt: skip


def _skip_foreign_member(
    app: Any, what: str, name: str, obj: Any, skip: bool, options: Any
) -> bool | None:
    """Leave out members defined outside gdfast (scikit-learn's set_*_request, ...)."""
    function = getattr(obj, "fget", obj)
    module = getattr(function, "__module__", None) or ""
    if what == "class" and callable(function) and not module.startswith("gdfast"):
        return True
    return skip


def setup(app: Any) -> None:
    app.connect("autodoc-skip-member", _skip_foreign_member)
