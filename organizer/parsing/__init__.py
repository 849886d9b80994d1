"""Parsing of raw RFC 822 mail into plain data. Never raises; records defects instead.

    parse_message(raw) -> ParsedMessage   everything sync stores and filing reads
    get_part(raw, part) -> (file name, content type, bytes) | None   one attachment's bytes
    normalize_message_id(value) -> "<id>" | ""
    identity_key(message_id, author_address, date, fingerprint) -> sha256 hex

Modules: charsets (labels, decoding), headers (RFC 2047/2231/6532, ids, dates), addresses (our own
strict address parser, the From verdict), mime (the part tree, bodies, attachments, part paths),
transfer (base64/quoted-printable/uuencode), tnef (winmail.dat), smime (opaque signed content),
htmltext (text of HTML-only mail), message (parse_message, get_part), model (the dataclasses).

Filing reads `author` and `from_problem`: author is set only when From holds exactly one valid
mailbox in unambiguous syntax (or, From missing, when Sender does); see model.FROM_PROBLEMS.
"""

from .headers import normalize_message_id
from .message import get_part, identity_key, parse_message
from .model import (
    FROM_AMBIGUOUS,
    FROM_INVALID,
    FROM_MISSING,
    FROM_PROBLEMS,
    FROM_SEVERAL,
    Attachment,
    Mailbox,
    ParsedMessage,
)

__all__ = [
    "FROM_AMBIGUOUS",
    "FROM_INVALID",
    "FROM_MISSING",
    "FROM_PROBLEMS",
    "FROM_SEVERAL",
    "Attachment",
    "Mailbox",
    "ParsedMessage",
    "get_part",
    "identity_key",
    "normalize_message_id",
    "parse_message",
]
