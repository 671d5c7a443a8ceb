"""HTTP errors: ``HttpError``, ``create_http_error`` (http-errors' rules) and ``is_http_error``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .statuses import STATUS_PHRASES

HeaderValues = Mapping[str, "str | int | Sequence[str]"]


class HttpError(Exception):
    """An error that carries an HTTP status.

    ``expose`` says whether ``message`` may be shown to the client; it defaults to
    ``status < 500``. ``headers`` are set on the error response. Extra keyword arguments
    become attributes (``HttpError(401, "login", user="tobi").user``).
    """

    status: int
    message: str
    expose: bool
    headers: dict[str, Any] | None

    def __init__(
        self,
        status: int = 500,
        message: str | None = None,
        *,
        expose: bool | None = None,
        headers: HeaderValues | None = None,
        **props: Any,
    ) -> None:
        if isinstance(status, bool) or not isinstance(status, int):
            raise TypeError(f"status must be an int, not {type(status).__name__}")
        if status not in STATUS_PHRASES and not 400 <= status < 600:
            status = 500
        if message is None:
            message = STATUS_PHRASES.get(status) or (
                "Bad Request" if status < 500 else "Internal Server Error"
            )
        super().__init__(message)
        self.status = status
        self.message = message
        self.expose = status < 500 if expose is None else expose
        self.headers = dict(headers) if headers else None
        props.pop("status", None)
        props.pop("status_code", None)
        for key, value in props.items():
            setattr(self, key, value)

    @property
    def status_code(self) -> int:
        """The same as ``status`` (aiohttp's and many libraries' name)."""
        return self.status

    def __repr__(self) -> str:
        return f"HttpError({self.status}, {self.message!r})"


def is_http_error(obj: object) -> bool:
    """True for anything with an int ``status`` and a bool ``expose`` (Koa 3.3's duck typing)."""
    status = getattr(obj, "status", None)
    expose = getattr(obj, "expose", None)
    return isinstance(status, int) and not isinstance(status, bool) and isinstance(expose, bool)


def create_http_error(
    status: int | str | BaseException = 500,
    message: str | BaseException | None = None,
    /,
    **props: Any,
) -> HttpError:
    """Build the error ``ctx.throw`` raises (http-errors' argument rules).

    ``create_http_error(404)``, ``(400, "msg")``, ``("msg")`` -> 500, ``(exc)`` -> 500 unexposed,
    ``(400, exc)`` -> status 400 with ``exc``'s message (``exc`` becomes ``__cause__``). As
    http-errors, an exception's own ``status`` (or ``status_code``) wins over the number, its
    message over a text, and a status is only taken as the first argument.
    """
    code: object = 500
    text: str | None = None
    cause: BaseException | None = None
    for position, arg in enumerate((status, message)):
        if arg is None:
            continue
        if isinstance(arg, BaseException):
            cause = arg
            code = getattr(arg, "status", None) or getattr(arg, "status_code", None) or code
        elif isinstance(arg, int) and not isinstance(arg, bool) and position == 0:
            code = arg
        elif isinstance(arg, str):
            text = arg
        else:
            raise TypeError(
                f"ctx.throw() argument #{position + 1}: a status (first), a message or an"
                f" exception, not {type(arg).__name__}"
            )
    if (
        not isinstance(code, int)
        or isinstance(code, bool)
        or (code not in STATUS_PHRASES and not 400 <= code < 600)
    ):
        code = 500
    props.pop("status", None)  # http-errors ignores a status among the properties
    props.pop("status_code", None)
    if isinstance(cause, HttpError) and cause.status == code:
        for key, value in props.items():
            setattr(cause, key, value)
        return cause
    expose = props.pop("expose", None)
    headers = props.pop("headers", None)
    if cause is not None:
        text = str(cause) or type(cause).__name__  # http-errors keeps the error's message
        if headers is None and isinstance(getattr(cause, "headers", None), Mapping):
            headers = cause.headers  # type: ignore[attr-defined]
    err = HttpError(code, text, expose=expose, headers=headers, **props)
    if cause is not None:
        err.__cause__ = cause
    return err
