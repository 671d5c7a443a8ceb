"""``Content-Security-Policy``: helmet 8's directives, defaults and checks.

A directive value is a string, a list of strings, or a list holding functions ``(ctx) -> str``
that are called for each request (a per-request nonce from ``ctx.state``)::

    content_security_policy(directives={
        "script-src": ["'self'", lambda ctx: f"'nonce-{ctx.state['nonce']}'"],
    })
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeAlias, TypedDict

from koa.core import Context

DirectiveFn: TypeAlias = Callable[[Context[Any]], str]
"""A directive entry computed per request: ``fn(ctx) -> str``."""

DirectiveValue: TypeAlias = "str | list[str | DirectiveFn] | tuple[str | DirectiveFn, ...] | None"


class _DisableDefaultSrc:
    def __repr__(self) -> str:
        return "DANGEROUSLY_DISABLE_DEFAULT_SRC"


DANGEROUSLY_DISABLE_DEFAULT_SRC: Final = _DisableDefaultSrc()
"""The value of ``default-src`` that leaves it out (helmet's ``dangerouslyDisableDefaultSrc``)."""


class ContentSecurityPolicyOptions(TypedDict, total=False):
    """``helmet(content_security_policy={...})``: the keyword arguments of
    ``content_security_policy()``."""

    directives: Mapping[str, DirectiveValue | _DisableDefaultSrc]
    use_defaults: bool
    report_only: bool


def get_default_directives() -> dict[str, list[str]]:
    """helmet 8's default directives (a fresh copy each call)."""
    return {
        "default-src": ["'self'"],
        "base-uri": ["'self'"],
        "font-src": ["'self'", "https:", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "script-src": ["'self'"],
        "script-src-attr": ["'none'"],
        "style-src": ["'self'", "https:", "'unsafe-inline'"],
        "upgrade-insecure-requests": [],
    }


# Keywords that mean something only quoted (helmet 8 refuses them bare: `self` would allow a
# host called "self").
_SHOULD_BE_QUOTED = frozenset(
    (
        "none",
        "self",
        "strict-dynamic",
        "report-sample",
        "inline-speculation-rules",
        "unsafe-inline",
        "unsafe-eval",
        "unsafe-hashes",
        "wasm-unsafe-eval",
    )
)
_QUOTED_PREFIXES = ("nonce-", "sha256-", "sha384-", "sha512-")
_NAME = re.compile(r"[a-z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?")
_UPPER = re.compile(r"[A-Z]")
# A directive value: printable ASCII and spaces, no `;` or `,` (they end a directive/policy).
_BAD_VALUE = re.compile(r"[^\x20-\x7e]|[;,]")


def _directive_name(raw: object) -> str:
    if not isinstance(raw, str):
        raise TypeError(f"content_security_policy: directive names are str, not {raw!r}")
    name = raw.replace("_", "-")
    if not _NAME.fullmatch(name):
        raise ValueError(f"content_security_policy received an invalid directive name {raw!r}")
    return _UPPER.sub(lambda m: "-" + m.group().lower(), name)  # defaultSrc -> default-src


def check_entry(directive: str, entry: str) -> str:
    """``entry`` if it can be part of ``directive``'s value, else ``ValueError``."""
    if _BAD_VALUE.search(entry):
        raise ValueError(
            f"content_security_policy received an invalid directive value for {directive!r}:"
            f" {entry!r} (no ';', ',', CR, LF or other control characters)"
        )
    if entry in _SHOULD_BE_QUOTED or entry.startswith(_QUOTED_PREFIXES):
        raise ValueError(
            f"content_security_policy received an invalid directive value for {directive!r}."
            f" {entry!r} should be quoted: \"'{entry}'\""
        )
    return entry


def _entries(directive: str, value: object) -> list[str | DirectiveFn]:
    if isinstance(value, str):
        items: list[object] = [value]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    else:
        raise TypeError(
            f"content_security_policy: the value of {directive!r} must be a string, a list of"
            f" strings and functions of ctx, or None to leave it out; not {value!r}"
        )
    entries: list[str | DirectiveFn] = []
    for item in items:
        if isinstance(item, str):
            entries.append(check_entry(directive, item))
        elif callable(item):
            entries.append(item)
        else:
            raise TypeError(
                f"content_security_policy: {directive!r} holds {item!r}; entries are strings"
                " or functions of ctx returning a string"
            )
    return entries


def policy(
    directives: Mapping[str, Any] | None, use_defaults: bool
) -> str | Callable[[Context[Any]], str]:
    """The header value: a string, or a function of ``ctx`` when an entry is a function."""
    if directives is None:
        directives = {}
    if not isinstance(directives, Mapping):
        raise TypeError(
            f"content_security_policy(directives=...) takes a mapping, not"
            f" {type(directives).__name__}"
        )
    if not isinstance(use_defaults, bool):
        raise TypeError(f"content_security_policy(use_defaults=...) takes a bool: {use_defaults!r}")
    result: dict[str, list[str | DirectiveFn]] = {}
    if use_defaults:
        result.update((name, list(entries)) for name, entries in get_default_directives().items())
    default_src_disabled = False
    seen: set[str] = set()
    for raw, value in directives.items():
        name = _directive_name(raw)
        if name in seen:
            raise ValueError(f"content_security_policy received a duplicate directive {name!r}")
        seen.add(name)
        if value is DANGEROUSLY_DISABLE_DEFAULT_SRC:
            if name != "default-src":
                raise ValueError(
                    f"content_security_policy: tried to disable {name!r} as if it were"
                    " default-src; simply leave it out"
                )
            default_src_disabled = True
            result.pop(name, None)
        elif value is None:
            if name == "default-src":
                raise ValueError(
                    "content_security_policy needs a default-src but it was set to None. If you"
                    " really want to disable it, set it to DANGEROUSLY_DISABLE_DEFAULT_SRC."
                )
            result.pop(name, None)
        else:
            result[name] = _entries(name, value)
    if not result:
        raise ValueError(
            "content_security_policy has no directives. Either set some or disable the header"
        )
    if "default-src" not in result and not default_src_disabled:
        raise ValueError(
            "content_security_policy needs a default-src but none was provided. If you really"
            " want to disable it, set it to DANGEROUSLY_DISABLE_DEFAULT_SRC."
        )
    texts: list[str] = []
    for name, entries in result.items():
        words = [entry for entry in entries if isinstance(entry, str)]
        if len(words) < len(entries):
            return _dynamic(list(result.items()))
        joined = " ".join(words)
        texts.append(f"{name} {joined}" if joined else name)
    return ";".join(texts)


def _dynamic(
    directives: list[tuple[str, list[str | DirectiveFn]]],
) -> Callable[[Context[Any]], str]:
    """The header as text pieces and functions, joined per request.

    helmet's format: each directive is its name followed by `` entry`` for every entry, the
    directives joined with ``;``. Text between two functions is prepared once.
    """
    pieces: list[str | tuple[str, DirectiveFn]] = []
    text = ""
    for index, (name, entries) in enumerate(directives):
        text += (";" if index else "") + name
        for entry in entries:
            text += " "
            if isinstance(entry, str):
                text += entry
            else:
                pieces.append(text)
                pieces.append((name, entry))
                text = ""
    pieces.append(text)

    def render(ctx: Context[Any]) -> str:
        parts: list[str] = []
        for piece in pieces:
            if isinstance(piece, str):
                parts.append(piece)
                continue
            name, fn = piece
            value = fn(ctx)
            if not isinstance(value, str):
                raise TypeError(
                    f"content_security_policy: a function in {name!r} returned"
                    f" {type(value).__name__}, not a str"
                )
            parts.append(check_entry(name, value))
        return "".join(parts)

    return render
