"""Header values: unfolding, raw 8-bit text (RFC 6532), encoded words (RFC 2047), MIME
parameters (RFC 2231), Message-IDs and dates.

compat32 hands header values over as str in which every 8-bit byte is a surrogate escape; these
functions take such values and return clean text.
"""

import binascii
import email.utils
import re
from datetime import UTC

from .charsets import clean_text, decode_bytes, decode_fallback, mostly_utf8, resolve_charset

FOLD = re.compile(r"\r?\n(?=[ \t])")
LINE_BREAK = re.compile(r"[\r\n]+")
ENCODED_WORD = re.compile(r"=\?([^?\s\"]+)\?([bBqQ])\?([^?]*)\?=")
BASE64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
MESSAGE_ID = re.compile(r"<([^<>]*)>")
COMMENT = re.compile(r"\([^()]*\)")
WHITESPACE = re.compile(r"\s+")
SPACES = re.compile(r"[ \t\r\n]+")
MAX_MESSAGE_ID = 998
MAX_REFERENCES = 1000


def to_bytes(value):
    """The original bytes of a compat32 header value (8-bit bytes are surrogate escapes)."""
    try:
        return value.encode("ascii")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape")


def unfold(value):
    return LINE_BREAK.sub(" ", FOLD.sub("", value))


def decode_raw(value, where, defects, hint=None):
    """Text of a header value that may carry raw 8-bit bytes: UTF-8 (RFC 6532), else `hint`
    (the message's own charset), else windows-1252."""
    if value.isascii():
        if "\x1b" in value:  # unlabelled 7-bit ISO-2022-JP
            return decode_bytes(value.encode("ascii"), None, where, defects)
        return value
    data = to_bytes(value)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if hint and not mostly_utf8(data):
        scratch = []
        text = decode_bytes(data, hint, where, scratch)
        if not scratch:
            defects.append(f"raw 8-bit text in {where} is not UTF-8; decoded as {hint}")
            return text
    text, used = decode_fallback(data)
    defects.append(f"raw 8-bit text in {where} is not UTF-8; decoded as {used}")
    return text


def _word_bytes(encoding, payload, charset, where, defects):
    """The bytes of one encoded word, or None when its base64 is beyond repair: junk that, once
    dropped, leaves nothing or no valid text in the word's charset. The word is then shown as
    written, which says more than bytes decoded from junk."""
    if encoding in "qQ":
        return binascii.a2b_qp(payload.encode("utf-8", "surrogateescape"), header=True)
    payload = payload.encode("utf-8", "surrogateescape")
    cleaned = BASE64_JUNK.sub(b"", payload)
    if len(cleaned) % 4 == 1:
        defects.append(f"truncated base64 encoded word in {where}")
        cleaned = cleaned[:-1]
    data = binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4))
    if len(cleaned) < len(payload.replace(b"=", b"")) and not _is_text(data, charset):
        defects.append(f"broken base64 encoded word in {where}; shown as written")
        return None
    return data


def _is_text(data, charset):
    codecs, _ = resolve_charset(charset)
    for codec in codecs or ("utf-8",):
        try:
            data.decode(codec)
        except (UnicodeError, LookupError):
            continue
        return bool(data)
    return False


def decode_words(text, where, defects):
    """Decode RFC 2047 encoded words, joining adjacent ones (and their bytes, so that a character
    split across two words survives)."""
    if "=?" not in text:
        return text
    out = []
    charset, data = None, b""
    position = 0
    for match in ENCODED_WORD.finditer(text):
        gap = text[position : match.start()]
        word_charset = match.group(1).split("*", 1)[0].lower()
        word = _word_bytes(match.group(2), match.group(3), word_charset, where, defects)
        adjacent = charset is not None and (not gap or gap.isspace())
        if word is None or not adjacent or word_charset != charset:
            if charset is not None:
                out.append(decode_bytes(data, charset, where, defects))
            if not adjacent or word is None:
                out.append(gap)
            charset, data = word_charset, b""
        if word is None:
            out.append(match.group(0))
            charset = None
        else:
            data += word
        position = match.end()
    if charset is not None:
        out.append(decode_bytes(data, charset, where, defects))
    out.append(text[position:])
    return "".join(out)


def decode_header(value, where, defects, hint=None):
    """Clean one-line text of an unstructured header (Subject and the like)."""
    if value is None:
        return ""
    text = unfold(value)
    text = decode_raw(text, where, defects, hint)
    text = decode_words(text, where, defects)
    return clean_text(SPACES.sub(" ", text)).strip()


