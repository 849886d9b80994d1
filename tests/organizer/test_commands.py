"""The operators' command line: mail_account add/list/remove and sync_mail."""

import io
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from organizer import sync as sync_module
from organizer.models import MailAccount, Message
from organizer.secrets import decrypt_password
from tests.factories import make_mail_account, make_raw_mail, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


def run(*args, stdin=None, monkeypatch=None):
    out = io.StringIO()
    err = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def add_args(user, address="lena.vogt@example.com", *extra):
    return [
        "mail_account",
        "add",
        "--user",
        user.username,
        "--address",
        address,
        "--host",
        "127.0.0.1",
        "--port",
        "143",
        "--security",
        "none",
        "--login",
        "lena",
        *extra,
    ]


def test_add_reads_the_password_from_an_environment_variable(monkeypatch):
    user = make_user("lena")
    monkeypatch.setenv("LENA_IMAP_PW", "geheim-123")

    out, _err = run(
        *add_args(
            user,
            "lena.vogt@example.com",
            "--aliases",
            "sales@example.com;l.vogt@example.com",
            "--auto-archive",
            "--password-env",
            "LENA_IMAP_PW",
        )
    )

    account = MailAccount.objects.get(owner=user)
    assert decrypt_password(account.password_encrypted) == "geheim-123"
    assert account.aliases == ["sales@example.com", "l.vogt@example.com"]
    assert account.auto_archive and account.security == "none"
    assert "geheim-123" not in out and "lena.vogt@example.com" in out


def test_add_reads_the_password_from_stdin(monkeypatch):
    user = make_user("lena")

    run(
        *add_args(user, "lena.vogt@example.com", "--password-stdin"),
        stdin="aus stdin\n",
        monkeypatch=monkeypatch,
    )

    account = MailAccount.objects.get(owner=user)
    assert decrypt_password(account.password_encrypted) == "aus stdin"
    assert not account.auto_archive


def test_add_has_no_way_to_put_the_password_in_argv():
    user = make_user("lena")
    with pytest.raises(CommandError):
        call_command(*add_args(user, "lena.vogt@example.com", "--password", "geheim"))
    assert not MailAccount.objects.exists()


def test_add_refuses_invalid_input_with_reasons(monkeypatch):
    user = make_user("lena")
    monkeypatch.setenv("PW", "x")
    with pytest.raises(CommandError, match="valid e-mail address"):
        run(*add_args(user, "kein-at-zeichen", "--password-env", "PW"))
    with pytest.raises(CommandError, match="No user"):
        run(
            "mail_account",
            "add",
            "--user",
            "niemand",
            "--address",
            "a@example.com",
            "--host",
            "h",
            "--port",
            "993",
            "--security",
            "ssl",
            "--login",
            "l",
            "--password-env",
            "PW",
        )
    with pytest.raises(CommandError, match="empty or not set"):
        run(*add_args(user, "a@example.com", "--password-env", "UNSET_VARIABLE_X"))


def test_list_shows_accounts_and_their_state_never_passwords():
    account = make_mail_account(
        make_user("lena"),
        email_address="lena.vogt@example.com",
        password="streng-geheim",
        last_error="The server did not answer.",
    )

    out, _err = run("mail_account", "list")

    assert "lena.vogt@example.com\tlena\t127.0.0.1:993" in out
    assert "error: The server did not answer." in out
    assert "streng-geheim" not in out and account.password_encrypted not in out


def test_remove_deletes_the_account_and_its_synced_mail(dovecot):
    account = make_mail_account(server=dovecot)
    dovecot.append(account.login, "INBOX", make_raw_mail())
    run("sync_mail", "--account", account.email_address)
    assert Message.objects.count() == 1

    out, _err = run("mail_account", "remove", account.email_address)

    assert not MailAccount.objects.exists() and not Message.objects.exists()
    assert "Removed" in out
    with pytest.raises(CommandError, match="No mail account"):
        run("mail_account", "remove", account.email_address)


def test_remove_asks_for_the_owner_when_two_users_share_an_address():
    make_mail_account(email_address="team@example.com")
    make_mail_account(email_address="team@example.com")
    with pytest.raises(CommandError, match="--user"):
        run("mail_account", "remove", "team@example.com")


