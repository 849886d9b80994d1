"""Bytes of one part: lenient Content-Transfer-Encoding decoding (base64 in padded chunks or
with line noise, quoted-printable with spaces after soft breaks, uuencode), and the bytes of a
parsed (sub)message rebuilt from the compat32 tree."""

import binascii
import re

from .headers import to_bytes

BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
NOT_BASE64 = bytes(sorted(set(range(256)) - set(BASE64_ALPHABET)))
QP_SPACE_BEFORE_BREAK = re.compile(rb"=[ \t]+(?=\r?\n)")
CRLF = b"\r\n"


def header(node, name):
    """First raw value of a header of one part, or None (compat32 values, 8-bit escaped)."""
    for key, value in node._headers:
        if key.lower() == name:
            return value
    return None


def decode_base64(data, where, defects):
    clean = data.translate(None, NOT_BASE64)
    body = clean.rstrip(b"=")
    chunks = [c for c in body.split(b"=") if c] if b"=" in body else [body]
    if len(chunks) > 1:
        defects.append(f"base64 in separately padded chunks in {where}")
    out = []
    for chunk in chunks:
        if len(chunk) % 4 == 1:
            defects.append(f"truncated base64 in {where}; one stray character dropped")
            chunk = chunk[:-1]
        try:
            out.append(binascii.a2b_base64(chunk + b"=" * (-len(chunk) % 4)))
        except binascii.Error:
            defects.append(f"undecodable base64 in {where}")
    return b"".join(out)


def decode_quoted_printable(data):
    return binascii.a2b_qp(QP_SPACE_BEFORE_BREAK.sub(b"=", data))


def decode_uuencode(data, where, defects):
    out = []
    started = False
    for line in data.splitlines():
        if not started:
            started = line.startswith(b"begin ")
            continue
        if line.strip() in (b"end", b""):
            if line.strip() == b"end":
                break
            continue
        try:
            out.append(binascii.a2b_uu(line))
        except binascii.Error:
            try:  # some encoders write too much padding; trim to the declared length
                characters = (((line[0] - 32) & 63) + 2) // 3 * 4
                out.append(binascii.a2b_uu(line[: characters + 1]))
            except (binascii.Error, IndexError):
                defects.append(f"broken uuencoded line in {where}")
    return b"".join(out)


def payload_bytes(node, where, defects):
    """The decoded bytes of a leaf part (or the flattened bytes of a message-like part)."""
    payload = node._payload
    if isinstance(payload, list):
        return flatten(node, defects, where, body_only=True)
    data = to_bytes(payload or "")
    encoding = (header(node, "content-transfer-encoding") or "").strip().lower().strip("\"'")
    if not encoding or encoding in ("7bit", "8bit", "binary", "7-bit", "8-bit"):
        return data
    if "base64" in encoding or encoding == "b":
        return decode_base64(data, where, defects)
    if encoding.startswith("quoted") or encoding == "qp":
        return decode_quoted_printable(data)
    if encoding in ("x-uuencode", "uuencode", "x-uue", "uue"):
        return decode_uuencode(data, where, defects)
    defects.append(f"unknown transfer encoding {encoding[:30]!r} in {where}; read as is")
    return data


def flatten(node, defects, where, body_only=False):
    """Bytes of a parsed message (or message-like part), rebuilt from the parse tree: raw
    header lines as received, bodies as received, the parts between their boundaries."""
    try:
        if body_only:
            return b"".join(serialize(child) for child in node._payload)
        return serialize(node)
    except Exception as error:  # noqa: BLE001 - e.g. RecursionError on absurd nesting
        defects.append(f"could not rebuild the bytes of {where} ({type(error).__name__})")
        return b""


def serialize(node):
    out = [to_bytes(name) + b": " + to_bytes(value) + CRLF for name, value in node._headers]
    out.append(CRLF)
    payload = node._payload
    if isinstance(payload, list):
        if node.get_content_maintype() == "multipart":
            try:
                boundary = (node.get_boundary() or "").encode("ascii", "replace")
            except Exception:  # noqa: BLE001
                boundary = b""
            boundary = boundary or b"boundary"
            if node.preamble:
                out.append(to_bytes(node.preamble) + CRLF)
            for child in payload:
                out.append(b"--" + boundary + CRLF + serialize(child) + CRLF)
            out.append(b"--" + boundary + b"--" + CRLF)
            if node.epilogue:
                out.append(to_bytes(node.epilogue))
        else:
            out.extend(serialize(child) for child in payload)
    else:
        out.append(to_bytes(payload or ""))
    return b"".join(out)
