"""``RedisStore``: sessions in Redis, as koa-redis stores them, shared by every worker."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .codec import dumps, loads

if TYPE_CHECKING:
    from koa.core import Context
    from redis.asyncio import Redis

    from .options import MaxAge

__all__ = ["RedisStore"]


def _redis_module() -> Any:
    try:
        import redis.asyncio
    except ImportError:
        raise ImportError("RedisStore needs redis-py: pip install 'koa-session[redis]'") from None
    return redis.asyncio


class RedisStore:
    """Sessions in Redis through redis-py's ``redis.asyncio``.

    ``RedisStore(url="redis://127.0.0.1:6379/0")`` makes its own client (closed by
    ``await store.close()``); ``RedisStore(client=redis.asyncio.Redis(...))`` uses yours.
    A session is one string key, ``prefix`` + the session id, holding the session's JSON
    (what koa-redis writes: ``{"count":1,"_expire":...,"_maxAge":...}``), with a TTL of the
    session's max age plus 10 s. koa-redis cannot store ``max_age="session"`` sessions
    (it sends ``SETEX key session``); here they get ``session_ttl`` seconds (one day).

    ``timeout`` bounds every Redis command of a client made from ``url``, so a Redis that
    stops answering fails the request (500) instead of holding it.
    """

    def __init__(
        self,
        *,
        url: str | None = None,
        client: Redis | None = None,
        prefix: str = "",
        session_ttl: float = 86400,
        timeout: float = 5.0,
    ) -> None:
        if (url is None) == (client is None):
            raise TypeError("RedisStore needs url= or client= (one of them)")
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, not {prefix!r}")
        if not isinstance(session_ttl, (int, float)) or not session_ttl > 0:
            raise ValueError(f"session_ttl must be positive seconds, not {session_ttl!r}")
        if not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(f"timeout must be positive seconds, not {timeout!r}")
        module = _redis_module()
        self._own_client = client is None
        if client is None:
            client = module.Redis.from_url(
                url, socket_timeout=timeout, socket_connect_timeout=timeout
            )
        self.client: Redis = client
        self.prefix = prefix
        self.session_ttl = session_ttl

    async def get(
        self, key: str, max_age: MaxAge, *, rolling: bool, ctx: Context[Any]
    ) -> dict[str, Any] | None:
        raw = await self.client.get(self.prefix + key)
        if not raw:
            return None
        try:
            data = loads(raw)
        except (ValueError, UnicodeDecodeError):  # koa-redis: unparsable is missing
            return None
        return data if isinstance(data, dict) else None

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
        await self.client.set(self.prefix + key, dumps(session), ex=max(1, math.ceil(ttl)))

    async def destroy(self, key: str, *, ctx: Context[Any]) -> None:
        await self.client.delete(self.prefix + key)

    async def close(self) -> None:
        """Close the client this store made (a client passed in is left open)."""
        if self._own_client:
            await self.client.aclose()
