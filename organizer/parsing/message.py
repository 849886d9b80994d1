"""parse_message() and get_part(): raw RFC 822 bytes in, plain data out. Neither ever raises."""

import email
import email.errors
import email.parser
import email.policy
import hashlib
import re

from .addresses import judge_from, parse_address_list
from .charsets import clean_text, decode_fallback
from .headers import decode_header, message_id_list, normalize_message_id, parse_date, parse_params
from .mime import (
    LINE_ENDINGS,
    MESSAGE,
    MULTIPART,
    SIGNED_ENTITY,
    TNEF_FILE,
    Walker,
    attachment_name,
    body_text,
    content_type,
    describe,
    guess_type,
    inner_message_name,
    inner_of,
    kind,
    load_entity,
    locate,
    tnef_name,
)
from .model import ParsedMessage
from .smime import signed_content
from .tnef import tnef_file
from .transfer import flatten, header, payload_bytes

LEADING_JUNK = b"\r\n\t \xef\xbb\xbf"
ADDRESS_HEADERS = (
    ("sender", "sender", "the Sender header"),
    ("reply_to", "reply-to", "the Reply-To header"),
    ("to", "to", "the To header"),
    ("cc", "cc", "the Cc header"),
    ("bcc", "bcc", "the Bcc header"),
)


def identity_key(message_id, author_address, date, fingerprint):
    """The natural key of a mail across mailboxes: Message-ID + author + date, or without a
    Message-ID the fingerprint of the whole raw message (never From/Subject/Date alone)."""
    if message_id:
        key = f"mid\0{message_id}\0{author_address}\0{date.isoformat() if date else ''}"
    else:
        key = f"raw\0{fingerprint}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _as_bytes(raw):
    if raw is None:
        return b""
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    try:
        return bytes(raw)
    except Exception:  # noqa: BLE001
        return b""


def load(raw, defects):
    """The compat32 parse tree of raw bytes, or None. compat32 is the fast parser; headers are
    decoded here, lazily, instead of by policy.default's header registry."""
    data = raw.lstrip(LEADING_JUNK) if raw[:1] in (b"\r", b"\n", b"\t", b" ", b"\xef") else raw
    if not data.strip():
        defects.append("empty message")
        return None
    try:
        message = email.message_from_bytes(data)
        if not message._headers or any(
            isinstance(d, email.errors.MissingHeaderBodySeparatorDefect) for d in message.defects
        ):
            repaired = _repair_headers(data, defects)
            if repaired is not None:
                message = email.message_from_bytes(repaired)
        return message
    except RecursionError:
        defects.append("MIME parts nested too deeply to read; only the headers were read")
    except Exception as error:  # noqa: BLE001
        defects.append(f"the MIME structure could not be read ({type(error).__name__})")
    try:
        message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
            data, headersonly=True
        )
    except Exception as error:  # noqa: BLE001
        defects.append(f"the headers could not be read ({type(error).__name__})")
        return None
    message._ablage_no_recovery = True
    return message


HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
SPACED_HEADER_LINE = re.compile(rb"^([!-9;-~]+)[ \t]+:")
HEADER_END = re.compile(rb"\r?\n\r?\n")
MAX_JUNK_LINES = 2


def _repair_headers(data, defects):
    """The header block with obsolete `Name :` lines fixed and at most two junk lines dropped,
    when headers follow them (compat32 ends the headers at the first line it cannot read, and
    the From below such a line would be lost). None when there is nothing to repair."""
    end = HEADER_END.search(data)
    if end is None:
        return None
    lines = data[: end.start()].split(b"\n")
    out, notes, junk, junk_seen, header_after_junk = [], [], 0, False, False
    for index, line in enumerate(lines):
        bare = line.rstrip(b"\r")
        spaced = SPACED_HEADER_LINE.match(bare)
        if HEADER_LINE.match(bare) or bare[:1] in (b" ", b"\t"):
            out.append(line)
            header_after_junk = header_after_junk or junk_seen
        elif spaced:
            name = spaced.group(1)[:40].decode("ascii")
            out.append(spaced.group(1) + b":" + line[spaced.end() :])
            notes.append(f"a space before the colon of header {name!r} was removed")
        elif index == 0 and bare.startswith(b"From "):
            out.append(line)  # mbox envelope line
        else:
            junk, junk_seen = junk + 1, True
            shown = clean_text(bare[:40].decode("latin-1"))
            notes.append(f"a malformed header line {shown!r} was skipped")
    if not notes or junk > MAX_JUNK_LINES or (junk and not header_after_junk):
        return None
    defects.extend(notes)
    return b"\n".join(out) + data[end.start() :]


def _header_map(message):
    headers = {}
    for name, value in message._headers:
        headers.setdefault(name.strip().lower(), []).append(value)
    return headers


def parse_message(raw: bytes) -> ParsedMessage:
    """Everything Ablage stores about one raw mail. Never raises: what cannot be read is left
    empty and explained in `defects`; `failed` is set when nothing but the bytes is usable."""
    raw = _as_bytes(raw)
    parsed = ParsedMessage(fingerprint=hashlib.sha256(raw).hexdigest(), identity="", size=len(raw))
    try:
        _fill(parsed, raw)
    except Exception as error:  # noqa: BLE001 - the promise is: never raise
        parsed.defects.append(f"internal parser error ({type(error).__name__}: {error})"[:300])
    try:
        _make_clean(parsed)
    except Exception:  # noqa: BLE001
        parsed.failed = True
    parsed.identity = identity_key(
        parsed.message_id,
        parsed.author.normalized if parsed.author else "",
        parsed.date,
        parsed.fingerprint,
    )
    return parsed


