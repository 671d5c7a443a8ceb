"""The version of koa-static: written here only, bumped with `hatch version`."""

__version__ = "0.1.0"
