"""``encrypt=True``: the session cookie as AES-256-GCM ciphertext, keys from ``app.keys``.

Each key of ``app.keys`` gives an AES key through HKDF-SHA256; the first encrypts, any of
them decrypts (key rotation, as for signatures). The cookie value is URL-safe base64 (no
padding) of a 12-byte random nonce followed by the ciphertext and its 16-byte tag. The
cookie's name is authenticated with it, so a value cannot move to another cookie.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["CookieCipher"]

_INFO = b"koa-session cookie encryption v1"
_NONCE = 12


def _derive(key: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key))


class CookieCipher:
    """Encrypts with the first key, decrypts with any."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("encryption needs at least one key")
        self._ciphers = [_derive(key) for key in keys]

    def encrypt(self, name: str, plaintext: bytes) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._ciphers[0].encrypt(nonce, plaintext, name.encode())
        return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")

    def decrypt(self, name: str, value: str) -> tuple[bytes, int] | None:
        """The plaintext and the index of the key that opened it, or ``None`` when no key
        does (tampered, truncated, or sealed with a key we do not have)."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError):
            return None
        if len(raw) < _NONCE + 16:
            return None
        nonce, sealed = raw[:_NONCE], raw[_NONCE:]
        for index, cipher in enumerate(self._ciphers):
            try:
                return cipher.decrypt(nonce, sealed, name.encode()), index
            except InvalidTag:
                continue
        return None
