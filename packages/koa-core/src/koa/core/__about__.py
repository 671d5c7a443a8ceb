"""The version of koa-core: written here only, bumped with `hatch version`."""

__version__ = "0.1.0"
