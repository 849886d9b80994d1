"""Charset labels as mail writes them resolve to a codec, or to a recorded fallback."""

import pytest

from organizer.parsing.charsets import decode_bytes, resolve_charset

TEXT = "Grüße"


@pytest.mark.parametrize(
    ("label", "data", "text"),
    [
        ("utf8", TEXT.encode("utf-8"), TEXT),
        ("UTF-8 ", TEXT.encode("utf-8"), TEXT),
        ('"utf-8"', TEXT.encode("utf-8"), TEXT),
        ("cp-1252", TEXT.encode("cp1252"), TEXT),
        ("iso-8859-1", "„Grüße“".encode("cp1252"), "„Grüße“"),  # as browsers do
        ("iso-8859-8-i", "שלום".encode("iso8859-8"), "שלום"),
        ("windows-1255", "שלום".encode("cp1255"), "שלום"),
        ("ks_c_5601-1987", "안녕".encode("cp949"), "안녕"),
        ("gb2312", "你好".encode("gb18030"), "你好"),
        ("big5", "你好".encode("cp950"), "你好"),
        ("shift_jis", "こんにちは".encode("cp932"), "こんにちは"),
        ("iso-2022-jp", "テスト".encode("iso2022_jp"), "テスト"),
        ("ISO-2022-JP-MS", "テスト".encode("iso2022_jp"), "テスト"),
        ("unicode-1-1-utf-7", TEXT.encode("utf-7"), TEXT),
        ("x-mac-roman", TEXT.encode("mac_roman"), TEXT),
        ("macintosh", TEXT.encode("mac_roman"), TEXT),
        ("windows-874", "สวัสดี".encode("cp874"), "สวัสดี"),
        ("x-mac-cyrillic", "Привет".encode("mac_cyrillic"), "Привет"),
        ("koi8-r", "Привет".encode("koi8_r"), "Привет"),
    ],
)
def test_known_labels_and_misspellings_decode(label, data, text):
    defects = []

    assert decode_bytes(data, label, "part 1", defects) == text


@pytest.mark.parametrize("label", ["x-unknown", "unknown-8bit", "no-such-charset", "base64", "hex"])
def test_unknown_labels_fall_back_to_utf8_then_windows_1252_with_a_defect(label):
    utf8, latin = [], []

    assert decode_bytes(TEXT.encode("utf-8"), label, "part 2", utf8) == TEXT
    assert decode_bytes(TEXT.encode("cp1252"), label, "part 2", latin) == TEXT
    assert utf8 == [f"unknown charset {label!r} in part 2; decoded as utf-8"]
    assert latin == [f"unknown charset {label!r} in part 2; decoded as windows-1252"]


def test_junk_after_a_label_is_dropped_and_recorded():
    defects = []

    assert decode_bytes(TEXT.encode(), "utf-8  q7x9", "part 3", defects) == TEXT
    assert defects == ["malformed charset 'utf-8  q7x9' in part 3; read as utf-8"]


def test_codecs_that_are_not_charsets_are_refused():
    for label in ("rot13", "undefined", "unicode_escape", "idna", "zlib", "uu"):
        assert resolve_charset(label) == (None, "unknown")


def test_bytes_invalid_in_their_charset_are_kept_not_dropped():
    defects = []

    text = decode_bytes(b"ok \x81\x8d\xff", "windows-1252", "part 1", defects)

    assert text == "ok \x81\x8dÿ"


@pytest.mark.parametrize(
    ("label", "shown"), [("iso-8859-1", "'iso-8859-1'"), ("iso-2022-jp", "'iso-2022-jp'")]
)
def test_utf8_under_another_label_is_read_as_utf8_with_a_defect(label, shown):
    defects = []

    assert decode_bytes("„Grüße“".encode(), label, "part 4", defects) == "„Grüße“"
    assert defects == [f"text labelled {shown} in part 4 is UTF-8; read as such"]


def test_windows_1252_that_is_not_utf8_stays_windows_1252_without_a_defect():
    defects = []

    assert decode_bytes("„Grüße“".encode("cp1252"), "iso-8859-1", "part 4", defects) == "„Grüße“"
    assert defects == []
