"""Charset labels as mail really writes them, and decoding that never fails and never drops text.

Labels resolve through an alias table (WHATWG-style: a label means the superset that mailers
actually emit, e.g. ISO-8859-1 means windows-1252, GB2312 means GB18030), then through Python's
codec registry (text codecs only), then to a fallback: UTF-8 when the bytes are valid UTF-8; UTF-8
with the stray bytes read as windows-1252 when UTF-8 sequences outnumber them (text pasted together
from two sources); else windows-1252 with its five undefined bytes mapped to C1 controls, which
decodes any byte.
"""

import codecs
import functools
import re

FALLBACK = "windows-1252"
MIXED_FALLBACK = "UTF-8 with some windows-1252 bytes"
UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
HIGH_BYTES = bytes(range(0x80, 0x100))
UNKNOWN = None

# Several candidates: the first that decodes the bytes strictly wins.
JAPANESE_JIS = ("iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_2004", "iso2022_jp_3")
JAPANESE_SJIS = ("cp932", "shift_jis_2004")
CHINESE_TRADITIONAL = ("cp950", "big5hkscs")


def _table(groups):
    table = {}
    for target, labels in groups:
        for label in labels.split():
            table[label] = target
    return table


ALIASES = _table(
    [
        ("utf-8", "utf8 utf-8 unicode-1-1-utf-8 x-unicode20utf8 unicode-2-0-utf-8 x-utf8"),
        (
            "ascii",
            "us-ascii ascii ansi_x3.4-1968 ansi_x3.4-1986 iso646-us iso_646.irv:1991 us 646 "
            "cp367 ibm367 csascii iso-ir-6 ascii-us",
        ),
        (
            "windows-1252",
            "iso-8859-1 iso8859-1 iso_8859-1 iso88591 iso_8859-1:1987 latin1 latin-1 l1 cp819 "
            "ibm819 iso-ir-100 csisolatin1 windows-1252 cp1252 x-cp1252 win-1252 windows1252 "
            "ansi iso-8859-1-windows-3.1-latin-1 iso-8859-1-windows-3.0-latin-1",
        ),
        ("cp1254", "iso-8859-9 iso8859-9 iso_8859-9 iso88599 latin5 l5 iso-ir-148 csisolatin5"),
        ("cp874", "iso-8859-11 iso8859-11 iso885911 tis-620 tis620 windows-874 x-windows-874"),
        (
            "iso8859-8",
            "iso-8859-8 iso-8859-8-i iso-8859-8-e iso_8859-8 iso_8859-8-i iso_8859-8-e iso88598 "
            "csiso88598i csiso88598e csisolatinhebrew hebrew iso-ir-138 logical visual",
        ),
        ("iso8859-6", "iso-8859-6-i iso-8859-6-e csiso88596i csiso88596e"),
        (
            "cp949",
            "ks_c_5601-1987 ks_c_5601-1989 ks_c_5601 ksc5601 ksc_5601 ks-c-5601-1987 korean "
            "csksc56011987 iso-ir-149 euc-kr euckr cseuckr x-euc-kr windows-949 cp949 uhc "
            "x-windows-949 ks_c_5601_1987",
        ),
        (
            "gb18030",
            "gb2312 gb_2312 gb_2312-80 csgb2312 gbk x-gbk cp936 windows-936 euc-cn x-euc-cn "
            "chinese iso-ir-58 gb18030 gb2312-80 x-gb2312",
        ),
        (
            CHINESE_TRADITIONAL,
            "big5 big-5 big5-hkscs cn-big5 csbig5 x-x-big5 x-big5 cp950 windows-950 big5hkscs",
        ),
        (
            JAPANESE_SJIS,
            "shift_jis shift-jis sjis x-sjis ms_kanji csshiftjis windows-31j cp932 x-ms-cp932 "
            "ms932 shift_jis_2004 x-shift_jis",
        ),
        (("euc_jp", "euc_jis_2004"), "euc-jp x-euc-jp eucjp cseucpkdfmtjapanese euc_jp"),
        (
            JAPANESE_JIS,
            "iso-2022-jp csiso2022jp iso-2022-jp-1 iso-2022-jp-2 iso-2022-jp-3 iso-2022-jp-2004 "
            "iso-2022-jp-ms iso-2022-jp-ext x-iso-2022-jp cp50220 cp50221 cp50222 jis "
            "csiso2022jp2 iso2022jp",
        ),
        ("utf-7", "utf-7 utf7 unicode-1-1-utf-7 csunicode11utf7 x-utf-7 x-unicode-2-0-utf-7"),
        ("utf-16", "ucs-2 ucs2 iso-10646-ucs-2 csunicode utf-16"),
        ("mac_roman", "x-mac-roman mac macintosh x-mac macroman csmacintosh mac-roman"),
        ("mac_latin2", "x-mac-ce x-mac-centraleurroman mac-centeuro maccentraleurope mac-ce"),
        ("mac_cyrillic", "x-mac-cyrillic x-mac-ukrainian mac-cyrillic maccyrillic"),
        ("mac_greek", "x-mac-greek"),
        ("mac_turkish", "x-mac-turkish"),
        ("mac_iceland", "x-mac-icelandic"),
        ("mac_croatian", "x-mac-croatian"),
        ("mac_romanian", "x-mac-romanian"),
        ("mac_arabic", "x-mac-arabic"),
        ("cp1255", "x-mac-hebrew"),
        ("cp874", "x-mac-thai"),
        (JAPANESE_SJIS, "x-mac-japanese"),
        (CHINESE_TRADITIONAL, "x-mac-chinesetrad"),
        ("gb18030", "x-mac-chinesesimp"),
        ("cp949", "x-mac-korean"),
        ("koi8_u", "koi8-u koi8-ru"),
        (
            UNKNOWN,
            "x-unknown unknown unknown-8bit x-unknown-charset x-user-defined default charset "
            "8bit 7bit binary none auto _autodetect _autodetect_all x-binaryenc text/plain "
            "text/html unicode x-unicode",
        ),
    ]
)

