"""The four encoders (gzip, deflate, br, zstd): options checked once, one encoder per response.

Every encoder can compress a whole body at once or a stream piece by piece, and
``compress_and_flush`` makes all the input so far decodable by the client (zlib's
``Z_SYNC_FLUSH``, Brotli's flush, a zstd block), so a streamed body arrives as it is written.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

#: The encodings, in koa-compress 5's default order of preference.
ENCODINGS = ("zstd", "br", "gzip", "deflate")


class Encoder(Protocol):
    """One response's compressor."""

    def compress(self, data: bytes) -> bytes:
        """Compressed output for ``data`` (possibly none yet: the encoder may hold it)."""

    def compress_and_flush(self, data: bytes) -> bytes:
        """Compressed output for ``data`` and everything held so far."""

    def finish(self) -> bytes:
        """The rest of the output and the end of the stream."""


class EncoderFactory(Protocol):
    def __call__(self) -> Encoder: ...

    def compress_whole(self, data: bytes) -> bytes:
        """``data`` compressed at once (a whole body)."""


def _check(
    encoding: str, options: Mapping[str, Any], bounds: Mapping[str, tuple[int, int]]
) -> dict[str, int]:
    if not isinstance(options, Mapping):
        raise TypeError(
            f"{encoding} must be a mapping of options, True or False, not {type(options).__name__}"
        )
    checked: dict[str, int] = {}
    for name, value in options.items():
        if name not in bounds:
            known = ", ".join(sorted(bounds))
            raise TypeError(f"unknown {encoding} option {name!r} (known: {known})")
        low, high = bounds[name]
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{encoding} option {name!r} must be an int, not {value!r}")
        if not low <= value <= high:
            raise ValueError(f"{encoding} option {name!r} must be from {low} to {high}: {value}")
        checked[name] = value
    return checked


# -- gzip and deflate (zlib, from the standard library) ---------------------------------------

_ZLIB_BOUNDS = {
    "level": (-1, 9),  # -1: zlib's default (6), as Node's
    "mem_level": (1, 9),
    "strategy": (0, 4),  # zlib.Z_DEFAULT_STRATEGY .. zlib.Z_FIXED
    "window_bits": (9, 15),
}


class _ZlibEncoder:
    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def compress(self, data: bytes) -> bytes:
        return self._obj.compress(data)  # type: ignore[no-any-return]

    def compress_and_flush(self, data: bytes) -> bytes:
        obj = self._obj
        return obj.compress(data) + obj.flush(zlib.Z_SYNC_FLUSH)  # type: ignore[no-any-return]

    def finish(self) -> bytes:
        return self._obj.flush(zlib.Z_FINISH)  # type: ignore[no-any-return]


class ZlibFactory:
    """gzip (RFC 1952) or deflate, which HTTP means as the zlib format (RFC 1950), as Node's
    ``createDeflate`` writes it."""

    def __init__(self, encoding: str, options: Mapping[str, Any]) -> None:
        checked = _check(encoding, options, _ZLIB_BOUNDS)
        bits = checked.get("window_bits", 15)
        self._args = (
            checked.get("level", -1),
            zlib.DEFLATED,
            bits + 16 if encoding == "gzip" else bits,
            checked.get("mem_level", 8),
            checked.get("strategy", zlib.Z_DEFAULT_STRATEGY),
        )

    def __call__(self) -> Encoder:
        return _ZlibEncoder(zlib.compressobj(*self._args))

    def compress_whole(self, data: bytes) -> bytes:
        obj = zlib.compressobj(*self._args)
        return obj.compress(data) + obj.flush()


# -- br (the Brotli binding) --------------------------------------------------------------------


def brotli_module() -> Any:
    """Google's ``brotli`` binding, or ``brotlicffi`` (PyPy), or ``None``."""
    try:
        import brotli  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        try:
            import brotlicffi as brotli  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            return None
    return brotli


_BROTLI_MODES = {"generic": 0, "text": 1, "font": 2}
_BROTLI_BOUNDS = {"quality": (0, 11), "lgwin": (10, 24), "lgblock": (0, 24)}


