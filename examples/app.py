"""The example server: every package working together.

- a users API, built as its own Koa app (``create_users_app``) and mounted under ``/admin``:
  ``GET /admin/users`` (paged with ``?start_id=``), ``GET /admin/users/:id`` (404 when out of
  range), ``POST /admin/users`` (JSON or form; 400 for what is not a valid user);
- ``GET /admin/version`` from the main app's router;
- static files under ``/data`` from ``examples/data/``;
- ``POST /avatars``: an image upload (koa-multer), stored under a temporary folder and served
  back under ``/avatars/`` by koa-static;
- koa-logger, koa-bodyparser and a timing middleware that sets ``X-Response-Time``;
- koa-helmet's security headers on every response, errors included, and koa-cors on the users
  API, so that a front end served from ``ADMIN_ORIGINS`` can call it from the browser;
- koa-compress: bodies of 1 KB and more go out compressed to clients that ask
  (``curl --compressed http://127.0.0.1:3000/data/about.txt``), and every response says
  ``Vary: Accept-Encoding``.

Run it with ``hatch run example`` (``hatch run example --port 8080`` for another port); the
README lists curl lines with their output. This is the 2014 ``koa`` seed's
``example_server.py``, redone.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from koa.bodyparser import bodyparser
from koa.compress import compress
from koa.core import Context, Koa, Next
from koa.cors import cors
from koa.helmet import helmet
from koa.logger import logger
from koa.mount import mount
from koa.multer import DiskStorage, File, multer, uploaded_file
from koa.router import Router
from koa.static import serve

VERSION = "0.1.0"
DATA = Path(__file__).resolve().parent / "data"
PAGE_SIZE = 6
MAX_NAME = 100
MAX_AVATAR = 1024 * 1024
# Image types by their first bytes: the client's Content-Type and filename are not trusted.
AVATAR_SIGNATURES = {b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg", b"GIF8": ".gif"}
# The origins of the admin front end (a development server, say), which may call the users API
# from the browser. Any other site gets no Access-Control-Allow-Origin: the browser then keeps
# the responses from its scripts.
ADMIN_ORIGINS = ["http://localhost:8080", "http://127.0.0.1:8080"]


log = logging.getLogger("examples.app")


async def response_time(ctx: Context, next: Next) -> None:
    """``X-Response-Time``: how long the middleware below took, in milliseconds."""
    start = time.perf_counter()
    await next()
    ctx.set("X-Response-Time", f"{(time.perf_counter() - start) * 1000:.3f}ms")


def create_users_app() -> Koa:
    """The users API: a Koa app of its own, which knows nothing about where it is mounted."""
    users: list[dict[str, Any]] = [{"id": n, "name": f"testuser{n}"} for n in range(3)]
    router = Router()

    @router.get("/users")
    async def list_users(ctx: Context, next: Next) -> None:
        start = ctx.query.get("start_id", "0")
        ctx.assert_(start.isdigit() and len(start) < 10, 400, "start_id must be a whole number")
        first = int(start)
        ctx.body = users[first : first + PAGE_SIZE]

    @router.get("/users/:id", name="user")
    async def show_user(ctx: Context, next: Next) -> None:
        raw = ctx.params["id"]
        user_id = int(raw) if raw.isdigit() and len(raw) < 10 else -1
        ctx.assert_(0 <= user_id < len(users), 404, "out of range")
        ctx.body = users[user_id]

    @router.post("/users")
    async def create_user(ctx: Context, next: Next) -> None:
        data = ctx.request.body  # parsed by koa-bodyparser in the main app
        ctx.assert_(isinstance(data, dict), 400, "expected a JSON object")
        name = data.get("name")
        ctx.assert_(isinstance(name, str) and name.strip(), 400, "name is required")
        ctx.assert_(len(name) <= MAX_NAME, 400, f"name is longer than {MAX_NAME} characters")
        user = {"id": len(users), "name": name}
        users.append(user)
        ctx.status = 201
        ctx.set("Location", f"{ctx.mount_path or ''}{router.url('user', user['id'])}")
        ctx.body = user

    users_app = Koa()
    # Location is exposed so that the front end can read where a new user lives.
    users_app.use(cors(origin=ADMIN_ORIGINS, expose_headers="Location"))
    users_app.use(router.routes()).use(router.allowed_methods())
    return users_app


def create_avatar_router(media: Path) -> Router:
    """``POST /avatars``: a form with an ``avatar`` image (PNG, JPEG or GIF, 1 MB at most).

    The upload lands in ``media/incoming`` under a random name; a real image is moved to
    ``media/avatars`` (served by koa-static) under a new random name, anything else is
    refused and koa-multer removes it after the response.
    """
    incoming = media / "incoming"
    avatars = media / "avatars"

    def incoming_folder(ctx: Context, file: File) -> Path:
        incoming.mkdir(parents=True, exist_ok=True)
        return incoming

    storage = DiskStorage(destination=incoming_folder)
    upload = multer(storage=storage, limits={"file_size": MAX_AVATAR, "files": 1, "fields": 10})
    router = Router()

    async def create_avatar(ctx: Context, next: Next) -> None:
        avatar = uploaded_file(ctx)
        if avatar is None:
            ctx.throw(400, "avatar is required")
        head = (await avatar.read())[:8]
        extension = image_extension(head)
        ctx.assert_(extension is not None, 415, "avatar must be a PNG, JPEG or GIF image")
        name = f"{secrets.token_hex(8)}{extension}"
        await asyncio.to_thread(avatars.mkdir, parents=True, exist_ok=True)
        await avatar.move_to(avatars / name)
        ctx.status = 201
        ctx.set("Location", f"/avatars/{name}")
        ctx.body = {"url": f"/avatars/{name}", "size": avatar.size}

    router.post("/avatars", upload.single("avatar"), create_avatar)
    return router


def image_extension(head: bytes) -> str | None:
    """The extension for an image that starts with ``head``, ``None`` for anything else."""
    for signature, extension in AVATAR_SIGNATURES.items():
        if head.startswith(signature):
            return extension
    return None


def create_app(*, media: Path | None = None) -> Koa:
    """The main app: logger, timer, security headers, compression and body parser first, then
    the routes and the mounts.

    ``media`` holds uploaded avatars (default: ``koa-example`` in the temporary folder).
    """
    if media is None:
        media = Path(tempfile.gettempdir()) / "koa-example"
    router = Router()

    @router.get("/")
    async def index(ctx: Context, next: Next) -> None:
        ctx.body = {
            "users": "/admin/users",
            "version": "/admin/version",
            "files": "/data/",
        }

    @router.get("/admin/version")
    async def version(ctx: Context, next: Next) -> None:
        ctx.body = VERSION

    app = Koa()
    app.use(logger())
    app.use(response_time)
    app.use(helmet())
    app.use(compress())
    app.use(bodyparser())
    app.use(router.routes()).use(router.allowed_methods())
    app.use(mount("/data", serve(DATA)))
    avatars = create_avatar_router(media)
    app.use(avatars.routes()).use(avatars.allowed_methods())
    app.use(mount("/avatars", serve(media / "avatars")))
    app.use(mount("/admin", create_users_app()))
    app.on("error", report_error)
    return app


def report_error(err: BaseException, ctx: Any) -> None:
    """Log server errors with their traceback; a client's mistakes (4xx) are not ours to fix.

    Without a listener Koa logs every error it does not expose, a client's malformed JSON
    (400) included.
    """
    status = getattr(err, "status", 500)
    if status >= 500:
        log.error("%s %s failed", ctx.method, ctx.original_url, exc_info=err)


app = create_app()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve the example app.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args()
    app.listen(
        args.port,
        args.host,
        callback=lambda server: print(f"listening on {server.url}", flush=True),
    )
