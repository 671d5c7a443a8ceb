"""Find the file to send: extensions, directory index, precompressed siblings, symlink checks.

``locate`` is plain blocking code; ``send`` runs it in a worker thread so the event loop never
waits on the disk. It does as few system calls as it can: one ``lstat`` per path component
below ``root`` (which doubles as the file's ``stat`` when nothing is a symlink) and one per
enabled precompressed sibling.
"""

from __future__ import annotations

import errno
import os
import os.path
import stat
from dataclasses import dataclass

from koa.core import HttpError

from .options import SendOptions

# Errors that mean "there is no such file here": koa-send's ENOENT, ENAMETOOLONG and ENOTDIR,
# plus ELOOP (a symlink cycle) and EINVAL (names the platform cannot represent).
_MISSING = frozenset({errno.ENOENT, errno.ENAMETOOLONG, errno.ENOTDIR, errno.ELOOP, errno.EINVAL})


@dataclass(slots=True)
class Found:
    """The file ``send`` will serve, its stat, and its precompressed siblings if any."""

    path: str
    stat: os.stat_result
    br: os.stat_result | None = None
    gz: os.stat_result | None = None
    #: Only ``path.br``/``path.gz`` exist (``stat`` is one of theirs): sent only when the
    #: client accepts one of them, else the request is not found.
    only_precompressed: bool = False


@dataclass(slots=True)
class Directory:
    """A directory that should be redirected to its trailing-slash URL."""

    path: str


def not_found() -> HttpError:
    return HttpError(404)


def locate(
    opts: SendOptions, path: str, precompressed_only: bool = False
) -> Found | Directory | None:
    """Find what ``path`` (already resolved under ``opts.root``) should serve.

    Returns ``None`` for a directory that is not served (no index, or ``format=False``).
    Raises ``HttpError`` 404 when nothing is there (a symlink leaving ``root`` included) and
    403 when the operating system refuses access. With ``precompressed_only`` (the client
    sent Accept-Encoding), a missing file whose ``.br``/``.gz`` sibling exists is found, as
    koa-send serves ``x.js.gz`` for ``/x.js`` without an ``x.js``.
    """
    try:
        return _locate(opts, path, precompressed_only)
    except OSError as err:
        if isinstance(err, PermissionError):
            raise HttpError(403) from None
        if err.errno in _MISSING:
            raise not_found() from None
        raise


def _locate(opts: SendOptions, path: str, precompressed_only: bool) -> Found | Directory | None:
    checked: set[str] = set()
    st: os.stat_result | None = None
    if opts.extensions and "." not in os.path.basename(path):
        for ext in opts.extensions:
            st = _stat_inside(opts, path + ext, checked, missing_ok=True)
            if st is not None:
                path += ext
                break
    if st is None:
        try:
            st = _stat_inside(opts, path, checked)
        except OSError as err:
            # Only paid on a miss, and only when the client takes some coding.
            if not precompressed_only or err.errno not in _MISSING:
                raise
            only = _only_precompressed(opts, path, checked)
            if only is None:
                raise
            return only
        assert st is not None
    if stat.S_ISDIR(st.st_mode):
        if not (opts.format and opts.index):
            return None
        if opts.directory_slash:
            return Directory(path)
        path = os.path.join(path, opts.index)
        st = _stat_inside(opts, path, checked)
        assert st is not None
    if not stat.S_ISREG(st.st_mode):
        raise not_found()  # sockets, FIFOs and devices are never sent
    found = Found(path, st)
    if opts.brotli:
        found.br = _sibling(opts, path + ".br", checked)
    if opts.gzip:
        found.gz = _sibling(opts, path + ".gz", checked)
    return found


def _only_precompressed(opts: SendOptions, path: str, checked: set[str]) -> Found | None:
    br = _sibling(opts, path + ".br", checked) if opts.brotli else None
    gz = _sibling(opts, path + ".gz", checked) if opts.gzip else None
    some = br or gz
    if some is None:
        return None
    return Found(path, some, br, gz, only_precompressed=True)


def _sibling(opts: SendOptions, path: str, checked: set[str]) -> os.stat_result | None:
    try:
        st = _stat_inside(opts, path, checked, missing_ok=True)
    except OSError:
        return None
    return st if st is not None and stat.S_ISREG(st.st_mode) else None


def _stat_inside(
    opts: SendOptions, path: str, checked: set[str], *, missing_ok: bool = False
) -> os.stat_result | None:
    """``stat(path)``, but a symlink anywhere below root must resolve inside root."""
    try:
        if opts.follow_symlinks:
            return os.stat(path)
        root = opts.root
        # Directories between root and the file: lstat each once per request.
        start = len(root) + 1
        while True:
            cut = path.find("/", start)
            if cut < 0:
                break
            parent = path[:cut]
            if parent not in checked:
                if stat.S_ISLNK(os.lstat(parent).st_mode):
                    return _stat_through_link(opts, path)
                checked.add(parent)
            start = cut + 1
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            return _stat_through_link(opts, path)
        return st
    except OSError as err:
        if missing_ok and err.errno in _MISSING:
            return None
        raise


def _stat_through_link(opts: SendOptions, path: str) -> os.stat_result:
    real = os.path.realpath(path)
    real_root = os.path.realpath(opts.root)  # only paid when a symlink is met
    if real != real_root and not real.startswith(real_root.rstrip("/") + "/"):
        # Reported as missing, so the request falls through like any absent file.
        raise FileNotFoundError(errno.ENOENT, "symlink target is outside root", path)
    return os.stat(real)
