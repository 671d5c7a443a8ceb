"""Cookies with keygrip-compatible signatures (the ``cookies`` and ``keygrip`` npm packages).

A signed cookie ``name=value`` travels with ``name.sig=<sig>``, where ``sig`` is
HMAC-SHA1 over ``"name=value"`` in URL-safe base64 without padding, so a Koa.js service with
the same keys reads our cookies and we read theirs.
"""

from __future__ import annotations

import base64
import hmac
import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from email.utils import format_datetime
from time import time
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .context import Context

# RFC 6265: a cookie name is a token; a value is cookie-octets (no space, DQUOTE, comma,
# semicolon or backslash, no control characters), optionally quoted.
_NAME_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_VALUE_RE = re.compile(r'^("?)[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*\1$')
_ATTR_RE = re.compile(r"^[\x21-\x3A\x3C-\x7E]+$")  # path and domain: no ';', controls, space
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

SameSite = Literal["strict", "lax", "none"] | bool | None
Priority = Literal["low", "medium", "high"]


@runtime_checkable
class KeyRotation(Protocol):
    """What ``app.keys`` may be besides a list: keygrip's interface."""

    def sign(self, data: str) -> str: ...
    def verify(self, data: str, digest: str) -> bool: ...
    def index(self, data: str, digest: str) -> int: ...


class Keygrip:
    """Signs with the first key and verifies against all of them (key rotation)."""

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


def _check(kind: str, text: str) -> None:
    if "\r" in text or "\n" in text or "\0" in text:
        raise ValueError(f"cookie {kind} must not contain CR, LF or NUL: {text!r}")


class Cookies:
    """``ctx.cookies``: read request cookies and set response cookies, signed or not."""

    def __init__(self, ctx: Context[Any]) -> None:
        self._ctx = ctx
        self._parsed: dict[str, str] | None = None

    @property
    def keys(self) -> KeyRotation | None:
        keys = self._ctx.app.keys
        if keys is None:
            return None
        if isinstance(keys, KeyRotation):
            return keys
        return Keygrip(keys)

    def _cookies(self) -> dict[str, str]:
        parsed = self._parsed
        if parsed is None:
            parsed = {}
            for header in self._ctx.req.headers.getall("Cookie", ()):
                for part in header.split(";"):
                    name, sep, value = part.partition("=")
                    if not sep:
                        continue
                    name = name.strip()
                    if name and name not in parsed:
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
        older key is re-signed with the current one.
        """
        value = self._cookies().get(name)
        keys = self.keys
        if signed is None:
            signed = keys is not None
        if not signed or value is None:
            return value
        if keys is None:
            raise ValueError(".keys required for signed cookies (set app.keys)")
        sig_name = f"{name}.sig"
        remote = self._cookies().get(sig_name)
        if remote is None:
            return None
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
        """Set a cookie on the response (``value=None`` deletes it).

        ``max_age`` is in seconds; ``secure=None`` means "secure when the request is";
        ``signed=None`` means "signed when the app has keys". ``ValueError`` for an invalid
        name, value, path or domain, for a secure cookie on a plain HTTP request, and for a
        signed cookie without ``app.keys``.
        """
        _check("name", name)
        if not _NAME_RE.match(name):
            raise ValueError(f"argument name is invalid: {name!r}")
        if value is not None:
            _check("value", value)
            if not _VALUE_RE.match(value):
                raise ValueError(f"argument value is invalid: {value!r}")
        for kind, attr in (("path", path), ("domain", domain)):
            if attr:
                _check(kind, attr)
                if not _ATTR_RE.match(attr):
                    raise ValueError(f"option {kind} is invalid: {attr!r}")
        request_secure = self._ctx.request.secure
        if secure is None:
            secure = request_secure
        elif secure and not request_secure:
            raise ValueError("Cannot send secure cookie over unencrypted connection")
        keys = self.keys
        if signed is None:
            signed = keys is not None
        if signed and keys is None:
            raise ValueError(".keys required for signed cookies (set app.keys)")

        header = self._serialize(
            name, value, max_age, expires, path, domain, secure, http_only, same_site,
            partitioned, priority,
        )  # fmt: skip
        headers = self._ctx.response.headers
        if overwrite:
            kept = [h for h in headers.getall("Set-Cookie", ()) if not h.startswith(f"{name}=")]
            headers.popall("Set-Cookie", None)
            for h in kept:
                headers.add("Set-Cookie", h)
        headers.add("Set-Cookie", header)
        if signed and keys is not None:
            sig_value = keys.sign(f"{name}={value or ''}")
            self.set(
                f"{name}.sig", sig_value if value is not None else None, max_age=max_age,
                expires=expires, path=path, domain=domain, secure=secure, http_only=http_only,
                same_site=same_site, signed=False, overwrite=overwrite, partitioned=partitioned,
                priority=priority,
            )  # fmt: skip
        return self

    @staticmethod
    def _serialize(
        name: str,
        value: str | None,
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
        parts: list[str] = [f"{name}={value or ''}"]
        if value is None:
            expires = _EPOCH
        elif max_age is not None:
            expires = datetime.fromtimestamp(time() + max_age, timezone.utc)
        if path:
            parts.append(f"path={path}")
        if expires is not None:
            parts.append(f"expires={_http_date(expires)}")
        if domain:
            parts.append(f"domain={domain}")
        if priority:
            parts.append(f"priority={priority.lower()}")
        if same_site:
            kind = "strict" if same_site is True else str(same_site).lower()
            if kind not in ("strict", "lax", "none"):
                raise ValueError(f"option same_site is invalid: {same_site!r}")
            parts.append(f"samesite={kind}")
        if secure:
            parts.append("secure")
        if http_only:
            parts.append("httponly")
        if partitioned:
            parts.append("partitioned")
        return "; ".join(parts)

    def __iter__(self) -> Iterator[str]:
        return iter(self._cookies())
