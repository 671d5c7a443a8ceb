"""The ``request_id()`` middleware, ``current_request_id()`` and a logging filter."""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from koa.core import Context, Next, current_context

# What an incoming ID may look like: short, and nothing that could upset a log line or header.
_VALID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")

STATE_KEY = "request_id"


def _new_id() -> str:
    return uuid.uuid4().hex


def request_id(
    *,
    header: str = "X-Request-Id",
    trust_incoming: bool = True,
    generate: Callable[[], str] = _new_id,
) -> Callable[[Context[Any], Next], Any]:
    """Give every request an ID: ``ctx.state["request_id"]`` and the ``header`` response header.

    ::

        app.use(request_id())

    An incoming ``header`` (from a proxy or another service) is kept when ``trust_incoming``
    is true and it looks like an ID (1 to 128 characters of ``A-Za-z0-9._:@/+=-``); anything
    else gets a fresh ``generate()`` (a UUID4 in hex). Error responses carry the header too:
    Koa's error responder drops the headers set before an error, so the ID travels on the
    error's ``headers``, which the responder applies.
    """

    async def request_id_middleware(ctx: Context[Any], next: Next) -> None:
        incoming = ctx.get(header) if trust_incoming else ""
        rid = incoming if _VALID.fullmatch(incoming) else generate()
        ctx.state[STATE_KEY] = rid
        ctx.set(header, rid)
        try:
            await next()
        except Exception as err:
            headers = getattr(err, "headers", None)
            if isinstance(headers, dict):
                headers[header] = rid
            elif headers is None:
                with contextlib.suppress(AttributeError):  # exception types with __slots__
                    err.headers = {header: rid}  # type: ignore[attr-defined]
            raise

    return request_id_middleware


def current_request_id() -> str | None:
    """The ID of the request being handled in this task, or ``None`` outside requests."""
    ctx = current_context()
    if ctx is None:
        return None
    rid = ctx.state.get(STATE_KEY) if isinstance(ctx.state, dict) else None
    return rid if isinstance(rid, str) else None


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (``-`` outside requests) for use in log formats::

    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(request_id)s %(message)s"))
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True
