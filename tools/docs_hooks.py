"""MkDocs hook: links written for GitHub work on the docs site too (see mkdocs.yml).

READMEs and ``docs/*.md`` link to files of the repository by relative path (``../README.md``,
``examples/app.py``, ``../koa-core/README.md#deviations-from-koa``). Each link is resolved
from the file's place in the repository: a file that is a page of the site becomes a link to
that page (the anchor kept, so MkDocs checks it); any other file or folder of the repository
becomes a link to it in the repository's web view; a path that exists nowhere is reported, and
``mkdocs build --strict`` fails on it. Code spans and fenced code are left alone.
"""

from __future__ import annotations

import logging
import posixpath
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPOSITORY = "https://github.com/koa-python/koa"
log = logging.getLogger("mkdocs.hooks.links")

# Pages generated from a repository file (tools/docs_pages.py), by their path on the site.
_PACKAGE_PAGE = re.compile(r"packages/([^/]+)/(index|changelog)\.md")
_LINK = re.compile(r"(\]\(|^\[[^\]]+\]:\s*)(?P<target>[^)\s]+)", re.M)
_CODE = re.compile(r"(^```.*?^```|`[^`\n]*`)", re.M | re.S)


def source_of(page: str) -> str:
    """The repository file that page ``page`` of the site shows."""
    if page in ("index.md", "koa-js.md"):
        return "README.md"
    found = _PACKAGE_PAGE.fullmatch(page)
    if found:
        return f"packages/{found[1]}/" + ("README.md" if found[2] == "index" else "CHANGELOG.md")
    return f"docs/{page}"


def page_of(source: str) -> str | None:
    """The page of the site that shows repository file ``source``, if there is one."""
    if source == "README.md":
        return "index.md"
    parts = source.split("/")
    if len(parts) >= 2 and parts[0] == "packages" and (ROOT / "packages" / parts[1]).is_dir():
        rest = "/".join(parts[2:])
        if rest in ("", "README.md"):
            return f"packages/{parts[1]}/index.md"
        if rest == "CHANGELOG.md":
            return f"packages/{parts[1]}/changelog.md"
    if source.startswith("docs/") and source.endswith(".md"):
        return source.removeprefix("docs/")
    return None


def rewrite(markdown: str, page: str, pages: set[str]) -> str:
    """``markdown`` of site page ``page`` with its links made to work; ``pages``: the site's."""
    here = posixpath.dirname(source_of(page))

    def link(match: re.Match[str]) -> str:
        target = match["target"]
        if re.match(r"^([a-z][a-z0-9+.-]*:|#|/)", target, re.I):
            return match[0]
        path, hash_, anchor = target.partition("#")
        if posixpath.normpath(posixpath.join(posixpath.dirname(page), path)) in pages:
            return match[0]  # already a link between pages of the site
        source = posixpath.normpath(posixpath.join(here, path))
        if source.startswith("..") or not (ROOT / source).exists():
            log.warning("%s: link to %s, which is not in the repository", page, target)
            return match[0]
        shown = page_of(source)
        if shown is not None:
            new = posixpath.relpath(shown, posixpath.dirname(page)) + hash_ + anchor
        else:
            kind = "tree" if (ROOT / source).is_dir() else "blob"
            new = f"{REPOSITORY}/{kind}/main/{source}{hash_}{anchor}"
        return match[1] + new

    pieces = _CODE.split(markdown)
    # Odd pieces are code (the split keeps the delimiters' group): leave them as they are.
    return "".join(p if i % 2 else _LINK.sub(link, p) for i, p in enumerate(pieces))


def on_page_markdown(markdown: str, page: Any, files: Any, **_: Any) -> str:
    return rewrite(markdown, page.file.src_uri, {f.src_uri for f in files})
