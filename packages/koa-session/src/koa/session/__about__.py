"""The version of koa-session: written here only, bumped with `hatch version`."""

__version__ = "0.1.0"
