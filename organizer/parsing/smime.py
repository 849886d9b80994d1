"""The content of an opaque S/MIME signature (application/pkcs7-mime; smime-type=signed-data).

A clear-signed mail (multipart/signed) needs nothing special: its first part is the content and
the signature is an attachment. An opaque signed mail hides the whole MIME entity inside the
CMS SignedData structure (RFC 5652), so it is read here with a minimal BER reader: definite and
indefinite lengths, constructed (chunked) OCTET STRINGs. The signature is not verified.
"""

SIGNED_DATA = bytes.fromhex("2a864886f70d010702")  # 1.2.840.113549.1.7.2
ENVELOPED_DATA = bytes.fromhex("2a864886f70d010703")  # 1.2.840.113549.1.7.3
AUTH_ENVELOPED_DATA = bytes.fromhex("2a864886f70d0109100117")  # 1.2.840.113549.1.9.16.1.23
SEQUENCE, SET, OID, OCTET_STRING, CONTEXT_0 = 0x30, 0x31, 0x06, 0x04, 0xA0
MAX_DEPTH = 40


class BerError(ValueError):
    pass


def _element(data, position, depth=0):
    """(tag byte, content start, content end, element end) of the BER element at position."""
    if depth > MAX_DEPTH or position + 2 > len(data):
        raise BerError("truncated or too deep")
    tag = data[position]
    position += 1
    if tag & 0x1F == 0x1F:  # high tag number: skip its continuation bytes
        while position < len(data) and data[position] & 0x80:
            position += 1
        position += 1
    if position >= len(data):
        raise BerError("truncated")
    first = data[position]
    position += 1
    if first == 0x80:  # indefinite length: children up to the end-of-contents marker
        if not tag & 0x20:
            raise BerError("indefinite primitive")
        start = child = position
        while data[child : child + 2] != b"\x00\x00":
            child = _element(data, child, depth + 1)[3]
        return tag, start, child, child + 2
    if first & 0x80:
        count = first & 0x7F
        if count > 4 or position + count > len(data):
            raise BerError("bad length")
        length = int.from_bytes(data[position : position + count], "big")
        position += count
    else:
        length = first
    if position + length > len(data):
        raise BerError("truncated")
    return tag, position, position + length, position + length


def _children(data, start, end, depth):
    position = start
    while position < end:
        element = _element(data, position, depth + 1)
        yield element
        position = element[3]


def _octets(data, element, depth=0):
    tag, start, end, _ = element
    if tag == OCTET_STRING:
        return data[start:end]
    if tag == OCTET_STRING | 0x20:  # constructed: the concatenation of its chunks
        return b"".join(_octets(data, c, depth + 1) for c in _children(data, start, end, depth))
    raise BerError("no octet string")


def signed_content(data):
    """("signed", entity bytes) | ("encrypted", None) | ("unknown", None) for a pkcs7-mime blob."""
    try:
        tag, start, end, _ = _element(data, 0)
        if tag != SEQUENCE:
            return "unknown", None
        items = list(_children(data, start, end, 0))
        if len(items) < 2 or items[0][0] != OID:
            return "unknown", None
        content_type = data[items[0][1] : items[0][2]]
        if content_type in (ENVELOPED_DATA, AUTH_ENVELOPED_DATA):
            return "encrypted", None
        if content_type != SIGNED_DATA or items[1][0] != CONTEXT_0:
            return "unknown", None
        signed = next(_children(data, items[1][1], items[1][2], 1))
        parts = list(_children(data, signed[1], signed[2], 2))
        encapsulated = next(p for p in parts if p[0] == SEQUENCE)
        inner = list(_children(data, encapsulated[1], encapsulated[2], 3))
        if len(inner) < 2 or inner[1][0] != CONTEXT_0:
            return "unknown", None  # detached: the content travels elsewhere
        octets = next(_children(data, inner[1][1], inner[1][2], 4))
        return "signed", _octets(data, octets)
    except (BerError, StopIteration, IndexError, RecursionError):
        return "unknown", None
