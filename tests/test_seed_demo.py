"""manage.py seed_demo: the demo of `make run` (login, CRM, block list, an imported mailbox whose
filing is left to the worker), and a second run that reuses all of it."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils.module_loading import import_string

from archiving.models import BlockedAddress, Filing
from crm.models import Contact, Customer, EmailAddress, Invoice, Quote
from organizer.models import Folder, MailAccount, Message

# Transactional: on_commit work runs at each commit, as in `make run`, not at the end of a test.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(monkeypatch):
    """The django-q2 tasks enqueued, recorded instead of run (the test settings run them inline;
    the demo must leave filing to the worker)."""
    tasks = []
    monkeypatch.setattr(
        "django_q.tasks.async_task", lambda func, *args, **kwargs: tasks.append((func, args))
    )
    return tasks


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def run_worker(tasks):
    while tasks:
        func, args = tasks.pop(0)
        import_string(func)(*args)


def test_it_prints_the_url_and_a_staff_login_that_is_no_superuser(queued):
    out = seed("--url", "http://127.0.0.1:8123", "--mails", "40")

    assert "URL:       http://127.0.0.1:8123/" in out
    assert "Login:     demo" in out and "Password:  demo" in out
    user = User.objects.get(username="demo")
    assert user.is_staff and not user.is_superuser
    assert user.check_password("demo")
    assert list(user.groups.values_list("name", flat=True)) == ["Vertrieb"]
    assert user.has_perm("archiving.manage_blocklist")
    assert user.has_perm("crm.view_contact")


def test_the_crm_has_a_contact_on_two_customers_and_an_address_on_two_contacts(queued):
    seed("--mails", "40")

    assert Customer.objects.count() == 5
    assert (Quote.objects.count(), Invoice.objects.count()) == (3, 2)  # to file at by hand
    gross = Contact.objects.get(last_name="Groß")
    assert sorted(gross.customers.values_list("number", flat=True)) == ["K-1001", "K-1003"]
    shared = EmailAddress.objects.filter(normalized="einkauf@mueller-soehne.de")
    assert sorted(e.contact.last_name for e in shared) == ["Brandt", "Schäfer"]
    assert set(BlockedAddress.objects.values_list("value", flat=True)) == {
        "info@baufachmarkt-nord.de",
        "baustoffe-direkt.example",
        "mailer-daemon@mail.vogt-bau.de",
    }


def test_the_mailbox_is_imported_with_sync_off_and_filing_left_to_the_worker(queued):
    out = seed()

    account = MailAccount.objects.get()
    assert (account.display_name, account.sync_enabled, account.auto_archive) == (
        "Demo-Postfach (importiert)",
        False,
        True,
    )
    assert account.last_error == ""
    counts = {f.display_name: f.messages.count() for f in Folder.objects.filter(account=account)}
    assert set(counts) == {"INBOX", "Sent", "Projekte/Müller & Söhne"}
    assert sum(counts.values()) == 300 and min(counts.values()) > 20
    assert "300 generated mails imported" in out
    # Nothing is filed yet: the worker does it.
    assert not Filing.objects.exists()
    assert Message.objects.filter(archive_state=Message.ArchiveState.PENDING).count() == 300
    assert {func for func, _args in queued} == {"archiving.tasks.file_pending_messages"}

    run_worker(queued)

    assert not Message.objects.filter(archive_state=Message.ArchiveState.PENDING).exists()
    filed_at = {str(f.record) for f in Filing.objects.all()}
    assert {"Jürgen Müller", "Anna Schäfer", "Lukas Brandt", "Peter Groß", "Emily Carter"} <= (
        filed_at
    )
    # The newsletters from the shop's info@ address are on the block list: not at the shop.
    shop = Customer.objects.get(number="K-1005")
    assert not any(f.record == shop for f in Filing.objects.all())
    assert Message.objects.filter(author_address="info@baufachmarkt-nord.de").exists()


def test_a_second_run_reuses_what_exists_and_adds_no_mail(queued):
    seed("--mails", "60")
    run_worker(queued)
    user = User.objects.get(username="demo")
    user.set_password("mein-eigenes")
    user.save()
    before = (
        Customer.objects.count(),
        Contact.objects.count(),
        Quote.objects.count(),
        Message.objects.count(),
    )
    filings = Filing.objects.count()

    out = seed("--mails", "60")

    assert (
        Customer.objects.count(),
        Contact.objects.count(),
        Quote.objects.count(),
        Message.objects.count(),
    ) == before
    assert Filing.objects.count() == filings
    assert MailAccount.objects.count() == 1 and User.objects.count() == 1
    assert "holds its 60 mails already" in out
    assert "Password:  the one you set" in out
    assert User.objects.get(username="demo").check_password("mein-eigenes")
    assert queued == []
