"""koa-router: @koa/router 15 for Koa for Python, with an indexed matcher."""

from .layer import Layer
from .path import PathError
from .router import HTTP_METHODS, RouteMatch, Router, RouterEvents, RouterMiddleware

__all__ = [
    "HTTP_METHODS",
    "Layer",
    "PathError",
    "RouteMatch",
    "Router",
    "RouterEvents",
    "RouterMiddleware",
]
