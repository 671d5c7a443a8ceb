"""The version of koa-helmet: written here only, bumped with `hatch version`."""

__version__ = "0.1.0"
