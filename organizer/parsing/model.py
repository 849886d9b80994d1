"""The plain data that parsing returns: what sync stores and filing reads."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Mailbox:
    name: str  # display name, decoded; never used as an address
    address: str  # as written (decoded), for display
    normalized: str  # crm.addresses normal form, "" when the address does not parse

    def as_dict(self):
        return {"name": self.name, "address": self.address, "normalized": self.normalized}

    def __str__(self):
        if self.name and self.address:
            return f"{self.name} <{self.address}>"
        return self.address or self.name


@dataclass
class Attachment:
    name: str
    content_type: str
    size: int  # decoded bytes
    # Where get_part() finds it: the IMAP-style dotted MIME path ("2", "3.1"), or for a file
    # inside a TNEF winmail.dat "<path of winmail.dat>/tnef:<index>" ("2/tnef:0").
    part: str
    content_id: str = ""
    inline: bool = False
    # For a forwarded message/rfc822 part: its own from / to / subject / date / message_id /
    # text / attachments (dicts like this one). Its addresses are display text only.
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


# Values of ParsedMessage.from_problem. "" means the From header decides the author.
FROM_MISSING = "missing"  # no From header; author comes from Sender when that is clean
FROM_AMBIGUOUS = "ambiguous"  # From can be read more than one way (or several From headers)
FROM_SEVERAL = "several"  # several mailboxes in one From header: each one counts
FROM_INVALID = "invalid"  # From present but holds no valid address
FROM_PROBLEMS = (FROM_MISSING, FROM_AMBIGUOUS, FROM_SEVERAL, FROM_INVALID)


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
    # Address lists. When from_problem is "ambiguous" or "invalid", the From mailboxes keep their
    # address for display but carry normalized="", so that nothing can match them.
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
    html_body: str = ""  # raw HTML of the text/html alternative: NOT sanitised
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    failed: bool = False  # nothing but the raw bytes could be read
