"""parse_message on the structures of ../shared/cases (our own minimal inputs, same structure)."""

import base64
from datetime import UTC, datetime

import pytest

from organizer.parsing import get_part, normalize_message_id, parse_message
from tests.organizer import mails


def addresses(mailboxes):
    return [m.normalized for m in mailboxes]


def test_quoted_display_name_with_comma_is_one_mailbox():  # F01
    parsed = parse_message(mails.DISPLAY_NAME_COMMA)

    assert [(m.name, m.normalized) for m in parsed.from_] == [
        ("Ortiz, Daniel", "daniel.ortiz@example.org")
    ]
    assert parsed.author.normalized == "daniel.ortiz@example.org"
    assert parsed.from_problem == ""
    assert [m.name for m in parsed.to] == ["Vogt, Lena", "Wendt, Tomasz"]


def test_recipients_folded_over_lines_and_inside_quotes_are_all_read():  # F03
    parsed = parse_message(mails.FOLDED_RECIPIENTS)

    assert addresses(parsed.to) == [
        "tomasz.wendt@example.de",
        "sofia.lindqvist@example.org",
        "anouk.devries@example.org",
    ]
    assert addresses(parsed.cc) == ["einkauf@example.de", "mira.albrecht@example.org"]
    assert [m.name for m in parsed.to + parsed.cc] == [
        "Tomasz Wendt",
        "Team Nord - Lindqvist",
        "Anouk de Vries",
        "Einkauf Zentrale",
        "Mira Albrecht",
    ]


def test_address_case_is_normalised_but_kept_as_written_for_display():  # F04
    parsed = parse_message(
        mails.build_mail(
            from_='"Tomasz Wendt" <Tomasz.Wendt@EXAMPLE.DE>', to="LENA.VOGT@Example.com"
        )
    )

    assert parsed.author.address == "Tomasz.Wendt@EXAMPLE.DE"
    assert parsed.author.normalized == "tomasz.wendt@example.de"
    assert [(m.address, m.normalized) for m in parsed.to] == [
        ("LENA.VOGT@Example.com", "lena.vogt@example.com")
    ]


def test_unicode_and_punycode_domains_are_one_address():  # F05
    utf8 = parse_message(mails.IDN_UTF8_HEADER)
    puny = parse_message(mails.IDN_PUNYCODE)

    assert utf8.author.address == "bernd@hübner.example.de"
    assert utf8.author.name == "Bernd Hübner"
    assert utf8.subject == "Nachtrag zur Maßliste"
    assert puny.author.address == "bernd@xn--hbner-kva.example.de"
    assert puny.author.name == "Bernd Hübner"
    assert utf8.author.normalized == puny.author.normalized == "bernd@xn--hbner-kva.example.de"
    assert utf8.defects == []


def test_raw_utf8_header_decodes_to_storable_unicode():  # F05
    parsed = parse_message(mails.IDN_UTF8_HEADER)

    for text in (parsed.subject, parsed.author.name, parsed.author.address):
        text.encode("utf-8")  # strict: raises on lone surrogates
        assert "\x00" not in text


def test_empty_group_yields_no_fake_address():  # F06, incoming
    parsed = parse_message(
        mails.build_mail(
            from_="Anouk de Vries <anouk.devries@example.org>", to="undisclosed-recipients:;"
        )
    )

    assert parsed.to == []
    assert parsed.author.normalized == "anouk.devries@example.org"
    assert parsed.defects == []


def test_sent_copy_with_empty_group_keeps_its_bcc():  # F06, sent
    parsed = parse_message(
        mails.build_mail(
            from_="Lena Vogt <lena.vogt@example.com>",
            to="Undisclosed recipients:;",
            bcc="mira.albrecht@example.org, Tomasz Wendt <tomasz.wendt@example.de>",
        )
    )

    assert parsed.to == []
    assert addresses(parsed.bcc) == ["mira.albrecht@example.org", "tomasz.wendt@example.de"]


def test_display_name_that_looks_like_an_address_is_never_the_address():  # F08
    parsed = parse_message(
        mails.build_mail(from_="mira.albrecht@example.org <zahlung-service@example.de>")
    )

    # Shown as sent by the angle address; the display-name "address" is no address at all.
    assert [(m.name, m.address) for m in parsed.from_] == [
        ("mira.albrecht@example.org", "zahlung-service@example.de")
    ]
    assert "mira.albrecht@example.org" not in addresses(parsed.from_ + parsed.to)
    # A bare @ in a display name is invalid syntax that other parsers read as two mailboxes
    # (or as mira's): such a From names no trusted author and matches nothing.
    assert parsed.author is None
    assert parsed.from_problem == "ambiguous"
    assert addresses(parsed.from_) == [""]
    assert any("unquoted @ in the display name" in d for d in parsed.defects)


