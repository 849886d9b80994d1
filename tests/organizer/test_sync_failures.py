"""Failures are recorded on the account, retried with back-off, and never lose or cut mail (F21)."""

import socket
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from organizer import sync as sync_module
from organizer.models import Folder, MailAccount, Message
from organizer.storage import read_raw
from organizer.sync import sync_account
from tests.factories import make_mail_account, make_raw_mail

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(sync_module, "BATCH_MESSAGES", 20)


def fill_inbox(dovecot, user, count=100):
    raws = [make_raw_mail(f"Nachricht {i}", body=f"Text {i}\r\n" * 20) for i in range(count)]
    for raw in raws:
        dovecot.append(user, "INBOX", raw)
    return raws


def assert_every_mail_once(account, raws):
    stored = [
        read_raw(p)
        for p in Message.objects.filter(account=account).values_list("raw_path", flat=True)
    ]
    assert Counter(stored) == Counter(raws)  # nothing twice, nothing missing, nothing cut


def assert_nothing_marked_seen(dovecot, user):
    assert not [uid for uid, flags in dovecot.flags(user, "INBOX").items() if "\\Seen" in flags]


def test_throttling_waits_the_suggested_time_then_resumes(
    dovecot, imap_proxy, no_waits, small_batches
):
    # F21 A: the 3rd FETCH of bodies answers NO ... Suggested Backoff Time: 5000 milliseconds.
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    raws = fill_inbox(dovecot, account.login)
    imap_proxy.throttle(b"BODY.PEEK[]", nth=3, millis=5000)

    result = sync_account(account)

    assert result.ok and result.throttled == 1 and result.new == 100
    assert len(no_waits) == 1 and 5.0 <= no_waits[0] <= 6.0
    assert_every_mail_once(account, raws)
    assert_nothing_marked_seen(dovecot, account.login)


def test_throttling_for_longer_than_the_cap_is_recorded_for_a_later_attempt(
    dovecot, imap_proxy, no_waits
):
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    fill_inbox(dovecot, account.login, 3)
    imap_proxy.throttle(b"BODY.PEEK[]", millis=3_600_000)

    result = sync_account(account)

    account.refresh_from_db()
    assert result.failed and result.error_kind == "throttled" and no_waits == []
    assert account.next_attempt_at >= timezone.now() + timedelta(minutes=59)
    # Raised in the prefetch thread, which speaks the default language (German) like the worker.
    assert "Der Server begrenzt gerade die Zugriffe" in account.last_error


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(lambda p: p.cut_in_literal(b"BODY.PEEK[]", nth=3, literal_index=7), id="cut"),
        pytest.param(lambda p: p.bye(b"BODY.PEEK[]", nth=3), id="bye"),
    ],
)
def test_a_connection_lost_mid_fetch_reconnects_and_stores_every_mail_once(
    dovecot, imap_proxy, no_waits, small_batches, fault
):
    # F21 B and C: the partial message is discarded, the sync resumes from the cursor.
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    raws = fill_inbox(dovecot, account.login)
    fault(imap_proxy)

    result = sync_account(account)

    assert result.ok and result.reconnects == 1 and result.new == 100
    assert imap_proxy.connections == 2
    bodies = [c.split()[3] for c in imap_proxy.commands if "BODY.PEEK[]" in c]
    assert bodies == ["1:20", "21:40", "41:60", "41:60", "61:80", "81:100"]
    assert_every_mail_once(account, raws)
    assert_nothing_marked_seen(dovecot, account.login)


