"""Content types from a fixed table that agrees with mime-db, and type matching (type-is).

The table never consults the platform's ``/etc/mime.types``, so every machine answers the same.
"""

from __future__ import annotations

from functools import lru_cache

#: Extension (without the dot, lower-case) -> mime type, as mime-db/mime-types 3 resolve them.
MIME_TYPES: dict[str, str] = {
    # text
    "html": "text/html",
    "htm": "text/html",
    "shtml": "text/html",
    "txt": "text/plain",
    "text": "text/plain",
    "conf": "text/plain",
    "log": "text/plain",
    "ini": "text/plain",
    "css": "text/css",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "md": "text/markdown",
    "markdown": "text/markdown",
    "js": "text/javascript",
    "mjs": "text/javascript",
    "cjs": "application/node",
    "xml": "application/xml",
    "xsl": "application/xml",
    "xsd": "application/xml",
    "rtf": "text/rtf",
    "vtt": "text/vtt",
    "ics": "text/calendar",
    "yaml": "text/yaml",
    "yml": "text/yaml",
    "jsx": "text/jsx",
    "coffee": "text/coffeescript",
    "less": "text/less",
    "sass": "text/x-sass",
    "scss": "text/x-scss",
    "vcf": "text/x-vcard",
    "c": "text/x-c",
    "java": "text/x-java-source",
    "py": "text/x-python",
    "sh": "application/x-sh",
    "appcache": "text/cache-manifest",
    # application
    "json": "application/json",
    "map": "application/json",
    "jsonld": "application/ld+json",
    "webmanifest": "application/manifest+json",
    "geojson": "application/geo+json",
    "wasm": "application/wasm",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "gz": "application/gzip",
    "tgz": "application/gzip",
    "tar": "application/x-tar",
    "bz2": "application/x-bzip2",
    "7z": "application/x-7z-compressed",
    "rar": "application/vnd.rar",
    "br": "application/octet-stream",
    "bin": "application/octet-stream",
    "exe": "application/octet-stream",
    "dll": "application/octet-stream",
    "iso": "application/octet-stream",
    "dmg": "application/octet-stream",
    "so": "application/octet-stream",
    "deb": "application/octet-stream",
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "xhtml": "application/xhtml+xml",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "epub": "application/epub+zip",
    "jar": "application/java-archive",
    "swf": "application/x-shockwave-flash",
    "sql": "application/sql",
    "toml": "application/toml",
    "ps": "application/postscript",
    "eps": "application/postscript",
    "apk": "application/vnd.android.package-archive",
    "form": "application/x-www-form-urlencoded",
    "urlencoded": "application/x-www-form-urlencoded",
    "msgpack": "application/msgpack",
    # images
    "png": "image/png",
    "apng": "image/apng",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jpe": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
    "svg": "image/svg+xml",
    "svgz": "image/svg+xml",
    "ico": "image/x-icon",
    "bmp": "image/bmp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "heic": "image/heic",
    "heif": "image/heif",
    "jxl": "image/jxl",
    # audio / video
    "mp3": "audio/mpeg",
    "mpga": "audio/mpeg",
    "wav": "audio/wav",
    "weba": "audio/webm",
    "oga": "audio/ogg",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "flac": "audio/x-flac",
    "aac": "audio/x-aac",
    "m4a": "audio/mp4",
    "mid": "audio/midi",
    "midi": "audio/midi",
    "mp4": "video/mp4",
    "m4v": "video/x-m4v",
    "mpeg": "video/mpeg",
    "mpg": "video/mpeg",
    "webm": "video/webm",
    "ogv": "video/ogg",
    "mov": "video/quicktime",
    "avi": "video/x-msvideo",
    "mkv": "video/x-matroska",
    "flv": "video/x-flv",
    "3gp": "video/3gpp",
    "ts": "video/mp2t",
    # fonts
    "woff": "font/woff",
    "woff2": "font/woff2",
    "ttf": "font/ttf",
    "otf": "font/otf",
    "eot": "application/vnd.ms-fontobject",
}

#: Types that mime-db marks as UTF-8 beyond ``text/*``.
_UTF8_TYPES = frozenset(
    {
        "application/json",
        "application/javascript",
        "application/ld+json",
        "application/manifest+json",
        "application/geo+json",
        "application/node",
        "application/sql",
    }
)


def extension_of(value: str) -> str:
    """``"png"``, ``".png"``, ``"a/b.png"`` -> ``"png"`` (lower-case)."""
    value = value.rsplit("/", 1)[-1]
    return value.rsplit(".", 1)[-1].lower()


def lookup(value: str) -> str | None:
    """The mime type for an extension, a file name or a path; ``None`` when unknown."""
    return MIME_TYPES.get(extension_of(value))


def charset_for(mime: str) -> str | None:
    """The default charset of a mime type (``utf-8`` for text and JSON), as mime-types."""
    if mime.startswith("text/") or mime in _UTF8_TYPES:
        return "utf-8"
    return None


@lru_cache(maxsize=256)
def content_type(value: str) -> str | None:
    """A full Content-Type for an extension or a mime type (mime-types' ``contentType``).

    ``"json"`` -> ``application/json; charset=utf-8``; ``"text/plain; charset=latin1"`` is kept;
    an unknown extension gives ``None``.
    """
    mime = value if "/" in value else lookup(value)
    if not mime:
        return None
    if "charset" not in mime.lower():
        charset = charset_for(mime.split(";", 1)[0].strip().lower())
        if charset:
            mime = f"{mime}; charset={charset}"
    return mime


# -- type-is -------------------------------------------------------------------------------


def _normalize(kind: str) -> str | None:
    """Short names to mime patterns: ``urlencoded``, ``multipart``, ``+json``, extensions."""
    if kind == "urlencoded":
        return "application/x-www-form-urlencoded"
    if kind == "multipart":
        return "multipart/*"
    if kind.startswith("+"):
        return "*/*" + kind
    if "/" in kind:
        return kind
    return lookup(kind)


def _mime_match(expected: str, actual: str) -> bool:
    exp = expected.split("/")
    act = actual.split("/")
    if len(exp) != 2 or len(act) != 2:
        return False
    if exp[0] != "*" and exp[0] != act[0]:
        return False
    if exp[1].startswith("*+"):
        return len(exp[1]) <= len(act[1]) + 1 and act[1].endswith(exp[1][1:])
    return exp[1] == "*" or exp[1] == act[1]


def mime_of(content_type_value: str) -> str:
    """The mime type of a Content-Type value, lower-case, without parameters."""
    return content_type_value.split(";", 1)[0].strip().lower()


def type_is(actual: str, types: tuple[str, ...]) -> str | bool:
    """The first of ``types`` that ``actual`` (a Content-Type) matches, or ``False``."""
    value = mime_of(actual)
    if not value or "/" not in value:
        return False
    if not types:
        return value
    for kind in types:
        pattern = _normalize(kind.lower())
        if pattern and _mime_match(pattern, value):
            return value if kind.startswith("+") or "*" in kind else kind
    return False
