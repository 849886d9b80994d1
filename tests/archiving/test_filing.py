"""Automatic filing of synced mail: the filing issue's acceptance list, on real Dovecot mail."""

import pytest

from archiving import services
from archiving.models import FiledMail, Filing, FilingRemoval
from archiving.selectors import filed_mails_for_record
from crm import services as crm_services
from organizer.models import Message
from tests.factories import make_contact, make_customer, make_mail_account, make_user
from tests.organizer.mails import build_mail

pytestmark = pytest.mark.django_db


def records_of(message_id):
    return sorted(str(f.record) for f in Filing.objects.filter(filed_mail__message_id=message_id))


def test_one_address_on_two_contacts_files_at_both(dovecot, lena, sync_and_file):
    first = make_contact("Mira", "Albrecht", emails=["mira@example.org"])
    second = make_contact("Büro", "Albrecht", emails=["Mira@Example.org"])
    dovecot.append(lena.login, "INBOX", build_mail(message_id="<a@x>", from_="mira@example.org"))

    sync_and_file(lena)

    assert records_of("<a@x>") == sorted([str(first), str(second)])


def test_contact_on_two_customers_appears_in_both_customer_archives(dovecot, lena, sync_and_file):
    north, south = make_customer("Nord GmbH"), make_customer("Süd AG")
    contact = make_contact(
        "Mira", "Albrecht", emails=["mira@example.org"], customers=[north, south]
    )
    dovecot.append(lena.login, "INBOX", build_mail(message_id="<b@x>", from_="mira@example.org"))

    sync_and_file(lena)

    assert records_of("<b@x>") == [str(contact)]
    for customer in (north, south):
        assert [m.message_id for m in filed_mails_for_record(customer)] == ["<b@x>"]


def test_customer_address_files_at_the_customer(dovecot, lena, sync_and_file):
    customer = make_customer("Nord GmbH", emails=["info@nord.example"])
    dovecot.append(lena.login, "INBOX", build_mail(message_id="<c@x>", from_="info@nord.example"))

    sync_and_file(lena)

    assert records_of("<c@x>") == [str(customer)]


def test_blocked_domain_blocks_a_subdomain_sender(dovecot, lena, sync_and_file):
    make_contact("Ops", "Bounces", emails=["ops@mail.bounces.example.de"])
    services.block("@bounces.example.de")
    dovecot.append(
        lena.login, "INBOX", build_mail(message_id="<d@x>", from_="ops@mail.bounces.example.de")
    )

    sync_and_file(lena)

    assert Filing.objects.count() == 0
    assert lena.messages.get().archive_state == Message.ArchiveState.DONE


def test_the_same_mail_in_two_users_mailboxes_is_filed_once(dovecot, lena, sync_and_file):
    contact = make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    colleague = make_mail_account(server=dovecot, auto_archive=True)
    raw = build_mail(message_id="<e@x>", to="lena.vogt@example.com, team@example.com")
    dovecot.append(lena.login, "INBOX", raw)
    dovecot.append(
        colleague.login, "INBOX", raw.replace(b"Message-ID", b"Received: by mx\r\nMessage-ID")
    )

    sync_and_file(lena)
    sync_and_file(colleague)

    assert FiledMail.objects.count() == 1
    assert records_of("<e@x>") == [str(contact)]
    assert Message.objects.filter(message_id="<e@x>").count() == 2


def test_account_without_automatic_filing_files_nothing(dovecot, sync_and_file):
    make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    account = make_mail_account(server=dovecot, auto_archive=False)
    dovecot.append(account.login, "INBOX", build_mail())

    sync_and_file(account)

    assert account.messages.get().archive_state == Message.ArchiveState.NONE
    assert Filing.objects.count() == FiledMail.objects.count() == 0


def test_switching_filing_off_keeps_what_was_filed_and_files_nothing_new(
    dovecot, lena, sync_and_file
):
    make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    dovecot.append(lena.login, "INBOX", build_mail(message_id="<f1@x>"))
    sync_and_file(lena)
    lena.auto_archive = False
    lena.save(update_fields=["auto_archive"])
    dovecot.append(lena.login, "INBOX", build_mail(message_id="<f2@x>"))

    sync_and_file(lena)

    assert list(FiledMail.objects.values_list("message_id", flat=True)) == ["<f1@x>"]


