"""JSON in and out: the Python types users put in bodies, written as ``JSON.stringify`` would.

``json_dumps`` is ``app.json_dumps``'s default and ``json_bytes`` what the response writes;
``json_loads`` is ``JSON.parse`` (koa-bodyparser reads request bodies with it). With orjson
installed (``pip install 'koa-core[fast]'``) both directions use it, falling back to the
standard library wherever orjson would answer differently, so the bytes and values are the same
either way.

The rules, in the order they are tried for a value the encoders do not write themselves:

- ``datetime``: ``Date.prototype.toJSON``'s form, ``2026-12-02T15:06:02.123Z`` for an aware
  one (converted to UTC); a naive one has no ``Z`` (its zone is unknown, none is invented).
  Milliseconds, the precision of a JavaScript ``Date``: microseconds are truncated, never
  rounded, so a time never moves into the next second.
- ``date``: ``2026-12-02``; ``time``: ``15:06:02.123`` (plus its offset when it has one).
- ``uuid.UUID``: its string; ``enum.Enum``: its value; ``decimal.Decimal``: a JSON number with
  every digit it has (``Decimal("1.10")`` -> ``1.10``), ``null`` for NaN and infinities.
- an object with a ``to_json()`` method (Koa's ``toJSON``): what it returns.
- a ``NamedTuple``: an object of its fields; a dataclass: an object of its fields; ``set``,
  ``frozenset`` and other tuples: arrays.
- ``bytes``: refused (JSON has no bytes); anything else: ``TypeError`` naming the type and
  where it is, ``body["items"][3]["owner"]: object of type Foo is not JSON serializable; ...``.

Floats NaN and +-Infinity are ``null``, as ``JSON.stringify`` writes them. Keys that are not
strings are written as JavaScript would turn them into property names: ``1`` -> ``"1"``,
``True`` -> ``"true"``, ``None`` -> ``"null"``, ``float("nan")`` -> ``"NaN"``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import marshal
import math
import re
import secrets
import uuid
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any, Literal, NoReturn

__all__ = ["backend", "json_bytes", "json_dumps", "json_loads"]

_NONE_TYPE = type(None)
# Values the encoders write themselves and that hold nothing further.
_LEAVES = frozenset({str, int, float, bool, _NONE_TYPE})
_HINT = "give it a to_json() method or set app.json_dumps"
_UTC = dt.timezone.utc


class _Slow(Exception):
    """The C encoder met a value it cannot write as koa's rules say: use the Python writer."""


# -- the rules ------------------------------------------------------------------------------


def _datetime_text(value: dt.datetime) -> str:
    if value.tzinfo is _UTC:  # the common case, without the arithmetic
        return value.isoformat(timespec="milliseconds")[:-6] + "Z"
    offset = value.utcoffset()
    if offset is None:
        return value.isoformat(timespec="milliseconds")
    try:
        utc = value.replace(tzinfo=None) - offset
    except OverflowError:
        # The shift crosses year 1 or 9999: Python cannot hold the result, JavaScript can
        # ("0000-12-31T23:00:00.000Z", "+010000-01-01T00:30:00.000Z"). The Gregorian
        # calendar repeats every 400 years, so shift there and back.
        step = 400 if value.year < 5000 else -400
        utc = value.replace(year=value.year + step, tzinfo=None) - offset
        year = utc.year - step
        text = utc.isoformat(timespec="milliseconds")[4:]
        return (f"{year:04d}" if year <= 9999 else f"+{year:06d}") + text + "Z"
    return utc.isoformat(timespec="milliseconds") + "Z"


def _decimal_text(value: Decimal) -> str:
    # str() of a finite Decimal is always a valid JSON number ("1.10", "-0", "1E+2").
    return str(value) if value.is_finite() else "null"


