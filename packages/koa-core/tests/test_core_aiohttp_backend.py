"""The aiohttp backend: every aiohttp name it relies on that is not public API is listed in
``PRIVATE_NAMES``, exists in the installed aiohttp, and is used nowhere else in koa-core."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from koa.core import Context, Koa, Next
from koa.core.backends import aiohttp as backend
from koa.core.testing import TestClient

#: The aiohttp backend's own internals.
KOA_BACKENDS = ("aiohttp",)

_SOURCE = Path(backend.__file__).read_text()
# The backend's own private attributes and helpers (not aiohttp's); ``_replace`` is the
# public method of named tuples.
_OWN = {
    "_continued",
    "_finish_then_close",
    "_finish_then_linger",
    "_kept",
    "_replace",
    "_result",
    "_send_chunked",
    "_sent",
    "_sink",
    "_ws",
}
_CORE = Path(backend.__file__).resolve().parent.parent


async def _live_objects(tmp_path: Path) -> dict[str, Any]:
    """One live instance of each aiohttp class the names belong to, from a real request."""
    seen: dict[str, Any] = {}

    async def capture(ctx: Context, next: Next) -> None:
        seen["BaseRequest"] = ctx.req
        seen["RequestHandler"] = ctx.req.protocol
        ctx.body = "ok"

    app = Koa().use(capture)
    async with TestClient(app) as client:
        assert (await client.get("/")).status == 200
    (tmp_path / "f.txt").write_text("x")
    seen["StreamResponse"] = web.StreamResponse()
    seen["FileResponse"] = web.FileResponse(tmp_path / "f.txt")
    seen["Server"] = backend.Server(capture)
    return seen


async def test_every_private_aiohttp_name_exists_in_the_installed_aiohttp(tmp_path: Path) -> None:
    live = await _live_objects(tmp_path)
    missing = [
        f"{owner}.{name} (koa-core uses it: {why})"
        for (owner, name), why in backend.PRIVATE_NAMES.items()
        if not hasattr(live[owner], name)
    ]
    assert not missing, (
        f"aiohttp {aiohttp.__version__} no longer has these names koa-core's aiohttp backend"
        f" relies on: {'; '.join(missing)}"
    )


def test_every_private_name_the_backend_touches_is_listed() -> None:
    used = set(re.findall(r"\.(_[a-z][a-z_]*)\b", _SOURCE))
    used |= set(re.findall(r"""attr\(\w+, ["'](_[a-z][a-z_]*)["']""", _SOURCE))
    used |= set(re.findall(r"    (?:async )?def (_[a-z][a-z_]*)\(", _SOURCE))
    listed = {name for _, name in backend.PRIVATE_NAMES}
    unlisted = sorted(used - listed - _OWN)
    assert not unlisted, f"add these to PRIVATE_NAMES with the reason: {unlisted}"


# The server glue (aiohttp's runner and sites: the server and the gunicorn worker) and the
# test client (aiohttp's client) import aiohttp too, by public names only; everything else
# reaches the server through the seam.
_GLUE = {"server.py", "testing.py", "worker.py"}


@pytest.mark.parametrize(
    "path",
    sorted(p for p in _CORE.rglob("*.py") if p.parent.name != "backends" and p.name not in _GLUE),
    ids=lambda p: p.name,
)
def test_no_other_core_module_imports_aiohttp(path: Path) -> None:
    # Imports under ``if TYPE_CHECKING:`` (indented) only name ``ctx.req``'s and ``ctx.res``'s
    # types; at run time the module must not need aiohttp.
    assert not re.search(r"^(from aiohttp|import aiohttp)", path.read_text(), re.MULTILINE), (
        f"{path.name} imports aiohttp: reach the server through koa.core.connection instead"
    )
