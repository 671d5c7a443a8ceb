"""The release tooling itself (tools/): what it reports on real files of a package tree.

The release check's builds and installs run in CI (`hatch run release:check`); these tests
pin the parts that decide what it accepts: the metadata rules, `release:adopt` bringing a new
package up to them, the support matrix's aiohttp bounds, and the docs site's link rewriting.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # the tools import each other by bare name
    spec.loader.exec_module(module)
    return module


release_check = load("release_check")
adopt = load("adopt")
matrix = load("matrix")
docs_hooks = load("docs_hooks")

# A package as a new branch brings it: static version, no license file, URLs or changelog.
NEW_PACKAGE = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "koa-demo"
version = "0.3.0"
description = "A demo middleware"
readme = "README.md"
requires-python = ">=3.10"
license = "MIT"
dependencies = [
  "koa-core>=0.1,<0.2",
  # the parser it needs
  "aiohttp>=3.10,<4",
]
classifiers = ["Framework :: AsyncIO", "Typing :: Typed", "Topic :: Internet"]

[tool.hatch.build.targets.wheel]
packages = ["src/koa"]
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the repository's LICENSE and koa-core, plus a new package koa-demo."""
    shutil.copy(ROOT / "LICENSE", tmp_path / "LICENSE")
    shutil.copytree(ROOT / "packages" / "koa-core", tmp_path / "packages" / "koa-core")
    demo = tmp_path / "packages" / "koa-demo"
    (demo / "src" / "koa" / "demo").mkdir(parents=True)
    (demo / "src" / "koa" / "demo" / "__init__.py").write_text('"""Demo."""\n')
    (demo / "README.md").write_text("# koa-demo\n")
    (demo / "pyproject.toml").write_text(NEW_PACKAGE)
    return tmp_path


def test_the_check_names_what_a_new_package_lacks(tree: Path) -> None:
    errors = release_check.check_metadata(release_check.discover(tree), tree)
    demo = [e for e in errors if "koa-demo" in e]
    assert not [e for e in errors if "koa-core" in e.split(":")[0]]
    for field in ("dynamic", "license-files", "LICENSE", "authors", "keywords", "urls"):
        assert any(field in e for e in demo), (field, demo)
    assert any("CHANGELOG" in e for e in demo)
    assert any("aiohttp>=3.10,<4" in e and "koa-core" in e for e in demo)


def test_adopt_brings_a_new_package_to_the_check_and_changes_nothing_twice(tree: Path) -> None:
    demo = tree / "packages" / "koa-demo"
    changed = adopt.adopt(demo)
    assert any("0.3.0" in c for c in changed)
    text = (demo / "pyproject.toml").read_text()
    assert "# the parser it needs" in text  # comments and dependencies are kept
    assert '"Topic :: Internet"' in text  # and the package's own classifiers
    assert (demo / "src/koa/demo/__about__.py").read_text().endswith('__version__ = "0.3.0"\n')
    assert "## 0.3.0" in (demo / "CHANGELOG.md").read_text()
    # The one thing adopt cannot decide: the aiohttp bound below koa-core's.
    text = text.replace('"aiohttp>=3.10,<4"', '"aiohttp>=3.14.4,<4"')
    (demo / "pyproject.toml").write_text(text)
    assert release_check.check_metadata(release_check.discover(tree), tree) == []
    assert adopt.adopt(demo) == []
    assert (demo / "pyproject.toml").read_text() == text


def test_every_package_of_the_repository_passes_the_metadata_check() -> None:
    assert release_check.check_metadata(release_check.discover()) == []


def test_the_matrix_tests_each_package_at_the_lowest_aiohttp_it_can_be_installed_with(
    tree: Path,
) -> None:
    dists = release_check.discover(tree)
    by_name = {d.name: d for d in dists}
    core_floor = matrix.aiohttp_floor(by_name["koa-core"], by_name)
    assert str(core_floor) in (tree / "packages/koa-core/pyproject.toml").read_text()
    # koa-demo declares aiohttp>=3.10 but gets koa-core's higher floor with koa-core.
    assert matrix.aiohttp_floor(by_name["koa-demo"], by_name) == core_floor
    cells = matrix.plan(dists, ["3.10", "3.13"])
    assert [(c.python, c.aiohttp) for c in cells] == [
        ("3.10", str(core_floor)),
        ("3.13", "newest"),
    ]
    assert not any(c.with_root_tests for c in cells)
    cells = matrix.plan(dists, ["3.10", "3.13"], full=True)
    assert len(cells) == 4
    assert all(c.with_root_tests for c in cells)


def test_docs_links_become_pages_or_repository_links(caplog: pytest.LogCaptureFixture) -> None:
    markdown = (
        "See [the app](../../examples/app.py),"
        " [core](../../packages/koa-core/README.md#dependencies),"
        " [mount](../../packages/koa-mount), [a guide](errors.md), [Koa](https://koajs.com/),\n"
        "`[code](../nowhere.py)` and [gone](../../nowhere.py).\n"
        "```python\nd[0](x)\n```\n"
    )
    with caplog.at_level(logging.WARNING, logger="mkdocs.hooks.links"):
        out = docs_hooks.rewrite(markdown, "guides/testing.md", {"guides/errors.md"})
    repo = docs_hooks.REPOSITORY
    assert f"[the app]({repo}/blob/main/examples/app.py)" in out
    assert "[core](../packages/koa-core/index.md#dependencies)" in out
    assert "[mount](../packages/koa-mount/index.md)" in out
    assert "[a guide](errors.md)" in out
    assert "[Koa](https://koajs.com/)" in out
    assert "`[code](../nowhere.py)`" in out
    assert "d[0](x)" in out
    assert [r.getMessage() for r in caplog.records] == [
        "guides/testing.md: link to ../../nowhere.py, which is not in the repository"
    ]
