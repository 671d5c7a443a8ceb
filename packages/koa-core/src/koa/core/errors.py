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
    ``(400, exc)`` -> status 400 with ``exc``'s message (``exc`` becomes ``__cause__``).
    """
    code = 500
    text: str | None = None
    cause: BaseException | None = None
    for arg in (status, message):
        if arg is None:
            continue
        if isinstance(arg, bool):
            raise TypeError("ctx.throw() takes a status, a message or an exception, not a bool")
        if isinstance(arg, int):
            code = arg
        elif isinstance(arg, str):
            text = arg
        elif isinstance(arg, BaseException):
            cause = arg
        else:
            raise TypeError(
                f"ctx.throw() takes a status, a message or an exception, not {type(arg).__name__}"
            )
    if cause is not None:
        if isinstance(cause, HttpError) and (status is cause or code == cause.status):
            for key, value in props.items():
                if key not in ("status", "status_code"):
                    setattr(cause, key, value)
            return cause
        if text is None:
            text = str(cause) or type(cause).__name__
        if code == 500 and status is cause:
            inner = getattr(cause, "status", None) or getattr(cause, "status_code", None)
            if isinstance(inner, int) and not isinstance(inner, bool):
                code = inner
    props.pop("status", None)  # http-errors ignores a status among the properties
    props.pop("status_code", None)
    expose = props.pop("expose", None)
    headers = props.pop("headers", None)
    err = HttpError(code, text, expose=expose, headers=headers, **props)
    if cause is not None:
        err.__cause__ = cause
        if status is cause:
            # ctx.throw(exc): a plain exception is an unexposed server error.
            err.expose = err.status < 500 and is_http_error(cause)
    return err
