"""Header values in error messages, and Latin-1 forms."""

from __future__ import annotations

import pytest
from bodyparser_helpers import echoed, presence_echo_app, request, send

FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        # A byte that is not UTF-8 in the header (Koa ignores the charset; here it was a 500).
        (
            b"Content-Type: application/json; charset=utf-8\xff",
            b'unsupported charset "UTF-8\\udcff"',
        ),
        (b"Content-Type: application/json; charset=\xc3\xa9", b'unsupported charset "\\xc9"'),
        (
            b"Content-Type: application/json; charset=" + b"x" * 5000,
            b'unsupported charset "' + b"X" * 64 + b'..."',
        ),
        (
            b"Content-Type: application/json\r\nContent-Encoding: g\xffzip",
            b"Unsupported Content-Encoding: g\\udcffzip",
        ),
        (
            b"Content-Type: application/json\r\nContent-Encoding: " + b"x" * 3000,
            b"Unsupported Content-Encoding: " + b"x" * 64 + b"...",
        ),
    ],
)
async def test_header_values_in_415_messages_are_escaped_and_bounded(
    header: bytes, message: bytes
) -> None:
    raw = request(b'{"a":1}', None, headers=header + b"\r\n")
    assert await send(presence_echo_app(), raw) == (415, message)


async def test_a_latin1_form_mixing_letters_and_escapes() -> None:
    # The declared charset is used (a documented difference: Koa decodes as utf-8): the
    # letters of the body and its escapes decode alike.
    raw = request(b"b=\xe9&c=\xe9%E9+%80", f"{FORM}; charset=latin1")
    assert (await echoed(presence_echo_app(), raw))["body"] == {"b": "é", "c": "éé \x80"}
    raw = request(b"c=\x80%80", f"{FORM}; charset=windows-1252")
    assert (await echoed(presence_echo_app(), raw))["body"] == {"c": "€€"}