def test_a_connection_that_keeps_dropping_fails_keeps_stored_mail_and_next_sync_resumes(
    dovecot, imap_proxy, no_waits, small_batches
):
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    raws = fill_inbox(dovecot, account.login)
    imap_proxy.cut_in_literal(b"BODY.PEEK[]", nth=3, literal_index=3, times=0)

    result = sync_account(account)

    account.refresh_from_db()
    assert result.failed and result.error_kind == "connection"
    assert len(no_waits) == sync_module.MAX_RECONNECTS
    assert no_waits == sorted(no_waits)  # exponential back-off
    assert Message.objects.filter(account=account).count() == 40
    assert Folder.objects.get(account=account, name="INBOX").last_uid == 40
    assert account.failure_count == 1 and account.next_attempt_at > timezone.now()
    # Raised in the prefetch thread, which speaks the default language (German) like the worker.
    assert account.last_error == "Die Verbindung zum Server wurde unterbrochen."

    imap_proxy.clear()
    imap_proxy.commands.clear()
    result = sync_account(account)

    account.refresh_from_db()
    assert result.ok and result.new == 60
    assert [c.split()[3] for c in imap_proxy.commands if "BODY.PEEK[]" in c][0] == "41:60"
    assert_every_mail_once(account, raws)
    assert (account.failure_count, account.last_error, account.next_attempt_at) == (0, "", None)
    assert account.last_sync_at is not None


def test_bad_after_login_marks_the_account_for_attention_without_a_tight_loop(
    dovecot, imap_proxy, no_waits, settings
):
    # F21 D: "BAD User is authenticated but not connected." to every command.
    settings.ABLAGE_SYNC_ATTENTION_AFTER = 3
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    imap_proxy.bad_after_login()
    attempts = []

    for _ in range(3):
        result = sync_account(account)
        account.refresh_from_db()
        attempts.append(account.next_attempt_at - account.last_error_at)

    assert result.failed and result.error_kind == "protocol"
    assert account.needs_attention and account.failure_count == 3
    assert "User is authenticated but not connected." in account.last_error
    assert imap_proxy.connections == 3 and no_waits == []
    assert attempts[0] < attempts[1] < attempts[2]  # back-off grows per failed run


def test_wrong_password_is_recorded_in_plain_words(dovecot, no_waits):
    account = make_mail_account(server=dovecot, password="falsch")

    result = sync_account(account)

    account.refresh_from_db()
    assert result.failed and result.error_kind == "auth" and no_waits == []
    assert account.last_error == "The server rejected the login name or password."
    assert "falsch" not in account.last_error


def test_dead_server_is_recorded_as_refused(no_waits):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once closed
    account = make_mail_account(port=port)

    result = sync_account(account)

    account.refresh_from_db()
    assert result.failed and result.error_kind == "refused"
    assert "refused the connection" in account.last_error


@pytest.mark.parametrize("host", ["169.254.169.254", "169.254.10.1", "0.0.0.0", "224.0.0.1"])
def test_hosts_the_guard_refuses_are_never_connected_to(host):
    account = make_mail_account(host=host, security="ssl")

    result = sync_account(account)

    assert result.failed and result.error_kind == "blocked_host"
    assert "not allowed" in MailAccount.objects.get(pk=account.pk).last_error


def test_private_hosts_are_refused_unless_the_setting_allows_them(settings, dovecot):
    settings.ABLAGE_ALLOW_PRIVATE_IMAP_HOSTS = False
    account = make_mail_account(server=dovecot)

    result = sync_account(account)

    assert result.failed and result.error_kind == "blocked_host"


def test_a_folder_that_fails_does_not_stop_the_others(dovecot, imap_proxy):
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    dovecot.create_folder(account.login, "Sent")
    dovecot.append(account.login, "INBOX", make_raw_mail())
    dovecot.append(account.login, "Sent", make_raw_mail())
    imap_proxy.refuse(b'STATUS "INBOX"', text=b"NO [SERVERBUG] Internal error")

    result = sync_account(account)

    assert not result.failed and len(result.errors) == 1
    assert Message.objects.get(account=account).folder.name == "Sent"
    assert "Internal error" in Folder.objects.get(account=account, name="INBOX").last_error


def test_when_no_folder_can_be_read_the_account_counts_as_failed(dovecot, imap_proxy):
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    imap_proxy.refuse(b"STATUS", text=b"NO [UNAVAILABLE] Backend down")

    result = sync_account(account)

    account.refresh_from_db()
    assert result.failed and account.failure_count == 1
    assert "Backend down" in account.last_error
