"""``multer()``: per-route middleware that parses multipart/form-data uploads."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from koa.core import Context, Next

from .file import File
from .limits import Limits, resolve_limits
from .parser import FileFilter, Upload
from .storage import DiskStorage, MemoryStorage, Storage, unlink_all

UploadMiddleware = Callable[[Context[Any], Next], Awaitable[None]]

# Cleanups under way after responses (a task must be referenced until it is done).
_cleanups: set[asyncio.Task[None]] = set()


def multer(
    *,
    dest: str | os.PathLike[str] | None = None,
    storage: Storage | None = None,
    limits: Mapping[str, int] | Limits | None = None,
    file_filter: FileFilter | None = None,
    read_timeout: float | None = 30.0,
) -> Multer:
    """An upload parser; its methods make the middleware for each route::

        upload = multer(dest="uploads")          # or multer() to keep files in memory

        @router.post("/profile", upload.single("avatar"))
        async def profile(ctx, next):
            avatar = uploaded_file(ctx)          # also ctx.file
            await avatar.move_to(f"avatars/{user_id}")
            name = ctx.request.body["name"]      # the text fields

    ``dest``: a folder for ``DiskStorage`` (files get random names there); ``None`` keeps files
    in memory unless ``storage`` is given. ``limits``: a mapping of ``Limits``' fields
    (``{"file_size": 2 * 1024 * 1024}``); missing keys keep their defaults. ``file_filter(ctx,
    file) -> bool`` (may be async) skips a file quietly when false. ``read_timeout``: seconds
    without a byte of body before a 408 (``None`` waits for koa-core's request timeout).
    """
    if dest is not None and storage is not None:
        raise ValueError("give dest or storage, not both")
    if storage is None:
        storage = MemoryStorage() if dest is None else DiskStorage(destination=dest)
    elif not (
        callable(getattr(storage, "store", None)) and callable(getattr(storage, "remove", None))
    ):
        raise TypeError("storage must have async store(ctx, file, chunks) and remove(ctx, file)")
    if file_filter is not None and not callable(file_filter):
        raise TypeError("file_filter must be a function (ctx, file) -> bool")
    if read_timeout is not None and (isinstance(read_timeout, bool) or read_timeout <= 0):
        raise ValueError("read_timeout must be a positive number of seconds, or None")
    return Multer(
        storage=storage,
        limits=resolve_limits(limits),
        file_filter=file_filter,
        read_timeout=read_timeout,
    )


class Multer:
    """Makes upload middleware; build it with ``multer()``."""

    def __init__(
        self,
        *,
        storage: Storage,
        limits: Limits,
        file_filter: FileFilter | None,
        read_timeout: float | None,
    ) -> None:
        self.storage = storage
        self.limits = limits
        self.file_filter = file_filter
        self.read_timeout = read_timeout

    def single(self, name: str) -> UploadMiddleware:
        """One file from field ``name``, as ``ctx.file``; another file is a 400."""
        return self._middleware({_field_name(name): 1}, single=True)

    def array(self, name: str, max_count: int | None = None) -> UploadMiddleware:
        """Files from field ``name`` (at most ``max_count``, else 400), as ``ctx.files[name]``."""
        count = self.limits.files if max_count is None else _count(max_count)
        return self._middleware({_field_name(name): count})

    def fields(self, fields: Iterable[tuple[str, int | None] | str]) -> UploadMiddleware:
        """Files from several fields: ``[("avatar", 1), ("gallery", 8)]`` (a bare name or a
        count of ``None`` allows up to ``limits["files"]``), as ``ctx.files[name]``."""
        if isinstance(fields, (str, bytes)):
            raise TypeError("fields must be a list of (name, max_count) pairs, not a string")
        accept: dict[str, int] = {}
        for field in fields:
            name, count = (field, None) if isinstance(field, str) else field
            accept[_field_name(name)] = self.limits.files if count is None else _count(count)
        return self._middleware(accept)

    def none(self) -> UploadMiddleware:
        """Text fields only: any file is a 400."""
        return self._middleware({})

    def any(self) -> UploadMiddleware:
        """Files from any field (within ``limits``). Only on routes that handle every file."""
        return self._middleware(None)

    def _middleware(
        self, accept: dict[str, int] | None, *, single: bool = False
    ) -> UploadMiddleware:
        storage = self.storage
        limits = self.limits
        file_filter = self.file_filter
        read_timeout = self.read_timeout
        single_name = next(iter(accept)) if single and accept else None

        async def multer_middleware(ctx: Context[Any], next: Next) -> None:
            upload = Upload(
                ctx,
                limits=limits,
                storage=storage,
                accept=accept,
                file_filter=file_filter,
                read_timeout=read_timeout,
            )
            ctx.on_finished(lambda: _remove_later(upload))
            try:
                await upload.parse()
            except BaseException:
                # A limit hit, a malformed body, a client gone: nothing stays on disk, and
                # the files are gone before the error response is sent.
                await asyncio.shield(upload.remove_files())
                raise
            ctx.request.body = upload.fields
            files = upload.files
            found = files.get(single_name) if single_name is not None else None
            _set_result(ctx, "file", found[0] if found else None)
            _set_result(ctx, "files", files)
            await next()

        return multer_middleware


def _remove_later(upload: Upload) -> None:
    """At the end of the response: remove the files the handler did not move or keep."""
    if upload.removed or not upload.stored:
        return
    loop = asyncio.get_running_loop()
    if type(upload.storage).remove is DiskStorage.remove:
        # Handed to the thread pool now rather than to a task: a task may never run when the
        # server stops right after the response, while the pool finishes its queue first.
        upload.removed = True
        paths = [f.path for f in upload.stored if f.path is not None and not f.kept]
        if paths:
            loop.run_in_executor(None, unlink_all, paths)
        return
    task = loop.create_task(upload.remove_files())
    _cleanups.add(task)
    task.add_done_callback(_cleanups.discard)


def _set_result(ctx: Context[Any], name: str, value: Any) -> None:
    # @koa/multer sets both ctx.file and ctx.request.file (koa-core declares the latter).
    setattr(ctx, name, value)
    setattr(ctx.request, name, value)


def uploaded_file(ctx: Context[Any]) -> File | None:
    """The file ``single()`` received (``ctx.file``), ``None`` when none was sent."""
    value = vars(ctx).get("file")
    return value if isinstance(value, File) else None


def uploaded_files(ctx: Context[Any]) -> dict[str, list[File]]:
    """The files received, per field (``ctx.files``); ``{}`` before the middleware ran."""
    value = vars(ctx).get("files")
    return value if isinstance(value, dict) else {}


def _field_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise TypeError(f"a field name must be a non-empty string, not {name!r}")
    return name


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_count must be a positive int, not {value!r}")
    return value
