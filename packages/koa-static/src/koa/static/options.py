"""``SendOptions``: koa-send's options, checked once when ``serve()`` is called."""

from __future__ import annotations

import os
import os.path
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from multidict import CIMultiDict

#: ``set_headers(headers, path, stat)``: called with the mutable response headers, the file
#: about to be sent and its ``os.stat_result``, before the default headers are filled in.
SetHeaders = Callable[[CIMultiDict[str], Path, os.stat_result], object]


@dataclass(frozen=True, slots=True)
class SendOptions:
    """Everything ``send`` needs to know, validated and normalised."""

    root: str
    index: str | None
    cache_control: str
    hidden: bool
    format: bool
    extensions: tuple[str, ...]
    gzip: bool
    brotli: bool
    set_headers: SetHeaders | None
    follow_symlinks: bool
    directory_slash: bool


def make_options(
    root: str | os.PathLike[str],
    *,
    index: str | bool | None = None,
    max_age: float = 0,
    immutable: bool = False,
    hidden: bool = False,
    format: bool = True,
    extensions: Sequence[str] | bool | None = None,
    gzip: bool = True,
    brotli: bool = True,
    set_headers: SetHeaders | None = None,
    follow_symlinks: bool = False,
    directory_slash: bool = False,
) -> SendOptions:
    """Validate the options; ``TypeError``/``ValueError`` name the offending option."""
    root_text = os.fspath(root)
    if not root_text:
        raise ValueError("root directory is required to serve files")
    absolute_root = os.path.normpath(os.path.abspath(root_text))

    if index is True:
        raise TypeError("option index must be a file name, False or None")
    if index is not None and index is not False:
        if not isinstance(index, str):
            raise TypeError("option index must be a file name, False or None")
        if not index or "/" in index or "\\" in index or "\0" in index:
            raise ValueError(f"option index must be a plain file name, not {index!r}")

    if isinstance(max_age, bool) or not isinstance(max_age, (int, float)) or max_age < 0:
        raise TypeError("option max_age must be a number of seconds >= 0")
    cache_control = f"max-age={int(max_age)}" + (",immutable" if immutable else "")

    exts: list[str] = []
    if extensions is not None and extensions is not False:
        if extensions is True or isinstance(extensions, str):
            raise TypeError("option extensions must be a list of strings or False")
        for ext in extensions:
            if not isinstance(ext, str):
                raise TypeError("option extensions must be a list of strings or False")
            exts.append(ext if ext.startswith(".") else "." + ext)

    if set_headers is not None and not callable(set_headers):
        raise TypeError("option set_headers must be a function")

    return SendOptions(
        root=absolute_root,
        index=index or None,
        cache_control=cache_control,
        hidden=bool(hidden),
        format=format is not False,
        extensions=tuple(exts),
        gzip=gzip is not False,
        brotli=brotli is not False,
        set_headers=set_headers,
        follow_symlinks=bool(follow_symlinks),
        directory_slash=bool(directory_slash),
    )
