"""Address headers, and the From verdict filing relies on (CVE-2023-27043-style forgeries)."""

import pytest

from organizer.parsing import parse_message
from tests.organizer import mails


def from_verdict(value):
    parsed = parse_message(mails.build_mail(from_=value))
    author = parsed.author.normalized if parsed.author else None
    return author, parsed.from_problem


@pytest.mark.parametrize(
    ("from_header", "author"),
    [
        ("Mira Albrecht <mira.albrecht@example.org>", "mira.albrecht@example.org"),
        ("mira.albrecht@example.org", "mira.albrecht@example.org"),
        ("<mira.albrecht@example.org>", "mira.albrecht@example.org"),
        ('"Albrecht, Mira" <mira.albrecht@example.org>', "mira.albrecht@example.org"),
        ("mira.albrecht@example.org (Mira Albrecht)", "mira.albrecht@example.org"),
        (
            "=?utf-8?q?Albrecht=2C_M=C3=AFra?= <mira.albrecht@example.org>",
            "mira.albrecht@example.org",
        ),
        ("Pete(his \\) friend) <pete(account)@example.org(host)>", "pete@example.org"),
        ("Mary <@relay.example.net:mary@example.net>", "mary@example.net"),
        # A display name that merely repeats its own address is harmless:
        ('"Mira.Albrecht@example.org" <mira.albrecht@example.org>', "mira.albrecht@example.org"),
    ],
)
def test_from_with_one_clear_mailbox_names_the_author(from_header, author):
    assert from_verdict(from_header) == (author, "")


@pytest.mark.parametrize(
    ("from_header", "problem"),
    [
        # Forgeries that read differently in different parsers (CVE-2023-27043 and friends).
        ("mira.albrecht@example.org <zahlung-service@example.de>", "ambiguous"),
        # Valid syntax, but a list would show one address and filing use another.
        ('"mira.albrecht@example.org" <zahlung-service@example.de>', "ambiguous"),
        ("zahlung-service@example.de (mira.albrecht@example.org)", "ambiguous"),
        ('"Büro (mira.albrecht@example.org)" <zahlung-service@example.de>', "ambiguous"),
        ("Mira mira.albrecht@example.org <zahlung-service@example.de>", "ambiguous"),
        ("mira.albrecht@example.org)<zahlung-service@example.de>", "ambiguous"),
        ("mira.albrecht@example.org)(zahlung-service@example.de", "ambiguous"),
        ("Mira <mira.albrecht@example.org> <zahlung-service@example.de>", "ambiguous"),
        ("<zahlung-service@example.de> mira.albrecht@example.org", "ambiguous"),
        ("mira.albrecht@example.org zahlung-service@example.de", "ambiguous"),
        ('"Mira <mira.albrecht@example.org>', "ambiguous"),
        ("Mira <mira.albrecht@example.org", "ambiguous"),
        ("Mira mira.albrecht@example.org", "ambiguous"),
        ("mira.albrecht@example.org;zahlung-service@example.de", "ambiguous"),
        ("Group: mira.albrecht@example.org;", "ambiguous"),
        ("mira.albrecht@example.org@example.de", "ambiguous"),
        ("Mira \\ <mira.albrecht@example.org>", "ambiguous"),
        ("Mira\x01 <mira.albrecht@example.org>", "ambiguous"),
        ("Mira <mira albrecht@example.org>", "ambiguous"),
        # Several authors: RFC 5322 allows them, but none of them is *the* author.
        ("mira.albrecht@example.org, tomasz.wendt@example.de", "several"),
        (
            '"Albrecht, Mira" <mira.albrecht@example.org>, Tomasz <tomasz.wendt@example.de>',
            "several",
        ),
        # Present but without a usable address.
        ("", "invalid"),
        ("Mira Albrecht", "invalid"),
        ("<>", "invalid"),
        ("undisclosed-recipients:;", "invalid"),
        ('"mira.albrecht@example.org"@example.de', "invalid"),
        ("=?utf-8?q?Mira_<mira.albrecht@example.org>?=", "invalid"),
        ("mira@[192.0.2.1]", "invalid"),
    ],
)
def test_from_that_is_not_one_clear_mailbox_has_no_author(from_header, problem):
    assert from_verdict(from_header) == (None, problem)


def test_several_from_headers_are_ambiguous_and_match_nothing():
    # Clients disagree on which one they show: neither may file the mail.
    raw = mails.build_mail(extra_headers=[("From", "Tomasz Wendt <tomasz.wendt@example.de>")])
    parsed = parse_message(raw)

    assert parsed.author is None
    assert parsed.from_problem == "ambiguous"
    assert len(parsed.from_) == 2
    assert [m.normalized for m in parsed.from_] == ["", ""]


def test_several_mailboxes_in_one_from_header_each_count():
    parsed = parse_message(
        mails.build_mail(from_="Mira <mira.albrecht@example.org>, Tomasz <tomasz.wendt@example.de>")
    )

    assert (parsed.author, parsed.from_problem) == (None, "several")
    assert [m.normalized for m in parsed.from_] == [
        "mira.albrecht@example.org",
        "tomasz.wendt@example.de",
    ]


def test_ambiguous_from_keeps_its_mailboxes_for_display_but_matches_nothing():
    parsed = parse_message(
        mails.build_mail(from_="Mira <mira.albrecht@example.org> <zahlung-service@example.de>")
    )

    assert [m.address for m in parsed.from_] == [
        "mira.albrecht@example.org",
        "zahlung-service@example.de",
    ]
    assert [m.normalized for m in parsed.from_] == ["", ""]


def test_recipient_lists_are_read_leniently_but_never_from_display_names():
    parsed = parse_message(
        mails.build_mail(
            to="a@example.org b@example.org, mira.albrecht@example.org <c@example.org>",
            cc="Germany, Chris, <d@example.org>,, (Kommentar) e@example.org",
        )
    )

    assert [m.normalized for m in parsed.to] == ["a@example.org", "b@example.org", "c@example.org"]
    assert [(m.address, m.normalized) for m in parsed.cc] == [
        ("Germany", ""),
        ("Chris", ""),
        ("d@example.org", "d@example.org"),
        ("e@example.org", "e@example.org"),
    ]
    assert any("the To header" in d for d in parsed.defects)


def test_groups_contribute_their_members():
    parsed = parse_message(
        mails.build_mail(to="Team: a@example.org, B <b@example.org>;, c@example.org", cc="Leer:;")
    )

    assert [m.normalized for m in parsed.to] == ["a@example.org", "b@example.org", "c@example.org"]
    assert parsed.cc == []


def test_raw_8bit_address_header_that_is_not_utf8_still_decodes():
    raw = mails.build_mail(to=b"J\xfcrgen M\xfcller <juergen@example.org>")
    parsed = parse_message(raw)

    assert [(m.name, m.normalized) for m in parsed.to] == [("Jürgen Müller", "juergen@example.org")]
    assert any("not UTF-8" in d for d in parsed.defects)


def test_unicode_local_part_and_domain_are_kept_as_written():
    parsed = parse_message(mails.build_mail(to="Jörg <jörg@bücher.example>"))

    (mailbox,) = parsed.to
    assert mailbox.address == "jörg@bücher.example"
    assert mailbox.normalized == "jörg@xn--bcher-kva.example"
