"""The options of ``session()``, checked once when the middleware is built."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from koa.core.cookies import SameSite

if TYPE_CHECKING:
    from koa.core import Context

    from .session import Session
    from .store import SessionStore

#: Seconds, or ``"session"`` for a cookie that ends with the browser session.
MaxAge = float | Literal["session"]

ONE_DAY = 86400
# A cookie name as the cookies package accepts it (visible ASCII but ';' and '=').
_COOKIE_NAME = re.compile(r"[\x21-\x3a\x3c\x3e-\x7e]+")


@runtime_checkable
class ExternalKey(Protocol):
    """Where the session id travels instead of the cookie (a header, say).

    ::

        class HeaderKey:
            def get(self, ctx: Context) -> str | None:
                return ctx.get("X-Session") or None

            def set(self, ctx: Context, key: str) -> None:
                ctx.set("X-Session", key)
    """

    def get(self, ctx: Context[Any]) -> str | None: ...
    def set(self, ctx: Context[Any], key: str) -> None: ...


@dataclass
class SessionOptions:
    """``ctx.session_options``: the options of the session middleware, one copy per request
    (``ctx.session.max_age = 60`` changes this request's copy only)."""

    key: str
    max_age: MaxAge
    auto_commit: bool
    overwrite: bool
    http_only: bool
    signed: bool
    rolling: bool
    renew: bool
    secure: bool | None
    same_site: SameSite
    store: SessionStore | None
    external_key: ExternalKey | None
    prefix: str
    gen_id: Callable[[Context[Any]], str] | None
    encode: Callable[[dict[str, Any]], str] | None
    decode: Callable[[str], dict[str, Any]] | None
    valid: Callable[[Context[Any], dict[str, Any]], bool] | None
    before_save: Callable[[Context[Any], Session], None] | None
    encrypt: bool


def check_max_age(value: object, name: str = "max_age") -> MaxAge:
    """``value`` when it is a positive finite number of seconds or ``"session"``."""
    if value == "session":
        return "session"
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f'{name} must be a positive number of seconds or "session", not {value!r}')
    return value


def check_options(options: SessionOptions) -> None:
    """Raise ``TypeError``/``ValueError`` for an option that cannot work."""
    if not isinstance(options.key, str) or not _COOKIE_NAME.fullmatch(options.key):
        raise ValueError(f"key must be a valid cookie name, not {options.key!r}")
    options.max_age = check_max_age(options.max_age)
    for name in ("auto_commit", "overwrite", "http_only", "signed", "rolling", "renew", "encrypt"):
        if not isinstance(getattr(options, name), bool):
            raise TypeError(f"{name} must be True or False, not {getattr(options, name)!r}")
    if options.secure is not None and not isinstance(options.secure, bool):
        raise TypeError(f"secure must be True, False or None, not {options.secure!r}")
    same_site = options.same_site
    if not (
        same_site is None
        or isinstance(same_site, bool)
        or (isinstance(same_site, str) and same_site.lower() in ("strict", "lax", "none"))
    ):
        raise ValueError(f'same_site must be "strict", "lax", "none", True or None: {same_site!r}')
    store = options.store
    if store is not None:
        for method in ("get", "set", "destroy"):
            if not callable(getattr(store, method, None)):
                raise TypeError(f"store.{method} must be a function (see SessionStore)")
    if options.external_key is not None and not isinstance(options.external_key, ExternalKey):
        raise TypeError("external_key must have get(ctx) and set(ctx, key) methods")
    if not isinstance(options.prefix, str):
        raise TypeError(f"prefix must be a str, not {options.prefix!r}")
    for name in ("gen_id", "encode", "decode", "valid", "before_save"):
        value = getattr(options, name)
        if value is not None and not callable(value):
            raise TypeError(f"{name} must be a function, not {value!r}")
    if options.encrypt:
        if store is not None:
            raise ValueError(
                "encrypt=True encrypts the session cookie; with a store the cookie holds only"
                " the session id and the data stays on the server"
            )
        try:
            import cryptography  # noqa: F401
        except ImportError:  # pragma: no cover - the test environment has it
            raise ImportError(
                "encrypt=True needs the cryptography package: pip install 'koa-session[encrypt]'"
            ) from None
