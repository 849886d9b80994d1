"""Storing rows in bulk: what the sync's inserts promise on SQLite and PostgreSQL alike."""

import pytest
from django.db import IntegrityError, transaction

from organizer.models import Folder, MessageAddress
from organizer.store import insert_rows, store_batch
from tests.factories import make_mail_account, make_raw_mail

pytestmark = pytest.mark.django_db


class Item:
    def __init__(self, uid):
        self.uid, self.raw, self.flags = uid, make_raw_mail(f"m{uid}"), ()


@pytest.fixture
def message():
    account = make_mail_account()
    folder = Folder.objects.create(
        account=account, name="INBOX", display_name="INBOX", uidvalidity=7
    )
    return store_batch(account, folder, [Item(1)]).created[0]


def test_insert_rows_stores_every_row_across_statements(message):
    # 5,000 rows: more than one statement on SQLite (2,000 rows each, then powers of two).
    rows = [(message.pk, "cc", f"person{i}@example.org") for i in range(5000)]

    insert_rows(MessageAddress, ("message", "role", "address"), rows)

    stored = MessageAddress.objects.filter(message=message, role="cc")
    assert sorted(stored.values_list("address", flat=True)) == sorted(row[2] for row in rows)


def test_insert_rows_raises_djangos_integrity_error_on_a_duplicate(message):
    # store_batch's retry after a racing sync catches exactly this error.
    row = (message.pk, "cc", "twice@example.org")
    insert_rows(MessageAddress, ("message", "role", "address"), [row])

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(MessageAddress, ("message", "role", "address"), [row])
    assert MessageAddress.objects.filter(address="twice@example.org").count() == 1
