"""``ctx.cookies``: Set-Cookie lines, keygrip signatures shared with Koa.js, key rotation,
secure-cookie rules and input validation.

The Set-Cookie lines and signatures expected here are the bytes Koa 3.3 (cookies 0.9.2,
keygrip 1.1) sent for the same calls with the keys ``["k-new", "k-old"]`` on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

KEYS = ["k-new", "k-old"]
# keygrip's HMAC-SHA1 of "name=tobi", as Koa.js computed it.
SIG_NEW = "NuzIoEBql34WceJJ_9pgkb5u0q4"  # with "k-new"
SIG_OLD = "MwyNxrnLwcudkn8YyOoEqTiSZRg"  # with "k-old"
EPOCH = "expires=Thu, 01 Jan 1970 00:00:00 GMT"


def cookie_app(action: Callable[[Context], Any], **options: Any) -> Koa:
    """Runs ``action(ctx)``; its result is the body (a ``ValueError`` is reported as text)."""
    app = Koa(**options)

    async def handler(ctx: Context, next: Next) -> None:
        try:
            result = action(ctx)
        except ValueError as err:
            ctx.status = 500
            ctx.body = f"ValueError: {err}"
            return
        ctx.body = {"value": result if isinstance(result, (str, type(None))) else "ok"}

    app.use(handler)
    return app


async def call(
    action: Callable[[Context], Any], headers: dict[str, str] | None = None, **options: Any
) -> tuple[int, list[str], str]:
    async with TestClient(cookie_app(action, **options)) as client:
        res = await client.get("/", headers=headers or {})
        return res.status, res.headers.getall("Set-Cookie", []), await res.text()


# -- setting -------------------------------------------------------------------------------


async def test_signed_cookie_lines_match_koa() -> None:
    status, lines, _ = await call(lambda ctx: ctx.cookies.set("name", "tobi"), keys=KEYS)
    assert status == 200
    assert lines == ["name=tobi; path=/; httponly", f"name.sig={SIG_NEW}; path=/; httponly"]


async def test_unsigned_when_the_app_has_no_keys_or_signed_is_false() -> None:
    _, lines, _ = await call(lambda ctx: ctx.cookies.set("plain", "v", same_site="lax"))
    assert lines == ["plain=v; path=/; samesite=lax; httponly"]
    _, lines, _ = await call(
        lambda ctx: ctx.cookies.set("plain", "v", signed=False, same_site="lax"), keys=KEYS
    )
    assert lines == ["plain=v; path=/; samesite=lax; httponly"]


async def test_every_attribute_in_koas_order() -> None:
    def action(ctx: Context) -> None:
        ctx.cookies.set(
            "all",
            'a b,c"d',
            path="/p",
            domain=".example.com",
            expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
            same_site=True,
            priority="High",  # type: ignore[arg-type]  # Koa accepts any case
            partitioned=True,
            http_only=False,
            secure=True,
        )

    _, lines, _ = await call(action, {"X-Forwarded-Proto": "https"}, keys=KEYS, proxy=True)
    attributes = (
        "path=/p; expires=Wed, 02 Jan 2030 03:04:05 GMT; domain=.example.com; priority=high; "
        "samesite=strict; secure; partitioned"
    )
    assert lines == [
        f'all=a b,c"d; {attributes}',
        f"all.sig=9ly0zftroeMZ8DHIDVpduUfas4Y; {attributes}",
    ]


async def test_deleting_a_signed_cookie_expires_both() -> None:
    _, lines, _ = await call(lambda ctx: ctx.cookies.set("gone", None), keys=KEYS)
    assert lines == [
        f"gone=; path=/; {EPOCH}; httponly",
        f"gone.sig=gt_Oy6SB_3AI7GGyI4Wb_7aqJ68; path=/; {EPOCH}; httponly",
    ]


async def test_empty_value_deletes_too() -> None:
    _, lines, _ = await call(lambda ctx: ctx.cookies.set("gone", "", path="/x"))
    assert lines == [f"gone=; path=/x; {EPOCH}; httponly"]


async def test_overwrite_replaces_earlier_lines_of_the_same_name() -> None:
    def action(ctx: Context) -> None:
        ctx.cookies.set("o", "1")
        ctx.cookies.set("o", "2", overwrite=True)
        ctx.cookies.set("p", "3", signed=False)

    _, lines, _ = await call(action, keys=KEYS)
    assert lines == [
        "o=2; path=/; httponly",
        "o.sig=jUuWZny97-5gzwnWQBtLw6tZzD4; path=/; httponly",
        "p=3; path=/; httponly",
    ]


async def test_without_overwrite_both_lines_are_sent() -> None:
    def action(ctx: Context) -> None:
        ctx.cookies.set("o", "1")
        ctx.cookies.set("o", "2")

    _, lines, _ = await call(action, keys=KEYS)
    assert lines == [
        "o=1; path=/; httponly",
        "o.sig=gK0HVYeq-gpJVJU4Rn_abbPMLPw; path=/; httponly",
        "o=2; path=/; httponly",
        "o.sig=jUuWZny97-5gzwnWQBtLw6tZzD4; path=/; httponly",
    ]


async def test_max_age_in_seconds_becomes_expires() -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    _, lines, _ = await call(lambda ctx: ctx.cookies.set("m", "v", max_age=3600))
    after = datetime.now(timezone.utc)
    assert len(lines) == 1
    assert lines[0].startswith("m=v; path=/; expires=")
    assert lines[0].endswith(" GMT; httponly")
    assert "max-age" not in lines[0].lower()  # Koa sends only expires
    expires = parsedate_to_datetime(lines[0].split("expires=")[1].split(";")[0])
    assert before + timedelta(seconds=3600) <= expires <= after + timedelta(seconds=3600)


async def test_max_age_zero_is_a_session_cookie_as_in_koa() -> None:
    _, lines, _ = await call(lambda ctx: ctx.cookies.set("m", "v", max_age=0))
    assert lines == ["m=v; path=/; httponly"]


async def test_naive_expires_is_utc_and_path_none_is_omitted() -> None:
    def action(ctx: Context) -> None:
        ctx.cookies.set("e", "v", expires=datetime(2031, 3, 4, 5, 6, 7), path=None)

    _, lines, _ = await call(action)
    assert lines == ["e=v; expires=Tue, 04 Mar 2031 05:06:07 GMT; httponly"]


# -- secure --------------------------------------------------------------------------------


async def test_secure_cookie_over_plain_http_is_an_error() -> None:
    status, lines, text = await call(lambda ctx: ctx.cookies.set("s", "v", secure=True))
    assert (status, lines) == (500, [])
    assert text == "ValueError: Cannot send secure cookie over unencrypted connection"


async def test_secure_cookie_behind_an_https_proxy_is_allowed() -> None:
    def action(ctx: Context) -> None:
        ctx.cookies.set("s", "v", secure=True, same_site="None")  # type: ignore[arg-type]

    status, lines, _ = await call(action, {"X-Forwarded-Proto": "https"}, proxy=True)
    assert (status, lines) == (200, ["s=v; path=/; samesite=none; secure; httponly"])


async def test_x_forwarded_proto_is_not_trusted_without_proxy() -> None:
    status, lines, _ = await call(
        lambda ctx: ctx.cookies.set("s", "v", secure=True), {"X-Forwarded-Proto": "https"}
    )
    assert (status, lines) == (500, [])


async def test_secure_defaults_to_the_request_being_secure() -> None:
    _, lines, _ = await call(
        lambda ctx: ctx.cookies.set("s", "v"), {"X-Forwarded-Proto": "https"}, proxy=True
    )
    assert lines == ["s=v; path=/; secure; httponly"]


async def test_uncaught_cookie_error_is_a_plain_500() -> None:
    app = Koa(silent=True)

    async def handler(ctx: Context, next: Next) -> None:
        ctx.cookies.set("s", "v", secure=True)

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert (res.status, await res.text()) == (500, "Internal Server Error")
        assert "Set-Cookie" not in res.headers


# -- signing without keys --------------------------------------------------------------------


async def test_signed_without_keys_is_an_error() -> None:
    status, lines, text = await call(lambda ctx: ctx.cookies.set("n", "v", signed=True))
    assert (status, lines) == (500, [])
    assert text.startswith("ValueError: .keys required for signed cookies")


async def test_signed_get_without_keys_is_an_error_when_a_signature_came() -> None:
    status, _, text = await call(
        lambda ctx: ctx.cookies.get("n", signed=True), {"Cookie": "n=v; n.sig=abc"}
    )
    assert status == 500
    assert text.startswith("ValueError: .keys required for signed cookies")
    # No cookie, nothing to verify: no error, as in Koa.
    status, _, text = await call(lambda ctx: ctx.cookies.get("n", signed=True))
    assert (status, text) == (200, '{"value":null}')


# -- reading -------------------------------------------------------------------------------


async def test_reads_a_cookie_signed_by_koa() -> None:
    status, lines, text = await call(
        lambda ctx: ctx.cookies.get("name"),
        {"Cookie": f"name=tobi; name.sig={SIG_NEW}"},
        keys=KEYS,
    )
    assert (status, lines, text) == (200, [], '{"value":"tobi"}')


async def test_an_older_key_is_accepted_and_the_cookie_re_signed() -> None:
    _, lines, text = await call(
        lambda ctx: ctx.cookies.get("name"),
        {"Cookie": f"name=tobi; name.sig={SIG_OLD}"},
        keys=KEYS,
    )
    assert text == '{"value":"tobi"}'
    assert lines == [f"name.sig={SIG_NEW}; path=/; httponly"]


@pytest.mark.parametrize(
    "cookie",
    [
        "name=tobi; name.sig=bogus",
        f"name=tobi; name.sig={SIG_NEW}",  # signed with a key this app no longer has
        f"name=tampered; name.sig={SIG_NEW}",
    ],
)
async def test_bad_signature_gives_none_and_expires_the_signature(cookie: str) -> None:
    _, lines, text = await call(
        lambda ctx: ctx.cookies.get("name"), {"Cookie": cookie}, keys=["k-old"]
    )
    assert text == '{"value":null}'
    assert lines == [f"name.sig=; path=/; {EPOCH}; httponly"]


@pytest.mark.parametrize("cookie", ["name=tobi", "name=tobi; name.sig="])
async def test_missing_or_empty_signature_gives_none_quietly(cookie: str) -> None:
    _, lines, text = await call(lambda ctx: ctx.cookies.get("name"), {"Cookie": cookie}, keys=KEYS)
    assert (lines, text) == ([], '{"value":null}')


async def test_unsigned_read_ignores_the_signature() -> None:
    _, lines, text = await call(
        lambda ctx: ctx.cookies.get("name", signed=False),
        {"Cookie": "name=tobi; name.sig=bogus"},
        keys=KEYS,
    )
    assert (lines, text) == ([], '{"value":"tobi"}')


async def test_first_of_repeated_names_and_quoted_values() -> None:
    _, _, text = await call(lambda ctx: ctx.cookies.get("a"), {"Cookie": 'a="x y"; a=2'})
    assert text == '{"value":"x y"}'


async def test_missing_cookie_header_gives_none() -> None:
    _, _, text = await call(lambda ctx: ctx.cookies.get("a"))
    assert text == '{"value":null}'


# -- invalid input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "a;b"}, "argument name is invalid"),
        ({"name": "a=b"}, "argument name is invalid"),
        ({"name": "a\r\nSet-Cookie: x=1"}, "cookie name must not contain CR, LF or NUL"),
        ({"value": "v;x"}, "argument value is invalid"),
        ({"value": "v\r\nX: y"}, "cookie value must not contain CR, LF or NUL"),
        ({"value": "v\nx"}, "cookie value must not contain CR, LF or NUL"),
        ({"value": "caf\u00e9"}, "argument value is invalid"),
        ({"path": "/a;b"}, "option path is invalid"),
        ({"path": "/a\r\n"}, "cookie path must not contain CR, LF or NUL"),
        ({"domain": "ex ample"}, "option domain is invalid"),
        ({"same_site": "sometimes"}, "option same_site is invalid"),
        ({"priority": "urgent"}, "option priority is invalid"),
        ({"max_age": float("nan")}, "option max_age is invalid"),
        ({"max_age": float("inf")}, "option max_age is invalid"),
    ],
)
async def test_invalid_input_is_a_value_error(kwargs: dict[str, Any], message: str) -> None:
    options = dict(kwargs)
    name = options.pop("name", "n")
    value = options.pop("value", "v")

    status, lines, text = await call(lambda ctx: ctx.cookies.set(name, value, **options))
    assert (status, lines) == (500, [])
    assert text.startswith(f"ValueError: {message}")


async def test_a_failed_set_leaves_earlier_cookies_alone() -> None:
    def action(ctx: Context) -> None:
        ctx.cookies.set("ok", "1")
        with pytest.raises(ValueError, match="argument value is invalid"):
            ctx.cookies.set("bad", "x;y")

    _, lines, _ = await call(action)
    assert lines == ["ok=1; path=/; httponly"]


async def test_a_value_that_is_not_text_is_a_type_error() -> None:
    app = Koa(silent=True)
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))

    async def handler(ctx: Context, next: Next) -> None:
        ctx.cookies.set("n", 5)  # type: ignore[arg-type]

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert (res.status, res.headers.getall("Set-Cookie", [])) == (500, [])
    assert [str(err) for err in errors] == ["cookie value must be a str or None, not int"]