def _convert(value: Any) -> Any:
    """``value`` as something the encoders write (not for ``Decimal``: callers write it)."""
    if isinstance(value, dt.datetime):
        return _datetime_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_json()
    if isinstance(value, tuple):
        as_dict = getattr(value, "_asdict", None)  # a NamedTuple (or collections.namedtuple)
        return as_dict() if callable(as_dict) else list(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    if isinstance(value, float):  # a float subclass (orjson does not write those)
        return float(value)
    raise _Slow


def _tuple_inside(value: Any) -> bool:
    """Whether a tuple subclass (a ``NamedTuple``) hides in ``value``'s dicts, lists, tuples.

    The C encoder writes every tuple as an array; a NamedTuple must be an object.
    """
    try:
        # marshal writes exact builtin types only, in C: a quarter of the encoder's time.
        marshal.dumps(value)
        return False
    except ValueError:  # some other type, e.g. a tuple subclass, a datetime or an IntEnum
        pass
    todo: list[Any] = [(value,)]
    while todo:
        items = todo.pop()
        if isinstance(items, dict):
            items = items.values()
        types = set(map(type, items))
        if types <= _LEAVES:
            continue
        descend = False
        for cls in types - _LEAVES:
            if issubclass(cls, tuple) and cls is not tuple:
                return True
            descend = descend or issubclass(cls, (dict, list, tuple))
        if descend:
            todo.extend(item for item in items if isinstance(item, (dict, list, tuple)))
    return False


# -- the standard library's C encoder, and a Python writer for everything else ---------------


def _unknown(value: Any) -> Any:
    """The C encoder's ``default``: convert, or give up on it for the Python writer."""
    if isinstance(value, Decimal):
        raise _Slow
    converted = _convert(value)
    if isinstance(converted, tuple) or (
        type(converted) not in _LEAVES and _tuple_inside(converted)
    ):
        raise _Slow
    return converted


# A Decimal must be written as a bare number, which the C encoder cannot do: the second
# encoder below writes it as a string that starts with this mark, then the quotes and the mark
# are taken away. The mark holds a NUL (escaped "\\u0000" in the JSON) and a random part no
# client can guess, so no string of the body can be mistaken for one.
_MARK = f"\x00{secrets.token_hex(8)}:"
_MARK_START = json.dumps(_MARK)[:-1]  # the opening quote, then the mark as JSON escapes it
_VALUE_STARTS = frozenset({"", "[", ":", ","})


def _unmark(text: str) -> str:
    """The JSON text with each marked Decimal string as the bare number it holds."""
    parts = text.split(_MARK_START)
    out = [parts[0]]
    for part in parts[1:]:
        end = part.find('"')
        # Only a whole string where a value starts is ours (a random mark inside a string
        # would follow a backslash-escaped quote, not "[", ":" or ",").
        if end >= 0 and out[-1][-1:] in _VALUE_STARTS:
            out.append(part[:end])
            out.append(part[end + 1 :])
        else:
            out.append(_MARK_START)
            out.append(part)
    return "".join(out)


def _unknown_marking(value: Any) -> Any:
    """``_unknown``, with a Decimal as its marked text."""
    if isinstance(value, Decimal):
        return _MARK + _decimal_text(value)
    return _unknown(value)


# Built once: JSONEncoder.encode builds a new C encoder on every call, which costs more than
# encoding a small body. allow_nan=False: a NaN or infinity raises, and the Python writer
# writes them null.
_c_encode: Callable[[Any, int], list[str]] | None = None
_c_encode_marking: Callable[[Any, int], list[str]] | None = None
if c_make_encoder is not None:  # None on interpreters without the C accelerator
    _c_encode = c_make_encoder(
        None, _unknown, encode_basestring, None, ":", ",", False, False, False
    )
    _c_encode_marking = c_make_encoder(
        None, _unknown_marking, encode_basestring, None, ":", ",", False, False, False
    )
_float_text = float.__repr__
_int_text = int.__repr__


def _path_text(path: list[Any]) -> str:
    """``body["items"][3]["owner"]``: where a value sits in the body."""
    return "body" + "".join(
        f"[{json.dumps(part, ensure_ascii=False)}]" if isinstance(part, str) else f"[{part!r}]"
        for part in path
    )


def _refuse(value: Any, path: list[Any]) -> NoReturn:
    where = _path_text(path)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"{where}: {type(value).__name__} is not JSON serializable (JSON has no bytes);"
            " decode it to str (or base64) first, or send the bytes as the whole body"
        )
    raise TypeError(
        f"{where}: object of type {type(value).__name__} is not JSON serializable; {_HINT}"
    )