def test_address_added_to_a_contact_later_files_the_earlier_mail(
    dovecot, lena, sync_and_file, django_capture_on_commit_callbacks
):
    contact = make_contact("Mira", "Albrecht")
    dovecot.append(lena.login, "INBOX", build_mail(message_id="<g@x>"))
    sync_and_file(lena)
    assert Filing.objects.count() == 0
    fetches_before = Message.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        crm_services.add_email_address(contact, "Mira.Albrecht@Example.org")

    assert records_of("<g@x>") == [str(contact)]
    assert Message.objects.count() == fetches_before  # examined locally, nothing re-synced


def test_retroactive_filing_reports_how_many_mails_it_filed(dovecot, lena, sync_and_file):
    contact = make_contact("Mira", "Albrecht")
    for n in range(3):
        dovecot.append(lena.login, "INBOX", build_mail(message_id=f"<h{n}@x>"))
    sync_and_file(lena)

    result = services.file_retroactively(["mira.albrecht@example.org"])
    contact.email_addresses.create(address="mira.albrecht@example.org")
    result = services.file_retroactively(["mira.albrecht@example.org"])

    assert (result.examined, result.filed) == (3, 3)
    assert services.file_retroactively(["mira.albrecht@example.org"]).filed == 0


def test_removing_an_address_keeps_earlier_filings(dovecot, lena, sync_and_file):
    contact = make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    dovecot.append(lena.login, "INBOX", build_mail(message_id="<i@x>"))
    sync_and_file(lena)

    crm_services.remove_email_address(contact.email_addresses.get())
    dovecot.append(lena.login, "INBOX", build_mail(message_id="<i2@x>"))
    sync_and_file(lena)

    assert list(FiledMail.objects.values_list("message_id", flat=True)) == ["<i@x>"]


def test_a_removed_filing_never_comes_back(dovecot, lena, sync_and_file):
    contact = make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    raw = build_mail(message_id="<j@x>")
    dovecot.append(lena.login, "INBOX", raw)
    sync_and_file(lena)
    user = make_user()

    services.unfile(Filing.objects.get(), user)
    # Not by a re-sync of the same folder, a copy in another folder, nor retroactively.
    dovecot.create_folder(lena.login, "Projekte")
    dovecot.append(lena.login, "Projekte", raw)
    sync_and_file(lena)
    sync_and_file(lena, ["Projekte"])
    services.file_retroactively(["mira.albrecht@example.org"])

    assert Filing.objects.count() == 0
    removal = FilingRemoval.objects.get()
    assert (removal.record, removal.removed_by, removal.removed_source) == (contact, user, "auto")


def test_mail_moved_away_before_filing_is_filed_when_its_folder_is_synced(
    dovecot, lena, sync_and_file
):
    contact = make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    dovecot.create_folder(lena.login, "Projekte/Süd")
    dovecot.append(lena.login, "Projekte/Süd", build_mail(message_id="<k@x>"))

    sync_and_file(lena)  # the schedule syncs Inbox and Sent only
    assert Filing.objects.count() == 0
    sync_and_file(lena, ["Projekte/Süd"])

    assert records_of("<k@x>") == [str(contact)]


def test_mail_deleted_from_the_mailbox_stays_in_the_archive(dovecot, lena, sync_and_file):
    contact = make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    uid = dovecot.append(lena.login, "INBOX", build_mail(message_id="<l@x>"))
    sync_and_file(lena)

    dovecot.expunge(lena.login, "INBOX", uid)
    sync_and_file(lena)
    lena.delete()

    assert Message.objects.count() == 0
    assert records_of("<l@x>") == [str(contact)]
    assert FiledMail.objects.get().subject == "Testmail"


def test_resync_and_rerun_create_nothing_new(dovecot, lena, sync_and_file):
    make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    dovecot.append(lena.login, "INBOX", build_mail(message_id="<m@x>"))
    sync_and_file(lena)

    sync_and_file(lena)
    Message.objects.update(archive_state=Message.ArchiveState.PENDING)
    rerun = services.file_pending_messages(lena)

    assert (rerun.examined, rerun.filed, rerun.filings) == (1, 0, 0)
    assert (FiledMail.objects.count(), Filing.objects.count()) == (1, 1)


def test_own_addresses_never_match_even_when_a_contact_owns_them(dovecot, lena, sync_and_file):
    make_contact("Lena", "Vogt (als Kontakt)", emails=["lena.vogt@example.com"])
    partner = make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    dovecot.append(lena.login, "INBOX", build_mail(message_id="<n1@x>"))
    dovecot.append(
        lena.login,
        "Sent",
        build_mail(
            message_id="<n2@x>", from_="lena.vogt@example.com", to="mira.albrecht@example.org"
        ),
    )

    sync_and_file(lena)

    assert records_of("<n1@x>") == [str(partner)]
    assert records_of("<n2@x>") == [str(partner)]
