"""Route path syntax: path-to-regexp 8 (``:name``, ``*name``, ``{...}``, ``\\`` escapes) plus
the inline constraint ``:name(regex)``.

``parse()`` turns a path into tokens and raises ``PathError`` (with the position) for anything
malformed, so that a bad route fails at registration, never on the first request.
``alternatives()`` expands optional groups, ``to_regex()`` builds the regular expression that
path-to-regexp would build, and ``build_url()`` fills a path with values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias
from urllib.parse import quote

__all__ = [
    "Group",
    "Param",
    "PathError",
    "Text",
    "Token",
    "Wildcard",
    "alternatives",
    "build_url",
    "concat",
    "param_names",
    "parse",
    "to_regex",
]

MAX_ALTERNATIVES = 256
_RESERVED = frozenset("}()[]+?!")


class PathError(ValueError):
    """A malformed route path. ``index`` is the position of the problem in ``path``."""

    def __init__(self, message: str, path: str, index: int) -> None:
        super().__init__(f"{message} in {path!r}")
        self.reason = message
        self.path = path
        self.index = index


@dataclass(frozen=True, slots=True)
class Text:
    """Literal text (escapes already resolved)."""

    value: str


@dataclass(frozen=True, slots=True)
class Param:
    """``:name`` (one segment, or part of one); ``pattern`` is an inline constraint."""

    name: str
    pattern: str | None = None
    index: int = 0


@dataclass(frozen=True, slots=True)
class Wildcard:
    """``*name``: one or more characters, slashes included."""

    name: str
    index: int = 0


@dataclass(frozen=True, slots=True)
class Group:
    """``{...}``: an optional part."""

    tokens: tuple[Token, ...]


Token: TypeAlias = "Text | Param | Wildcard | Group"
Flat: TypeAlias = "tuple[Text | Param | Wildcard, ...]"


def _is_id_start(ch: str) -> bool:
    return ch == "$" or ch == "_" or ch.isidentifier()


def _is_id_continue(ch: str) -> bool:
    return ch in "$\u200c\u200d" or ("a" + ch).isidentifier()


def parse(path: str) -> tuple[Token, ...]:
    """Tokens of ``path``; ``PathError`` when it is malformed."""
    if not isinstance(path, str):
        raise TypeError(f"a route path must be a str, not {type(path).__name__}")
    pos = 0
    size = len(path)

    def consume(end: str) -> tuple[Token, ...]:
        nonlocal pos
        out: list[Token] = []
        text: list[str] = []

        def flush() -> None:
            if text:
                out.append(Text("".join(text)))
                text.clear()

        while pos < size:
            ch = path[pos]
            pos += 1
            if ch == end:
                flush()
                return tuple(out)
            if ch == "\\":
                if pos == size:
                    raise PathError(f"Unexpected end after \\ at index {pos}", path, pos)
                text.append(path[pos])
                pos += 1
                continue
            if ch in ":*":
                start = pos - 1
                name = _read_name(path, pos)
                pos += name[1]
                if not name[0]:
                    raise PathError(f"Missing parameter name at index {pos}", path, pos)
                flush()
                if ch == "*":
                    out.append(Wildcard(name[0], start))
                    continue
                pattern = None
                if pos < size and path[pos] == "(":
                    pattern, pos = _read_constraint(path, pos)
                out.append(Param(name[0], pattern, start))
                continue
            if ch == "{":
                flush()
                out.append(Group(consume("}")))
                continue
            if ch in _RESERVED:
                raise PathError(f"Unexpected {ch} at index {pos - 1}", path, pos - 1)
            text.append(ch)
        if end:
            raise PathError(f"Unexpected end at index {pos}, expected {end}", path, pos)
        flush()
        return tuple(out)

    tokens = consume("")
    # Expanding the groups checks the combinations and "text between params" rules now.
    alternatives(tokens, path)
    return tokens


def _read_name(path: str, pos: int) -> tuple[str, int]:
    """The parameter name at ``pos`` (plain or ``"quoted"``) and how many chars it took."""
    size = len(path)
    if pos < size and _is_id_start(path[pos]):
        end = pos + 1
        while end < size and _is_id_continue(path[end]):
            end += 1
        return path[pos:end], end - pos
    if pos < size and path[pos] == '"':
        chars: list[str] = []
        i = pos + 1
        while i < size:
            ch = path[i]
            if ch == '"':
                return "".join(chars), i + 1 - pos
            if ch == "\\" and i + 1 < size:
                i += 1
                ch = path[i]
            chars.append(ch)
            i += 1
        raise PathError(f"Unterminated quote at index {pos}", path, pos)
    return "", 0


def _read_constraint(path: str, pos: int) -> tuple[str, int]:
    """``(regex)`` starting at ``pos``: the regex and the position after ``)``."""
    start = pos
    depth = 0
    in_class = False
    i = pos
    size = len(path)
    while i < size:
        ch = path[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
        elif ch == "[":
            in_class = True
        elif ch == "(":
            if depth and not path.startswith("(?", i):
                raise PathError(
                    f"Capturing groups are not allowed at index {i} (use (?:...))", path, i
                )
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                source = path[start + 1 : i]
                if not source:
                    raise PathError(f"Missing pattern at index {start}", path, start)
                try:
                    compiled = re.compile(source)
                except re.error as err:
                    raise PathError(
                        f"Invalid pattern at index {start + 1}: {err.msg}", path, start + 1
                    ) from None
                if compiled.groups:
                    raise PathError(
                        f"Capturing groups are not allowed at index {start + 1} (use (?:...))",
                        path,
                        start + 1,
                    )
                return source, i + 1
        i += 1
    raise PathError(f"Unbalanced pattern at index {start}", path, start)


def concat(*parts: Sequence[Token]) -> tuple[Token, ...]:
    """Join token lists (a prefix and a path), merging adjacent text."""
    out: list[Token] = []
    for part in parts:
        for token in part:
            if isinstance(token, Text) and out and isinstance(out[-1], Text):
                out[-1] = Text(out[-1].value + token.value)
            else:
                out.append(token)
    return tuple(out)


def alternatives(tokens: Sequence[Token], path: str = "") -> list[Flat]:
    """Every way to read ``tokens`` with the optional groups in or out, in matching order
    (a group present before absent, as path-to-regexp)."""
    results: list[Flat] = []

    def walk(seqs: list[tuple[Sequence[Token], int]], acc: list[Text | Param | Wildcard]) -> None:
        if not seqs:
            if len(results) >= MAX_ALTERNATIVES:
                raise PathError("Too many path combinations", path, 0)
            results.append(_merge_text(acc))
            return
        seq, index = seqs[-1]
        outer = seqs[:-1]
        while index < len(seq):
            token = seq[index]
            index += 1
            if isinstance(token, Group):
                mark = len(acc)
                walk([*outer, (seq, index), (token.tokens, 0)], acc)
                del acc[mark:]
                continue
            acc.append(token)
        walk(outer, acc)

    walk([(tokens, 0)], [])
    for flat in results:
        _check_captures(flat, path)
    return results


def _merge_text(tokens: Sequence[Text | Param | Wildcard]) -> Flat:
    out: list[Text | Param | Wildcard] = []
    for token in tokens:
        if isinstance(token, Text) and out and isinstance(out[-1], Text):
            out[-1] = Text(out[-1].value + token.value)
        else:
            out.append(token)
    return tuple(out)


def _check_captures(flat: Flat, path: str) -> None:
    previous_capture = False
    for token in flat:
        if isinstance(token, Text):
            previous_capture = False
            continue
        if previous_capture:
            kind = "param" if isinstance(token, Param) else "wildcard"
            raise PathError(
                f'Missing text before "{token.name}" {kind} at index {token.index}',
                path,
                token.index,
            )
        previous_capture = True


def param_names(tokens: Sequence[Token]) -> tuple[str, ...]:
    """Parameter names in URL order, each once."""
    names: list[str] = []

    def visit(seq: Sequence[Token]) -> None:
        for token in seq:
            if isinstance(token, Group):
                visit(token.tokens)
            elif isinstance(token, (Param, Wildcard)) and token.name not in names:
                names.append(token.name)

    visit(tokens)
    return tuple(names)


# -- regular expressions (path-to-regexp's construction) -----------------------------------


def _negate(a: str, b: str) -> str:
    """A one-character pattern that stops before ``a`` or ``b`` (no runaway backtracking)."""
    if len(b) > len(a):
        a, b = b, a
    if a == b:
        b = ""
    if len(b) > 1:
        return f"(?:(?!{re.escape(a)}|{re.escape(b)})[\\s\\S])"
    if len(a) > 1:
        return f"(?:(?!{re.escape(a)}){_any_but(b)})"
    return _any_but(a + b)


def _any_but(chars: str) -> str:
    # JavaScript's [^] is "any character"; Python's needs [\s\S] (a bare [^] does not parse).
    if not chars:
        return "[\\s\\S]"
    return f"[^{''.join(re.escape(c) for c in chars)}]"


def _source(flat: Flat, names: list[str]) -> str:
    """The regex source of one alternative; appends the capture names to ``names``."""
    out: list[str] = []
    backtrack = ""
    wildcard_backtrack = ""
    previous = 0  # 1 after a param, 2 after a wildcard
    segment = 0  # bit 1: a param seen in this segment, bit 2: a wildcard

    def in_segment(start: int, kind: type) -> bool:
        for token in flat[start:]:
            if isinstance(token, kind):
                return True
            if isinstance(token, Text) and "/" in token.value:
                return False
        return False

    def text_after(start: int) -> str:
        parts: list[str] = []
        for token in flat[start:]:
            if not isinstance(token, Text):
                break
            parts.append(token.value)
        return "".join(parts)

    for index, token in enumerate(flat):
        if isinstance(token, Text):
            out.append(re.escape(token.value))
            backtrack += token.value
            if previous == 2:
                wildcard_backtrack += token.value
            if "/" in token.value:
                segment = 0
            continue
        if isinstance(token, Param):
            if token.pattern is not None:
                out.append(f"((?:{token.pattern}))")
            elif segment & 2:
                out.append(f"({_negate('/', backtrack)}+)")
            elif in_segment(index + 1, Wildcard):
                out.append(f"({_negate('/', text_after(index + 1))}+)")
            elif segment & 1:
                out.append(f"({_negate('/', backtrack)}+|{re.escape(backtrack)})")
            else:
                out.append("([^/]+)")
            previous = 1
            segment |= 1
        else:
            if segment & 2:
                out.append(f"({_negate(backtrack, '')}+)")
            elif wildcard_backtrack:
                out.append(f"({_negate(wildcard_backtrack, '')}+|{_negate('/', '')}+)")
            else:
                out.append("([\\s\\S]+)")
            wildcard_backtrack = ""
            previous = 2
            segment |= 2
        names.append(token.name)
        backtrack = ""
    return "".join(out)


def to_regex(
    flats: Sequence[Flat], *, end: bool = True, trailing: bool = True, sensitive: bool = False
) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """The regex for these alternatives and the parameter name of each group."""
    names: list[str] = []
    source = "|".join(_source(flat, names) for flat in flats)
    pattern = f"^(?:{source})"
    if trailing:
        pattern += "(?:/(?=\\Z))?"
    pattern += "\\Z" if end else "(?=/|\\Z)"
    return re.compile(pattern, 0 if sensitive else re.IGNORECASE), tuple(names)


# -- building URLs -------------------------------------------------------------------------

_URI_COMPONENT_SAFE = "-_.!~*'()"


def encode_component(value: str) -> str:
    """JavaScript's ``encodeURIComponent``."""
    return quote(value, safe=_URI_COMPONENT_SAFE)


