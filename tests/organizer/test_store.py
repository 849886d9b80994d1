"""Storing rows in bulk: what the sync's inserts promise on SQLite and PostgreSQL alike."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from organizer import storage
from organizer.models import Folder, Message, MessageAddress
from organizer.store import MESSAGE_COLUMNS, insert_rows, store_messages
from tests.factories import make_mail_account, make_raw_mail

pytestmark = pytest.mark.django_db


class Item:
    def __init__(self, uid, raw=None, flags=()):
        self.uid, self.raw, self.flags = uid, raw or make_raw_mail(f"m{uid}"), flags


@pytest.fixture
def message():
    account = make_mail_account()
    folder = Folder.objects.create(
        account=account, name="INBOX", display_name="INBOX", uidvalidity=7
    )
    return store_messages(account, folder, [Item(1)])[0]


def test_insert_rows_stores_every_row_across_statements(message):
    # 5,000 rows: more than one statement on SQLite (2,000 rows each, then powers of two).
    rows = [(message.pk, "cc", f"person{i}@example.org") for i in range(5000)]

    insert_rows(MessageAddress, ("message", "role", "address"), rows)

    stored = MessageAddress.objects.filter(message=message, role="cc")
    assert sorted(stored.values_list("address", flat=True)) == sorted(row[2] for row in rows)


def test_insert_rows_returns_each_rows_key_in_order(message):
    # On PostgreSQL the keys are drawn from the sequence before COPY: they must match the rows,
    # and an ordinary insert afterwards must not collide with them.
    rows = [(message.pk, "to", f"r{i}@example.org") for i in range(2500)]

    keys = insert_rows(MessageAddress, ("message", "role", "address"), rows, returning=True)
    later = MessageAddress.objects.create(message=message, role="to", address="later@example.org")

    assert len(set(keys)) == len(rows)
    stored = dict(MessageAddress.objects.filter(pk__in=keys).values_list("pk", "address"))
    assert [stored[key] for key in keys] == [row[2] for row in rows]
    assert later.pk not in stored


def test_insert_rows_raises_djangos_integrity_error_on_a_duplicate(message):
    # store_batch's retry after a racing sync catches exactly this error.
    row = (message.pk, "cc", "twice@example.org")
    insert_rows(MessageAddress, ("message", "role", "address"), [row])

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(MessageAddress, ("message", "role", "address"), [row])
    assert MessageAddress.objects.filter(address="twice@example.org").count() == 1


def test_a_stored_row_fills_every_column_of_message():
    assert set(MESSAGE_COLUMNS) == {f.name for f in Message._meta.concrete_fields} - {"id"}


def test_dates_lists_and_flags_read_back_as_they_were_parsed():
    account = make_mail_account(auto_archive=True)
    folder = Folder.objects.create(
        account=account, name="INBOX", display_name="INBOX", uidvalidity=7
    )
    raw = make_raw_mail(
        "Grüße",
        to='Lena Vogt <lena.vogt@example.com>, "Ortiz, Daniel" <d@example.org>',
        date="Tue, 03 Mar 2026 10:00:00 +0100",
    )
    before = timezone.now()

    (message,) = store_messages(account, folder, [Item(5, raw, ("\\Seen", "\\Recent", "$Label1"))])

    message.refresh_from_db()
    assert message.date == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    assert before <= message.synced_at <= timezone.now()
    assert [(m["name"], m["normalized"]) for m in message.to] == [
        ("Lena Vogt", "lena.vogt@example.com"),
        ("Ortiz, Daniel", "d@example.org"),
    ]
    assert (message.subject, message.uid, message.uidvalidity) == ("Grüße", 5, 7)
    assert message.flags == ["\\Seen", "$Label1"] and message.seen
    assert message.archive_state == Message.ArchiveState.PENDING
    # Stored as JSON, not as a JSON string: the database looks inside.
    assert Message.objects.filter(pk=message.pk, to__1__normalized="d@example.org").exists()
    assert Message.objects.filter(pk=message.pk, flags__1="$Label1").exists()


def test_a_mail_whose_stored_copy_was_lost_is_written_again():
    account = make_mail_account()
    folder = Folder.objects.create(
        account=account, name="INBOX", display_name="INBOX", uidvalidity=7
    )
    raw = make_raw_mail("verloren")
    (first,) = store_messages(account, folder, [Item(1, raw)])
    storage.mail_storage().delete(storage.pack_path(first.raw_path))
    other = Folder.objects.create(account=account, name="Kunden", display_name="Kunden")
    other.uidvalidity = 1
    other.save()

    (again,) = store_messages(account, other, [Item(1, raw)])

    assert storage.read_raw(again.raw_path) == raw


def test_addresses_beyond_the_smtp_limit_are_kept_as_written_without_an_address_row():
    account = make_mail_account()
    folder = Folder.objects.create(
        account=account, name="INBOX", display_name="INBOX", uidvalidity=7
    )
    longest = "a" * 59 + "@" + ("b" * 60 + ".") * 3 + "example.org"  # 254 characters
    too_long = "a" * 64 + "@" + ("b" * 60 + ".") * 5 + "example.org"  # 381, twice
    raw = f"From: x@example.org\r\nTo: {longest}, {too_long}x, {too_long}y\r\n\r\nx\r\n"

    (message,) = store_messages(account, folder, [Item(1, raw.encode())])

    assert len(longest) == 254
    assert [m["address"] for m in message.to] == [longest, too_long + "x", too_long + "y"]
    rows = MessageAddress.objects.filter(message=message, role="to")
    assert list(rows.values_list("address", flat=True)) == [longest]