def test_quoted_display_name_showing_another_address_gives_no_author():
    parsed = parse_message(
        mails.build_mail(from_='"mira.albrecht@example.org" <zahlung-service@example.de>')
    )

    assert (parsed.author, parsed.from_problem) == (None, "ambiguous")
    assert parsed.from_[0].address == "zahlung-service@example.de"  # shown, never matched
    assert parsed.from_[0].normalized == ""
    assert any("looks like an address" in d for d in parsed.defects)


def test_missing_from_takes_the_author_from_sender():  # F09
    parsed = parse_message(
        mails.build_mail(from_=None, sender="Tomasz Wendt <tomasz.wendt@example.de>")
    )

    assert parsed.from_ == []
    assert parsed.from_problem == "missing"
    assert parsed.author.normalized == "tomasz.wendt@example.de"


def test_missing_from_with_unclear_sender_has_no_author():
    parsed = parse_message(mails.build_mail(from_=None, sender="a@example.org, b@example.org"))

    assert parsed.from_problem == "missing"
    assert parsed.author is None


def test_from_and_sender_on_behalf_stay_separate():  # F10, incoming and sent item
    incoming = parse_message(
        mails.build_mail(
            from_="Mira Albrecht <mira.albrecht@example.org>",
            sender="Buero Albrecht <assistenz@example.org>",
        )
    )
    sent = parse_message(
        mails.build_mail(
            from_="Mira Albrecht <mira.albrecht@example.org>",
            sender="Lena Vogt <lena.vogt@example.com>",
            to="Tomasz Wendt <tomasz.wendt@example.de>",
        )
    )

    assert incoming.author.normalized == "mira.albrecht@example.org"
    assert addresses(incoming.sender) == ["assistenz@example.org"]
    assert sent.author.normalized == "mira.albrecht@example.org"
    assert addresses(sent.sender) == ["lena.vogt@example.com"]
    assert addresses(sent.to) == ["tomasz.wendt@example.de"]


def test_reply_to_is_parsed_separately_and_never_the_author():  # F11
    parsed = parse_message(
        mails.build_mail(
            from_="Kontaktformular <noreply@example.com>",
            to="sales@example.com",
            reply_to="Anouk de Vries <anouk.devries@example.org>",
        )
    )

    assert parsed.author.normalized == "noreply@example.com"
    assert [(m.name, m.normalized) for m in parsed.reply_to] == [
        ("Anouk de Vries", "anouk.devries@example.org")
    ]


def test_mail_sent_from_an_alias_has_that_alias_as_author():  # F12
    parsed = parse_message(
        mails.build_mail(
            from_="Lena Vogt <sales@example.com>",
            to="Tomasz Wendt <tomasz.wendt@example.de>",
            cc="mira.albrecht@example.org",
        )
    )

    assert parsed.author.normalized == "sales@example.com"
    assert addresses(parsed.to + parsed.cc) == [
        "tomasz.wendt@example.de",
        "mira.albrecht@example.org",
    ]


def test_unknown_and_misspelt_charsets_keep_the_text_and_are_recorded():  # F14
    parsed = parse_message(mails.UNKNOWN_CHARSETS)

    assert parsed.failed is False
    assert parsed.subject == "Auftrag Nr. 12"
    assert mails.HEBREW_THANKS in parsed.text_body
    assert "<p>Thanks 12</p>" in parsed.html_body
    assert any("x-no-such-charset" in d for d in parsed.defects)
    assert any("utf-8 junk" in d for d in parsed.defects)


def test_base64_with_trailing_space_and_padded_chunks_decodes():  # F16
    raw = mails.BASE64_QUIRKS
    parsed = parse_message(raw)

    assert [(a.name, a.size, a.part) for a in parsed.attachments] == [
        ("a.txt", 36, "2"),
        ("b.bin", 21, "3"),
    ]
    assert get_part(raw, "2") == ("a.txt", "text/plain", b"eine Zeile mit genau 36 Bytes Inhalt")
    assert get_part(raw, "3")[2] == b"AAAAAAABBBBBBBBCCCCCC"
    assert parsed.text_body == "Zwei Dateien."