class _BrotliEncoder:
    __slots__ = ("_obj", "_process")

    def __init__(self, obj: Any) -> None:
        self._obj = obj
        # ``process`` in Google's binding, ``compress`` in brotlicffi.
        self._process: Callable[[bytes], bytes] = getattr(obj, "process", None) or obj.compress

    def compress(self, data: bytes) -> bytes:
        return self._process(data)

    def compress_and_flush(self, data: bytes) -> bytes:
        return self._process(data) + self._obj.flush()  # type: ignore[no-any-return]

    def finish(self) -> bytes:
        return self._obj.finish()  # type: ignore[no-any-return]


class BrotliFactory:
    """br (RFC 7932); quality 4 unless set, as koa-compress 5: fast, and still smaller than
    gzip's default for text."""

    def __init__(self, options: Mapping[str, Any], module: Any) -> None:
        options = dict(options) if isinstance(options, Mapping) else options
        mode = "generic"
        if isinstance(options, dict) and "mode" in options:
            mode = options.pop("mode")
            if mode not in _BROTLI_MODES:
                raise ValueError(
                    f"br option 'mode' must be one of {sorted(_BROTLI_MODES)}: {mode!r}"
                )
        checked = _check("br", options, _BROTLI_BOUNDS)
        if checked.get("lgblock", 0) not in (0, *range(16, 25)):
            raise ValueError(
                f"br option 'lgblock' must be 0 or from 16 to 24: {checked['lgblock']}"
            )
        self._module = module
        self._kwargs = {
            "mode": getattr(module, f"MODE_{mode.upper()}", _BROTLI_MODES[mode]),
            "quality": checked.get("quality", 4),
            "lgwin": checked.get("lgwin", 22),
            "lgblock": checked.get("lgblock", 0),
        }

    def __call__(self) -> Encoder:
        return _BrotliEncoder(self._module.Compressor(**self._kwargs))

    def compress_whole(self, data: bytes) -> bytes:
        return self._module.compress(data, **self._kwargs)  # type: ignore[no-any-return]


# -- zstd (compression.zstd, or its backport) -----------------------------------------------------


def zstd_module() -> Any:
    """``compression.zstd`` (Python 3.14+), or ``backports.zstd``, or ``None``."""
    try:
        if sys.version_info >= (3, 14):
            from compression import zstd
        else:
            from backports import zstd  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return zstd


class _ZstdEncoder:
    __slots__ = ("_flush_block", "_obj")

    def __init__(self, obj: Any) -> None:
        self._obj = obj
        self._flush_block = obj.FLUSH_BLOCK

    def compress(self, data: bytes) -> bytes:
        return self._obj.compress(data)  # type: ignore[no-any-return]

    def compress_and_flush(self, data: bytes) -> bytes:
        return self._obj.compress(data, self._flush_block)  # type: ignore[no-any-return]

    def finish(self) -> bytes:
        return self._obj.flush()  # type: ignore[no-any-return]


class ZstdFactory:
    """zstd (RFC 8878); level 3 unless set (zstd's own default, as Node's)."""

    def __init__(self, options: Mapping[str, Any], module: Any) -> None:
        low, high = module.CompressionParameter.compression_level.bounds()
        checked = _check("zstd", options, {"level": (low, high)})
        self._module = module
        self._level: int = checked.get("level", 3)

    def __call__(self) -> Encoder:
        return _ZstdEncoder(self._module.ZstdCompressor(level=self._level))

    def compress_whole(self, data: bytes) -> bytes:
        return self._module.compress(data, level=self._level)  # type: ignore[no-any-return]


def make_factory(encoding: str, options: Mapping[str, Any] | bool) -> EncoderFactory | None:
    """The factory for ``encoding`` with ``options`` (``True``: the defaults; ``False``: off).

    ``None`` when the encoding is off, or when its library is missing and no options asked for
    it explicitly (then ``ImportError`` names the library).
    """
    if options is False:
        return None
    explicit = options is not True
    opts: Mapping[str, Any] = {} if options is True else options
    if encoding in ("gzip", "deflate"):
        return ZlibFactory(encoding, opts)
    module = brotli_module() if encoding == "br" else zstd_module()
    if module is None:
        if explicit:
            library = "Brotli (or brotlicffi)" if encoding == "br" else "backports.zstd"
            raise ImportError(f"{encoding} needs the {library} package, which is not installed")
        return None
    if encoding == "br":
        return BrotliFactory(opts, module)
    return ZstdFactory(opts, module)
