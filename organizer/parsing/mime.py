"""The MIME tree: lenient transfer decoding, body selection, attachments with IMAP-style part
paths, forwarded messages, TNEF (winmail.dat).

Part paths follow IMAP (RFC 3501 section 6.4.5): the children of a multipart are 1, 2, ...; the
body of a single-part message is 1; the parts of a message/rfc822 at path P are P.1, P.2, ...
(P.1 alone when the forwarded mail is single-part). Files inside a TNEF part at path P are
"P/tnef:0", "P/tnef:1", ...; the parts of the entity inside an opaque S/MIME part at P are
"P/p7m:1", "P/p7m:2", ... The walker and get_part() share one navigation, so a path the parser
reports always leads get_part() to the same bytes.
"""

import email
import mimetypes
import re
from dataclasses import dataclass, field

from .addresses import parse_address_list
from .charsets import clean_text, decode_bytes
from .headers import decode_header, parse_date, parse_params, to_bytes
from .htmltext import html_to_text
from .model import Attachment
from .smime import signed_content
from .tnef import read_tnef
from .transfer import (
    decode_base64,
    decode_quoted_printable,
    flatten,
    header,
    payload_bytes,
    serialize,
)

MAX_DEPTH = 30
MAX_PARTS = 1000
TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}
INNER_MESSAGE_TYPES = {"message/rfc822", "message/global", "message/news"}
BODY_TYPES = {"text/plain", "text/html"}
PKCS7_MIME_TYPES = {"application/pkcs7-mime", "application/x-pkcs7-mime"}
SIGNED_ENTITY = "p7m:"  # path step into the content of an opaque S/MIME part
TNEF_FILE = "tnef:"  # path step to a file inside a TNEF part

BOUNDARY_LINE = re.compile(rb"^--([^\s\"]{1,200}?)(?:--)?[ \t]*\r?$", re.M)
PATH_SEPARATORS = re.compile(r"[/:]+")
UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")
LINE_ENDINGS = re.compile(r"\r\n?")
META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.I)
# Python's built-in table only (not /etc/mime.types), so names do not depend on the machine.
MIME_TYPES = mimetypes.MimeTypes()
for _type, _extension in (
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
    ("application/vnd.oasis.opendocument.text", ".odt"),
    ("application/vnd.oasis.opendocument.spreadsheet", ".ods"),
    ("application/vnd.ms-outlook", ".msg"),
    ("text/calendar", ".ics"),
):
    MIME_TYPES.add_type(_type, _extension)
EXTENSIONS = {
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "text/rfc822-headers": ".txt",
    "message/rfc822-headers": ".txt",
    "image/jpg": ".jpg",
    "image/pjpeg": ".jpg",
    "application/ms-tnef": ".dat",
    "application/vnd.ms-tnef": ".dat",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/pkcs7-mime": ".p7m",
    "application/x-pkcs7-mime": ".p7m",
    "application/pgp-signature": ".asc",
    "text/calendar": ".ics",
}

DEFECT_TEXT = {
    "NoBoundaryInMultipartDefect": "a multipart without a boundary",
    "StartBoundaryNotFoundDefect": "a multipart whose boundary never occurs",
    "CloseBoundaryNotFoundDefect": "a multipart without its closing boundary (truncated?)",
    "FirstHeaderLineIsContinuationDefect": "a first header line that is a continuation",
    "MisplacedEnvelopeHeaderDefect": "a misplaced 'From ' line among the headers",
    "MissingHeaderBodySeparatorDefect": "a header line without a colon (read as body)",
    "MultipartInvariantViolationDefect": "a multipart that holds no parts",
    "InvalidMultipartContentTransferEncodingDefect": "a multipart with a transfer encoding",
    "InvalidBase64PaddingDefect": "broken base64 padding",
    "InvalidBase64CharactersDefect": "invalid base64 characters",
    "InvalidBase64LengthDefect": "a truncated base64 body",
}


@dataclass
class Content:
    texts: list = field(default_factory=list)
    htmls: list = field(default_factory=list)
    attachments: list = field(default_factory=list)
    # Text recovered from a TNEF body: used only when the mail has no other text.
    fallback_texts: list = field(default_factory=list)


