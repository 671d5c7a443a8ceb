"""Give a distribution the release metadata every package carries: one command, idempotent.

    hatch run release:adopt packages/koa-session

writes into that folder what ``tools/release_check.py`` requires (``docs/releasing.md``,
"Adding a package"): in ``pyproject.toml`` the version moved to ``src/koa/<name>/__about__.py``
(``dynamic = ["version"]``), the license file, authors, keywords, classifiers and project
URLs (existing keywords and classifiers are kept); a ``LICENSE`` copied from the root; a
``CHANGELOG.md`` with a section for the current version if it has none. Comments and the
rest of ``pyproject.toml`` are kept. Running it again changes nothing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tomlkit
from release_check import REQUIRED_KEYWORDS, ROOT, expected_urls

CLASSIFIERS = [
    "Development Status :: 3 - Alpha",
    "Framework :: AsyncIO",
    "Framework :: aiohttp",
    "Intended Audience :: Developers",
    "Operating System :: OS Independent",
    "Programming Language :: Python :: 3",
    "Programming Language :: Python :: 3 :: Only",
    "Programming Language :: Python :: 3.10",
    "Programming Language :: Python :: 3.11",
    "Programming Language :: Python :: 3.12",
    "Programming Language :: Python :: 3.13",
    "Topic :: Internet :: WWW/HTTP :: HTTP Servers",
    "Typing :: Typed",
]
KEYWORDS = [*REQUIRED_KEYWORDS, "aiohttp", "web", "http", "middleware"]
AUTHORS = [{"name": "Koa for Python contributors"}]


def multiline(items: Sequence[Any]) -> Any:
    array = tomlkit.array()
    array.extend(items)
    return array.multiline(True)


def put(table: Any, key: str, value: Any) -> None:
    """Set ``table[key]`` only when its value differs, so a file already right keeps its form."""
    current = table.get(key)
    if current is None or current.unwrap() != (
        value.unwrap() if hasattr(value, "unwrap") else value
    ):
        table[key] = value


def authors() -> Any:
    array = tomlkit.array()
    for author in AUTHORS:
        entry = tomlkit.inline_table()
        entry.update(author)
        array.append(entry)
    return array


def adopt(folder: Path) -> list[str]:
    """Bring ``folder`` (``packages/<dist>``) to the shared metadata; what changed."""
    changed = []
    pyproject = folder / "pyproject.toml"
    doc = tomlkit.parse(pyproject.read_text("utf-8"))
    project: Any = doc["project"]
    dist = str(project["name"])
    module = dist.removeprefix("koa-").replace("-", "_")
    about = folder / "src" / "koa" / module / "__about__.py"
    version = str(project.get("version", ""))

    if "version" in project:
        about.write_text(
            f'"""The version of {dist}: written here only, bumped with `hatch version`."""\n\n'
            f'__version__ = "{version}"\n',
            encoding="utf-8",
        )
        del project["version"]
        project["dynamic"] = ["version"]
        changed.append(f"version {version} moved to {about.relative_to(folder)}")
    elif about.is_file():
        version = about.read_text("utf-8").split('"')[-2]

    build = doc.setdefault("build-system", tomlkit.table())
    put(build, "requires", ["hatchling>=1.27"])
    put(build, "build-backend", "hatchling.build")
    put(project, "requires-python", ">=3.10")
    put(project, "license", "MIT")
    put(project, "license-files", ["LICENSE"])
    put(project, "authors", authors())
    own = [str(k) for k in project.get("keywords", [])]
    put(project, "keywords", [*KEYWORDS, *(k for k in own if k not in KEYWORDS)])
    extra = [str(c) for c in project.get("classifiers", []) if str(c) not in CLASSIFIERS]
    put(project, "classifiers", multiline(sorted({*CLASSIFIERS, *extra})))
    urls = tomlkit.table()
    urls.update(expected_urls(dist))
    urls.add(tomlkit.nl())
    put(project, "urls", urls)
    tool = doc.setdefault("tool", tomlkit.table())
    hatch = tool.setdefault("hatch", tomlkit.table())
    put(hatch, "version", {"path": f"src/koa/{module}/__about__.py"})
    new = tomlkit.dumps(doc)
    if new != pyproject.read_text("utf-8"):
        pyproject.write_text(new, encoding="utf-8")
        changed.append("pyproject.toml metadata")

    license_file = folder / "LICENSE"
    if not license_file.is_file() or license_file.read_bytes() != (ROOT / "LICENSE").read_bytes():
        shutil.copyfile(ROOT / "LICENSE", license_file)
        changed.append("LICENSE copied from the root")

    changelog = folder / "CHANGELOG.md"
    text = changelog.read_text("utf-8") if changelog.is_file() else ""
    if f"## {version}" not in text:
        changelog.write_text(
            f"# Changelog of {dist}\n\n"
            f"Every release of {dist} is listed here, newest first. Versions follow\n"
            "[Semantic Versioning](https://semver.org/) (before 1.0, a minor release may break"
            " the API);\nhow they are made is in the repository's `docs/releasing.md`.\n\n"
            f"## {version} (unreleased)\n\nFirst release.\n",
            encoding="utf-8",
        )
        changed.append(f"CHANGELOG.md with a '## {version}' section: write what it brings")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="packages/<dist> folders")
    args = parser.parse_args(argv)
    for folder in args.folders:
        changes = adopt(folder.resolve())
        print(f"{folder}: " + ("; ".join(changes) if changes else "already complete"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
