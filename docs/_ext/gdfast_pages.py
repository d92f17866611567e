"""Sphinx extension: the guide pages from README.md and the example pages from examples/.

At every build, before Sphinx reads the sources, it writes into docs/_generated/:

- ``intro.md`` (README.md up to its first ``##`` section, included by index.md) and
  ``guide/NN-<slug>.md``, one page a ``##`` section, its headings raised one level,
  so the README stays the one copy of the guide;
- ``repo/<path>``: the repository files the README links to (BENCHMARKS.md, and in
  turn what that links to), in the repository's layout, so their own links hold;
- ``examples/<stem>.md``: each script's docstring, its source, what it printed and
  the pictures it saved, from running it under matplotlib's Agg backend.

Files are rewritten only when their text changes, which keeps rebuilds incremental.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from sphinx.errors import ExtensionError

ROOT = Path(__file__).resolve().parents[2]
GENERATED = "_generated"
EXAMPLE_TIMEOUT = 120  # seconds a script may take; each takes a few

_FENCE = re.compile(r"^\s*(```|~~~)")
_LINK = re.compile(r"(!?\[[^\]]*\])\(([^)\s]+)\)")


def _write(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _outside_fences(lines: list[str]) -> list[bool]:
    """For each line, whether it is Markdown text rather than inside a code fence."""
    inside, flags = False, []
    for line in lines:
        if _FENCE.match(line):
            inside = not inside
            flags.append(False)
        else:
            flags.append(not inside)
    return flags


def _is_local(target: str) -> bool:
    return not re.match(r"^([a-z][a-z0-9+.-]*:|#|/)", target)


class _RepoFiles:
    """Copies the repository files that pages link to into ``<out>/repo``, recursively."""

    def __init__(self, out: Path) -> None:
        self.out = out / "repo"
        self.copied: set[Path] = set()

    def link(self, target: str, source_dir: Path, page_dir: Path) -> str:
        """The target as seen from a page in page_dir, of a link written in source_dir."""
        path, _, anchor = target.partition("#")
        original = (source_dir / path).resolve()
        if not original.is_file():
            raise ExtensionError(f"{source_dir} links to {target!r}, which does not exist")
        relative = original.relative_to(ROOT)
        self._copy(relative)
        new = Path(os.path.relpath(self.out / relative, page_dir)).as_posix()
        return f"{new}#{anchor}" if anchor else new

    def _copy(self, relative: Path) -> None:
        if relative in self.copied:
            return
        self.copied.add(relative)
        original, copy = ROOT / relative, self.out / relative
        if original.suffix != ".md":
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(original, copy)
            return
        # a Markdown file keeps its text; only its own local links need copying too
        text = original.read_text(encoding="utf-8")
        lines = text.splitlines()
        for line, is_text in zip(lines, _outside_fences(lines)):
            for _, target in _LINK.findall(line) if is_text else []:
                if _is_local(target):
                    self.link(target, original.parent, copy.parent)
        # BENCHMARKS.md sits in the guide's table of contents, the others are reached by links
        front = "" if relative == Path("BENCHMARKS.md") else "---\norphan: true\n---\n\n"
        _write(copy, front + text)


def _rewrite_links(lines: list[str], repo: _RepoFiles, page_dir: Path) -> list[str]:
    def replace(match: re.Match[str]) -> str:
        label, target = match.groups()
        if not _is_local(target):
            return match.group(0)
        return f"{label}({repo.link(target, ROOT, page_dir)})"

    return [
        _LINK.sub(replace, line) if is_text else line
        for line, is_text in zip(lines, _outside_fences(lines))
    ]


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def write_guide(out: Path, repo: _RepoFiles) -> list[str]:
    """Split README.md at its ``##`` headings into pages; return the section titles."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    flags = _outside_fences(lines)
    starts = [
        i
        for i, (line, is_text) in enumerate(zip(lines, flags))
        if is_text and line.startswith("## ")
    ]
    if not starts:
        raise ExtensionError("README.md has no '## ' sections to make guide pages of")
    # index.md includes the introduction (conf.py keeps it from being a page of its own),
    # so its links are seen from index.md's folder
    intro = _rewrite_links(lines[: starts[0]], repo, out.parent)
    _write(out / "intro.md", "\n".join(intro) + "\n")
    titles = []
    guide = out / "guide"
    wanted = set()
    for number, (start, end) in enumerate(zip(starts, [*starts[1:], len(lines)]), 1):
        section = _rewrite_links(lines[start:end], repo, guide)
        section = [
            line[1:] if is_text and line.startswith("##") else line
            for line, is_text in zip(section, flags[start:end])
        ]
        title = section[0][2:].strip()
        name = f"{number:02d}-{_slug(title)}.md"
        wanted.add(name)
        _write(guide / name, "\n".join(section) + "\n")
        titles.append(title)
    for stale in guide.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    return titles


def _run_example(script: Path, folder: Path) -> str:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    # the scripts import the gdfast this build documents, wherever it was imported from
    import gdfast

    path = [str(Path(gdfast.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": os.pathsep.join(filter(None, path))}
    try:
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=EXAMPLE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExtensionError(f"{script.name} ran longer than {EXAMPLE_TIMEOUT} s") from exc
    if done.returncode != 0:
        raise ExtensionError(f"{script.name} failed:\n{done.stderr}")
    return done.stdout


def write_examples(out: Path) -> list[str]:
    """Run every script in examples/ and write its page; return the page names."""
    pages = out / "examples"
    names = []
    for script in sorted((ROOT / "examples").glob("*.py")):
        doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
        title, _, body = doc.partition("\n")
        if not title:
            raise ExtensionError(f"{script.name} needs a docstring: its first line is the title")
        stdout = _run_example(script, pages / script.stem)
        pictures = sorted(p.name for p in (pages / script.stem).glob("*.png"))
        source = Path(os.path.relpath(script, pages)).as_posix()
        text = [
            f"# {title.rstrip('.')}",
            "",
            body.strip(),
            "",
            f"```{{literalinclude}} {source}",
            ":language: python",
            "```",
            "",
            "## What it prints",
            "",
            "```text",
            stdout.rstrip(),
            "```",
        ]
        if pictures:
            text += ["", "## What it draws", ""]
            text += [f"![{name}]({script.stem}/{name})\n" for name in pictures]
        _write(pages / f"{script.stem}.md", "\n".join(text) + "\n")
        names.append(script.stem)
    return names


def generate(app: Any) -> None:
    out = Path(app.srcdir) / GENERATED
    repo = _RepoFiles(out)
    write_guide(out, repo)
    write_examples(out)


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", generate)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
