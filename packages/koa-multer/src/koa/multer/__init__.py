"""koa.multer: multipart/form-data uploads, per route, with limits on by default."""

from .errors import MulterError
from .file import File
from .limits import Limits
from .middleware import Multer, multer, uploaded_file, uploaded_files
from .parser import FileFilter
from .storage import DiskStorage, MemoryStorage, Storage

__all__ = [
    "DiskStorage",
    "File",
    "FileFilter",
    "Limits",
    "MemoryStorage",
    "Multer",
    "MulterError",
    "Storage",
    "multer",
    "uploaded_file",
    "uploaded_files",
]
