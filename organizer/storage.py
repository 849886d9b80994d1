"""Raw RFC 822 bytes of mail, kept through Django's storage API (the "mail" storage).

Content-addressed: a message is stored under the SHA-256 of its bytes and written once, so the
same mail in several folders or mailboxes takes the space once, and a re-run writes nothing.
"""

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import storages


def mail_storage():
    return storages["mail"]


def path_for(sha256_hex):
    # One level of 256 folders: creating a folder costs a disk write like creating a file, and
    # with two levels (65,536 folders) nearly every new mail of a mailbox needed its own folder.
    return f"{sha256_hex[:2]}/{sha256_hex}.eml"


def _earlier_path_for(sha256_hex):
    """Where mail stored before the one-level layout lies (rows keep their raw_path)."""
    return f"{sha256_hex[:2]}/{sha256_hex[2:4]}/{sha256_hex}.eml"


def save_raw(raw, sha256_hex=None):
    """Stores `raw` (bytes) unless already there; returns its storage path."""
    sha256_hex = sha256_hex or hashlib.sha256(raw).hexdigest()
    path = path_for(sha256_hex)
    storage = mail_storage()
    if storage.exists(path):
        return path
    earlier = _earlier_path_for(sha256_hex)
    if storage.exists(earlier):
        return earlier
    saved = storage.save(path, ContentFile(raw))
    if saved != path:
        # Another writer stored the same bytes at the same moment; keep theirs.
        storage.delete(saved)
    return path


def read_raw(path):
    with mail_storage().open(path, "rb") as fh:
        return fh.read()
