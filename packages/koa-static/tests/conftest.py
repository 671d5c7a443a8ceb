"""A small public directory for the koa-static tests, built fresh in each test's tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FILES = {
    "index.html": b"<p>home</p>",
    "a.txt": b"hello world\n",
    "a.txt.gz": b"gzipped-a",
    "b.js": b"console.log(1)\n",
    "b.js.br": b"brotli-b",
    "b.js.gz": b"gzipped-b",
    "sp ace.txt": b"space",
    "page.html": b"<p>page</p>",
    "data.json": b'{"a":1}',
    "noext": b"no extension",
    "dir/index.html": b"<p>dir</p>",
    "dir/inner.txt": b"inner",
    "empty/.keep": b"",
    "nested/deep/file.txt": b"deep",
    ".hidden": b"hidden file",
    ".git/config": b"[core]",
    "public.dir/.env": b"SECRET=1",
    "digits.bin": bytes(range(256)) * 4,
    "zero.txt": b"",
    "unknown.zzzq": b"???",
    "unknown.zzzq.gz": b"gz???",
}


@pytest.fixture
def public(tmp_path: Path) -> Path:
    """``tmp_path/public`` with FILES, plus ``tmp_path/secret.txt`` outside it."""
    root = tmp_path / "public"
    for name, data in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (tmp_path / "secret.txt").write_bytes(b"outside root")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.txt").write_bytes(b"outside dir")
    # Fixed mtimes so Last-Modified and If-Modified-Since are predictable.
    for dirpath, _, names in os.walk(root):
        for name in names:
            os.utime(os.path.join(dirpath, name), (1_700_000_000, 1_700_000_000))
    return root
