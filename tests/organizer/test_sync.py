"""Sync against the real Dovecot of the test suite: first, incremental, folders, flags, expunges."""

import pytest

from organizer import sync as sync_module
from organizer.models import Folder, Message, MessageAddress
from organizer.storage import read_raw
from organizer.sync import sync_account
from tests.factories import make_mail_account, make_raw_mail

pytestmark = pytest.mark.django_db


def uids_of(account, folder_name="INBOX"):
    return sorted(
        Message.objects.filter(account=account, folder__name=folder_name).values_list(
            "uid", flat=True
        )
    )


def test_first_sync_stores_every_inbox_mail_with_raw_bytes_and_parsed_fields(dovecot):
    account = make_mail_account(server=dovecot)
    raws = [make_raw_mail(f"Angebot {i}") for i in range(3)]
    for raw in raws:
        dovecot.append(account.login, "INBOX", raw)

    result = sync_account(account)

    assert result.ok and (result.new, result.removed) == (3, 0)
    messages = list(Message.objects.filter(account=account).order_by("uid"))
    assert [m.subject for m in messages] == ["Angebot 0", "Angebot 1", "Angebot 2"]
    assert [read_raw(m.raw_path) for m in messages] == raws
    assert messages[0].author_address == "mira.albrecht@example.org"
    assert set(
        MessageAddress.objects.filter(message=messages[0]).values_list("role", "address")
    ) == {("from", "mira.albrecht@example.org"), ("to", "lena.vogt@example.com")}
    inbox = Folder.objects.get(account=account, name="INBOX")
    assert (inbox.role, inbox.last_uid, inbox.server_message_count) == ("inbox", 3, 3)
    account.refresh_from_db()
    assert account.last_sync_at is not None and account.failure_count == 0


def test_later_sync_fetches_only_new_uids(dovecot, imap_proxy):
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    dovecot.append(account.login, "INBOX", make_raw_mail("alt"))
    sync_account(account)
    dovecot.append(account.login, "INBOX", make_raw_mail("neu 1"))
    dovecot.append(account.login, "INBOX", make_raw_mail("neu 2"))
    imap_proxy.commands.clear()

    result = sync_account(account)

    assert result.new == 2
    assert uids_of(account) == [1, 2, 3]
    fetches = [c.split(" ", 1)[1] for c in imap_proxy.fetch_commands()]
    assert "UID FETCH 2:* (UID RFC822.SIZE FLAGS)" in fetches
    assert "UID FETCH 2:3 (UID FLAGS BODY.PEEK[])" in fetches
    assert not any(" 1:* " in f and "BODY" in f for f in fetches)


def test_resync_with_nothing_new_sends_one_status_per_folder_and_creates_nothing(
    dovecot, imap_proxy
):
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    dovecot.create_folder(account.login, "Sent")
    dovecot.append(account.login, "INBOX", make_raw_mail("a"))
    dovecot.append(account.login, "Sent", make_raw_mail("b"))
    assert sync_account(account).new == 2
    imap_proxy.commands.clear()

    result = sync_account(account)

    assert result.ok and (result.new, result.updated, result.removed) == (0, 0, 0)
    verbs = [c.split()[1].upper() for c in imap_proxy.commands]
    assert verbs.count("STATUS") == 2
    assert not {"EXAMINE", "SELECT", "FETCH", "UID"} & set(verbs)
    assert Message.objects.filter(account=account).count() == 2


def test_mail_is_fetched_in_bounded_batches_never_one_command_per_message(
    dovecot, imap_proxy, monkeypatch
):
    monkeypatch.setattr(sync_module, "BATCH_MESSAGES", 4)
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    for i in range(10):
        dovecot.append(account.login, "INBOX", make_raw_mail(f"m{i}"))
    progress = []

    sync_account(account, progress=lambda folder, done, total: progress.append((done, total)))

    bodies = [c for c in imap_proxy.fetch_commands() if "BODY.PEEK[]" in c]
    assert [c.split()[3] for c in bodies] == ["1:4", "5:8", "9:10"]
    assert progress == [(0, 10), (4, 10), (8, 10), (10, 10)]
    assert uids_of(account) == list(range(1, 11))


def test_batches_are_also_bounded_by_bytes(dovecot, imap_proxy, monkeypatch):
    monkeypatch.setattr(sync_module, "BATCH_BYTES", 2500)
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    for i in range(3):
        dovecot.append(account.login, "INBOX", make_raw_mail(f"m{i}", body="x" * 1500))

    sync_account(account)

    bodies = [c for c in imap_proxy.fetch_commands() if "BODY.PEEK[]" in c]
    assert len(bodies) == 3
    assert uids_of(account) == [1, 2, 3]


