"""Two syncs of one account never run at once; a racing insert is harmless (F32)."""

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from organizer import store as store_module
from organizer.models import Folder, MailAccount, Message
from organizer.store import store_batch
from organizer.sync import claim_lock, release_lock, sync_account
from tests.factories import make_mail_account, make_raw_mail


def fill_inbox(dovecot, user, count=50):
    for i in range(count - 1):
        dovecot.append(user, "INBOX", make_raw_mail(f"Kopie {i}", sender="t@example.de"))
    dovecot.append(user, "INBOX", make_raw_mail("ohne Message-ID", message_id=False))


def in_thread(target, *args, **kwargs):
    box = {}

    def run():
        try:
            box["result"] = target(*args, **kwargs)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, box


@pytest.mark.django_db(transaction=True)
def test_a_second_sync_while_one_runs_is_skipped_quietly(dovecot, caplog):
    account = make_mail_account(server=dovecot)
    fill_inbox(dovecot, account.login)
    first_batch_stored, may_continue = threading.Event(), threading.Event()

    def progress(folder, done, total):
        if done:
            first_batch_stored.set()
            assert may_continue.wait(10)

    thread, box = in_thread(sync_account, MailAccount.objects.get(pk=account.pk), None, progress)
    assert first_batch_stored.wait(10)
    caplog.clear()
    caplog.set_level(logging.INFO, logger="organizer.sync")
    loser = sync_account(MailAccount.objects.get(pk=account.pk))
    may_continue.set()
    thread.join(20)

    assert loser.skipped_because_running and loser.new == 0 and not loser.failed
    assert "skipped, sync already running" in caplog.text
    assert "Traceback" not in caplog.text
    assert box["result"].ok and box["result"].new == 50
    assert Message.objects.filter(account=account).count() == 50
    account.refresh_from_db()
    assert account.failure_count == 0 and account.sync_lock_token == ""


@pytest.mark.django_db(transaction=True)
def test_two_syncs_started_together_store_every_mail_once(dovecot):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Shared-cache in-memory SQLite answers a second writer "table is locked" at once
        # instead of waiting like a database file (busy_timeout) does.
        pytest.skip("needs PostgreSQL or a SQLite database file")
    account = make_mail_account(server=dovecot)
    fill_inbox(dovecot, account.login)
    barrier = threading.Barrier(2)

    def start():
        barrier.wait(5)
        return sync_account(MailAccount.objects.get(pk=account.pk))

    runs = [in_thread(start) for _ in range(2)]
    for thread, _box in runs:
        thread.join(30)

    results = [box["result"] for _thread, box in runs]
    assert sum(r.new for r in results) == 50
    assert not any(r.failed for r in results)
    messages = Message.objects.filter(account=account)
    assert messages.count() == 50
    assert messages.values("identity").distinct().count() == 50


@pytest.mark.django_db
def test_the_lock_is_taken_by_one_caller_and_a_crashed_workers_lease_expires():
    account = make_mail_account()
    token = claim_lock(account)
    assert token and claim_lock(account) is None

    MailAccount.objects.filter(pk=account.pk).update(
        sync_lock_until=timezone.now() - timedelta(seconds=1)
    )
    second = claim_lock(account)
    assert second and second != token

    release_lock(account, token)  # the crashed worker's token no longer releases anything
    assert claim_lock(account) is None
    release_lock(account, second)
    assert claim_lock(account)


@pytest.mark.django_db
def test_a_racing_insert_of_the_same_uids_is_treated_as_already_stored(monkeypatch):
    account = make_mail_account()
    folder = Folder.objects.create(
        account=account, name="INBOX", display_name="INBOX", uidvalidity=7
    )

    class Item:
        def __init__(self, uid):
            self.uid, self.raw, self.flags = uid, make_raw_mail(f"m{uid}"), ()

    items = [Item(1), Item(2)]
    store_batch(account, folder, items[:1])
    real = store_module._stored_uids
    calls = []

    def racing(*args):
        calls.append(args)
        # The first check misses the row another worker has just committed.
        return set() if len(calls) == 1 else real(*args)

    monkeypatch.setattr(store_module, "_stored_uids", racing)
    outcome = store_batch(account, folder, items)

    assert (len(outcome.created), outcome.skipped) == (1, 1)
    assert sorted(Message.objects.values_list("uid", flat=True)) == [1, 2]