def describe(path):
    return f"part {path}" if path else "the message"


# --- the tree ------------------------------------------------------------------------------

MULTIPART, MESSAGE, LEAF = "multipart", "message", "leaf"


def content_type(node, where, defects, hint=None):
    """(type, params) of a part; the default type when the header is missing or malformed."""
    raw = header(node, "content-type")
    if raw is None:
        return node.get_default_type(), {}
    main, params = parse_params(raw, where, defects, hint)
    if main.count("/") != 1 or main.startswith("/") or main.endswith("/") or " " in main:
        defects.append(f"malformed content type {main[:40]!r} in {where}")
        main = "multipart/mixed" if isinstance(node._payload, list) else node.get_default_type()
    return main, params


def type_of(node):
    """node.get_content_type(), read once per part (the tree asks for it many times, and each
    time email.message scans and splits the part's headers)."""
    ctype = node.__dict__.get("_ablage_type")
    if ctype is None:
        ctype = node._ablage_type = node.get_content_type()
    return ctype


def maintype_of(node):
    return type_of(node).partition("/")[0]


def kind(node):
    payload = node._payload
    ctype = type_of(node)
    maintype = ctype.partition("/")[0]
    if isinstance(payload, list):
        if maintype == "message":
            if ctype in INNER_MESSAGE_TYPES and len(payload) == 1:
                return MESSAGE
            return LEAF
        return MULTIPART
    if maintype == "multipart" and children(node):
        return MULTIPART
    return LEAF


def children(node):
    """Child parts of a multipart or message part (the recovery of a multipart whose boundary
    is missing is done once and remembered on the node)."""
    cached = getattr(node, "_ablage_children", None)
    if cached is not None:
        return cached
    payload = node._payload
    if isinstance(payload, list):
        if maintype_of(node) == "message":
            inner = inner_of(node) if payload else None
            if inner is None:
                result = []
            elif isinstance(inner._payload, list) and maintype_of(inner) == "multipart":
                result = list(inner._payload)
            else:
                result = [inner]
        else:
            result = list(payload)
    else:
        result = _recover_multipart(node) if maintype_of(node) == "multipart" else []
    node._ablage_children = result
    return result


def inner_of(node):
    """The mail inside a message/rfc822 part. RFC 2046 forbids encoding such a part, but some
    servers base64-encode it anyway; compat32 then parses the encoded text as a mail."""
    cached = getattr(node, "_ablage_inner", None)
    if cached is not None:
        return cached
    inner = node._payload[0]
    encoding = (header(node, "content-transfer-encoding") or "").strip().lower()
    if "base64" in encoding or encoding.startswith("quoted"):
        text = serialize(inner)
        scratch = []
        data = (
            decode_base64(text, "", scratch)
            if "base64" in encoding
            else decode_quoted_printable(text)
        )
        try:
            decoded = email.message_from_bytes(data.lstrip(b"\r\n"))
        except Exception:  # noqa: BLE001
            decoded = None
        if decoded is not None and decoded._headers:
            inner = decoded
    node._ablage_inner = inner
    return inner


def _recover_multipart(node):
    """Parts of a multipart whose declared boundary is missing or wrong, by the boundary the
    body actually uses (the first `--something` line that recurs)."""
    if getattr(node, "_ablage_no_recovery", False):
        return []
    data = to_bytes(node._payload or "")
    match = BOUNDARY_LINE.search(data)
    if not match:
        return []
    boundary = match.group(1)
    if data.count(b"--" + boundary) < 2:
        return []
    head = b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n'
    try:
        message = email.message_from_bytes(head + data)
    except Exception:  # noqa: BLE001 - e.g. RecursionError
        return []
    if not isinstance(message._payload, list):
        return []
    return list(message._payload)


def locate(root, path):
    """The part at an IMAP-style path, or None."""
    nodes = children(root) if kind(root) == MULTIPART else [root]
    node = None
    for segment in path.split("."):
        if not segment.isdigit():
            return None
        index = int(segment) - 1
        if not 0 <= index < len(nodes):
            return None
        node = nodes[index]
        nodes = children(node) if kind(node) in (MULTIPART, MESSAGE) else []
    return node