def test_mails_without_message_id_differ_by_content():  # F24
    common = {
        "message_id": None,
        "date": "Thu, 27 Mar 2025 14:00:00 +0100",
        "subject": "Bestellung",
    }
    first = parse_message(mails.build_mail(body="Bitte 10 Paletten.", **common))
    second = parse_message(mails.build_mail(body="Korrektur: 8 Paletten.", **common))

    assert first.message_id == second.message_id == ""
    assert first.identity != second.identity


def test_the_same_raw_mail_always_has_the_same_identity():  # F24
    raw = mails.build_mail(message_id=None)

    assert parse_message(raw).identity == parse_message(raw).identity


def test_identity_of_a_mail_with_message_id_ignores_other_headers():
    one = mails.build_mail(message_id="<same@example.org>", extra_headers=[("Received", "x")])
    two = mails.build_mail(message_id=" same@example.org ", extra_headers=[("X-Spam", "no")])

    assert parse_message(one).identity == parse_message(two).identity


def test_identity_of_a_mail_with_message_id_depends_on_author_and_date():
    base = parse_message(mails.build_mail(message_id="<id@example.org>"))
    other_author = parse_message(
        mails.build_mail(message_id="<id@example.org>", from_="x@example.org")
    )
    other_date = parse_message(
        mails.build_mail(message_id="<id@example.org>", date="Tue, 04 Mar 2025 10:00:00 +0100")
    )

    assert len({base.identity, other_author.identity, other_date.identity}) == 3


def test_tnef_files_are_listed_and_winmail_dat_stays_downloadable():  # F26
    raw = mails.TNEF_MAIL
    parsed = parse_message(raw)

    names = {a.name: a for a in parsed.attachments}
    assert set(names) == {"winmail.dat", "masse.txt"}
    assert names["masse.txt"].part == "2/tnef:0"
    assert names["masse.txt"].size == len(b"Halle 2: 18 x 42 m")
    assert get_part(raw, "2/tnef:0") == ("masse.txt", "text/plain", b"Halle 2: 18 x 42 m")
    name, content_type, data = get_part(raw, names["winmail.dat"].part)
    assert (name, content_type) == ("winmail.dat", "application/ms-tnef")
    assert data.startswith(b"\x78\x9f\x3e\x22")


def test_junk_in_winmail_dat_is_a_defect_not_an_error():
    junk = [b"not TNEF at all", b'\x78\x9f>"' + bytes(range(256)) * 3]
    for data in junk:
        raw = mails.build_mail(attachments=[("winmail.dat", "application/ms-tnef", data)])
        parsed = parse_message(raw)

        assert parsed.attachments[0].name == "winmail.dat"
        assert get_part(raw, "2")[2] == data
        assert get_part(raw, "2/tnef:99") is None
    assert any(
        "TNEF" in d
        for d in parse_message(
            mails.build_mail(attachments=[("winmail.dat", "application/ms-tnef", junk[0])])
        ).defects
    )


def test_forwarded_mail_is_one_attachment_with_its_own_content():  # F28
    raw = mails.FORWARDED
    parsed = parse_message(raw)

    assert parsed.author.normalized == "tomasz.wendt@example.de"
    assert addresses(parsed.to) == ["lena.vogt@example.com"]
    assert parsed.cc == []
    assert parsed.text_body == "Zur Info, Original anbei."
    forwarded, csv = parsed.attachments
    assert (forwarded.content_type, forwarded.part) == ("message/rfc822", "2")
    assert forwarded.inner["from"] == "Mira Albrecht <mira.albrecht@example.org>"
    assert forwarded.inner["subject"] == "Schaden Regal 7"
    assert forwarded.inner["date"] == "2025-04-01T15:00:00+00:00"
    assert forwarded.inner["text"] == "Regal 7 ist beschaedigt."
    assert [(a["name"], a["part"]) for a in forwarded.inner["attachments"]] == [("foto.png", "2.2")]
    assert (csv.name, csv.part) == ("liste.csv", "3")
    assert get_part(raw, "2.2")[2].startswith(b"\x89PNG")
    name, content_type, data = get_part(raw, "2")
    assert content_type == "message/rfc822"
    assert parse_message(data).subject == "Schaden Regal 7"


def test_markup_in_subject_and_html_stays_as_written():  # F30
    parsed = parse_message(mails.MARKUP)

    assert parsed.subject == 'Rechnung <script>window.x=1</script> "offen"'
    assert parsed.text_body == "Klartext <b>nicht fett</b>"
    assert "<script>window.z=1</script>" in parsed.html_body