def _key_text(key: Any, path: list[Any]) -> str:
    """A dict key as JavaScript turns it into a property name."""
    if isinstance(key, str):
        return key
    if key is True or key is False:
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return _int_text(key)
    if isinstance(key, float):
        if math.isfinite(key):
            return _float_text(key)
        return "NaN" if key != key else ("Infinity" if key > 0 else "-Infinity")
    if isinstance(key, Decimal):
        return str(key)
    if isinstance(key, (dt.date, dt.time, uuid.UUID, Enum)):
        return _key_text(_convert(key), path)
    raise TypeError(
        f"{_path_text(path)}: a key of type {type(key).__name__} ({key!r}) is not JSON"
        " serializable; keys must be str, int, float, bool, None, a date or time, a UUID,"
        " a Decimal or an Enum"
    )


def _write(value: Any, out: list[str], path: list[Any]) -> None:
    """The rules in Python: slower than the C encoder, used when it cannot follow them."""
    cls = type(value)
    if cls is str or isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif cls is int or (isinstance(value, int) and not isinstance(value, Enum)):
        out.append(_int_text(value))
    elif cls is float or (isinstance(value, float) and not isinstance(value, Enum)):
        out.append(_float_text(value) if math.isfinite(value) else "null")
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(encode_basestring(_key_text(key, path)))
            out.append(":")
            path.append(key)
            _write(item, out, path)
            path.pop()
        out.append("}")
    elif cls is list or cls is tuple or isinstance(value, list):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            path.append(index)
            _write(item, out, path)
            path.pop()
        out.append("]")
    elif isinstance(value, Decimal):
        out.append(_decimal_text(value))
    else:
        try:
            converted = _convert(value)
        except _Slow:
            _refuse(value, path)
        _write(converted, out, path)


def _python_text(value: Any) -> str:
    out: list[str] = []
    _write(value, out, [])
    return "".join(out)


def _std_text(value: Any) -> str:
    if _c_encode is None:
        return _python_text(value)
    try:
        text = "".join(_c_encode(value, 0))
    except (_Slow, TypeError, ValueError):
        return _careful_text(value)
    # A NamedTuple is written as an array by the C encoder; only then is there a "[".
    if "[" in text and _tuple_inside(value):
        return _python_text(value)
    return text


def _careful_text(value: Any) -> str:
    """What the plain C encoder gave up on: a Decimal, an unknown type, a NaN, another key."""
    assert _c_encode_marking is not None
    try:
        text = "".join(_c_encode_marking(value, 0))
    except (_Slow, TypeError, ValueError):
        return _python_text(value)  # which writes NaN as null, or names what it cannot write
    if "[" in text and _tuple_inside(value):
        return _python_text(value)
    return _unmark(text) if _MARK_START in text else text


