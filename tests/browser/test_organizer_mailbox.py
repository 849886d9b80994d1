"""ORGANIZER › E-Mail and the E-Mail-Archiv tab in Chromium: reading, syncing a folder, filing
a mail by hand at a quote."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from organizer.models import Folder, Message
from tests.factories import (
    make_contact,
    make_filed_mail,
    make_mail_account,
    make_quote,
    make_raw_mail,
)
from tests.organizer.mailbox_data import make_folder, put_mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def mark_page(page):
    """A flag on the window: still there later means the page was never reloaded."""
    page.evaluate("window.__sameDocument = true")


def same_document(page):
    return page.evaluate("window.__sameDocument === true")


def test_contact_shows_its_e_mail_archive_newest_first(live_server, page, login, owner):
    contact = make_contact("Mira", "Albrecht")
    for day, subject in [(3, "Rückfrage Lieferung"), (12, "Auftragsbestätigung"), (7, "Angebot")]:
        make_filed_mail(contact, subject=subject, date=START + timedelta(days=day))
    login(owner)

    page.goto(live_server.url + contact.get_absolute_url())
    mark_page(page)
    page.click("#tab-archive")
    page.wait_for_selector("#archive table.mail-list")

    subjects = page.locator("#archive tbody tr td:nth-child(4)").all_inner_texts()
    assert subjects == ["Auftragsbestätigung", "Angebot", "Rückfrage Lieferung"]
    assert page.get_attribute("#tab-archive", "aria-selected") == "true"
    assert same_document(page)  # the tab loaded in place


def test_open_a_mail_from_the_mailbox(live_server, page, login, owner):
    account = make_mail_account(owner, email_address="lena.vogt@example.com")
    inbox = make_folder(account, "INBOX", unseen_count=1)
    put_mail(inbox, make_raw_mail("Anfrage Regalsystem", body="Bitte um ein Angebot.\r\n"))
    login(owner)

    page.goto(live_server.url + reverse("organizer:mailbox"))
    page.click("text=Anfrage Regalsystem")

    page.wait_for_selector("h1.mail-subject")
    assert page.inner_text("h1.mail-subject") == "Anfrage Regalsystem"
    assert "Bitte um ein Angebot." in page.inner_text("pre.mail-text")
    assert "Mira Albrecht" in page.inner_text(".mail-headers")
    # The filing panel arrived by itself, with its "File" button.
    page.wait_for_selector("[data-testid=file-button]")
    assert Message.objects.get().seen is False


def test_file_a_mail_by_hand_at_a_quote_and_find_it_in_the_quotes_tab(
    live_server, page, login, owner
):
    quote = make_quote(number="A-4711", title="Regalsystem Halle 3")
    account = make_mail_account(owner, email_address="lena.vogt@example.com")
    (message,) = put_mail(make_folder(account, "INBOX"), make_raw_mail("Zeichnung Halle 3"))
    login(owner)

    page.goto(live_server.url + reverse("organizer:message", args=[message.pk]))
    page.click("[data-testid=file-button]")
    dialog = page.locator("#file-dialog")
    assert dialog.is_visible()
    page.fill("[data-testid=filing-search]", "A-4711")
    page.click("[data-testid=filing-hit][data-kind=quote]")

    page.wait_for_selector("[data-testid=filing-notice]")
    assert "Filed at" in page.inner_text("[data-testid=filing-notice]")
    assert "A-4711" in page.inner_text("[data-testid=filings]")
    assert not page.locator("#file-dialog").is_visible()

    page.goto(live_server.url + quote.get_absolute_url())
    page.click("#tab-archive")
    page.wait_for_selector("#archive table.mail-list")
    assert page.locator("#archive tbody tr").all_inner_texts()[0].count("Zeichnung Halle 3") == 1
    assert f"filed by {owner.username}" in page.inner_text("#archive")


def test_remove_a_filing_from_the_panel(live_server, page, login, owner):
    from archiving import services

    quote = make_quote(number="A-4711")
    account = make_mail_account(owner)
    (message,) = put_mail(make_folder(account, "INBOX"), make_raw_mail("Zeichnung"))
    services.file_message(message, quote, owner)
    login(owner)

    page.goto(live_server.url + reverse("organizer:message", args=[message.pk]))
    page.click("[data-testid=unfile]")
    assert "It will not be filed there automatically again." in page.inner_text(".confirm-remove")
    page.click("[data-testid=confirm-unfile]")

    page.wait_for_selector("[data-testid=not-filed]")
    assert "will not file it there again" in page.inner_text("[data-testid=filing-notice]")


def test_sync_a_folder_from_its_button_and_see_the_outcome_without_reload(
    live_server, page, login, owner, dovecot
):
    account = make_mail_account(owner, server=dovecot)
    dovecot.create_folder(account.login, "Projekte")
    folder = make_folder(account, "Projekte", uidvalidity=None)
    dovecot.append(account.login, "Projekte", make_raw_mail("Projekt Nordhafen"))
    login(owner)

    page.goto(live_server.url + reverse("organizer:folder", args=[folder.pk]))
    assert "has not been synced yet" in page.inner_text("[data-testid=sync-status]")
    mark_page(page)
    page.click("[data-testid=sync-folder]")

    page.wait_for_selector("[data-testid=sync-outcome]")
    assert "1 new mail" in page.inner_text("[data-testid=sync-outcome]")
    page.wait_for_selector("text=Projekt Nordhafen")  # the list refreshed itself
    assert same_document(page)
    folder.refresh_from_db()
    assert folder.sync_state == Folder.SyncState.DONE
