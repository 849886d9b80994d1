"""Encryption of stored mail passwords with a key from settings (Fernet: AES-128-CBC + HMAC)."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class UnreadablePassword(Exception):
    """The stored password cannot be decrypted (the key changed)."""


def _fernet():
    key = settings.MAIL_PASSWORD_KEY
    try:
        return Fernet(key)
    except ValueError:
        # Any other secret string: derive a Fernet key from it.
        digest = hashlib.sha256(b"ablage-mail-password\0" + key.encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_password(password):
    return _fernet().encrypt(password.encode("utf-8")).decode("ascii")


def decrypt_password(token):
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        raise UnreadablePassword(
            "the stored password cannot be decrypted; was MAIL_PASSWORD_KEY changed?"
        ) from None
