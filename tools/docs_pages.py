"""Pages the docs site builds from the repository (run by mkdocs-gen-files, see mkdocs.yml).

- ``index.md``: the root README; ``koa-js.md``: its "From Koa.js" table;
- ``packages/<dist>/index.md`` and ``changelog.md``: each ``packages/*`` README and CHANGELOG;
- ``reference/<dist>.md``: the API reference of ``koa.<name>``, from its docstrings;
- ``SUMMARY.md``: the navigation. Guides are the pages in ``GUIDES`` order, then every other
  ``docs/*.md`` and ``docs/guides/*.md`` page by file name, so a page added under ``docs/``
  appears without editing anything (put its name in ``GUIDES`` to choose its place).

Links between these files are rewritten by ``tools/docs_hooks.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import mkdocs_gen_files
import tomlkit

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

GUIDES = [
    "guides/middleware.md",
    "guides/errors.md",
    "guides/routing.md",
    "guides/static-files.md",
    "guides/mounting.md",
    "guides/logging.md",
    "guides/bodies.md",
    "websockets.md",
    "deployment.md",
    "asgi.md",
    "guides/testing.md",
]
# Pages with their own place in the navigation (not guides).
PLACED = {"index.md", "getting-started.md", "koa-js.md", "releasing.md"}


def title(path: Path) -> str:
    found = re.search(r"^# (.+)$", path.read_text("utf-8"), re.M)
    return found.group(1).strip() if found else path.stem.replace("-", " ").capitalize()


def section(markdown: str, heading: str) -> str:
    """The text of ``## heading`` up to the next ``## `` heading."""
    found = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    if found is None:
        raise LookupError(f"README.md has no '## {heading}' section")
    return found.group(1)


def distributions() -> list[tuple[str, str, str]]:
    """``(dist, module, description)`` of every ``packages/*``, koa-core first."""
    found = []
    for pyproject in sorted(ROOT.glob("packages/*/pyproject.toml")):
        project = tomlkit.parse(pyproject.read_text("utf-8")).unwrap()["project"]
        dist = project["name"]
        found.append((dist, dist.removeprefix("koa-").replace("-", "_"), project["description"]))
    return sorted(found, key=lambda d: (d[0] != "koa-core", d[0]))


def generate() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    with mkdocs_gen_files.open("index.md", "w") as f:
        f.write(readme)
    mkdocs_gen_files.set_edit_path("index.md", "../README.md")
    with mkdocs_gen_files.open("koa-js.md", "w") as f:
        f.write("# From Koa.js\n\nKoa.js code and its Koa for Python equivalent, line by line.\n")
        f.write(section(readme, "From Koa.js"))
    mkdocs_gen_files.set_edit_path("koa-js.md", "../README.md")

    nav = ["- [Home](index.md)", "- [Getting started](getting-started.md)", "- Guides"]
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.glob("*.md")}
    pages |= {p.relative_to(DOCS).as_posix() for p in DOCS.glob("guides/*.md")}
    pages -= PLACED
    ordered = [g for g in GUIDES if g in pages] + sorted(pages - set(GUIDES))
    nav += [f"    - [{title(DOCS / page)}]({page})" for page in ordered]
    nav.append("- [From Koa.js](koa-js.md)")

    nav.append("- Packages")
    for dist, _, _ in distributions():
        folder = ROOT / "packages" / dist
        with mkdocs_gen_files.open(f"packages/{dist}/index.md", "w") as f:
            f.write((folder / "README.md").read_text("utf-8"))
        mkdocs_gen_files.set_edit_path(f"packages/{dist}/index.md", f"../packages/{dist}/README.md")
        nav.append(f"    - [{dist}](packages/{dist}/index.md)")
        if (folder / "CHANGELOG.md").is_file():
            with mkdocs_gen_files.open(f"packages/{dist}/changelog.md", "w") as f:
                f.write((folder / "CHANGELOG.md").read_text("utf-8"))
            nav.append(f"        - [Changelog](packages/{dist}/changelog.md)")

    nav.append("- API reference")
    for dist, module, description in distributions():
        with mkdocs_gen_files.open(f"reference/{dist}.md", "w") as f:
            f.write(f"# {dist}\n\n{description}.\n\n::: koa.{module}\n")
        nav.append(f"    - [koa.{module}](reference/{dist}.md)")

    nav.append("- [Releasing](releasing.md)")
    with mkdocs_gen_files.open("SUMMARY.md", "w") as f:
        f.write("\n".join(nav) + "\n")


generate()
