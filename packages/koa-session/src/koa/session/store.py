"""The store protocol (koa-session's ``store`` option) and ``MemoryStore``."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Protocol

from .codec import dumps, loads

if TYPE_CHECKING:
    from koa.core import Context

    from .options import MaxAge

__all__ = ["MemoryStore", "SessionStore"]


class SessionStore(Protocol):
    """Where sessions live when the cookie holds only their id.

    ``key`` is the session id (``prefix`` + a random UUID). ``session`` is the JSON object
    koa-session stores: the session's keys plus ``_expire`` (epoch milliseconds) and
    ``_maxAge`` (milliseconds), or ``_session: true``. ``max_age`` is in seconds (the
    session's, plus 10 s so that the store outlives the cookie), or ``"session"``.

    A store for a database looks like this::

        class TableStore:
            async def get(self, key, max_age, *, rolling, ctx):
                row = await db.fetchrow("SELECT data FROM sessions WHERE id = $1", key)
                return json.loads(row["data"]) if row else None

            async def set(self, key, session, max_age, *, rolling, changed, ctx):
                await db.execute("INSERT ... ON CONFLICT (id) DO UPDATE ...", key,
                                 json.dumps(session))

            async def destroy(self, key, *, ctx):
                await db.execute("DELETE FROM sessions WHERE id = $1", key)

    ``get`` returns ``None`` for an unknown or expired key (the client then gets a new
    session with a new id); an exception from any method fails the request (500, or the
    error's own ``status``) and reaches ``app.on("error")``.
    """

    async def get(
        self, key: str, max_age: MaxAge, *, rolling: bool, ctx: Context[Any]
    ) -> dict[str, Any] | None: ...

    async def set(
        self,
        key: str,
        session: dict[str, Any],
        max_age: MaxAge,
        *,
        rolling: bool,
        changed: bool,
        ctx: Context[Any],
    ) -> None: ...

    async def destroy(self, key: str, *, ctx: Context[Any]) -> None: ...


class MemoryStore:
    """Sessions in this process's memory: for tests and single-process apps.

    At most ``max_entries`` sessions are kept (the least recently used go first), each
    until its ``max_age`` passes (``session_ttl`` seconds for ``max_age="session"``).
    Values are stored as JSON text, so a session read back is a fresh copy. Every worker
    process has its own: behind several workers use ``RedisStore``.
    """

    def __init__(self, *, max_entries: int = 10_000, session_ttl: float = 86400) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ValueError(f"max_entries must be a positive int, not {max_entries!r}")
        if not isinstance(session_ttl, (int, float)) or not session_ttl > 0:
            raise ValueError(f"session_ttl must be positive seconds, not {session_ttl!r}")
        self.max_entries = max_entries
        self.session_ttl = session_ttl
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(
        self, key: str, max_age: MaxAge, *, rolling: bool, ctx: Context[Any]
    ) -> dict[str, Any] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        deadline, text = entry
        if deadline <= time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        data: dict[str, Any] = loads(text)
        return data

    async def set(
        self,
        key: str,
        session: dict[str, Any],
        max_age: MaxAge,
        *,
        rolling: bool,
        changed: bool,
        ctx: Context[Any],
    ) -> None:
        ttl = self.session_ttl if max_age == "session" else max_age
        self._entries[key] = (time.monotonic() + math.ceil(ttl), dumps(session))
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def destroy(self, key: str, *, ctx: Context[Any]) -> None:
        self._entries.pop(key, None)