# Codecs that are not charsets (or would turn text into escapes or raise on every input).
REFUSED_CODECS = {
    "undefined",
    "unicode-escape",
    "raw-unicode-escape",
    "idna",
    "punycode",
    "mbcs",
    "oem",
    "unicode-internal",
}
CODEC_UPGRADES = {
    "iso8859-1": "windows-1252",
    "latin-1": "windows-1252",
    "cp1252": "windows-1252",
    "ascii": "ascii",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": JAPANESE_SJIS,
    "big5": CHINESE_TRADITIONAL,
    "iso2022_jp": JAPANESE_JIS,
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
}
NUMBERED_WINDOWS = re.compile(r"^(?:x-)?(?:cp|win|windows|ms|ibm)[-_ ]?(\d{3,5})$")
NUMBERED_ISO = re.compile(r"^(?:x-)?iso[-_ ]?8859[-_ ]?(\d{1,2})(?:[-_:].*)?$")


def _register_error_handlers():
    def c1(exc):
        # windows-1252 leaves 0x81, 0x8D, 0x8F, 0x90, 0x9D undefined; WHATWG maps them to C1.
        return "".join(chr(b) for b in exc.object[exc.start : exc.end]), exc.end

    def utf8_else_cp1252(exc):
        # Mostly-UTF-8 text with a few Latin-1 bytes: keep the odd bytes as windows-1252.
        return exc.object[exc.start : exc.end].decode("cp1252", "ablage-c1"), exc.end

    codecs.register_error("ablage-c1", c1)
    codecs.register_error("ablage-utf8-cp1252", utf8_else_cp1252)


_register_error_handlers()


@functools.lru_cache(maxsize=512)
def resolve_charset(label):
    """(codecs, note) for a charset label; codecs is a tuple of Python codec names, or None.

    note is "" when the label is a known name, "cleaned" when junk around it had to be removed,
    "unknown" when nothing matched (codecs is then None: use the fallback).
    """
    text = (label or "").strip().strip("\"'").strip().lower()
    note = ""
    first = text.split(None, 1)[0].rstrip(";,") if text else ""
    if first != text:
        note = "cleaned"
        text = first
    if text.startswith("charset="):
        text, note = text[len("charset=") :].strip("\"'"), "cleaned"
    if not text:
        return None, "unknown"
    target = _lookup(text)
    return (target, note) if target is not None else (None, "unknown")


def _as_tuple(target):
    return target if isinstance(target, tuple) else (target,)