def _split_params(value):
    """Split a structured value at semicolons outside quoted strings."""
    parts, current, quoted, escaped = [], [], False, False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and quoted:
            current.append(char)
            escaped = True
        elif char == '"':
            current.append(char)
            quoted = not quoted
        elif char == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unquote(value):
    value = value.strip()
    if value.startswith('"'):
        value = value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:]
        value = re.sub(r"\\(.)", r"\1", value)
    return value


PARAM_SECTION = re.compile(r"^(.+?)\*(\d+)(\*?)$")


def parse_params(value, where, defects, hint=None):
    """(main value lower-cased, {param: text}) of Content-Type / Content-Disposition, with
    RFC 2231 continuations and charsets, RFC 2047 words and raw 8-bit in values decoded."""
    if not value:
        return "", {}
    if ";" not in value and '"' not in value:
        return unfold(value).strip().lower(), {}
    value = unfold(value)
    parts = _split_params(value) if '"' in value else value.split(";")
    main = parts[0].strip().lower()
    plain, sections = {}, {}
    for part in parts[1:]:
        name, equals, raw_value = part.partition("=")
        name = name.strip().lower()
        if not equals or not name:
            continue
        match = PARAM_SECTION.match(name)
        if match:
            base, index, star = match.group(1), int(match.group(2)), bool(match.group(3))
            sections.setdefault(base, {})[index] = (star, _unquote(raw_value))
        elif name.endswith("*"):
            sections.setdefault(name[:-1], {})[0] = (True, _unquote(raw_value))
        elif name not in plain:
            plain[name] = _unquote(raw_value)
    params = {}
    for name, raw_value in plain.items():
        text = decode_raw(raw_value, where, defects, hint)
        params[name] = clean_text(decode_words(text, where, defects))
    for name, pieces in sections.items():
        decoded = _join_rfc2231(pieces, where, defects, hint)
        if decoded:
            params[name] = decoded
    return main, params


def _join_rfc2231(pieces, where, defects, hint):
    charset = ""
    data = b""
    for index in sorted(pieces)[:100]:
        encoded, text = pieces[index]
        if encoded:
            if index == 0 and text.count("'") >= 2:
                charset, _language, text = text.split("'", 2)
            data += _percent_bytes(text)
        else:
            data += to_bytes(text)
    if not charset:
        text = decode_raw(data.decode("ascii", "surrogateescape"), where, defects, hint)
        return clean_text(decode_words(text, where, defects))
    return clean_text(decode_bytes(data, charset, where, defects))


PERCENT = re.compile(rb"%([0-9A-Fa-f]{2})")


def _percent_bytes(text):
    return PERCENT.sub(lambda m: bytes([int(m.group(1), 16)]), to_bytes(text))


def normalize_message_id(value):
    """ "<id>" for a Message-ID however it is written (brackets, spaces, comments); "" if none."""
    if not value:
        return ""
    value = clean_text(unfold(str(value)))
    match = MESSAGE_ID.search(value)
    inner = match.group(1) if match else value.strip().strip("<>")
    inner = WHITESPACE.sub("", COMMENT.sub("", inner)) if ("(" in inner) else inner
    inner = WHITESPACE.sub("", inner)
    if not inner:
        return ""
    return f"<{inner[: MAX_MESSAGE_ID - 2]}>"


def message_id_list(value):
    """All Message-IDs of References / In-Reply-To, normalised, in order, without repeats."""
    if not value:
        return []
    text = clean_text(unfold(value))
    found = MESSAGE_ID.findall(text)
    if not found:
        found = text.split()
    ids = {}
    for item in found[:MAX_REFERENCES]:
        normal = normalize_message_id(item)
        if normal:
            ids.setdefault(normal, None)
    return list(ids)


DATE_JUNK = re.compile(r"\([^)]*\)|\bat\b|,", re.IGNORECASE)
DATE_COLON = re.compile(r"\s*:\s*")
DATE_ZONE = re.compile(r"\s*[+-]\d{4}\s*$")


def parse_date(value, defects):
    """Aware UTC datetime of a Date header, or None (with a defect) when it is unreadable."""
    if not value:
        return None
    text = clean_text(unfold(value)).strip()
    if not text:
        return None
    lenient = DATE_COLON.sub(":", DATE_JUNK.sub(" ", text))
    for candidate in (text, lenient, DATE_ZONE.sub("", lenient)):
        try:
            date = email.utils.parsedate_to_datetime(candidate)
            if date.tzinfo is None:
                date = date.replace(tzinfo=UTC)
            return date.astimezone(UTC)
        except Exception:  # noqa: BLE001, S112 - TypeError/ValueError/OverflowError on junk
            continue
    defects.append(f"unreadable Date header {text[:60]!r}")
    return None
