"""koa.session: koa-session's sessions in a signed or encrypted cookie, or in a store."""

from .context import SessionCookieTooLarge
from .middleware import SessionMiddleware, session
from .options import ExternalKey, MaxAge, SessionOptions
from .redis_store import RedisStore
from .session import Session
from .store import MemoryStore, SessionStore

__all__ = [
    "ExternalKey",
    "MaxAge",
    "MemoryStore",
    "RedisStore",
    "Session",
    "SessionCookieTooLarge",
    "SessionMiddleware",
    "SessionOptions",
    "SessionStore",
    "session",
]
