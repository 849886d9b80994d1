"""Parsing of raw RFC 822 mail into plain data. Never raises; records defects instead.

INTERIM minimal implementation: the interface below is the contract used by sync and filing.
"""

import email
import email.utils
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header

from crm.addresses import normalize_address_or_none


@dataclass
class Mailbox:
    name: str
    address: str  # as written (decoded), for display
    normalized: str  # crm.addresses normal form, "" when the address does not parse

    def as_dict(self):
        return {"name": self.name, "address": self.address, "normalized": self.normalized}


@dataclass
class Attachment:
    name: str
    content_type: str
    size: int
    # Dotted path of the MIME part inside the raw message ("2", "3.1"), for get_part().
    part: str
    content_id: str = ""
    inline: bool = False
    # For a forwarded message/rfc822 part: its own from / subject / date / attachments.
    inner: dict | None = None

    def as_dict(self):
        data = {
            "name": self.name,
            "content_type": self.content_type,
            "size": self.size,
            "part": self.part,
            "content_id": self.content_id,
            "inline": self.inline,
        }
        if self.inner is not None:
            data["inner"] = self.inner
        return data


@dataclass
class ParsedMessage:
    fingerprint: str  # sha256 hex of the raw bytes
    identity: str  # sha256 hex of the natural key, see identity_key()
    size: int
    message_id: str = ""  # "<id@host>", normalised; "" when missing
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    date: datetime | None = None  # aware, UTC
    subject: str = ""
    from_: list[Mailbox] = field(default_factory=list)
    sender: list[Mailbox] = field(default_factory=list)
    reply_to: list[Mailbox] = field(default_factory=list)
    to: list[Mailbox] = field(default_factory=list)
    cc: list[Mailbox] = field(default_factory=list)
    bcc: list[Mailbox] = field(default_factory=list)
    # The one mailbox that authored the mail (From, else Sender); None when it is not clear.
    author: Mailbox | None = None
    # Why From cannot decide a filing: "" (it can), "missing", "ambiguous", "several", "invalid".
    from_problem: str = ""
    text_body: str = ""
    html_body: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    failed: bool = False  # nothing but the raw bytes could be read


def _decode(value):
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except Exception:
        return str(value)


def _mailboxes(msg, name):
    values = msg.get_all(name) or []
    result = []
    for display, addr in email.utils.getaddresses([str(v) for v in values]):
        if not addr:
            continue
        result.append(Mailbox(_decode(display), addr, normalize_address_or_none(addr) or ""))
    return result


def normalize_message_id(value):
    value = (value or "").strip().strip("<>").strip()
    return f"<{value}>" if value else ""


def identity_key(message_id, author_address, date, fingerprint):
    if message_id:
        key = f"mid\0{message_id}\0{author_address}\0{date.isoformat() if date else ''}"
    else:
        key = f"raw\0{fingerprint}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def parse_message(raw: bytes) -> ParsedMessage:
    fingerprint = hashlib.sha256(raw).hexdigest()
    msg = email.message_from_bytes(raw)
    parsed = ParsedMessage(fingerprint=fingerprint, identity="", size=len(raw))
    parsed.message_id = normalize_message_id(msg.get("Message-ID"))
    parsed.subject = _decode(msg.get("Subject"))
    try:
        date = email.utils.parsedate_to_datetime(msg.get("Date"))
        parsed.date = date.astimezone(UTC) if date.tzinfo else date.replace(tzinfo=UTC)
    except Exception:
        parsed.date = None
    for attr, header in [
        ("from_", "From"),
        ("sender", "Sender"),
        ("reply_to", "Reply-To"),
        ("to", "To"),
        ("cc", "Cc"),
        ("bcc", "Bcc"),
    ]:
        setattr(parsed, attr, _mailboxes(msg, header))
    if len(parsed.from_) == 1:
        parsed.author = parsed.from_[0]
    elif not parsed.from_ and len(parsed.sender) == 1:
        parsed.author = parsed.sender[0]
        parsed.from_problem = "missing"
    body = msg.get_body(("plain",)) if hasattr(msg, "get_body") else None
    for part in msg.walk():
        if part.get_content_type() == "text/plain" and not parsed.text_body:
            payload = part.get_payload(decode=True) or b""
            parsed.text_body = payload.decode(part.get_content_charset() or "utf-8", "replace")
    del body
    parsed.identity = identity_key(
        parsed.message_id,
        parsed.author.normalized if parsed.author else "",
        parsed.date,
        fingerprint,
    )
    return parsed


def get_part(raw: bytes, part: str):
    """(file name, content type, decoded bytes) of the MIME part at `part`, or None."""
    return None