def _fill(parsed, raw):
    defects = parsed.defects
    message = load(raw, defects)
    if message is None:
        parsed.failed = True
        return
    headers = _header_map(message)
    if not headers:
        parsed.failed = True
        defects.append("no mail headers found")
        text, _ = decode_fallback(raw[:1_000_000])
        if _looks_like_text(text):
            parsed.text_body = LINE_ENDINGS.sub("\n", text)
        return
    hint = _charset_hint(message, defects)

    def first(name, label):
        values = headers.get(name)
        if not values:
            return None
        if len(values) > 1:
            defects.append(f"{len(values)} {label} headers; the first is used")
        return values[0]

    parsed.subject = decode_header(first("subject", "Subject"), "the Subject header", defects, hint)
    parsed.message_id = normalize_message_id(first("message-id", "Message-ID"))
    in_reply_to = message_id_list(first("in-reply-to", "In-Reply-To"))
    parsed.in_reply_to = in_reply_to[0] if in_reply_to else ""
    parsed.references = message_id_list(" ".join(headers.get("references", [])))
    parsed.date = parse_date(first("date", "Date"), defects)

    verdict = judge_from(headers.get("from", []), headers.get("sender", []), defects, hint)
    parsed.from_, parsed.author, parsed.from_problem = (
        verdict.mailboxes,
        verdict.author,
        verdict.problem,
    )
    for attribute, name, where in ADDRESS_HEADERS:
        mailboxes = []
        for value in headers.get(name, ()):
            mailboxes.extend(parse_address_list(value, where, defects, hint).mailboxes)
        setattr(parsed, attribute, mailboxes)

    content = Walker(defects, hint).read_message(message)
    parsed.text_body = body_text(content)
    parsed.html_body = "\n".join(content.htmls)
    parsed.attachments = content.attachments


def _charset_hint(message, defects):
    """The message's own charset: the best guess for raw 8-bit headers that are not UTF-8."""
    raw = header(message, "content-type")
    if not raw or "charset" not in raw.lower():
        return None
    _, params = parse_params(raw, "the Content-Type header", [])
    return params.get("charset") or None


def _looks_like_text(text):
    sample = text[:4000]
    if not sample:
        return False
    printable = sum(1 for c in sample if c.isprintable() or c in "\r\n\t")
    return printable / len(sample) > 0.95


def _make_clean(parsed):
    """Every string valid UTF-8 without NUL: PostgreSQL refuses both."""
    for name in ("message_id", "in_reply_to", "subject", "text_body", "html_body", "from_problem"):
        setattr(parsed, name, clean_text(getattr(parsed, name)))
    parsed.references = [clean_text(r) for r in parsed.references]
    # Mailboxes are clean by construction (addresses._add / _read_simple).
    for attachment in parsed.attachments:
        attachment.name = clean_text(attachment.name)
        attachment.content_type = clean_text(attachment.content_type)
    parsed.defects = [clean_text(d) for d in dict.fromkeys(parsed.defects)]


def get_part(raw: bytes, part: str):
    """(file name, content type, decoded bytes) of the part at `part` (a path that
    parse_message reported in Attachment.part), or None when there is no such part."""
    try:
        return _get_part(_as_bytes(raw), str(part or ""))
    except Exception:  # noqa: BLE001 - a download must fail softly, never crash a view
        return None


def _get_part(raw, part):
    defects = []
    steps = part.split("/")
    tnef_index = None
    if steps[-1].startswith(TNEF_FILE):
        tnef_index = steps.pop()[len(TNEF_FILE) :]
        if not tnef_index.isdigit():
            return None
    node = load(raw, defects)
    for number, step in enumerate(steps):
        if number:  # every later step enters an opaque S/MIME part's signed entity
            if not step.startswith(SIGNED_ENTITY):
                return None
            _, entity = signed_content(payload_bytes(node, "", defects))
            node = load_entity(entity) if entity else None
            step = step[len(SIGNED_ENTITY) :]
        node = locate(node, step) if node is not None and step else None
        if node is None:
            return None
    node_kind = kind(node)
    if node_kind == MULTIPART:
        return None
    where = describe(part)
    ctype, params = content_type(node, where, defects)
    _, disposition_params = parse_params(header(node, "content-disposition"), where, defects)
    if node_kind == MESSAGE:
        inner = inner_of(node)
        subject = decode_header(header(inner, "subject"), where, defects)
        name = inner_message_name(disposition_params, params, subject)
        return name, node.get_content_type(), flatten(inner, defects, where)
    data = payload_bytes(node, where, defects)
    if tnef_index is not None:
        found = tnef_file(data, int(tnef_index))
        if found is None:
            return None
        name = tnef_name(found[0], int(tnef_index))
        return name, guess_type(name), found[1]
    filename = disposition_params.get("filename") or params.get("name") or ""
    return attachment_name(filename, ctype, part), ctype, data


__all__ = ["get_part", "identity_key", "parse_message"]
