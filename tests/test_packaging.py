"""The wheel configuration: pyproject.toml's [tool.cibuildwheel] and the workflow that runs it
agree with each other and with the project (GitHub does not run here, so this is the check)."""

from __future__ import annotations

import re
import shlex
import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    tomllib = pytest.importorskip("tomli")
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CIBW = PYPROJECT["tool"]["cibuildwheel"]
WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "wheels.yml").read_text("utf-8"))

# cibuildwheel's platform names, and the runner names that build each natively
RUNNERS = {"linux": "ubuntu", "macos": "macos", "windows": "windows"}


def _selected(identifier: str) -> bool:
    """cibuildwheel's rule: matched by a `build` pattern and by no `skip` pattern."""
    build = CIBW["build"].split() if isinstance(CIBW["build"], str) else CIBW["build"]
    skip = CIBW["skip"].split() if isinstance(CIBW["skip"], str) else CIBW["skip"]
    return any(fnmatch(identifier, p) for p in build) and not any(
        fnmatch(identifier, p) for p in skip
    )


def _steps(job: str) -> list[dict]:
    return WORKFLOW["jobs"][job]["steps"]


@pytest.mark.parametrize(
    "identifier",
    [
        "cp39-manylinux_x86_64",
        "cp39-musllinux_x86_64",
        "cp312-manylinux_aarch64",
        "cp313-musllinux_aarch64",
        "cp310-macosx_x86_64",
        "cp311-macosx_arm64",
        "cp313-win_amd64",
    ],
)
def test_cibuildwheel_builds_cpython_on_every_64_bit_platform(identifier):
    assert _selected(identifier)


@pytest.mark.parametrize(
    "identifier",
    ["pp310-manylinux_x86_64", "cp313t-manylinux_x86_64", "cp39-win32", "cp311-manylinux_i686"],
)
def test_cibuildwheel_skips_pypy_free_threaded_and_32_bit(identifier):
    assert not _selected(identifier)


def test_cibuildwheel_starts_at_requires_python():
    # cibuildwheel drops the versions requires-python excludes; 3.9 must be the first one kept
    assert PYPROJECT["project"]["requires-python"] == ">=3.9"
    assert _selected("cp39-manylinux_x86_64")


def test_cibuildwheel_tests_with_an_existing_extra():
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert set(CIBW["test-extras"]) <= set(extras)


@pytest.mark.parametrize("platform", [None, *sorted(RUNNERS)])
def test_cibuildwheel_test_command_runs_the_suite_less_tests_that_exist(platform):
    command = CIBW.get(platform, {}).get("test-command", CIBW["test-command"])
    words = shlex.split(command)
    assert words[:2] == ["pytest", "{project}/tests"]
    for option, value in zip(words, words[1:]):
        if option == "-k":  # "not test_name": a test that exists
            names = re.findall(r"not (\w+)", value)
            sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("*.py"))
            assert names and all(f"def {name}(" in sources for name in names), value
    for word in words:
        if word.startswith("--ignore={project}/"):
            assert (ROOT / word.removeprefix("--ignore={project}/")).is_file(), word


def test_only_the_macos_wheels_skip_the_openmp_test():
    # Apple's clang has no OpenMP: only there is the wheel built without it
    assert " -k " not in CIBW["test-command"]
    assert CIBW["macos"]["test-command"].startswith(CIBW["test-command"].rstrip())


def test_the_test_extra_brings_the_docs_requirements():
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert "gdfast[docs]" in extras["test"]
    assert any(req.startswith("sphinx") for req in extras["docs"])


def test_workflow_runs_on_push_pull_request_and_release():
    # YAML 1.1 reads the key `on` as True
    triggers = WORKFLOW.get("on", WORKFLOW.get(True))
    assert {"push", "pull_request", "release"} <= set(triggers)


@pytest.mark.parametrize("platform", sorted(RUNNERS))
def test_workflow_has_a_runner_for_each_architecture_pyproject_lists(platform):
    matrix = WORKFLOW["jobs"]["build_wheels"]["strategy"]["matrix"]["include"]
    built = {entry["arch"] for entry in matrix if entry["os"].startswith(RUNNERS[platform])}
    assert built == set(CIBW[platform]["archs"])


def test_workflow_runs_cibuildwheel_and_uploads_its_output():
    steps = _steps("build_wheels")
    cibw = next(s for s in steps if s.get("uses", "").startswith("pypa/cibuildwheel@"))
    assert cibw["env"]["CIBW_ARCHS"] == "${{ matrix.arch }}"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == f"{cibw['with']['output-dir']}/*.whl"
    assert "${{ matrix.arch }}" in upload["with"]["name"]  # one artifact a runner


def test_workflow_builds_and_uploads_the_sdist():
    steps = _steps("build_sdist")
    assert any("build --sdist" in s.get("run", "") for s in steps)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "dist/*.tar.gz"
