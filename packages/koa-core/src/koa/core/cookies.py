"""Cookies with keygrip-compatible signatures (the ``cookies`` and ``keygrip`` npm packages).

A signed cookie ``name=value`` travels with ``name.sig=<sig>``, where ``sig`` is
HMAC-SHA1 over ``"name=value"`` in URL-safe base64 without padding, so a Koa.js service with
the same keys reads our cookies and we read theirs. ``Set-Cookie`` lines are written as the
``cookies`` package writes them: ``name=value; path=/; expires=...; domain=...; priority=...;
samesite=...; secure; httponly; partitioned`` (no ``max-age``: ``max_age`` becomes
``expires``).
"""

from __future__ import annotations

import base64
import hmac
import math
import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from email.utils import format_datetime
from time import time
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from .headers import node_text

if TYPE_CHECKING:
    from .context import Context

__all__ = ["Cookies", "KeyRotation", "Keygrip", "Priority", "SameSite"]

# The cookies package: a name or value is visible ASCII, space or tab; a name has no ';' or
# '=', a value no ';'. (It also lets bytes 0x80-0xff through, which Node writes as Latin-1;
# those are refused here, as their bytes and their signature would not agree.)
_NAME_RE = re.compile(r"[\t\x20-\x3a\x3c\x3e-\x7e]+")
_VALUE_RE = re.compile(r"[\t\x20-\x3a\x3c-\x7e]*")
_PATH_RE = re.compile(r"[\x20-\x3a\x3d-\x7e]*")
_DOMAIN_RE = re.compile(
    r"(\.?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*",
    re.IGNORECASE,
)
_SAME_SITE = frozenset({"strict", "lax", "none"})
_PRIORITY = frozenset({"low", "medium", "high"})
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

SameSite = Literal["strict", "lax", "none"] | bool | None
Priority = Literal["low", "medium", "high"]


@runtime_checkable
class KeyRotation(Protocol):
    """What ``app.keys`` may be besides a list: keygrip's interface.

    ``sign(data)`` signs with the current key; ``index(data, digest)`` says which key made
    ``digest`` (``-1`` for none), so a cookie signed with an older key can be re-signed.
    """

    def sign(self, data: str) -> str: ...
    def verify(self, data: str, digest: str) -> bool: ...
    def index(self, data: str, digest: str) -> int: ...


class Keygrip:
    """Signs with the first key and verifies against all of them (key rotation).

    ``Keygrip(["new", "old"])`` signs with ``"new"`` and still accepts what ``"old"``
    signed. Signatures are keygrip's: HMAC (SHA-1 by default) in URL-safe base64, unpadded.
    """

    def __init__(self, keys: Sequence[str | bytes], algorithm: str = "sha1") -> None:
        if not keys:
            raise ValueError("Keys must be provided.")
        self.keys: list[bytes] = [k.encode() if isinstance(k, str) else bytes(k) for k in keys]
        self.algorithm = algorithm

    def _sign(self, data: str, key: bytes) -> str:
        digest = hmac.new(key, data.encode(), self.algorithm).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def sign(self, data: str) -> str:
        """The signature of ``data`` with the first key."""
        return self._sign(data, self.keys[0])

    def index(self, data: str, digest: str) -> int:
        """Which key signed ``data`` (``-1`` when none did)."""
        for i, key in enumerate(self.keys):
            if hmac.compare_digest(self._sign(data, key), digest):
                return i
        return -1

    def verify(self, data: str, digest: str) -> bool:
        """True when one of the keys signed ``data``."""
        return self.index(data, digest) > -1


