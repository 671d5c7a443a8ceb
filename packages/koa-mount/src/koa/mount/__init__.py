"""koa.mount: run an app, a middleware or a list of middleware under a path prefix."""

from .mount import MountedMiddleware, mount

__all__ = ["MountedMiddleware", "mount"]