def _child_path(prefix, index):
    if not prefix or prefix.endswith(":"):
        return f"{prefix}{index}"
    return f"{prefix}.{index}"


def load_entity(data):
    """The parse tree of a MIME entity found inside a part (opaque S/MIME), or None."""
    try:
        return email.message_from_bytes(data)
    except Exception:  # noqa: BLE001 - e.g. RecursionError
        return None


class Walker:
    def __init__(self, defects, hint=None):
        self.defects = defects
        self.hint = hint
        self.parts = 0

    def read_message(self, root):
        content = Content()
        self.read_entity(root, "", 1, content)
        return content

    def read_entity(self, root, prefix, depth, content):
        if kind(root) == MULTIPART:
            self._note_defects(root, prefix)
            self.children(root, prefix, depth, content)
        else:
            self.visit(root, _child_path(prefix, 1), depth, content)

    def children(self, node, prefix, depth, content):
        parts = children(node)
        if not parts:
            self.defects.append(f"an empty multipart in {describe(prefix)}")
        for index, child in enumerate(parts, 1):
            self.visit(child, _child_path(prefix, index), depth, content)

    def _note_defects(self, node, path):
        for defect in node.defects:
            name = type(defect).__name__
            text = DEFECT_TEXT.get(name) or re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()
            self.defects.append(f"{text} in {describe(path)}")

    def visit(self, node, path, depth, content):
        if depth > MAX_DEPTH:
            self.defects.append(f"MIME parts nested deeper than {MAX_DEPTH}; {path} not read")
            return
        self.parts += 1
        if self.parts > MAX_PARTS:
            if self.parts == MAX_PARTS + 1:
                self.defects.append(f"more than {MAX_PARTS} MIME parts; the rest not read")
            return
        self._note_defects(node, path)
        node_kind = kind(node)
        if node_kind == MULTIPART:
            if type_of(node) == "multipart/alternative":
                self.alternative(node, path, depth, content)
            else:
                self.children(node, path, depth + 1, content)
        elif node_kind == MESSAGE:
            content.attachments.append(self.inner_message(node, path, depth))
        else:
            self.leaf(node, path, depth, content)

    def alternative(self, node, path, depth, content):
        options = []
        for index, child in enumerate(children(node), 1):
            option = Content()
            self.visit(child, _child_path(path, index), depth + 1, option)
            options.append(option)
        texts = next((o.texts for o in options if "".join(o.texts).strip()), [])
        htmls = next((o.htmls for o in reversed(options) if o.htmls), [])
        content.texts.extend(texts)
        content.htmls.extend(htmls)
        for option in options:
            content.attachments.extend(option.attachments)
            content.fallback_texts.extend(option.fallback_texts)

    def leaf(self, node, path, depth, content):
        where = describe(path)
        ctype, params = content_type(node, where, self.defects, self.hint)
        disposition_raw = header(node, "content-disposition")
        disposition, disposition_params = parse_params(
            disposition_raw, where, self.defects, self.hint
        )
        filename = disposition_params.get("filename") or params.get("name") or ""
        data = payload_bytes(node, where, self.defects)
        if ctype.startswith("multipart/"):
            # A multipart whose parts could not be found: its body is all there is.
            if data.strip():
                ctype = "text/plain"
            else:
                return
        if ctype in BODY_TYPES and disposition != "attachment" and not filename:
            charset = params.get("charset")
            if not charset and ctype == "text/html":
                charset = _meta_charset(data)
            text = decode_bytes(data, charset, where, self.defects)
            text = LINE_ENDINGS.sub("\n", clean_text(text))
            (content.texts if ctype == "text/plain" else content.htmls).append(text)
            return
        content_id = (header(node, "content-id") or "").strip().strip("<>").strip()
        attachment = Attachment(
            name=attachment_name(filename, ctype, path),
            content_type=ctype,
            size=len(data),
            part=path,
            content_id=clean_text(content_id)[:250],
            inline=disposition == "inline" or (not disposition and bool(content_id)),
        )
        content.attachments.append(attachment)
        if ctype in TNEF_TYPES or attachment.name.lower() == "winmail.dat":
            self.tnef(data, path, content)
        elif ctype in PKCS7_MIME_TYPES or attachment.name.lower().endswith(".p7m"):
            self.opaque_signed(data, path, depth, content)

    def opaque_signed(self, data, path, depth, content):
        """The signed entity inside an opaque S/MIME part is the mail's real content."""
        state, entity = signed_content(data)
        if state == "encrypted":
            self.defects.append(f"encrypted S/MIME content in {describe(path)} cannot be read")
        elif state == "signed":
            root = load_entity(entity)
            if root is None:
                self.defects.append(f"unreadable signed S/MIME content in {describe(path)}")
            else:
                self.read_entity(root, f"{path}/{SIGNED_ENTITY}", depth + 1, content)

    def tnef(self, data, path, content):
        files, body = read_tnef(data, describe(path), self.defects)
        for index, (name, file_data) in enumerate(files):
            name = tnef_name(name, index)
            content.attachments.append(
                Attachment(
                    name=name,
                    content_type=guess_type(name),
                    size=len(file_data),
                    part=f"{path}/{TNEF_FILE}{index}",
                )
            )
        if body:
            content.fallback_texts.append(body)

    def inner_message(self, node, path, depth):
        where = describe(path)
        inner = inner_of(node)
        _, disposition_params = parse_params(
            header(node, "content-disposition"), where, self.defects, self.hint
        )
        _, params = content_type(node, where, self.defects, self.hint)
        subject = decode_header(header(inner, "subject"), f"the Subject of {where}", self.defects)
        content = Content()
        if kind(inner) == MULTIPART:
            self._note_defects(inner, path)
            self.children(node, path, depth + 1, content)
        else:
            self.visit(inner, f"{path}.1", depth + 1, content)
        date = parse_date(header(inner, "date"), self.defects)
        summary = {
            "from": _address_text(inner, "from", where, self.defects),
            "to": _address_text(inner, "to", where, self.defects),
            "cc": _address_text(inner, "cc", where, self.defects),
            "subject": subject,
            "date": date.isoformat() if date else None,
            "message_id": clean_text(header(inner, "message-id") or "").strip()[:998],
            "text": body_text(content),
            "attachments": [a.as_dict() for a in content.attachments],
        }
        return Attachment(
            name=inner_message_name(disposition_params, params, subject),
            content_type=type_of(node),
            size=len(flatten(inner, self.defects, where)),
            part=path,
            inner=summary,
        )