def _utf8(text: str) -> bytes:
    """JSON text as UTF-8, a lone surrogate escaped as ``\\ud800`` (as JSON.stringify does)."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace")


def _std_dumps(value: Any) -> str:
    """``value`` as compact JSON text, non-ASCII kept, as ``JSON.stringify`` writes it."""
    text = _std_text(value)
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:  # a lone surrogate: "\\ud800", as JSON.stringify writes it
            return text.encode("utf-8", "backslashreplace").decode()
    return text


def _std_bytes(value: Any, dumps: Callable[[Any], str] = _std_dumps) -> bytes:
    """The UTF-8 body for ``value``, written by ``dumps`` (``app.json_dumps``)."""
    # One call for the default: this runs for every JSON response.
    if dumps is _std_dumps and _c_encode is not None:
        try:
            text = "".join(_c_encode(value, 0))
        except (_Slow, TypeError, ValueError):
            text = _careful_text(value)
        else:
            if "[" in text and _tuple_inside(value):
                text = _python_text(value)
    else:
        text = dumps(value)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace")


# -- decoding -------------------------------------------------------------------------------


def _reject_constant(name: str) -> NoReturn:
    # JSON has no NaN or Infinity; Python's decoder accepts them unless told otherwise.
    raise ValueError(f"{name} is not valid JSON")


_std_loads: Callable[[str], Any] = json.JSONDecoder(parse_constant=_reject_constant).decode

# -- orjson, when installed -----------------------------------------------------------------

try:
    import orjson
except ImportError:  # the standard library alone: ``pip install 'koa-core[fast]'`` adds it
    orjson = None  # type: ignore[assignment]


def _orjson_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(_decimal_text(value))
    return _convert(value)


def _orjson_dumps(value: Any) -> str:
    """``value`` as compact JSON text, non-ASCII kept, as ``JSON.stringify`` writes it."""
    return _orjson_bytes(value).decode()


def _orjson_bytes(value: Any, dumps: Callable[[Any], str] = _orjson_dumps) -> bytes:
    """The UTF-8 body for ``value``, written by ``dumps`` (``app.json_dumps``)."""
    if dumps is not _orjson_dumps:
        return _utf8(dumps(value))
    try:
        data: bytes = orjson.dumps(value, default=_orjson_default, option=_ORJSON_OPTIONS)
    except TypeError:
        # Integers beyond 64 bits, keys that are not str, lone surrogates, nesting past
        # orjson's limit, unknown types: the standard path writes them, or names them.
        return _std_bytes(value)
    # Floats from 1e-10 to 1e-4 are the only ones orjson spells differently (0.00001 and
    # 1e-7 where json writes 1e-05 and 1e-07). Both searches are C-speed; a string that
    # happens to hold "e-4," or "0.0000" only costs a standard encoding.
    if (b"e-" in data and _SHORT_NEGATIVE_EXPONENT.search(data)) or b"0.0000" in data:
        return _std_bytes(value)
    return data


_SHORT_NEGATIVE_EXPONENT = re.compile(rb"e-[1-9](?![0-9])")

# A digit as b"0", anything else as a space: then b"0" * 19 marks a number too long for 64
# bits, which orjson reads as a float where json keeps the int.
_DIGITS = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_LONG_NUMBER = b"0" * 19


def _orjson_loads(text: str) -> Any:
    """``JSON.parse``: a JSON text as Python values; ``ValueError`` when it is not JSON."""
    try:
        data = text.encode()
    except UnicodeEncodeError:  # lone surrogates are not UTF-8
        return _std_loads(text)
    if _LONG_NUMBER not in data.translate(_DIGITS):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # not JSON (json words the error), or a value orjson refuses (1e400, "\\ud800")
    return _std_loads(text)


if orjson is not None:
    _ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

backend: Literal["orjson", "json"] = "json" if orjson is None else "orjson"
"""Which library encodes and decodes JSON: ``"orjson"`` when it is installed."""

json_dumps: Callable[[Any], str] = _std_dumps if orjson is None else _orjson_dumps
"""``value`` as compact JSON text, non-ASCII kept, as ``JSON.stringify`` writes it (the
default ``app.json_dumps``)."""

json_bytes: Callable[[Any, Callable[[Any], str]], bytes] = (
    _std_bytes if orjson is None else _orjson_bytes
)
"""``json_bytes(value, dumps)``: the UTF-8 body for ``value`` written by ``dumps``
(``app.json_dumps``); straight to bytes when ``dumps`` is ``json_dumps``."""

json_loads: Callable[[str], Any] = _std_loads if orjson is None else _orjson_loads
"""``JSON.parse``: a JSON text as Python values; ``ValueError`` when it is not JSON (NaN and
Infinity are not), ``RecursionError`` when nested too deeply."""
