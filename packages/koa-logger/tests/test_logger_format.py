"""The time and length fields as koa-logger prints them (humanize-number and ``bytes``).

The expected values were printed by node with koa-logger 4's own dependencies.
"""

from __future__ import annotations

import pytest
from koa.logger.formatting import (
    LENGTHS_UNDER_1KB,
    TIMES_UNDER_A_SECOND,
    format_length,
    format_time,
    printable,
)


@pytest.mark.parametrize(
    ("elapsed_ms", "text"),
    [
        (0, "0ms"),
        (5, "5ms"),
        (999, "999ms"),
        (1000, "1,000ms"),
        (1234, "1,234ms"),
        (9999, "9,999ms"),
        (10000, "10s"),
        (10499, "10s"),
        (10500, "11s"),
        (12345, "12s"),
        (1234567, "1,235s"),
    ],
)
def test_time_is_milliseconds_under_ten_seconds_then_seconds(elapsed_ms: int, text: str) -> None:
    assert format_time(elapsed_ms) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (None, "-"),
        (0, "-"),
        (1, "1b"),
        (11, "11b"),
        (1023, "1023b"),
        (1024, "1kb"),
        (1025, "1kb"),
        (1030, "1.01kb"),
        (1126, "1.1kb"),
        (1152, "1.13kb"),  # an exact tie: rounded half up, as JavaScript's toFixed
        (1536, "1.5kb"),
        (2000, "1.95kb"),
        (2047, "2kb"),
        (10240, "10kb"),
        (1048576, "1mb"),
        (1048581, "1mb"),
        (1572864, "1.5mb"),
        (999999999, "953.67mb"),
        (1073741824, "1gb"),
        (5 * 1024**4, "5tb"),
        (3 * 1024**5, "3pb"),
    ],
)
def test_length_is_formatted_like_the_bytes_package(size: int | None, text: str) -> None:
    assert format_length(size) == text


def test_the_precomputed_times_and_lengths_are_the_formatted_ones() -> None:
    # The middleware looks these up instead of formatting the common values per request.
    assert list(TIMES_UNDER_A_SECOND) == [format_time(ms) for ms in range(1000)]
    assert list(LENGTHS_UNDER_1KB) == [format_length(size) for size in range(1024)]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("/plain?q=1%20b", "/plain?q=1%20b"),
        ("/caf\u00e9", "/caf\u00e9"),
        ("/a\x1b[31mred", "/a\\x1b[31mred"),
        ("/a\r\n  --> GET /fake 200", "/a\\x0d\\x0a  --> GET /fake 200"),
        ("/\x00\x07\x7f", "/\\x00\\x07\\x7f"),
        ("/\x9b31m", "/\\x9b31m"),  # a C1 control: CSI on many terminals
        ("/\u202eevil", "/\\u202eevil"),  # right-to-left override
        ("/\udcff", "/\\udcff"),  # a byte that was not UTF-8
        ("\t", "\\x09"),
    ],
)
def test_printable_escapes_what_could_steer_a_terminal(raw: str, shown: str) -> None:
    assert printable(raw) == shown
