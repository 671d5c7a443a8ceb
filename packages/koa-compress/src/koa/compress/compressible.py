"""The default filter: which media types are worth compressing, as the ``compressible`` package
decides (mime-db's ``compressible`` flag, else ``text/*`` and ``+json``/``+text``/``+xml``).

The tables are generated from mime-db 1.54.0 (MIT, https://github.com/jshttp/mime-db), the
version koa-core's type table follows. Only the types where mime-db's flag differs from the
fallback rule are listed (every type mime-db marks incompressible already fails the rule), so the
table and the rule give the same answer as the whole database.
"""

from __future__ import annotations

import re

_FALLBACK = re.compile(r"^text/|\+(?:json|text|xml)$", re.IGNORECASE)
# The media type before any parameters, spaces or ``;`` (compressible's own extraction).
_MEDIA_TYPE = re.compile(r"^\s*([^;\s]*)")

#: Types mime-db marks compressible that the fallback rule would not accept.
COMPRESSIBLE: frozenset[str] = frozenset(
    {
        "application/dart",
        "application/ecmascript",
        "application/javascript",
        "application/json",
        "application/octet-stream",
        "application/postscript",
        "application/raml+yaml",
        "application/rtf",
        "application/tar",
        "application/toml",
        "application/vnd.dart",
        "application/vnd.ms-fontobject",
        "application/vnd.ms-opentype",
        "application/wasm",
        "application/x-httpd-php",
        "application/x-javascript",
        "application/x-ns-proxy-autoconfig",
        "application/x-sh",
        "application/x-tar",
        "application/x-virtualbox-hdd",
        "application/x-virtualbox-ova",
        "application/x-virtualbox-ovf",
        "application/x-virtualbox-vbox",
        "application/x-virtualbox-vdi",
        "application/x-virtualbox-vhd",
        "application/x-virtualbox-vmdk",
        "application/x-www-form-urlencoded",
        "application/xml",
        "application/xml-dtd",
        "font/otf",
        "font/ttf",
        "image/bmp",
        "image/vnd.adobe.photoshop",
        "image/vnd.microsoft.icon",
        "image/vnd.ms-dds",
        "image/x-icon",
        "image/x-ms-bmp",
        "message/rfc822",
        "model/gltf-binary",
        "x-shader/x-fragment",
        "x-shader/x-vertex",
    }
)


def compressible(media_type: str) -> bool:
    """True when a response of ``media_type`` (a Content-Type value) is worth compressing."""
    match = _MEDIA_TYPE.match(media_type)
    mime = match.group(1).lower() if match else ""
    if not mime:
        return False
    return mime in COMPRESSIBLE or _FALLBACK.search(mime) is not None
