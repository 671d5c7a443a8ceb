"""koa.compress: koa-compress 5's gzip, deflate, br and zstd, with streams flushed per chunk."""

from .compressible import compressible
from .middleware import CompressMiddleware, EncodingOptions, Filter, compress

__all__ = ["CompressMiddleware", "EncodingOptions", "Filter", "compress", "compressible"]