def test_sync_mail_prints_a_summary_per_account_and_never_the_password(dovecot):
    account = make_mail_account(server=dovecot)
    for i in range(3):
        dovecot.append(account.login, "INBOX", make_raw_mail(f"m{i}"))

    out, err = run("sync_mail")

    assert f"{account.email_address}: 3 new, 0 updated, 0 removed, 0 errors" in out
    assert dovecot.passwords[account.login] not in out + err


def test_sync_mail_files_each_batch_before_the_next_on_accounts_with_automatic_filing(
    dovecot, monkeypatch
):
    pending_seen = []

    def file_pending(account):
        pending = Message.objects.filter(account=account, archive_state="pending")
        pending_seen.append(pending.count())
        return SimpleNamespace(filed=pending.update(archive_state="done"))

    monkeypatch.setattr("archiving.services.file_pending_messages", file_pending)
    monkeypatch.setattr(sync_module, "BATCH_MESSAGES", 2)
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **kw: queued.append(a))
    account = make_mail_account(server=dovecot, auto_archive=True)
    for i in range(5):
        dovecot.append(account.login, "INBOX", make_raw_mail(f"m{i}"))

    out, _err = run("sync_mail", "--account", account.email_address)

    # Three batches, each filed as soon as it is stored; the last call finds nothing left.
    assert pending_seen == [2, 2, 1, 0] and queued == []
    assert "5 new, 0 updated, 0 removed, 0 errors, 5 filed" in out


def test_a_filing_failure_keeps_the_synced_mail_and_is_reported(dovecot, monkeypatch):
    def broken(account):
        raise RuntimeError("filing bug")

    monkeypatch.setattr("archiving.services.file_pending_messages", broken)
    monkeypatch.setattr(sync_module, "BATCH_MESSAGES", 2)
    account = make_mail_account(server=dovecot, auto_archive=True)
    for i in range(5):
        dovecot.append(account.login, "INBOX", make_raw_mail(f"m{i}"))

    with pytest.raises(CommandError):
        run("sync_mail", "--account", account.email_address)

    account.refresh_from_db()
    assert account.failure_count == 0 and account.last_error == ""
    assert Message.objects.filter(account=account, archive_state="pending").count() == 5


def test_sync_with_a_failing_filing_still_syncs_everything(dovecot, monkeypatch):
    monkeypatch.setattr(
        "archiving.services.file_pending_messages",
        lambda account: (_ for _ in ()).throw(RuntimeError("filing bug")),
    )
    monkeypatch.setattr(sync_module, "BATCH_MESSAGES", 2)
    account = make_mail_account(server=dovecot, auto_archive=True)
    for i in range(5):
        dovecot.append(account.login, "INBOX", make_raw_mail(f"m{i}"))

    result = sync_module.sync_account(account, file_async=False)

    assert (result.ok, result.new, result.filed) == (True, 5, 0)


def test_sync_mail_syncs_a_named_folder(dovecot):
    account = make_mail_account(server=dovecot)
    dovecot.create_folder(account.login, "Kunden/Müller & Söhne")
    dovecot.append(account.login, "Kunden/Müller & Söhne", make_raw_mail("Aufmaß"))

    out, _err = run(
        "sync_mail", "--account", account.email_address, "--folder", "Kunden/Müller & Söhne"
    )

    assert "1 new" in out
    assert Message.objects.get().folder.display_name == "Kunden/Müller & Söhne"


def test_sync_mail_exits_non_zero_when_an_account_failed_and_still_syncs_the_others(dovecot):
    good = make_mail_account(server=dovecot)
    dovecot.append(good.login, "INBOX", make_raw_mail())
    bad = make_mail_account(server=dovecot, password="falsch")

    with pytest.raises(CommandError, match=bad.email_address):
        run("sync_mail")

    assert Message.objects.filter(account=good).count() == 1
    bad.refresh_from_db()
    assert bad.failure_count == 1


def test_sync_mail_for_an_unknown_folder_or_account_fails(dovecot):
    account = make_mail_account(server=dovecot)
    with pytest.raises(CommandError):
        run("sync_mail", "--account", account.email_address, "--folder", "Gibt es nicht")
    with pytest.raises(CommandError, match="No mail account"):
        run("sync_mail", "--account", "nobody@example.com")