def _lookup(text):
    if text in ALIASES:
        target = ALIASES[text]
        return None if target is UNKNOWN else _as_tuple(target)
    match = NUMBERED_WINDOWS.match(text)
    if match:
        return _python_codec(f"cp{int(match.group(1))}")
    match = NUMBERED_ISO.match(text)
    if match:
        return _python_codec(f"iso8859-{int(match.group(1))}")
    if text.startswith("x-") and len(text) > 2:
        return _lookup(text[2:])
    return _python_codec(text)


def _python_codec(name):
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in REFUSED_CODECS:
        return None
    return _as_tuple(CODEC_UPGRADES.get(info.name, info.name))


def decode_bytes(data, label, where, defects):
    """Text of `data` in charset `label` ("" or None: none given). Never raises, never loses text.

    Appends a plain-English defect to `defects` whenever the label was not used as written.
    """
    if not data:
        return ""
    if not label:
        if data.isascii():
            return _escaped_japanese(data) or data.decode("ascii")
        text, used = _fallback(data)
        defects.append(f"8-bit text without a charset in {where}; decoded as {used}")
        return text
    candidates, note = resolve_charset(label)
    if candidates is None:
        text, used = _fallback(data)
        defects.append(f"unknown charset {_show(label)} in {where}; decoded as {used}")
        return text
    if note == "cleaned":
        defects.append(
            f"malformed charset {_show(label)} in {where}; read as {_codec_label(candidates[0])}"
        )
    first = candidates[0]
    if first == "ascii":
        if data.isascii():
            return data.decode("ascii")
        text, used = _fallback(data)
        defects.append(f"8-bit text labelled {_show(label)} in {where}; decoded as {used}")
        return text
    if first == "utf-8":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            defects.append(
                f"invalid UTF-8 in {where}; the undecodable bytes were read as windows-1252"
            )
            return data.decode("utf-8", "ablage-utf8-cp1252")
    if first == "windows-1252":
        # Mislabelled UTF-8 is far more common than windows-1252 that happens to be UTF-8.
        text = None if data.isascii() else _mislabelled_utf8(data, label, where, defects)
        return text if text is not None else data.decode("cp1252", "ablage-c1")
    for codec in candidates:
        try:
            return data.decode(codec)
        except (UnicodeError, LookupError):
            continue
        except Exception:  # noqa: BLE001 - a codec bug must not stop parsing
            continue
    text = _mislabelled_utf8(data, label, where, defects)
    if text is not None:
        return text
    try:
        text = data.decode(first, "replace")
    except Exception:  # noqa: BLE001
        text, used = _fallback(data)
        defects.append(f"charset {_show(label)} failed in {where}; decoded as {used}")
        return text
    defects.append(f"invalid {_show(label)} data in {where}; undecodable bytes replaced")
    return text


def _escaped_japanese(data):
    """Text of 7-bit ISO-2022-JP sent without a label (Japanese mailers do), else None."""
    if b"\x1b$" not in data and b"\x1b(" not in data:
        return None
    for codec in JAPANESE_JIS:
        try:
            return data.decode(codec)
        except UnicodeError:
            continue
    return None


def decode_fallback(data):
    """(text, codec name used) for bytes of unknown charset: UTF-8 when valid, else windows-1252."""
    return _fallback(data)


def _fallback(data):
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if mostly_utf8(data):
        return data.decode("utf-8", "ablage-utf8-cp1252"), MIXED_FALLBACK
    return data.decode("cp1252", "ablage-c1"), FALLBACK


def mostly_utf8(data):
    """True when UTF-8 sequences outnumber the stray 8-bit bytes: text pasted together from a
    UTF-8 and a Latin-1 source. Real windows-1252 text almost never forms a UTF-8 sequence."""
    sequences = UTF8_SEQUENCE.findall(data)
    if not sequences:
        return False
    high = len(data) - len(data.translate(None, HIGH_BYTES))
    stray = high - sum(len(sequence) for sequence in sequences)
    return len(sequences) >= stray


def _codec_label(codec):
    return codec.replace("_", "-")


def _mislabelled_utf8(data, label, where, defects):
    """The text when `data` (labelled otherwise) is valid UTF-8, noted as a defect; else None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    defects.append(f"text labelled {_show(label)} in {where} is UTF-8; read as such")
    return text


def _show(label):
    label = clean_text(str(label)).strip()
    return repr(label[:40])


_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(text):
    """Text that PostgreSQL stores: no NUL, no lone surrogates (pairs are joined)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        text = _SURROGATES.sub("\ufffd", text)
    return text
