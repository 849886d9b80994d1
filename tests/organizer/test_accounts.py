"""Account services, the schedule and its tasks, and the admin (which never shows passwords)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_q.models import Schedule

from organizer import tasks
from organizer.accounts import create_account, delete_account, set_password, update_account
from organizer.models import Folder, MailAccount, Message
from organizer.schedules import SYNC_SCHEDULE, register_schedules
from organizer.secrets import decrypt_password
from tests.factories import make_mail_account, make_raw_mail, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


def account_values(**extra):
    values = {
        "email_address": "lena.vogt@example.com",
        "aliases": "sales@example.com; l.vogt@example.com",
        "host": "imap.example.com",
        "port": 993,
        "security": "ssl",
        "login": "lena",
    }
    values.update(extra)
    return values


def test_create_account_encrypts_the_password_and_keeps_aliases():
    account = create_account(make_user(), password="geheim", **account_values())

    assert account.password_encrypted != "geheim"
    assert decrypt_password(account.password_encrypted) == "geheim"
    assert account.aliases == ["sales@example.com", "l.vogt@example.com"]
    assert not account.auto_archive and account.sync_enabled


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email_address", "keine adresse"),
        ("aliases", "ok@example.com; kaputt"),
        ("port", 0),
        ("security", "tls1.0"),
        ("host", ""),
        ("login", ""),
    ],
)
def test_create_account_refuses_invalid_fields(field, value):
    with pytest.raises(ValidationError) as caught:
        create_account(make_user(), password="pw", **account_values(**{field: value}))
    assert field in caught.value.message_dict


def test_unencrypted_only_for_loopback_hosts():
    user = make_user()
    with pytest.raises(ValidationError) as caught:
        create_account(user, password="pw", **account_values(security="none"))
    assert "only allowed to this machine" in caught.value.message_dict["security"][0]
    assert create_account(
        user, password="pw", **account_values(host="localhost", port=143, security="none")
    )


@pytest.mark.parametrize("host", ["169.254.169.254", "fe80::1", "0.0.0.0"])
def test_hosts_the_guard_refuses_are_refused_when_the_account_is_saved(host):
    # Also through `mail_account add`, which uses the same service.
    with pytest.raises(ValidationError) as caught:
        create_account(make_user(), password="pw", **account_values(host=host))
    assert "not allowed" in caught.value.message_dict["host"][0]


def test_one_address_once_per_user_but_other_users_may_share_it():
    user = make_user()
    create_account(user, password="pw", **account_values())
    with pytest.raises(ValidationError):
        create_account(user, password="pw", **account_values(email_address="Lena.Vogt@example.com"))
    assert create_account(make_user(), password="pw", **account_values())


def test_changing_the_server_or_password_clears_the_error_state():
    account = make_mail_account(
        failure_count=7, last_error="kaputt", next_attempt_at=timezone.now() + timedelta(hours=3)
    )
    update_account(account, host="localhost")
    account.refresh_from_db()
    assert (account.failure_count, account.last_error, account.next_attempt_at) == (0, "", None)

    MailAccount.objects.filter(pk=account.pk).update(failure_count=3, last_error="x")
    account.refresh_from_db()
    set_password(account, "neu")
    account.refresh_from_db()
    assert account.failure_count == 0 and decrypt_password(account.password_encrypted) == "neu"


def test_update_refuses_the_password_and_unknown_fields():
    account = make_mail_account()
    with pytest.raises(TypeError):
        update_account(account, password_encrypted="x")


def test_switching_automatic_filing_on_queues_the_mail_synced_so_far(
    monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **kw: queued.append(a))
    account = make_mail_account()
    folder = Folder.objects.create(account=account, name="INBOX", display_name="INBOX")
    Message.objects.create(account=account, folder=folder, uidvalidity=1, uid=1)

    with django_capture_on_commit_callbacks(execute=True):
        update_account(account, auto_archive=True)
    assert list(Message.objects.values_list("archive_state", flat=True)) == ["pending"]
    assert queued == [("archiving.tasks.file_pending_messages", account.pk)]

    update_account(account, auto_archive=False)
    assert list(Message.objects.values_list("archive_state", flat=True)) == [""]


def test_delete_account_removes_its_folders_and_mail(dovecot):
    from organizer.sync import sync_account

    account = make_mail_account(server=dovecot)
    dovecot.append(account.login, "INBOX", make_raw_mail())
    sync_account(account)

    delete_account(account)

    assert not Folder.objects.exists() and not Message.objects.exists()


def test_the_sync_schedule_is_registered_on_migrate_once_without_catch_up(settings):
    schedule = Schedule.objects.get(name=SYNC_SCHEDULE)
    assert schedule.func == "organizer.tasks.enqueue_due_syncs"
    assert schedule.minutes == settings.ABLAGE_SYNC_INTERVAL_MINUTES
    assert settings.Q_CLUSTER["catch_up"] is False

    settings.ABLAGE_SYNC_INTERVAL_MINUTES = 11
    register_schedules()
    assert Schedule.objects.filter(name=SYNC_SCHEDULE).count() == 1
    assert Schedule.objects.get(name=SYNC_SCHEDULE).minutes == 11


def test_due_accounts_get_one_sync_task_each(monkeypatch):
    queued = []
    monkeypatch.setattr(
        "django_q.tasks.async_task", lambda func, *args, **kw: queued.append((func, args))
    )
    now = timezone.now()
    due = make_mail_account()
    due_again = make_mail_account(next_attempt_at=now - timedelta(minutes=1))
    make_mail_account(next_attempt_at=now + timedelta(minutes=30))  # backing off
    make_mail_account(sync_enabled=False)
    make_mail_account(sync_lock_until=now + timedelta(minutes=5))  # still syncing

    assert tasks.enqueue_due_syncs() == 2
    assert sorted(queued) == sorted(
        [
            ("organizer.tasks.sync_account_task", (due.pk,)),
            ("organizer.tasks.sync_account_task", (due_again.pk,)),
        ]
    )


def test_the_sync_task_takes_an_id_and_tolerates_a_deleted_account(dovecot):
    account = make_mail_account(server=dovecot)
    dovecot.append(account.login, "INBOX", make_raw_mail())

    assert tasks.sync_account_task(account.pk)["new"] == 1
    assert tasks.sync_account_task(999999) is None


def test_admin_lists_accounts_without_passwords_and_changes_nothing(client):
    admin = make_user("chef", is_staff=True, is_superuser=True)
    account = make_mail_account(password="streng-geheim")
    client.force_login(admin)

    listing = client.get("/admin/organizer/mailaccount/")
    detail = client.get(f"/admin/organizer/mailaccount/{account.pk}/change/")

    assert listing.status_code == 200 and account.email_address in listing.text
    assert detail.status_code == 200
    for page in (listing, detail):
        assert account.password_encrypted not in page.text and "streng-geheim" not in page.text
    assert client.post(f"/admin/organizer/mailaccount/{account.pk}/delete/").status_code == 403


def test_admin_filters_cannot_guess_the_encrypted_password(client):
    admin = make_user("chef", is_staff=True, is_superuser=True)
    account = make_mail_account(password="streng-geheim")
    client.force_login(admin)
    url = "/admin/organizer/mailaccount/"

    for lookup in ("password_encrypted__startswith", "password_encrypted", "sync_lock_token"):
        response = client.get(url, {lookup: account.password_encrypted[:5]})
        assert response.status_code == 400, lookup  # as Django's user admin does for passwords
    folders = client.get("/admin/organizer/folder/", {"account__password_encrypted__gt": ""})
    assert folders.status_code == 400
    assert client.get(url, {"host": account.host}).status_code == 200  # plain filters still work