def test_html_only_mail_gets_a_text_body_without_markup_or_scripts():
    raw = (
        b"From: a@example.org\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{}</style><script>x()</script></head>"
        b"<body><p>Guten Tag,</p><p>die Ware ist&nbsp;da &amp; bezahlt.</p></body></html>"
    )
    parsed = parse_message(raw)

    assert parsed.text_body == "Guten Tag,\n\ndie Ware ist da & bezahlt."
    assert parsed.html_body.startswith("<html>")


def test_signed_mail_shows_its_text_and_attachments_and_the_signature_as_file():
    raw = mails.SMIME_SIGNED
    parsed = parse_message(raw)

    assert parsed.text_body == "Der unterschriebene Vertrag, Grüße."
    assert [(a.name, a.part) for a in parsed.attachments] == [
        ("vertrag.pdf", "1.2"),
        ("smime.p7s", "2"),
    ]
    assert get_part(raw, "1.2")[2] == b"%PDF-1.4 fake"


def test_calendar_attendees_never_become_addresses():
    parsed = parse_message(mails.CALENDAR_INVITE)

    every_address = addresses(
        parsed.from_ + parsed.sender + parsed.reply_to + parsed.to + parsed.cc + parsed.bcc
    )
    assert "tomasz.wendt@example.de" not in every_address
    assert parsed.text_body == "Termin am Montag."
    assert [a.content_type for a in parsed.attachments] == ["text/calendar"]


def test_attachment_names_in_rfc2231_and_rfc2047_keep_umlauts():
    raw = (
        b"From: a@example.org\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
        b"--x\r\nContent-Type: text/plain\r\n\r\nText\r\n"
        b"--x\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*0*=utf-8''%C3%84nderung;\r\n"
        b' filename*1="en.pdf"\r\n\r\nx\r\n'
        b'--x\r\nContent-Type: application/pdf; name="=?iso-8859-1?Q?M=FCller.pdf?="\r\n\r\ny\r\n'
        b'--x\r\nContent-Type: application/pdf; name="Gr\xc3\xbc\xc3\x9fe.pdf"\r\n\r\nz\r\n'
        b"--x--\r\n"
    )
    names = [a.name for a in parse_message(raw).attachments]

    assert names == ["Änderungen.pdf", "Müller.pdf", "Grüße.pdf"]
    assert get_part(raw, "2")[0] == "Änderungen.pdf"


def test_attachment_names_cannot_carry_paths_or_control_characters():
    raw = mails.build_mail(attachments=[("..\\..\\evil\x07.exe", "application/octet-stream", b"x")])

    assert [a.name for a in parse_message(raw).attachments] == ["evil.exe"]


def test_inline_image_with_content_id_is_an_inline_attachment():
    raw = (
        b"From: a@example.org\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
        b"--r\r\nContent-Type: text/html\r\n\r\n<img src=cid:logo@x>\r\n"
        b"--r\r\nContent-Type: image/gif\r\nContent-ID: <logo@x>\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nR0lGODlh\r\n--r--\r\n"
    )
    (image,) = parse_message(raw).attachments

    assert (image.content_id, image.inline, image.size, image.name) == (
        "logo@x",
        True,
        6,
        "part-2.gif",
    )


def test_message_id_is_normalised_however_it_is_written():
    variants = [
        "<a.1@example.org>",
        " a.1@example.org ",
        "<a.1@example.org> (comment)",
        "< a.1@example.org >",
    ]

    assert {normalize_message_id(v) for v in variants} == {"<a.1@example.org>"}
    assert (
        normalize_message_id("") == normalize_message_id("<>") == normalize_message_id(None) == ""
    )


def test_header_name_case_does_not_matter():
    raw = (
        b"MESSAGE-id: <case@example.org>\r\nfrom: Mira <mira.albrecht@example.org>\r\n"
        b"SUBJECT: Hallo\r\nin-reply-to: <prev@example.org>\r\n"
        b"REFERENCES: <first@example.org>\r\n <prev@example.org>\r\n\r\nText\r\n"
    )
    parsed = parse_message(raw)

    assert parsed.message_id == "<case@example.org>"
    assert parsed.author.normalized == "mira.albrecht@example.org"
    assert parsed.subject == "Hallo"
    assert parsed.in_reply_to == "<prev@example.org>"
    assert parsed.references == ["<first@example.org>", "<prev@example.org>"]