def _fill(tokens: Sequence[Token], values: Mapping[str, object], missing: list[str]) -> str:
    out: list[str] = []
    for token in tokens:
        if isinstance(token, Text):
            out.append(token.value)
        elif isinstance(token, Group):
            before = len(missing)
            text = _fill(token.tokens, values, missing)
            if len(missing) == before:
                out.append(text)
            else:
                del missing[before:]
        else:
            value = values.get(token.name)
            if value is None:
                missing.append(token.name)
                continue
            if isinstance(token, Wildcard):
                parts = (
                    [str(v) for v in value]
                    if isinstance(value, (list, tuple))
                    else str(value).split("/")
                )
                if not parts or not all(parts):
                    raise ValueError(f'Expected "{token.name}" to be a non-empty path')
                out.append("/".join(encode_component(p) for p in parts))
                continue
            text = str(value)
            if token.pattern is not None and not re.fullmatch(token.pattern, text):
                raise ValueError(
                    f'Expected "{token.name}" to match {token.pattern!r}, got {text!r}'
                )
            out.append(encode_component(text))
    return "".join(out)


def build_url(
    tokens: Sequence[Token],
    params: Sequence[object] | Mapping[str, object],
    query: Mapping[str, object] | str | None = None,
) -> str:
    """Fill ``tokens`` with ``params`` (positional values in URL order, or a mapping).

    ``ValueError("Missing parameters: id")`` when a required value is missing.
    """
    if isinstance(params, Mapping):
        values: Mapping[str, object] = params
    else:
        names = param_names(tokens)
        values = dict(zip(names, params, strict=False))
    missing: list[str] = []
    url = _fill(tokens, values, missing)
    if missing:
        raise ValueError(f"Missing parameters: {', '.join(missing)}")
    if query is None:
        return url
    if isinstance(query, str):
        # As Node's url.format: a "#" would start a fragment, so it is escaped.
        text = query.removeprefix("?").replace("#", "%23")
    else:
        pairs: list[str] = []
        for key, value in query.items():
            items = value if isinstance(value, (list, tuple)) else [value]
            for item in items:
                shown = "" if item is None else _query_text(item)
                pairs.append(f"{encode_component(str(key))}={encode_component(shown)}")
        text = "&".join(pairs)
    return f"{url}?{text}" if text else url


def _query_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