def test_sync_never_marks_mail_seen_and_seen_flags_follow_the_server(dovecot, imap_proxy):
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    dovecot.append(account.login, "INBOX", make_raw_mail("gelesen"), flags=[r"\Seen"])
    dovecot.append(account.login, "INBOX", make_raw_mail("ungelesen"))

    sync_account(account)

    assert dict(Message.objects.filter(account=account).values_list("uid", "seen")) == {
        1: True,
        2: False,
    }
    assert all(
        r"\Seen" not in flags
        for uid, flags in dovecot.flags(account.login, "INBOX").items()
        if uid == 2
    )

    dovecot.set_flags(account.login, "INBOX", 2, [r"\Seen"])
    dovecot.set_flags(account.login, "INBOX", 1, [r"\Seen"], add=False)
    imap_proxy.commands.clear()
    result = sync_account(account)

    assert result.updated == 2 and result.new == 0
    # `UID 3:*` answers UID 2 (the highest) although 2 < 3: it must not be fetched again.
    assert any("UID FETCH 3:* " in c for c in imap_proxy.commands)
    assert not any("BODY.PEEK[]" in c for c in imap_proxy.commands)
    assert any("CHANGEDSINCE" in c for c in imap_proxy.commands)
    assert dict(Message.objects.filter(account=account).values_list("uid", "seen")) == {
        1: False,
        2: True,
    }


def test_mail_expunged_on_the_server_disappears(dovecot):
    account = make_mail_account(server=dovecot)
    for i in range(3):
        dovecot.append(account.login, "INBOX", make_raw_mail(f"m{i}"))
    sync_account(account)

    dovecot.expunge(account.login, "INBOX", 2)
    dovecot.append(account.login, "INBOX", make_raw_mail("neu"))
    result = sync_account(account)

    assert (result.new, result.removed) == (1, 1)
    assert uids_of(account) == [1, 3, 4]


def test_one_malformed_mail_among_good_ones_is_stored_with_its_raw_bytes(dovecot):
    account = make_mail_account(server=dovecot)
    broken = (
        b"From: =?x-unknown?B?####?= <\xff\xfe@@>\r\nSubject: =?utf-8?Q?kaputt\r\n"
        b"Content-Type: multipart/mixed; boundary=\r\nDate: 99 Foo 2026\r\n\r\n\xff\xfe--"
    )
    dovecot.append(account.login, "INBOX", make_raw_mail("gut 1"))
    dovecot.append(account.login, "INBOX", broken)
    dovecot.append(account.login, "INBOX", make_raw_mail("gut 2"))

    result = sync_account(account)

    assert result.ok and result.new == 3
    stored = Message.objects.get(account=account, uid=2)
    assert read_raw(stored.raw_path) == broken
    assert set(Message.objects.exclude(uid=2).values_list("subject", flat=True)) == {
        "gut 1",
        "gut 2",
    }


def test_same_mail_in_two_folders_is_two_messages_with_one_identity(dovecot):
    # F22: Gmail labels show one mail in several folders.
    account = make_mail_account(server=dovecot)
    dovecot.create_folder(account.login, "Kunden")
    raw = make_raw_mail("Rechnung")
    dovecot.append(account.login, "INBOX", raw)
    dovecot.append(account.login, "Kunden", raw)

    sync_account(account)
    sync_account(account, ["Kunden"])

    messages = Message.objects.filter(account=account)
    assert messages.count() == 2
    assert len({m.identity for m in messages}) == 1
    assert len({m.raw_path for m in messages}) == 1


def test_auto_archive_marks_new_mail_pending_and_enqueues_filing_per_batch(
    dovecot, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(sync_module, "BATCH_MESSAGES", 2)
    calls = []
    monkeypatch.setattr(
        "django_q.tasks.async_task", lambda func, *args, **kw: calls.append((func, args))
    )
    account = make_mail_account(server=dovecot, auto_archive=True)
    for i in range(3):
        dovecot.append(account.login, "INBOX", make_raw_mail(f"m{i}"))

    with django_capture_on_commit_callbacks(execute=True):
        sync_account(account)

    assert set(Message.objects.values_list("archive_state", flat=True)) == {"pending"}
    assert calls == [("archiving.tasks.file_pending_messages", (account.pk,))] * 2


def test_account_without_auto_archive_enqueues_no_filing(
    dovecot, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **kw: calls.append(a))
    account = make_mail_account(server=dovecot)
    dovecot.append(account.login, "INBOX", make_raw_mail())

    with django_capture_on_commit_callbacks(execute=True):
        sync_account(account)

    assert calls == []
    assert list(Message.objects.values_list("archive_state", flat=True)) == [""]


def test_a_parser_crash_still_stores_the_mail_marked_unparsed(dovecot, monkeypatch):
    def crash(raw):
        raise RuntimeError("parser bug")

    monkeypatch.setattr("organizer.store.parse_message", crash)
    account = make_mail_account(server=dovecot)
    raw = make_raw_mail("trotzdem da")
    dovecot.append(account.login, "INBOX", raw)

    result = sync_account(account)

    stored = Message.objects.get(account=account)
    assert result.ok and result.parse_failed == 1
    assert stored.parse_failed and read_raw(stored.raw_path) == raw
