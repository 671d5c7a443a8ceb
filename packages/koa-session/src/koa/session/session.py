"""``ctx.session``: the session's data as a mutable mapping, plus koa-session's methods."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import ContextSession
    from .options import MaxAge

__all__ = ["Session"]


class Session(MutableMapping[str, Any]):
    """The session of one request.

    A mapping of JSON values (``ctx.session["user"] = "tobi"``), saved when it changed.
    Keys starting with ``_`` are koa-session's own (``_expire``, ``_maxAge``) and refused.

    With a store, the data is read from it only when asked: ``await ctx.session.load()``
    first (it returns the session; without a store it does nothing), so a request that
    never needs the session never reads the store.
    """

    __slots__ = ("_data", "_expire", "_loaded", "_owner", "is_new")

    def __init__(
        self,
        owner: ContextSession,
        data: dict[str, Any] | None,
        *,
        loaded: bool = True,
        expire: float | None = None,
    ) -> None:
        self._owner = owner
        self._data: dict[str, Any] = data if data is not None else {}
        #: True when this request started a new session (nothing valid came with it).
        self.is_new = data is None
        self._loaded = loaded
        self._expire = expire

    def _check_loaded(self) -> dict[str, Any]:
        if not self._loaded:
            raise RuntimeError(
                "this session is kept in a store and is read only when asked:"
                " `await ctx.session.load()` before using it"
            )
        return self._data

    # -- the mapping ---------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        return self._check_loaded()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        data = self._check_loaded()
        if not isinstance(key, str):
            raise TypeError(f"session keys are str (JSON object keys), not {key!r}")
        if key.startswith("_"):
            raise KeyError(f"session keys starting with '_' belong to koa-session: {key!r}")
        data[key] = value

    def __delitem__(self, key: str) -> None:
        del self._check_loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._check_loaded())

    def __len__(self) -> int:
        return len(self._check_loaded())

    def __repr__(self) -> str:
        shown = repr(self._data) if self._loaded else "(not loaded)"
        return f"<Session {shown}>"

    def to_json(self) -> dict[str, Any]:
        """A copy of the session's data (koa-session's ``toJSON()``)."""
        return dict(self._check_loaded())

    @property
    def populated(self) -> bool:
        """True when the session holds at least one key."""
        return bool(self._check_loaded())

    # -- koa-session's members -----------------------------------------------------------

    @property
    def max_age(self) -> MaxAge:
        """This session's lifetime in seconds, or ``"session"``; setting it saves the session
        with the new lifetime at the end of the request."""
        return self._owner.options.max_age

    @max_age.setter
    def max_age(self, value: MaxAge) -> None:
        from .options import check_max_age

        self._owner.own_options().max_age = check_max_age(value)
        self._owner.require_save = True

    @property
    def external_key(self) -> str | None:
        """The session id with a store (``None`` without one, or before ``load()``)."""
        return self._owner.external_key

    async def load(self) -> Session:
        """Read the session from the store (once; a no-op without a store); returns it."""
        if not self._loaded:
            await self._owner.load()
        return self

    async def save(self) -> None:
        """Save the session now, even unchanged (and again later if it changes)."""
        await self._owner.commit(save=True)

    async def regenerate(self) -> None:
        """Give the session a new id and destroy the old one in the store, keeping the data.

        Call it when the user logs in, so an id planted before the login (session fixation)
        is worth nothing afterwards.
        """
        await self._owner.commit(regenerate=True)

    async def manually_commit(self) -> None:
        """Commit now (for ``auto_commit=False``)."""
        await self._owner.commit()
