"""Koa for Python: the application, the context and the middleware onion, on aiohttp."""

from .application import Koa, current_context
from .compose import ComposedMiddleware, HookMiddleware, Hooks, Middleware, Next, compose
from .context import Context
from .cookies import Cookies, Keygrip
from .errors import HttpError, create_http_error, is_http_error
from .jsoncodec import json_dumps, json_loads
from .lifespan import StartupError
from .request import Request
from .response import Response, fixed_headers
from .server import Server
from .statuses import STATUS_PHRASES
from .websocket import WebSocket, WebSocketDisconnect

__all__ = [
    "STATUS_PHRASES",
    "ComposedMiddleware",
    "Context",
    "Cookies",
    "HookMiddleware",
    "Hooks",
    "HttpError",
    "Keygrip",
    "Koa",
    "Middleware",
    "Next",
    "Request",
    "Response",
    "Server",
    "StartupError",
    "WebSocket",
    "WebSocketDisconnect",
    "compose",
    "create_http_error",
    "current_context",
    "fixed_headers",
    "is_http_error",
    "json_dumps",
    "json_loads",
]
