"""Upload servers for ``benchmarks/multer_upload.py``: each parses a multipart/form-data POST
and answers ``<number of fields> <bytes of files>``.

``python benchmarks/servers/upload_apps.py koa|koa-memory|aiohttp|starlette PORT DIR``

- ``koa``: koa-multer, ``any()``, files to disk in DIR (random names, removed after the
  response); ``koa-memory``: koa-multer keeping files in memory. Limits raised to 2 GiB so the
  1 GB run fits.
- ``aiohttp``: aiohttp.web's ``await request.post()`` (file fields spooled to temporary files).
- ``starlette``: Starlette's ``await request.form()`` on uvicorn (python-multipart; files in
  ``SpooledTemporaryFile``s, on disk past 1 MB).
"""

from __future__ import annotations

import sys
from typing import Any

GIB = 1024**3


def koa(port: int, folder: str, *, memory: bool) -> None:
    from koa.core import Context, Koa, Next
    from koa.multer import multer, uploaded_files

    limits = {"file_size": 2 * GIB, "total_size": 2 * GIB, "fields": 10_000, "parts": 10_000}
    upload = multer(dest=None if memory else folder, limits=limits)

    async def answer(ctx: Context[Any], next: Next) -> None:
        files = uploaded_files(ctx)
        size = sum(f.size for fs in files.values() for f in fs)
        ctx.body = f"{len(ctx.request.body)} {size}"

    app: Koa[Any] = Koa(silent=True)
    app.use(upload.any()).use(answer)
    app.listen(port)


def aiohttp_web(port: int) -> None:
    from aiohttp import web

    async def answer(request: web.Request) -> web.Response:
        form = await request.post()
        fields = size = 0
        for value in form.values():
            if isinstance(value, web.FileField):
                value.file.seek(0, 2)
                size += value.file.tell()
            else:
                fields += 1
        return web.Response(text=f"{fields} {size}")

    app = web.Application(client_max_size=2 * GIB)
    app.router.add_post("/", answer)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def starlette(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    async def answer(request: Request) -> Response:
        async with request.form(max_files=10_000, max_fields=10_000) as form:
            fields = size = 0
            for value in form.values():
                if isinstance(value, str):
                    fields += 1
                else:
                    size += value.size or 0
        return PlainTextResponse(f"{fields} {size}")

    app = Starlette(routes=[Route("/", answer, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def main() -> None:
    kind, port, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if kind in ("koa", "koa-memory"):
        koa(port, folder, memory=kind == "koa-memory")
    elif kind == "aiohttp":
        aiohttp_web(port)
    elif kind == "starlette":
        starlette(port)
    else:
        raise SystemExit(f"unknown server {kind!r}")


if __name__ == "__main__":
    main()
