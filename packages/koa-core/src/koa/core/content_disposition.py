"""The ``content-disposition`` package: the header ``ctx.attachment()`` sets."""

from __future__ import annotations

import re
from urllib.parse import quote

_HEX_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def content_disposition(kind: str, filename: str) -> str:
    """``attachment; filename="x.json"``, with ``filename*`` for names beyond ASCII.

    As the ``content-disposition`` package: ``filename*`` also when the name holds something
    that looks like a percent escape (``a%20b.txt``), and alone for an empty name.
    """
    if not filename:
        return f"{kind}; filename*=UTF-8''"
    # One ``?`` per UTF-16 code unit, as JavaScript counts them.
    fallback = "".join(c if " " <= c <= "~" else ("??" if c > "\uffff" else "?") for c in filename)
    quoted = fallback.replace("\\", "\\\\").replace('"', '\\"')
    value = f'{kind}; filename="{quoted}"'
    if fallback != filename or _HEX_ESCAPE.search(filename):
        # encodeURIComponent, then ``'()*`` escaped too: only ``!-._~`` stay as they are.
        value += "; filename*=UTF-8''" + quote(filename, safe="!~")
    return value
