"""The version of koa-mount: written here only, bumped with `hatch version`."""

__version__ = "0.1.0"
