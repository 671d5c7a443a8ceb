"""koa.logger: koa-logger's development log lines, with colour control and real sizes."""

from .middleware import LogArgs, LoggerMiddleware, Transporter, logger

__all__ = ["LogArgs", "LoggerMiddleware", "Transporter", "logger"]