def test_date_is_aware_utc_and_garbage_dates_are_none_with_a_defect():
    good = parse_message(mails.build_mail(date="Mon, 29 Oct 2001 08:47:28 -0800 (PST)"))
    bad = parse_message(mails.build_mail(date="sometime next week"))

    assert good.date == datetime(2001, 10, 29, 16, 47, 28, tzinfo=UTC)
    assert bad.date is None
    assert any("Date" in d for d in bad.defects)


def test_encoded_words_adjacent_split_and_broken_decode():
    subject = (
        "=?utf-8?B?w6Q=?= =?utf-8?B?w7Y=?= und =?UTF-8?Q?=C3?= =?UTF-8?Q?=BC?= "
        "=?iso-8859-1?q?Stra=DFe?= =?utf-8?b?w6Rö?="
    )
    parsed = parse_message(mails.build_mail(subject=subject))

    # RFC 2047: white space between adjacent encoded words is not part of the text.
    assert parsed.subject == "äö und üStraßeä"


def test_base64_word_of_junk_is_shown_as_written_not_as_garbage():
    subject = "=?utf-8?B?SGFsbG8=?= =?utf-8?B?Grüße!?= =?utf-8?B?!!!?="
    parsed = parse_message(mails.build_mail(subject=subject))

    assert parsed.subject == "Hallo =?utf-8?B?Grüße!?= =?utf-8?B?!!!?="
    assert parsed.defects == ["broken base64 encoded word in the Subject header; shown as written"]


def test_subject_pasted_from_utf8_and_latin1_keeps_both_parts():
    raw_subject = "AW: Grüße".encode() + " – Straße".encode("cp1252")
    raw = b"From: a@example.org\r\nSubject: " + raw_subject + b"\r\n\r\nText\r\n"
    latin1 = b"From: a@example.org\r\nSubject: Stra\xdfe \xfcber Br\xfccke\r\n\r\nText\r\n"

    assert parse_message(raw).subject == "AW: Grüße – Straße"
    assert parse_message(latin1).subject == "Straße über Brücke"


def test_eight_bit_body_with_wrong_or_missing_charset_keeps_its_text():
    no_charset = b"From: a@example.org\r\nContent-Type: text/plain\r\n\r\nGr\xfc\xdfe\r\n"
    utf8_as_latin1 = (
        b"From: a@example.org\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n"
        b"Gr\xc3\xbc\xc3\x9fe\r\n"
    )
    latin1_as_utf8 = (
        b"From: a@example.org\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Gr\xfc\xdfe \xe2\x82\xac\r\n"
    )

    assert parse_message(no_charset).text_body == "Grüße\n"
    assert parse_message(utf8_as_latin1).text_body == "Grüße\n"
    assert parse_message(latin1_as_utf8).text_body == "Grüße €\n"


def test_quoted_printable_tolerates_spaces_after_soft_breaks():
    raw = (
        b"From: a@example.org\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"Lange =  \r\nZeile, Gr=C3=BC=C3=9Fe=3D\r\n"
    )

    assert parse_message(raw).text_body == "Lange Zeile, Grüße=\n"


def test_multipart_with_a_wrong_boundary_is_recovered():
    raw = mails.WRONG_BOUNDARY
    parsed = parse_message(raw)

    assert parsed.text_body == "Der eigentliche Text."
    assert [(a.name, a.part) for a in parsed.attachments] == [("x.bin", "2")]
    assert get_part(raw, "2")[2] == b"abc"
    assert parsed.defects


def test_get_part_returns_none_for_paths_that_do_not_exist():
    raw = mails.BASE64_QUIRKS

    for path in ("", "0", "9", "1.5", "abc", "2/tnef:0", "../1", "1" * 50):
        assert get_part(raw, path) is None


def test_base64_encoded_forwarded_mail_is_still_read():
    inner = (
        b"From: Mira Albrecht <mira.albrecht@example.org>\r\nSubject: Innen\r\n"
        b"Content-Type: multipart/mixed; boundary=i\r\n\r\n"
        b"--i\r\nContent-Type: text/plain\r\n\r\nInnerer Text\r\n"
        b"--i\r\nContent-Type: image/png; name=a.png\r\nContent-Transfer-Encoding: base64\r\n"
        b"\r\nAAAA\r\n--i--\r\n"
    )
    raw = (
        b"From: Tomasz Wendt <tomasz.wendt@example.de>\r\n"
        b"Content-Type: multipart/mixed; boundary=o\r\n\r\n"
        b"--o\r\nContent-Type: text/plain\r\n\r\nAussen\r\n"
        b"--o\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(inner).replace(b"\n", b"\r\n")
        + b"--o--\r\n"
    )
    parsed = parse_message(raw)

    (forwarded,) = parsed.attachments
    assert forwarded.inner["subject"] == "Innen"
    assert forwarded.inner["text"] == "Innerer Text"
    assert get_part(raw, "2.2") == ("a.png", "image/png", b"\x00\x00\x00")
    assert parsed.text_body == "Aussen"


