"""parse_message never raises and always returns storable text, whatever the bytes."""

import base64
import random
import time

import pytest
from django.db import connection

from organizer.parsing import get_part, parse_message
from tests.organizer import mails
from tests.organizer.parsing_checks import assert_parts_match, assert_storable, strings_of

SAMPLES = [
    mails.DISPLAY_NAME_COMMA,
    mails.FOLDED_RECIPIENTS,
    mails.IDN_UTF8_HEADER,
    mails.UNKNOWN_CHARSETS,
    mails.BASE64_QUIRKS,
    mails.TNEF_MAIL,
    mails.FORWARDED,
    mails.MARKUP,
    mails.SMIME_SIGNED,
    mails.CALENDAR_INVITE,
    mails.WRONG_BOUNDARY,
    mails.opaque_smime_mail(mails.opaque_signed_ber(mails.OPAQUE_ENTITY)),
]
NASTY = [b"\x00", b"\r", b"\n", b'"', b"<", b">", b"(", b"=?", b"--", b"\xff", b"\xc3", b":", b";"]


def mutations(raw, rng, count):
    for _ in range(count):
        position = rng.randrange(len(raw) + 1)
        choice = rng.randrange(5)
        if choice == 0:
            yield raw[:position]  # truncated
        elif choice == 1:
            yield raw[:position] + rng.choice(NASTY) + raw[position:]
        elif choice == 2:
            yield raw[:position] + raw[position + rng.randrange(1, 40) :]
        elif choice == 3:
            data = bytearray(raw)
            for _ in range(rng.randrange(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            yield bytes(data)
        else:
            yield raw[position:]  # headers cut off at the front


def test_mutated_and_truncated_mails_never_raise():
    rng = random.Random(20250301)
    for sample in SAMPLES:
        for raw in mutations(sample, rng, 150):
            parsed = parse_message(raw)

            assert_storable(parsed)
            assert_parts_match(raw, parsed)


def test_random_bytes_never_raise():
    rng = random.Random(7)
    for size in (1, 2, 10, 100, 1000, 20000):
        raw = bytes(rng.randrange(256) for _ in range(size))

        assert_storable(parse_message(raw))
        assert get_part(raw, "1") is None or isinstance(get_part(raw, "1"), tuple)


def test_empty_input_fails_with_a_reason():
    for raw in (b"", b"\r\n\r\n", b"   "):
        parsed = parse_message(raw)

        assert parsed.failed is True
        assert parsed.defects == ["empty message"]
        assert parsed.identity == parse_message(raw).identity


def test_binary_garbage_without_headers_is_marked_failed():
    parsed = parse_message(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))

    assert parsed.failed is True
    assert "no mail headers found" in parsed.defects
    assert parsed.text_body == ""
    assert_storable(parsed)


def test_nul_bytes_and_broken_utf8_never_reach_the_strings():
    raw = (
        b"From: Mi\x00ra <mira.albrecht@example.org>\r\n"
        b"Subject: a\x00b \xed\xa0\x80 c =?utf-8?q?d=00e?=\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"x\x00y \xed\xa0\x80 z\r\n"
    )
    parsed = parse_message(raw)

    assert_storable(parsed)
    assert parsed.subject.startswith("ab ")
    assert parsed.text_body.startswith("xy ")
    assert parsed.from_problem == "ambiguous"  # a NUL inside From is no plain mailbox


def test_utf7_lone_surrogates_are_replaced():
    raw = b"From: a@example.org\r\nContent-Type: text/plain; charset=utf-7\r\n\r\nA+2D0-B\r\n"
    parsed = parse_message(raw)

    assert_storable(parsed)
    assert parsed.text_body == "A\ufffdB\n"


def test_a_twenty_megabyte_attachment_is_measured_and_returned():
    data = random.Random(1).randbytes(20 * 1024 * 1024)
    raw = mails.build_mail(attachments=[("big.bin", "application/octet-stream", data)])
    parsed = parse_message(raw)

    assert [(a.name, a.size) for a in parsed.attachments] == [("big.bin", len(data))]
    assert get_part(raw, "2")[2] == data


def test_deep_nesting_is_capped():
    parsed = parse_message(mails.deeply_nested(60))

    assert parsed.subject == "tief"
    assert parsed.author.normalized == "mira.albrecht@example.org"
    assert any("nested deeper" in d for d in parsed.defects)
    assert_storable(parsed)


def test_nesting_too_deep_for_the_mime_parser_still_yields_the_headers():
    parsed = parse_message(mails.deeply_nested(3000))

    assert parsed.failed is False
    assert parsed.subject == "tief"
    assert parsed.author.normalized == "mira.albrecht@example.org"
    assert any("nested too deeply" in d for d in parsed.defects)


def test_thousands_of_parts_are_capped():
    parts = b"".join(b"--p\r\nContent-Type: application/x-y\r\n\r\nx\r\n" for _ in range(3000))
    raw = b"From: a@example.org\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n" + parts
    parsed = parse_message(raw + b"--p--\r\n")

    assert len(parsed.attachments) == 1000
    assert any("more than 1000" in d for d in parsed.defects)


def test_multipart_without_boundary_keeps_its_body_as_text():
    raw = b"From: a@example.org\r\nContent-Type: multipart/mixed\r\n\r\nNur Text, keine Teile.\r\n"
    parsed = parse_message(raw)

    assert parsed.text_body == "Nur Text, keine Teile.\n"
    assert parsed.attachments == []
    assert parsed.defects


def test_truncated_base64_attachment_decodes_what_is_there():
    encoded = base64.b64encode(b"0123456789" * 10)
    raw = (
        b"From: a@example.org\r\nContent-Type: multipart/mixed; boundary=t\r\n\r\n"
        b"--t\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64"
        b"\r\n\r\n" + encoded[:-5]
    )
    parsed = parse_message(raw)

    (attachment,) = parsed.attachments
    assert 0 < attachment.size < 100
    assert get_part(raw, "1")[2] == (b"0123456789" * 10)[: attachment.size]


def test_non_bytes_input_is_accepted():
    assert parse_message(bytearray(mails.DISPLAY_NAME_COMMA)).author is not None
    assert parse_message(memoryview(mails.DISPLAY_NAME_COMMA)).author is not None


@pytest.mark.django_db
def test_parsed_strings_round_trip_through_the_database():
    hostile = [
        *SAMPLES,
        b"From: Mi\x00ra <a@example.org>\r\nSubject: \xed\xa0\x80 \xff\r\n\r\nx\x00\xed\xa0\x80",
        b"From: a@example.org\r\nContent-Type: text/plain; charset=utf-7\r\n\r\nA+2D0-B",
    ]
    with connection.cursor() as cursor:
        for raw in hostile:
            for text in set(strings_of(parse_message(raw))):
                cursor.execute("SELECT CAST(%s AS text)", [text])

                assert cursor.fetchone()[0] == text


HOSTILE_HEADERS = {
    "unclosed comments": "(" * 50_000,
    "spaces without an address": " " * 200_000 + "x",
    "names without an address": "a " * 100_000,
    "angle brackets": "<" * 100_000,
    "unclosed encoded words": "=?x?q?" * 50_000,
}
HOSTILE_HTML = {
    "unclosed comments": "<!--" * 100_000,
    "unclosed tags": "<script" * 300_000,
    "unclosed attribute quotes": '<a "' * 100_000 + ">",
    "unclosed script": "<script>" + "a<b" * 300_000,
}


@pytest.mark.parametrize("name", HOSTILE_HEADERS)
def test_hostile_address_headers_are_read_in_linear_time(name):
    # Each of these took minutes when a scan restarted at every "(" or backtracked.
    raw = b"From: " + HOSTILE_HEADERS[name].encode() + b"\r\nTo: a@example.org\r\n\r\nx"
    started = time.perf_counter()
    parsed = parse_message(raw)

    assert time.perf_counter() - started < 10
    assert parsed.author is None
    assert [m.normalized for m in parsed.to] == ["a@example.org"]


@pytest.mark.parametrize("name", HOSTILE_HTML)
def test_hostile_html_is_turned_into_text_in_linear_time(name):
    raw = b"From: a@example.org\r\nContent-Type: text/html\r\n\r\n" + HOSTILE_HTML[name].encode()
    started = time.perf_counter()
    parsed = parse_message(raw)

    assert time.perf_counter() - started < 10
    assert_storable(parsed)


def test_oversized_address_header_is_cut_and_never_trusted():
    recipients = ", ".join(f"r{i}@example.org" for i in range(30_000))
    parsed = parse_message(mails.build_mail(from_=recipients, to=recipients))

    assert parsed.from_problem == "ambiguous"
    assert 10_000 < len(parsed.to) < 30_000
    assert any("only its start was read" in d for d in parsed.defects)


def test_references_with_thousands_of_ids_are_capped():
    references = " ".join(f"<id{i}@example.org>" for i in range(50_000))
    parsed = parse_message(mails.build_mail(extra_headers=[("References", references)]))

    assert len(parsed.references) == 1000
    assert parsed.references[0] == "<id0@example.org>"
