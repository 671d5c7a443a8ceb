"""``koa.core.websocket.WebSocket`` over aiohttp's ``WebSocketResponse``.

aiohttp does the protocol: the handshake, framing, permessage-deflate, pings and pongs, the
closing handshake and the size limit (a bigger message closes with 1009). This module maps
its message types onto ``str``/``bytes`` and ``WebSocketDisconnect``, with public names only
(``aiohttp.py`` holds the response subclass, which shares the header fix-ups that need
aiohttp's internals, and ``AiohttpConnection.accept_websocket``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import WSMsgType

from ..websocket import (
    ABNORMAL_CLOSURE,
    NO_STATUS,
    NORMAL_CLOSURE,
    WebSocket,
    WebSocketDisconnect,
    check_close,
)

if TYPE_CHECKING:
    from .aiohttp import KoaWebSocketResponse

__all__ = ["AiohttpWebSocket"]

_CLOSING = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR})


class AiohttpWebSocket(WebSocket):
    """An accepted WebSocket on aiohttp (``native`` is the ``WebSocketResponse``)."""

    def __init__(self, res: KoaWebSocketResponse, max_message_size: int) -> None:
        super().__init__(res.ws_protocol, max_message_size)
        self._res = res
        self._reason = ""
        # The code when aiohttp's own is not the one the socket closed with: a protocol
        # error's (aiohttp reports 1006 after its close), or 1006 for a lost connection
        # (which aiohttp reports as 1000).
        self._code: int | None = None

    @property
    def native(self) -> KoaWebSocketResponse:
        return self._res

    @property
    def closed(self) -> bool:
        return self._res.closed

    @property
    def close_code(self) -> int | None:
        res = self._res
        if not res.closed:
            return None
        if self._code is not None:
            return self._code
        code = res.close_code
        return ABNORMAL_CLOSURE if code is None else int(code)

    @property
    def close_reason(self) -> str:
        return self._reason

    def _disconnect(self) -> WebSocketDisconnect:
        return WebSocketDisconnect(self.close_code or ABNORMAL_CLOSURE, self._reason)

    async def receive(self) -> str | bytes:
        res = self._res
        if res.closed:
            raise self._disconnect()
        msg = await res.receive()
        kind = msg.type
        if kind is WSMsgType.TEXT or kind is WSMsgType.BINARY:
            return msg.data  # type: ignore[no-any-return]
        if kind is WSMsgType.CLOSE:
            # The peer's close frame: aiohttp has answered it; its code and reason are here.
            self._reason = msg.extra or ""
            code = msg.data if msg.data else NO_STATUS
            raise WebSocketDisconnect(code, self._reason)
        if kind in _CLOSING:
            # Closed by this side, the connection lost, or a protocol error (a message over
            # the size limit: 1009), which aiohttp has closed the socket with.
            if kind is WSMsgType.ERROR:
                code = getattr(msg.data, "code", None)  # aiohttp's WebSocketError has one
                self._code = int(code) if code and code != NORMAL_CLOSURE else ABNORMAL_CLOSURE
            raise self._disconnect()
        # PING and PONG are answered by aiohttp (autoping); nothing else reaches here.
        raise self._disconnect()  # pragma: no cover

    async def send(self, data: str | bytes) -> None:
        if not isinstance(data, (str, bytes)):
            raise TypeError(f"a WebSocket message is str or bytes, not {type(data).__name__}")
        res = self._res
        if res.closed:
            raise self._disconnect()
        try:
            if isinstance(data, str):
                await res.send_str(data)
            else:
                await res.send_bytes(data)
        except ConnectionError as err:
            self._code = ABNORMAL_CLOSURE
            raise WebSocketDisconnect(ABNORMAL_CLOSURE, self._reason) from err

    async def close(self, code: int = NORMAL_CLOSURE, reason: str = "") -> None:
        message = check_close(code, reason)
        res = self._res
        if res.closed:
            return
        self._reason = reason
        await res.close(code=code, message=message)