def test_html_without_charset_parameter_uses_its_meta_charset():
    raw = (
        b"From: a@example.org\r\nContent-Type: text/html\r\n\r\n"
        b'<html><head><meta charset="iso-8859-2"></head><body>\xb3\xf3d\xbc</body></html>'
    )

    assert parse_message(raw).text_body == "łódź"


def test_delivery_report_lists_its_status_as_a_text_attachment():
    raw = (
        b"From: MAILER-DAEMON@example.org\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n"
        b"--r\r\nContent-Type: text/plain\r\n\r\nZustellung fehlgeschlagen.\r\n"
        b"--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.org\r\n\r\n"
        b"Final-Recipient: rfc822; weg@example.de\r\nAction: failed\r\n"
        b"--r--\r\n"
    )
    parsed = parse_message(raw)

    assert parsed.text_body == "Zustellung fehlgeschlagen."
    (status,) = parsed.attachments
    assert (status.name, status.content_type) == ("part-2.txt", "message/delivery-status")
    assert b"Action: failed" in get_part(raw, "2")[2]
    assert "weg@example.de" not in [m.normalized for m in parsed.to + parsed.cc]


def test_a_malformed_header_line_is_skipped_and_the_headers_below_it_are_used():
    raw = (
        b"Received: from mx.example.org\r\n"
        b"garbage line without a colon\r\n"
        b"Subject : Hallo\r\n"
        b"From: Mira Albrecht <mira.albrecht@example.org>\r\n"
        b"\r\nText\r\n"
    )
    parsed = parse_message(raw)

    assert parsed.author.normalized == "mira.albrecht@example.org"
    assert parsed.subject == "Hallo"
    assert parsed.text_body == "Text\n"
    assert any("garbage line" in d for d in parsed.defects)


def test_a_body_without_separator_line_is_not_taken_for_headers():
    raw = b"From: Mira <mira.albrecht@example.org>\r\nSubject: x\r\nHallo Welt\r\nZeile 2\r\n"
    parsed = parse_message(raw)

    assert parsed.author.normalized == "mira.albrecht@example.org"
    assert parsed.text_body == "Hallo Welt\nZeile 2\n"


def test_unlabelled_iso_2022_jp_in_header_and_body_is_read():
    jis = "テスト".encode("iso2022_jp")
    raw = b"From: a@example.org\r\nSubject: " + jis + b"\r\n\r\n" + jis + b"\r\n"
    parsed = parse_message(raw)

    assert parsed.subject == "テスト"
    assert parsed.text_body == "テスト\n"


@pytest.mark.parametrize("encoding", ["der", "ber"])
def test_opaque_signed_mail_shows_the_signed_text_and_attachments(encoding):
    if encoding == "der":
        blob = mails.opaque_signed_der(mails.OPAQUE_ENTITY)
    else:
        blob = mails.opaque_signed_ber(mails.OPAQUE_ENTITY)
    raw = mails.opaque_smime_mail(blob)
    parsed = parse_message(raw)

    assert parsed.text_body == "Der Vertrag, grüße."
    assert [(a.name, a.part) for a in parsed.attachments] == [
        ("smime.p7m", "1"),
        ("vertrag.pdf", "1/p7m:2"),
    ]
    assert get_part(raw, "1/p7m:2") == ("vertrag.pdf", "application/pdf", b"%PDF-1.4 fake")
    assert get_part(raw, "1")[2] == blob
    assert get_part(raw, "1/p7m:9") is None


def test_encrypted_smime_is_kept_as_attachment_with_a_defect():
    raw = mails.opaque_smime_mail(mails.ENVELOPED_DER, smime_type="enveloped-data")
    parsed = parse_message(raw)

    assert [a.name for a in parsed.attachments] == ["smime.p7m"]
    assert parsed.text_body == ""
    assert any("encrypted S/MIME" in d for d in parsed.defects)
