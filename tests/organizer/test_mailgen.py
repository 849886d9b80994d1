"""The mail generator (organizer/mailgen.py): realistic, deterministic, fast, and readable by
the parser without a single defect."""

import random
import struct
import time
import zlib
from collections import Counter
from datetime import UTC, datetime

import pytest

from organizer.mailgen import (
    INBOX,
    SENT,
    Person,
    generate_mailbox,
    make_csv,
    make_pdf,
    make_png,
)
from organizer.parsing import parse_message

OWN = "lena.vogt@vogt-bau.de"
CONTACTS = [
    ("Jürgen Müller", "juergen.mueller@mueller-soehne.de"),
    ("Emily Carter", "emily.carter@brightwater.co.uk"),
    Person("Sabine Köhler", "sabine@baeckerei-koehler.de"),
    ("O'Brien, Sean", "sean@obrien.example.ie"),
]
NEWSLETTER = Person("Baufachmarkt Nord", "info@baufachmarkt-nord.de")


@pytest.fixture(scope="module")
def mailbox():
    mails = list(generate_mailbox(600, CONTACTS, OWN, seed=11, newsletters=[NEWSLETTER]))
    return [(role, raw, parse_message(raw)) for role, raw in mails]


def addresses(mailboxes):
    return {m.address for m in mailboxes}


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_mail():
    first = list(generate_mailbox(50, CONTACTS, OWN, seed=1))
    assert first == list(generate_mailbox(50, CONTACTS, OWN, seed=1))
    other = list(generate_mailbox(50, CONTACTS, OWN, seed=2))
    ids = {parse_message(raw).message_id for _role, raw in first}
    assert ids.isdisjoint(parse_message(raw).message_id for _role, raw in other)


def test_it_yields_n_mails_oldest_first_up_to_until(mailbox):
    dates = [parsed.date for _role, _raw, parsed in mailbox]
    assert len(mailbox) == 600
    assert dates == sorted(dates)
    assert dates[-1] <= datetime(2025, 6, 30, 17, 0, tzinfo=UTC)
    until = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    (_role, raw), *_ = generate_mailbox(1, CONTACTS, OWN, until=until, days=1)
    assert parse_message(raw).date.date() in (until.date(), datetime(2026, 2, 28).date())


def test_every_mail_parses_without_defects_with_a_unique_message_id(mailbox):
    assert [(raw[:200], parsed.defects) for _role, raw, parsed in mailbox if parsed.defects] == []
    assert all(not parsed.from_problem for _r, _raw, parsed in mailbox)
    assert len({parsed.message_id for _r, _raw, parsed in mailbox}) == len(mailbox)


def test_sent_mail_comes_from_the_own_address_and_inbox_mail_from_others(mailbox):
    roles = Counter(role for role, _raw, _parsed in mailbox)
    assert roles[INBOX] > roles[SENT] > 100
    for role, _raw, parsed in mailbox:
        assert (parsed.author.address == OWN) == (role == SENT)


def test_contacts_write_and_get_mail_and_so_do_strangers(mailbox):
    contact_addresses = {
        Person(*c).address if isinstance(c, tuple) else c.address for c in CONTACTS
    }
    senders = Counter(parsed.author.address for role, _raw, parsed in mailbox if role == INBOX)
    recipients = {
        a
        for role, _raw, parsed in mailbox
        if role == SENT
        for a in addresses(parsed.to + parsed.cc + parsed.bcc)
    }
    assert contact_addresses <= set(senders)
    assert contact_addresses <= recipients
    strangers = set(senders) - contact_addresses - {NEWSLETTER.address}
    assert len(strangers) > 20
    assert any(parsed.bcc for role, _raw, parsed in mailbox if role == SENT)


def test_replies_form_threads_with_in_reply_to_and_references(mailbox):
    known = set()
    replies = 0
    for _role, _raw, parsed in mailbox:
        if parsed.in_reply_to:
            replies += 1
            assert parsed.in_reply_to in known
            assert parsed.references[-1] == parsed.in_reply_to
            assert parsed.subject.startswith(("AW: ", "Re: "))
            assert "\n> " in parsed.text_body
        known.add(parsed.message_id)
    assert replies > 60
    assert any(len(parsed.references) >= 3 for _r, _raw, parsed in mailbox)


def test_umlauts_in_names_subjects_bodies_and_attachment_names(mailbox):
    parsed_mails = [parsed for _r, _raw, parsed in mailbox]
    assert any("Müller" in m.from_[0].name for m in parsed_mails)
    assert sum(not m.subject.isascii() for m in parsed_mails) > 50
    assert any("ß" in m.text_body or "ä" in m.text_body for m in parsed_mails)
    names = [a.name for m in parsed_mails for a in m.attachments]
    assert any(not name.isascii() for name in names)
    # Mostly RFC 2047, with a few raw UTF-8 headers and Latin-1 bodies as older mailers write.
    raws = [raw for _r, raw, _p in mailbox]
    assert any(b"=?utf-8?b?" in raw.split(b"\r\n\r\n")[0] for raw in raws)
    assert any(not raw.split(b"\r\n\r\n")[0].isascii() for raw in raws)
    assert any(b"charset=iso-8859-1" in raw for raw in raws)


def test_attachments_are_valid_pdf_csv_and_png_files(mailbox):
    types = Counter(a.content_type for _r, _raw, p in mailbox for a in p.attachments)
    assert {"application/pdf", "text/csv", "image/png"} <= set(types)
    pdf = make_pdf(["Angebot Nr. 4711", "Gesamtbetrag: 1.240 EUR (Größe)"])
    assert pdf.startswith(b"%PDF-1.4") and pdf.endswith(b"%%EOF\n")
    xref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[xref:].startswith(b"xref")
    png = make_png(random.Random(1))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    length, kind = struct.unpack(">I4s", png[8:16])
    assert kind == b"IHDR" and zlib.crc32(png[12 : 16 + length]) == int.from_bytes(
        png[16 + length : 20 + length], "big"
    )
    assert make_csv(random.Random(1)).decode("utf-8-sig").startswith("Pos;Beschreibung")


def test_html_alternatives_newsletters_and_bounces(mailbox):
    parsed_mails = [parsed for _r, _raw, parsed in mailbox]
    newsletters = [m for m in parsed_mails if m.author.address == NEWSLETTER.address]
    assert newsletters and all(
        "https://cdn.newsletter.example/" in m.html_body for m in newsletters
    )
    assert sum(bool(m.html_body) for m in parsed_mails) > len(newsletters)
    bounces = [m for m in parsed_mails if m.author.address == "MAILER-DAEMON@mail.vogt-bau.de"]
    assert bounces
    assert any(a.content_type == "message/rfc822" for m in bounces for a in m.attachments)


def test_ten_thousand_mails_take_seconds():
    started = time.process_time()
    count = sum(1 for _ in generate_mailbox(10_000, CONTACTS, OWN, seed=5))
    seconds = time.process_time() - started

    assert count == 10_000
    assert seconds < 15, f"{seconds:.1f}s of CPU for 10,000 mails"
