"""``MulterError``: every way an upload is refused, as an ``HttpError`` with multer's code."""

from __future__ import annotations

from koa.core import HttpError

# Sent when part of the body is left unread: the connection cannot carry another request.
_CLOSE = {"Connection": "close"}


class MulterError(HttpError):
    """An upload refused: ``status`` (4xx), ``message`` (shown to the client), ``code``
    (multer's, e.g. ``"LIMIT_FILE_SIZE"``) and ``field`` (the field concerned, or ``None``).
    """

    code: str
    field: str | None

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(status, message, headers=_CLOSE)
        self.code = code
        self.field = field

    def __repr__(self) -> str:
        return f"MulterError({self.status}, {self.code!r}, {self.message!r})"


def limit_error(
    code: str, what: str, limit_name: str, limit: int, field: str | None = None
) -> MulterError:
    """413 for sizes, 400 for counts; the message names the limit and its value."""
    status = 413 if limit_name in ("file_size", "field_size", "total_size") else 400
    unit = " bytes" if status == 413 or limit_name == "field_name_size" else ""
    return MulterError(
        status, code, f"{what}: over the {limit_name} limit of {limit}{unit}", field=field
    )


def malformed(reason: str) -> MulterError:
    """400 for a body that is not valid multipart/form-data."""
    return MulterError(400, "MALFORMED", f"Malformed multipart body: {reason}")