def inner_message_name(disposition_params, params, subject):
    filename = sanitize_name(disposition_params.get("filename") or params.get("name") or "")
    if filename:
        return filename
    return f"{sanitize_name(subject[:150]) or 'message'}.eml"


def guess_type(name):
    return MIME_TYPES.guess_type(name)[0] or "application/octet-stream"


def tnef_name(name, index):
    return sanitize_name(name) or f"tnef-{index + 1}"


def _address_text(node, name, where, defects):
    values = [v for k, v in node._headers if k.lower() == name]
    mailboxes = []
    for value in values:
        mailboxes.extend(parse_address_list(value, f"the {name} of {where}", defects).mailboxes)
    return ", ".join(str(m) for m in mailboxes)


def body_text(content):
    text = "\n".join(t for t in content.texts if t)
    if not text.strip() and content.htmls:
        text = html_to_text("\n".join(content.htmls))
    if not text.strip() and content.fallback_texts:
        text = "\n".join(content.fallback_texts)
    return text


def sanitize_name(name):
    name = UNSAFE_NAME.sub("", clean_text(name or "")).replace("\\", "/")
    name = name.rsplit("/", 1)[-1].strip().strip(".").strip()
    return name[:255]


def _meta_charset(data):
    match = META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def attachment_name(filename, ctype, path):
    name = sanitize_name(filename)
    if name:
        return name
    extension = EXTENSIONS.get(ctype) or MIME_TYPES.guess_extension(ctype) or ".bin"
    return f"part-{PATH_SEPARATORS.sub('-', path)}{extension}"
