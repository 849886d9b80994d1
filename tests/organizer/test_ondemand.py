"""Syncs on request (organizer.ondemand): one request at a time, and progress and outcome on
the folder rows whichever process runs the sync."""

from datetime import timedelta

import pytest
from django.utils import timezone

from organizer import ondemand, tasks
from organizer.models import Folder
from tests.factories import make_mail_account, make_raw_mail

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **k: calls.append(a))
    return calls


def test_sync_now_is_enqueued_once_until_its_outcome_arrives(
    queued, django_capture_on_commit_callbacks
):
    account = make_mail_account()
    with django_capture_on_commit_callbacks(execute=True):
        assert ondemand.request_account_sync(account)
        assert not ondemand.request_account_sync(account)
    assert queued == [(ondemand.SYNC_TASK, account.pk)]
    assert ondemand.account_sync_pending(account)

    account.last_error_at = timezone.now()
    assert not ondemand.account_sync_pending(account)


def test_fixing_a_failed_account_ends_the_wait_for_its_sync_now(
    queued, django_capture_on_commit_callbacks
):
    from organizer import accounts

    account = make_mail_account()
    with django_capture_on_commit_callbacks(execute=True):
        ondemand.request_account_sync(account)
    account.last_error, account.last_error_at = "wrong password", timezone.now()
    account.save()

    accounts.set_password(account, "the right one")

    account.refresh_from_db()
    assert not ondemand.account_sync_pending(account)
    with django_capture_on_commit_callbacks(execute=True):
        assert ondemand.request_account_sync(account)  # the button works again


def test_a_forgotten_sync_now_stops_waiting(queued):
    account = make_mail_account(sync_requested_at=timezone.now() - timedelta(hours=1))
    assert not ondemand.account_sync_pending(account)


def test_the_scheduled_sync_reports_progress_and_outcome_on_its_folders(dovecot):
    account = make_mail_account(server=dovecot)
    for i in range(3):
        dovecot.append(account.login, "INBOX", make_raw_mail(f"Mail {i}"))
    seen = []
    original = ondemand.FolderTracker.progress

    def spy(self, folder, done, total):
        original(self, folder, done, total)
        seen.append(Folder.objects.get(pk=folder.pk).sync_report)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ondemand.FolderTracker, "progress", spy)
        summary = tasks.sync_account_task(account.pk)

    assert summary["new"] == 3
    assert seen[0] == {"done": 0, "total": 3} and seen[-1] == {"done": 3, "total": 3}
    inbox = Folder.objects.get(account=account, name="INBOX")
    assert inbox.sync_state == "done" and inbox.sync_report["new"] == 3


def test_a_folder_sync_that_finds_nothing_new_still_ends_done(dovecot):
    account = make_mail_account(server=dovecot)
    dovecot.create_folder(account.login, "Leer")
    tasks.sync_account_task(account.pk, ["Leer"])
    folder = Folder.objects.get(account=account, name="Leer")
    assert folder.sync_state == "done"
    assert folder.sync_report == {"new": 0, "removed": 0, "updated": 0, "errors": []}


def test_a_folder_that_is_gone_from_the_server_ends_failed_in_plain_words(dovecot):
    account = make_mail_account(server=dovecot)
    tasks.sync_account_task(account.pk)  # discovers INBOX
    ghost = Folder.objects.create(account=account, name="Weg", display_name="Weg")

    tasks.sync_account_task(account.pk, ["Weg"])

    ghost.refresh_from_db()
    assert ghost.sync_state == "failed"
    assert ghost.sync_report["errors"] == ["Folder Weg not found on the server."]