def _http_date(when: datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return format_datetime(when.astimezone(timezone.utc), usegmt=True)


def _refuse_breaks(kind: str, text: str) -> None:
    if "\r" in text or "\n" in text or "\0" in text:
        raise ValueError(f"cookie {kind} must not contain CR, LF or NUL: {text!r}")


class Cookies:
    """``ctx.cookies``: read request cookies and set response cookies, signed or not.

    ::

        app.keys = ["current secret", "previous secret"]

        async def visits(ctx, next):
            count = int(ctx.cookies.get("visits") or 0) + 1
            ctx.cookies.set("visits", str(count), max_age=3600, same_site="lax")
            ctx.body = f"{count} visits"
    """

    def __init__(self, ctx: Context[Any]) -> None:
        self._ctx = ctx
        self._parsed: dict[str, str] | None = None

    @property
    def keys(self) -> KeyRotation | None:
        """The app's signing keys (``app.keys``), or ``None``."""
        return self._ctx.app.keys

    def _cookies(self) -> dict[str, str]:
        parsed = self._parsed
        if parsed is None:
            parsed = {}
            for header in self._ctx.request.headers.getall("Cookie", ()):
                for part in node_text(header).split(";"):
                    name, sep, value = part.partition("=")
                    if not sep:
                        continue
                    name = name.strip()
                    if name not in parsed:  # the first wins; Koa finds '' too
                        value = value.strip()
                        if len(value) > 1 and value[0] == value[-1] == '"':
                            value = value[1:-1]
                        parsed[name] = value
            self._parsed = parsed
        return parsed

    def get(self, name: str, *, signed: bool | None = None) -> str | None:
        """The cookie's value, or ``None``.

        ``signed`` defaults to "signed when the app has keys". A signed cookie whose
        signature does not verify gives ``None`` and expires ``name.sig``; one signed by an
        older key is re-signed with the current one. ``ValueError`` when ``signed=True`` and
        the app has no keys.
        """
        cookies = self._cookies()
        value = cookies.get(name)
        if value is None:
            return None
        keys = self.keys
        if signed is None:
            signed = keys is not None
        if not signed:
            return value
        sig_name = f"{name}.sig"
        remote = cookies.get(sig_name)
        if not remote:
            return None
        if keys is None:
            raise ValueError(".keys required for signed cookies (set app.keys)")
        data = f"{name}={value}"
        index = keys.index(data, remote)
        if index < 0:
            self.set(sig_name, None, path="/", signed=False)
            return None
        if index > 0:
            self.set(sig_name, keys.sign(data), signed=False)
        return value

    def set(
        self,
        name: str,
        value: str | None = None,
        *,
        max_age: float | None = None,
        expires: datetime | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool | None = None,
        http_only: bool = True,
        same_site: SameSite = None,
        signed: bool | None = None,
        overwrite: bool = False,
        partitioned: bool = False,
        priority: Priority | None = None,
    ) -> Cookies:
        """Set a cookie on the response; ``value=None`` (or ``""``) deletes it.

        ``max_age`` is in seconds and becomes an ``expires`` date (``0`` leaves a session
        cookie, as in Koa); ``secure=None`` means "secure when the request is" (proxy rules
        apply); ``signed=None`` means "signed when the app has keys"; ``overwrite`` drops
        the cookies of the same name set earlier in this response. ``same_site`` is
        ``"strict"``, ``"lax"``, ``"none"`` or ``True`` (strict).

        ``ValueError`` for an invalid name, value, path, domain, ``max_age``, ``priority``
        or ``same_site`` (CR, LF and NUL included), for a secure cookie on a plain HTTP
        request, and for a signed cookie without ``app.keys``.
        """
        request_secure = self._ctx.request.secure
        if secure and not request_secure:
            raise ValueError("Cannot send secure cookie over unencrypted connection")
        if secure is None:
            secure = request_secure
        keys = self.keys
        if signed is None:
            signed = keys is not None
        if signed and keys is None:
            raise ValueError(".keys required for signed cookies (set app.keys)")
        header = _serialize(
            name, value, max_age=max_age, expires=expires, path=path, domain=domain,
            secure=secure, http_only=http_only, same_site=same_site, partitioned=partitioned,
            priority=priority,
        )  # fmt: skip

        headers = self._ctx.response.headers
        lines = headers.getall("Set-Cookie", [])
        _push(lines, name, header, overwrite)
        if signed and keys is not None:
            # The signature covers "name=value" (value "" for a deletion); the .sig cookie
            # shares every attribute, the expiry of a deletion included.
            sig_name = f"{name}.sig"
            sig_header = _serialize(
                sig_name, keys.sign(f"{name}={value or ''}"),
                max_age=max_age if value else None, expires=expires if value else _EPOCH,
                path=path, domain=domain, secure=secure, http_only=http_only,
                same_site=same_site, partitioned=partitioned, priority=priority,
            )  # fmt: skip
            _push(lines, sig_name, sig_header, overwrite)
        headers.popall("Set-Cookie", None)
        for line in lines:
            headers.add("Set-Cookie", line)
        return self

    def __iter__(self) -> Iterator[str]:
        """The names of the request's cookies."""
        return iter(self._cookies())


def _push(lines: list[str], name: str, header: str, overwrite: bool) -> None:
    if overwrite:
        prefix = f"{name}="
        lines[:] = [line for line in lines if not line.startswith(prefix)]
    lines.append(header)


def _serialize(
    name: str,
    value: str | None,
    *,
    max_age: float | None,
    expires: datetime | None,
    path: str | None,
    domain: str | None,
    secure: bool,
    http_only: bool,
    same_site: SameSite,
    partitioned: bool,
    priority: str | None,
) -> str:
    """One Set-Cookie line, attributes in the order the cookies package writes them."""
    if not isinstance(name, str):
        raise TypeError(f"cookie name must be a str, not {type(name).__name__}")
    if not isinstance(value, (str, type(None))):
        raise TypeError(f"cookie value must be a str or None, not {type(value).__name__}")
    _refuse_breaks("name", name)
    if not _NAME_RE.fullmatch(name):
        raise ValueError(f"argument name is invalid: {name!r}")
    if value:
        _refuse_breaks("value", value)
        if not _VALUE_RE.fullmatch(value):
            raise ValueError(f"argument value is invalid: {value!r}")
    else:
        value = ""
        expires = _EPOCH
        max_age = None
    if path:
        _refuse_breaks("path", path)
        if not _PATH_RE.fullmatch(path):
            raise ValueError(f"option path is invalid: {path!r}")
    if domain:
        _refuse_breaks("domain", domain)
        if not _DOMAIN_RE.fullmatch(domain):
            raise ValueError(f"option domain is invalid: {domain!r}")
    if max_age is not None and (isinstance(max_age, bool) or not math.isfinite(max_age)):
        raise ValueError(f"option max_age is invalid: {max_age!r}")
    if priority and priority.lower() not in _PRIORITY:
        raise ValueError(f"option priority is invalid: {priority!r}")
    if not isinstance(same_site, (bool, type(None))) and (
        not isinstance(same_site, str) or same_site.lower() not in _SAME_SITE
    ):
        raise ValueError(f"option same_site is invalid: {same_site!r}")

    parts = [f"{name}={value}"]
    if max_age:
        try:
            expires = datetime.fromtimestamp(time() + max_age, timezone.utc)
        except (OverflowError, OSError, ValueError):  # Koa writes "expires=Invalid Date"
            raise ValueError(f"option max_age is out of range: {max_age!r}") from None
    if path:
        parts.append(f"path={path}")
    if expires is not None:
        parts.append(f"expires={_http_date(expires)}")
    if domain:
        parts.append(f"domain={domain}")
    if priority:
        parts.append(f"priority={priority.lower()}")
    if same_site:
        parts.append(f"samesite={'strict' if same_site is True else same_site.lower()}")
    if secure:
        parts.append("secure")
    if http_only:
        parts.append("httponly")
    if partitioned:
        parts.append("partitioned")
    return "; ".join(parts)
