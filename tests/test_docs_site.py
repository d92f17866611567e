"""The documentation site builds with warnings as errors, and holds what it promises: a page
for every public name with its docstring, a page for every README section, a page for every
example with each picture the script saves, and no link to a missing file."""

from __future__ import annotations

import html
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

for requirement in ("sphinx", "numpydoc", "myst_parser", "furo"):
    pytest.importorskip(requirement, reason='the docs requirements: pip install ".[docs]"')

import gdfast  # noqa: E402 (after the skips)

ROOT = Path(__file__).resolve().parent.parent
MODULES = ("dask", "datasets", "reference")  # documented beside the names in gdfast.__all__


def _text(page: Path) -> str:
    """The page's visible text: tags dropped, entities decoded, white space collapsed."""
    body = page.read_text(encoding="utf-8")
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _plain(rst: str) -> str:
    """A docstring line as it reads once rendered: no backquotes, roles shown by their target
    (a function's with the parentheses Sphinx adds)."""
    rst = re.sub(r":(?:py:)?(func|meth):`~?([^`]*)`", r"\2()", rst)
    rst = re.sub(r":[a-z:]+:`~?([^`]*)`", r"\1", rst)
    return " ".join(rst.replace("`", "").replace("\\", "").split())


def _squeezed(text: str) -> str:
    """Without white space: tags dropped from the page leave spaces the docstring has not."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs") / "html"
    # the build (and the examples it runs) import the gdfast these tests import
    path = [str(Path(gdfast.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(ROOT / "docs"), str(out)],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, path))},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-5000:]
    return out


def _documented_names() -> list[str]:
    return sorted({*gdfast.__all__, *MODULES} - {"__version__"})


@pytest.mark.parametrize("name", _documented_names())
def test_public_name_has_a_page_with_its_docstring_summary(site, name):
    obj = getattr(gdfast, name, None) or importlib.import_module(f"gdfast.{name}")
    summary = _plain(obj.__doc__.strip().split("\n\n")[0])  # the first paragraph
    page = site / "_generated" / "api" / f"gdfast.{name}.html"
    assert page.is_file(), f"no API page for gdfast.{name}"
    assert _squeezed(summary) in _squeezed(_text(page))


def test_api_page_lists_every_documented_name(site):
    text = _text(site / "api.html")
    for name in _documented_names():
        assert name in text


def test_every_readme_section_is_a_guide_page(site):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    readme = re.sub(r"^```.*?^```", "", readme, flags=re.S | re.M)  # not the code's comments
    sections = [_plain(title) for title in re.findall(r"^## (.+)$", readme, flags=re.M)]
    titles = []
    for page in sorted((site / "_generated" / "guide").glob("*.html")):
        h1 = re.search(r"<h1>(.*?)</h1>", page.read_text(encoding="utf-8"), flags=re.S)
        titles.append(" ".join(html.unescape(re.sub(r"<[^>]+>", "", h1.group(1))).split()))
    assert [title.rstrip("¶") for title in titles] == sections


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "examples").glob("*.py")))
def test_example_page_shows_the_source_and_each_picture_it_saves(site, script):
    source = (ROOT / "examples" / script).read_text(encoding="utf-8")
    page = site / "_generated" / "examples" / script.replace(".py", ".html")
    text = page.read_text(encoding="utf-8")
    assert "savefig" in _text(page) or "savefig(" not in source  # the source is on the page
    images = re.findall(r'<img[^>]+src="([^"]+)"', text)
    assert len(images) == source.count(".savefig(")
    for image in images:
        assert (page.parent / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_local_link_and_image_resolves(site):
    missing = []
    for page in site.rglob("*.html"):
        for target in re.findall(r'(?:href|src)="([^"]+)"', page.read_text(encoding="utf-8")):
            if re.match(r"^([a-z][a-z0-9+.-]*:|#|//)", target):
                continue
            path = target.split("#")[0].split("?")[0]
            if path and not (page.parent / path).exists():
                missing.append(f"{page.relative_to(site)} -> {target}")
    assert not missing, missing[:20]
