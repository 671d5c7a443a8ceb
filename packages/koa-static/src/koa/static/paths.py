"""Turn a request path into a file path under ``root``, refusing anything that could leave it.

The rules are koa-send's (through ``resolve-path``): the path is percent-decoded strictly
(a malformed escape or invalid UTF-8 is ``400 failed to decode``), a NUL byte or an absolute
path in either POSIX or Windows spelling is ``400 Malicious Path``, and a ``..`` segment that
survives normalisation (``/`` and ``\\`` both count as separators) is ``403 Forbidden``.
No filesystem access happens here.
"""

from __future__ import annotations

import os.path
import re

from koa.core import HttpError
from koa.core.urls import decode_uri_component

_WINDOWS_ABSOLUTE = re.compile(r"^(?:[A-Za-z]:[\\/]|[\\/])")
_UP_SEGMENT = re.compile(r"(?:^|[\\/])\.\.(?:[\\/]|$)")


def decode(path: str) -> str:
    """Percent-decode ``path`` as JavaScript's ``decodeURIComponent`` does, or raise 400."""
    if "%" not in path:
        return path
    try:
        return decode_uri_component(path)
    except ValueError:
        raise HttpError(400, "failed to decode") from None


def resolve(root: str, request_path: str, index: str | None) -> str:
    """The absolute, normalised file path that ``request_path`` names under ``root``.

    ``root`` must already be absolute and normalised. ``index`` is appended when the path ends
    with ``/``. Raises ``HttpError`` 400 or 403 for the malicious spellings described above.
    """
    trailing_slash = request_path.endswith("/")
    path = decode(request_path[1:] if request_path.startswith("/") else request_path)
    if index and trailing_slash:
        path += index
    if "\0" in path or _WINDOWS_ABSOLUTE.match(path):
        raise HttpError(400, "Malicious Path")
    if ".." in path and _UP_SEGMENT.search(os.path.normpath("./" + path)):
        raise HttpError(403)
    if not path:
        return root
    resolved = os.path.normpath(os.path.join(root, path))
    if trailing_slash and not index:
        # ``/a.txt/`` names a directory: keep the slash so that a file there is not found
        # (ENOTDIR), as koa-send's stat of ``a.txt/`` is, and ``/page/`` is not ``page.html``.
        resolved += "/"
    return resolved


def is_hidden(root: str, path: str) -> bool:
    """True when any segment of ``path`` below ``root`` starts with a dot."""
    rest = path[len(root) :]
    if "/." not in rest and not rest.startswith("."):
        return False
    return any(segment.startswith(".") for segment in rest.split("/"))
