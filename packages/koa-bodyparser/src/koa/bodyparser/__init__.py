"""koa.bodyparser: parse JSON, form and text request bodies into ``ctx.request.body``."""

from .limits import parse_limit
from .middleware import ErrorHook, bodyparser

__all__ = ["ErrorHook", "bodyparser", "parse_limit"]
