"""The filing rule, table-style, without a database."""

import pytest

from archiving.rules import (
    INCOMING,
    OUTGOING,
    BlockList,
    MailFacts,
    decide,
    parse_block_entry,
    propose,
)
from crm.addresses import InvalidAddress

OWN = frozenset({"lena.vogt@example.com", "sales@example.com", "l.vogt@example.com"})
K1 = "mira.albrecht@example.org"
K2 = "tomasz.wendt@example.de"
BLOCKS = BlockList(addresses={"newsletter@example.org"}, domains={"bounces.example.de"})


def facts(**kwargs):
    kwargs.setdefault("own_addresses", OWN)
    for key in ("from_", "sender", "to", "cc", "bcc"):
        kwargs[key] = tuple(kwargs.get(key, ()))
    return MailFacts(**kwargs)


def filed_by(decision):
    return [(c.role, c.address) for c in decision.candidates]


@pytest.mark.parametrize(
    ("mail", "direction", "expected"),
    [
        # Incoming mail is filed by its From; recipients never count.
        (facts(from_=[K1], to=["lena.vogt@example.com", K2]), INCOMING, [("from", K1)]),
        # Several From mailboxes: every one.
        (facts(from_=[K1, K2], from_problem="several"), INCOMING, [("from", K1), ("from", K2)]),
        # No From: the Sender (F09).
        (facts(sender=[K2], from_problem="missing"), INCOMING, [("sender", K2)]),
        # From and Sender: From only (F10 incoming, on behalf of).
        (facts(from_=[K1], sender=["assistenz@example.org"]), INCOMING, [("from", K1)]),
        # An ambiguous From files nothing, and the Sender does not stand in for it (F08).
        (facts(from_=["zahlung@example.de"], from_problem="ambiguous", sender=[K1]), INCOMING, []),
        # Outgoing by the Sent folder: recipients, To, Cc and Bcc (F03, F06 sent).
        (
            facts(from_=["lena.vogt@example.com"], to=[K2], cc=[K1], bcc=["x@example.net"]),
            OUTGOING,
            [("to", K2), ("cc", K1), ("bcc", "x@example.net")],
        ),
        # Outgoing because From is an alias, even in the Inbox (F12).
        (facts(from_=["sales@example.com"], to=[K2], cc=[K1]), OUTGOING, [("to", K2), ("cc", K1)]),
        # The own address among the recipients never matches.
        (
            facts(from_=["sales@example.com"], to=["lena.vogt@example.com", K2]),
            OUTGOING,
            [("to", K2)],
        ),
        # An address counts once, at its first header.
        (facts(from_=["sales@example.com"], to=[K2], cc=[K2]), OUTGOING, [("to", K2)]),
    ],
)
def test_decide_files_by_the_addresses_the_rule_names(mail, direction, expected):
    decision = decide(mail)

    assert decision.direction == direction
    assert filed_by(decision) == expected


def test_sent_folder_mail_from_a_contact_is_filed_at_recipients_and_from():
    # F10 sent item: Lena sends on Mira's behalf; it lies in Sent.
    mail = facts(from_=[K1], sender=["lena.vogt@example.com"], to=[K2], in_sent_folder=True)

    decision = decide(mail)

    assert decision.direction == OUTGOING
    assert filed_by(decision) == [("to", K2), ("from", K1)]


def test_reply_to_never_files():
    # F11: the person is only in Reply-To; the facts do not even carry it, and the web form's
    # noreply@ address is neither own nor (in the CRM) a contact.
    mail = facts(from_=["noreply@example.com"], to=["sales@example.com"])

    decision = decide(mail)

    assert decision.direction == INCOMING
    assert filed_by(decision) == [("from", "noreply@example.com")]


def test_blocked_address_and_domain_never_match_but_other_addresses_do():
    # F34: a sent mail to K1 and two addresses under bounces.example.de.
    mail = facts(
        from_=["lena.vogt@example.com"],
        to=[K1, "verteiler@bounces.example.de"],
        cc=["ops@mail.bounces.example.de", "info@notbounces.example.de"],
    )

    decision = decide(mail, BLOCKS)

    assert filed_by(decision) == [("to", K1), ("cc", "info@notbounces.example.de")]
    assert "verteiler@bounces.example.de is on the block list" in decision.notes


def test_blocked_sender_is_not_filed():
    mail = facts(from_=["newsletter@example.org"], to=["lena.vogt@example.com"])

    assert filed_by(decide(mail, BLOCKS)) == []


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("a@bounces.example.de", True),
        ("a@mail.bounces.example.de", True),
        ("a@deep.mail.bounces.example.de", True),
        ("a@notbounces.example.de", False),
        ("a@example.de", False),
        ("newsletter@example.org", True),
        ("newsletter2@example.org", False),
    ],
)
def test_block_list_covers_subdomains_on_a_label_boundary(address, blocked):
    assert BLOCKS.blocks(address) is blocked


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("example.com", ("domain", "example.com")),
        ("@Example.COM", ("domain", "example.com")),
        (" Newsletter@Example.org ", ("address", "newsletter@example.org")),
        ("hübner.example.de", ("domain", "xn--hbner-kva.example.de")),
        ("@xn--hbner-kva.example.de", ("domain", "xn--hbner-kva.example.de")),
    ],
)
def test_block_entries_are_normalised(entry, expected):
    assert parse_block_entry(entry) == expected


@pytest.mark.parametrize("entry", ["", "@", "nodot", "a b@example.com", "x@"])
def test_invalid_block_entries_are_refused(entry):
    with pytest.raises(InvalidAddress):
        parse_block_entry(entry)


def test_propose_files_at_every_record_owning_an_address_once():
    mail = facts(from_=["sales@example.com"], to=[K1], cc=["sofia@example.org"])
    records = {K1: [("contact", 1), ("contact", 2)], "sofia@example.org": [("contact", 2)]}

    proposals = propose(decide(mail), records)

    assert [(p.record_key, p.address, p.role) for p in proposals] == [
        (("contact", 1), K1, "to"),
        (("contact", 2), K1, "to"),
    ]
    assert proposals[0].reason == f"recipient (To) {K1}"


def test_propose_never_recreates_a_removed_filing():
    mail = facts(from_=[K1])
    records = {K1: [("contact", 1), ("contact", 2)]}

    proposals = propose(decide(mail), records, removed={("contact", 1)})

    assert [p.record_key for p in proposals] == [("contact", 2)]
