"""The version of koa-compress: written here only, bumped with `hatch version`."""

__version__ = "0.1.0"
