"""Raw RFC 822 bytes of mail, kept through Django's storage API (the "mail" storage).

Mail is written in packs: the mails of one parse task (a few dozen, at most PACK_BYTES) are written
one after another into a single file, and each mail's reference names the pack, its offset and its
length (`ab/<sha256>.pack#4096+1234`). Creating a file costs far more than writing a mail's bytes
(it was over half of a first sync), and a pack creates one file for dozens of mails.

Content-addressed: a pack is named after the SHA-256 of its bytes, so writing the same mails again
(after a rolled-back transaction) creates nothing new, and a file of that name that is too short
(its writer died) is written again. The caller passes the references of mail that is already stored
(looked up by fingerprint), so the same mail in several folders or mailboxes is written once. A
reference without `#` is a whole file: mail stored before packs existed, in one level of 256
folders or in the two-level layout before that.
"""

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import storages

# A pack is closed when it reaches this size; a bigger mail gets a pack of its own. Keeps a
# parse worker's memory small whatever the mail sizes.
PACK_BYTES = 4 * 1024 * 1024


def mail_storage():
    return storages["mail"]


def save_pack(raws, fingerprints, known=None):
    """Stores the raw mails (bytes, with their SHA-256 hex fingerprints) in packs and returns
    a reference per mail. Mail whose fingerprint is in `known` ({fingerprint: reference}) is
    not written again, nor is a mail repeated within `raws`."""
    known = known or {}
    refs = [None] * len(raws)
    first = {}  # fingerprint: index of the first mail with it that is written now
    pack, spans, size = [], [], 0  # the pack being filled: mails, (index, offset, length)
    for index, (raw, fingerprint) in enumerate(zip(raws, fingerprints, strict=True)):
        if fingerprint in known:
            refs[index] = known[fingerprint]
            continue
        if fingerprint in first:
            continue
        first[fingerprint] = index
        if pack and size + len(raw) > PACK_BYTES:
            _write_pack(pack, spans, refs)
            pack, spans, size = [], [], 0
        spans.append((index, size, len(raw)))
        pack.append(raw)
        size += len(raw)
    if pack:
        _write_pack(pack, spans, refs)
    return [ref or refs[first[fp]] for ref, fp in zip(refs, fingerprints, strict=True)]


def _write_pack(pack, spans, refs):
    data = b"".join(pack)
    digest = hashlib.sha256(data).hexdigest()
    path = f"{digest[:2]}/{digest}.pack"
    storage = mail_storage()
    size = _size(path)
    if size is not None and size != len(data):
        # Left half-written by a writer that died: the same bytes are written again.
        storage.delete(path)
    if size != len(data):
        saved = storage.save(path, ContentFile(data))
        if saved != path:
            # Another writer stored the same pack at the same moment; keep theirs.
            storage.delete(saved)
    for index, offset, length in spans:
        refs[index] = f"{path}#{offset}+{length}"


def _size(path):
    """The size of a stored file, None when it is missing or cannot be read."""
    try:
        return mail_storage().size(path)
    except Exception:  # noqa: BLE001 - whatever the storage raises, the file is not usable
        return None


def readable(refs):
    """The references among `refs` whose bytes are in the storage: the file is there and long
    enough (one size lookup per file). Mail whose stored copy was lost is written again rather
    than pointed at."""
    sizes = {}
    found = set()
    for ref in refs:
        path, _, span = ref.partition("#")
        if path not in sizes:
            sizes[path] = _size(path)
        if sizes[path] is None:
            continue
        if span:
            offset, _, length = span.partition("+")
            if not (offset.isdigit() and length.isdigit()):
                continue
            if int(offset) + int(length) > sizes[path]:
                continue
        found.add(ref)
    return found


def read_raw(ref):
    """The raw bytes a reference names. OSError when the file is missing, ValueError when the
    reference is malformed or the pack is shorter than it says."""
    path, _, span = ref.partition("#")
    with mail_storage().open(path, "rb") as fh:
        if not span:
            return fh.read()
        offset, _, length = span.partition("+")
        offset, length = int(offset), int(length)
        fh.seek(offset)
        data = fh.read(length)
    if len(data) != length:
        raise ValueError(f"{path} ends before byte {offset + length}")
    return data


def pack_path(ref):
    """The file a reference lies in."""
    return ref.partition("#")[0]
