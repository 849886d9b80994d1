"""ORGANIZER › E-Mail: folders, the mail list with its filing icons, and "Sync folder"."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from archiving import services
from organizer import ondemand
from organizer.models import Folder, Message
from tests.factories import (
    make_contact,
    make_mail_account,
    make_quote,
    make_raw_mail,
    make_user,
)
from tests.organizer.mailbox_data import make_folder, put_mail
from tests.organizer.mails import build_mail

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def mail_on(day, subject, **kwargs):
    date = (START + timedelta(days=day)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    return make_raw_mail(subject, date=date, **kwargs)


def row_subjects(response):
    return [m.subject for m in response.context["page_obj"].object_list]


def archive_url(record):
    content_type = ContentType.objects.get_for_model(record)
    return reverse("archiving:record_archive", args=[content_type.pk, record.pk])


# -- the page and its folders ---------------------------------------------------------------------


def test_mailbox_opens_the_inbox_of_the_first_account(client, owner):
    account = make_mail_account(owner)
    make_folder(account, "Archiv")
    inbox = make_folder(account, "INBOX")
    client.force_login(owner)

    response = client.get(reverse("organizer:mailbox"))

    assert response.status_code == 302
    assert response["Location"] == reverse("organizer:folder", args=[inbox.pk])


def test_mailbox_without_an_account_says_how_to_connect_one(client, owner):
    client.force_login(owner)
    response = client.get(reverse("organizer:mailbox"))
    assert response.status_code == 200
    assert reverse("organizer:account_add") in response.text


def test_folder_tree_shows_decoded_names_hierarchy_unread_counts_and_noselect(client, owner):
    account = make_mail_account(owner)
    inbox = make_folder(account, "INBOX", unseen_count=4)
    make_folder(account, "Kunden", selectable=False, flags=["\\Noselect"])
    make_folder(account, "Kunden/M&APw-ller", unseen_count=2)  # modified UTF-7 for Müller
    make_folder(account, "Entw&APw-rfe", role=Folder.Role.DRAFTS)
    make_folder(account, "Weg", exists_on_server=False)
    client.force_login(owner)

    page = client.get(reverse("organizer:folder", args=[inbox.pk])).text

    tree = page[
        page.index('id="folder-tree"') : page.index("</nav>", page.index('id="folder-tree"'))
    ]
    assert "Müller" in tree and "Entwürfe" in tree and "Weg" not in tree
    assert re.search(r'<li class="depth-1">\s*<a [^>]*>\s*<span class="folder-label">Müller', tree)
    assert re.search(
        r'<li class="depth-0 noselect">\s*<span class="folder-label"[^>]*>Kunden<', tree
    )
    assert '<span class="unread-count" title="unread">4</span>' in tree
    assert '<span class="unread-count" title="unread">2</span>' in tree
    # Inbox first, a parent right above its child.
    labels = re.findall(r'<span class="folder-label"[^>]*>([^<]+)<', tree)
    assert labels == ["Inbox", "Entwürfe", "Kunden", "Müller"]


def test_a_subfolder_whose_parent_is_not_listed_shows_its_whole_path(client, owner):
    account = make_mail_account(owner)
    inbox = make_folder(account, "INBOX")
    make_folder(account, "Hostile")
    make_folder(account, "Projekte/M&APw-ller")  # no folder "Projekte" on the server
    make_folder(account, "INBOX/Archiv/2025")  # no "INBOX/Archiv" either
    client.force_login(owner)

    page = client.get(reverse("organizer:folder", args=[inbox.pk])).text

    tree = page[
        page.index('id="folder-tree"') : page.index("</nav>", page.index('id="folder-tree"'))
    ]
    rows = re.findall(
        r'<li class="(depth-\d)[^"]*">\s*(?:<a [^>]*>\s*)?<span class="folder-label"[^>]*>([^<]+)<',
        tree,
    )
    assert rows == [
        ("depth-0", "Inbox"),
        ("depth-1", "Archiv/2025"),
        ("depth-0", "Hostile"),
        ("depth-0", "Projekte/Müller"),
    ]


def test_folder_tree_shows_sync_status_and_errors(client, owner):
    account = make_mail_account(owner, last_error="The server did not answer in time.")
    inbox = make_folder(account, "INBOX", last_error="Folder INBOX cannot be read.")
    client.force_login(owner)

    page = client.get(reverse("organizer:folder", args=[inbox.pk])).text

    assert "The server did not answer in time." in page
    assert "Folder INBOX cannot be read." in page


def test_users_see_only_their_own_accounts_in_the_tree(client, owner, colleague):
    inbox = make_folder(make_mail_account(owner, email_address="lena@example.com"), "INBOX")
    make_folder(make_mail_account(colleague, email_address="jonas@example.com"), "INBOX")
    client.force_login(owner)
    page = client.get(reverse("organizer:folder", args=[inbox.pk])).text
    assert "lena@example.com" in page and "jonas@example.com" not in page


@pytest.mark.parametrize("who", ["colleague", "staff", "superuser", "outsider"])
def test_folder_urls_are_404_for_other_users(client, owner, who):
    folder = make_folder(make_mail_account(owner), "INBOX")
    other = {
        "colleague": lambda: make_user(),
        "staff": lambda: make_user(is_staff=True),
        "superuser": lambda: make_user(is_staff=True, is_superuser=True),
        "outsider": lambda: make_user(crm=False),
    }[who]()
    client.force_login(other)

    assert client.get(reverse("organizer:folder", args=[folder.pk])).status_code == 404
    assert client.post(reverse("organizer:folder_sync", args=[folder.pk])).status_code == 404
    assert client.get(reverse("organizer:folder_sync_status", args=[folder.pk])).status_code == 404
    folder.refresh_from_db()
    assert folder.sync_state == ""


# -- the mail list --------------------------------------------------------------------------------


def test_mail_list_is_newest_first_and_shows_seen_from_subject_and_attachments(client, owner):
    inbox = make_folder(make_mail_account(owner), "INBOX")
    put_mail(inbox, mail_on(1, "Alt"), seen=True)
    put_mail(inbox, mail_on(5, "Neu"))
    put_mail(
        inbox,
        build_mail(
            subject="Mit Anhang",
            date="Wed, 04 Mar 2026 10:00:00 +0000",
            attachments=[("Angebot.pdf", "application/pdf", b"%PDF-1.4")],
        ),
    )
    client.force_login(owner)

    response = client.get(reverse("organizer:folder", args=[inbox.pk]))

    assert row_subjects(response) == ["Neu", "Mit Anhang", "Alt"]
    rows = re.findall(r'<tr class="mail-row( unseen)?"[^>]*>(.*?)</tr>', response.text, re.S)
    assert [bool(unseen) for unseen, _row in rows] == [True, True, False]
    assert "Mira Albrecht" in rows[0][1]
    assert "attachment-marker" in rows[1][1] and "attachment-marker" not in rows[0][1]


def test_sent_folder_shows_the_recipients(client, owner):
    account = make_mail_account(owner)
    sent = make_folder(account, "Sent", role=Folder.Role.SENT)
    put_mail(
        sent,
        make_raw_mail(
            "Ihr Angebot",
            sender="Lena Vogt <lena.vogt@example.com>",
            to="Mira Albrecht <mira@example.org>, tomasz@example.de",
        ),
    )
    client.force_login(owner)

    page = client.get(reverse("organizer:folder", args=[sent.pk])).text

    assert re.search(r'<span class="muted">to</span> Mira Albrecht \+1', page)


def test_mail_list_is_paginated_by_50(client, owner):
    inbox = make_folder(make_mail_account(owner), "INBOX")
    put_mail(inbox, *[mail_on(i, f"Mail {i:02d}") for i in range(55)])
    client.force_login(owner)

    first = client.get(reverse("organizer:folder", args=[inbox.pk]))
    second = client.get(reverse("organizer:folder", args=[inbox.pk]), {"page": 2})

    assert len(row_subjects(first)) == 50 and row_subjects(first)[0] == "Mail 54"
    assert row_subjects(second) == ["Mail 04", "Mail 03", "Mail 02", "Mail 01", "Mail 00"]


@pytest.mark.parametrize(
    ("search", "found"),
    [("regal", ["Regale"]), ("tomasz.wendt@exa", ["Tische"]), ("Mira", ["Regale"])],
)
def test_mail_list_searches_subject_name_and_address(client, owner, search, found):
    inbox = make_folder(make_mail_account(owner), "INBOX")
    put_mail(inbox, mail_on(1, "Regale"))
    put_mail(inbox, mail_on(2, "Tische", sender="Tomasz Wendt <Tomasz.Wendt@Example.de>"))
    client.force_login(owner)

    response = client.get(
        reverse("organizer:folder", args=[inbox.pk]), {"q": search}, headers={"HX-Request": "true"}
    )

    assert row_subjects(response) == found
    assert "<html" not in response.text and 'id="mail-list"' in response.text


def test_filed_mail_carries_the_filing_icon_with_shortcuts_to_each_archive(client, owner):
    inbox = make_folder(make_mail_account(owner), "INBOX")
    filed, plain = put_mail(inbox, mail_on(2, "Abgelegt"), mail_on(1, "Nicht abgelegt"))
    contact = make_contact("Mira", "Albrecht")
    quote = make_quote(number="A-4711")
    services.file_message(filed, contact, owner)
    services.file_message(filed, quote, owner)
    client.force_login(owner)

    page = client.get(reverse("organizer:folder", args=[inbox.pk])).text

    filed_row = re.search(rf'data-message="{filed.pk}">(.*?)</tr>', page, re.S).group(1)
    plain_row = re.search(rf'data-message="{plain.pk}">(.*?)</tr>', page, re.S).group(1)
    assert 'data-testid="filed"' in filed_row and 'data-testid="filed"' not in plain_row
    assert f'href="{archive_url(contact)}"' in filed_row
    assert f'href="{archive_url(quote)}"' in filed_row
    assert "Mira Albrecht" in filed_row and "A-4711" in filed_row


def test_shortcuts_are_left_out_for_records_the_user_may_not_see(client):
    owner = make_user(crm=False)
    inbox = make_folder(make_mail_account(owner), "INBOX")
    (filed,) = put_mail(inbox, mail_on(1, "Abgelegt"))
    contact = make_contact("Mira", "Albrecht")
    services.file_message(filed, contact, make_user())
    client.force_login(owner)

    page = client.get(reverse("organizer:folder", args=[inbox.pk])).text

    assert 'data-testid="filed"' in page
    assert archive_url(contact) not in page and "Mira Albrecht</a>" not in page


def test_mail_waiting_for_automatic_filing_is_marked_pending(client, owner):
    inbox = make_folder(make_mail_account(owner, auto_archive=True), "INBOX")
    put_mail(inbox, mail_on(1, "Wartet"))
    assert Message.objects.get().archive_state == "pending"
    client.force_login(owner)

    page = client.get(reverse("organizer:folder", args=[inbox.pk])).text

    assert 'data-testid="filing-pending-row"' in page


@pytest.mark.parametrize("count", [3, 60])
def test_mail_list_queries_do_not_grow_with_the_mails(
    client, owner, django_assert_num_queries, count
):
    account = make_mail_account(owner)
    inbox = make_folder(account, "INBOX")
    make_folder(account, "Sent", role=Folder.Role.SENT)
    messages = put_mail(inbox, *[mail_on(i % 28, f"Mail {i}") for i in range(count)])
    for i, message in enumerate(messages[:count]):
        record = make_contact(last_name=f"K{i}") if i % 2 else make_quote()
        services.file_message(message, record, owner)
    client.force_login(owner)
    url = reverse("organizer:folder", args=[inbox.pk])

    # session, user, folder (+ account), count, page, filings (+ content types: cached),
    # their contacts, their quotes, user permissions, group permissions, accounts, folders
    with django_assert_num_queries(12):
        response = client.get(url)
    assert len(row_subjects(response)) == min(count, 50)
    # The list alone (htmx: search and pages) leaves out the tree.
    with django_assert_num_queries(10):
        client.get(url, headers={"HX-Request": "true"})


# -- "Sync folder" --------------------------------------------------------------------------------


def sync_folder_and_poll(client, folder, capture):
    """Clicks "Sync folder" (the task runs inline once the request committed, as the worker
    would run it), then polls the status once like the page does; returns both answers."""
    with capture(execute=True):
        clicked = client.post(
            reverse("organizer:folder_sync", args=[folder.pk]), headers={"HX-Request": "true"}
        )
    polled = client.get(
        reverse("organizer:folder_sync_status", args=[folder.pk]),
        {"poll": "1"},
        headers={"HX-Request": "true"},
    )
    return clicked, polled


def test_sync_folder_stores_the_folders_new_mail_and_shows_the_outcome(
    client, owner, dovecot, django_capture_on_commit_callbacks
):
    account = make_mail_account(owner, server=dovecot)
    dovecot.create_folder(account.login, "Projekte")
    dovecot.append(account.login, "Projekte", make_raw_mail("Projekt Nord"))
    folder = make_folder(account, "Projekte", uidvalidity=None)
    client.force_login(owner)

    clicked, polled = sync_folder_and_poll(client, folder, django_capture_on_commit_callbacks)

    assert clicked.status_code == 200 and 'hx-trigger="every 1s"' in clicked.text
    assert polled["HX-Trigger"] == "folderSynced"  # the list and the tree refresh themselves
    assert 'data-testid="sync-outcome"' in polled.text
    assert "1 new mail" in polled.text
    assert "every 1s" not in polled.text
    folder.refresh_from_db()
    assert folder.sync_state == "done" and folder.sync_report["new"] == 1
    listing = client.get(
        reverse("organizer:folder", args=[folder.pk]), headers={"HX-Request": "true"}
    )
    assert row_subjects(listing) == ["Projekt Nord"]


def test_sync_folder_files_its_mail_on_an_account_with_automatic_filing(
    client, owner, dovecot, django_capture_on_commit_callbacks
):
    contact = make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    account = make_mail_account(owner, server=dovecot, auto_archive=True)
    dovecot.create_folder(account.login, "Projekte")
    dovecot.append(account.login, "Projekte", make_raw_mail("Projekt Nord"))
    folder = make_folder(account, "Projekte", uidvalidity=None)
    client.force_login(owner)

    page = client.get(reverse("organizer:folder", args=[folder.pk])).text
    assert "syncing this folder also files its mail" in page
    _clicked, polled = sync_folder_and_poll(client, folder, django_capture_on_commit_callbacks)

    assert "Filed automatically." in polled.text
    listing = client.get(reverse("organizer:folder", args=[folder.pk])).text
    assert f'href="{archive_url(contact)}"' in listing


def test_filing_note_says_when_syncing_files_nothing(client, owner):
    folder = make_folder(make_mail_account(owner), "INBOX")
    client.force_login(owner)
    page = client.get(reverse("organizer:folder", args=[folder.pk])).text
    assert "Automatic filing is off for this account" in page


def test_sync_folder_shows_a_failure_in_plain_words(
    client, owner, dovecot, django_capture_on_commit_callbacks
):
    account = make_mail_account(owner, server=dovecot, password="falsch")
    folder = make_folder(account, "INBOX")
    client.force_login(owner)

    _clicked, polled = sync_folder_and_poll(client, folder, django_capture_on_commit_callbacks)

    assert "failed" in polled.text
    assert "The server rejected the login name or password." in polled.text


def test_sync_folder_without_htmx_comes_back_to_the_folder(client, owner, monkeypatch):
    folder = make_folder(make_mail_account(owner), "INBOX")
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **k: queued.append(a))
    client.force_login(owner)

    response = client.post(reverse("organizer:folder_sync", args=[folder.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("organizer:folder", args=[folder.pk])


def test_a_second_click_while_queued_enqueues_nothing(
    client, owner, monkeypatch, django_capture_on_commit_callbacks
):
    folder = make_folder(make_mail_account(owner), "INBOX")
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **k: queued.append(a))
    client.force_login(owner)
    url = reverse("organizer:folder_sync", args=[folder.pk])

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, headers={"HX-Request": "true"})
        client.post(url, headers={"HX-Request": "true"})

    assert queued == [(ondemand.SYNC_TASK, folder.account_id, ["INBOX"])]
    assert "waiting for the worker" in first.text
    assert 'hx-trigger="every 1s"' in first.text and "HX-Trigger" not in first


def test_status_shows_progress_while_running(client, owner):
    folder = make_folder(
        make_mail_account(owner),
        "INBOX",
        sync_state=Folder.SyncState.RUNNING,
        sync_state_at=timezone.now(),
        sync_report={"done": 500, "total": 1200},
    )
    client.force_login(owner)

    response = client.get(
        reverse("organizer:folder_sync_status", args=[folder.pk]),
        {"poll": "1"},
        headers={"HX-Request": "true"},
    )

    assert "500 of 1200" in response.text and '<progress max="1200" value="500">' in response.text
    assert 'hx-trigger="every 1s"' in response.text
    assert "HX-Trigger" not in response


def test_polling_ends_with_the_outcome_and_refreshes_list_and_tree(client, owner):
    folder = make_folder(
        make_mail_account(owner),
        "INBOX",
        sync_state=Folder.SyncState.DONE,
        sync_state_at=timezone.now(),
        sync_report={"new": 3, "removed": 1, "updated": 0, "errors": []},
    )
    client.force_login(owner)

    response = client.get(
        reverse("organizer:folder_sync_status", args=[folder.pk]),
        {"poll": "1"},
        headers={"HX-Request": "true"},
    )

    assert "3 new mails, 1 removed on the server." in " ".join(response.text.split())
    assert response["HX-Trigger"] == "folderSynced"
    assert 'id="folder-tree"' in response.text and 'hx-swap-oob="true"' in response.text


def test_a_request_nobody_picked_up_stops_the_polling(client, owner):
    folder = make_folder(
        make_mail_account(owner),
        "INBOX",
        sync_state=Folder.SyncState.QUEUED,
        sync_state_at=timezone.now() - ondemand.STALE_AFTER - timedelta(minutes=1),
    )
    client.force_login(owner)

    response = client.get(reverse("organizer:folder_sync_status", args=[folder.pk]))

    assert "the worker may not be running" in response.text
    assert "every 1s" not in response.text


def test_a_stale_request_may_be_made_again(owner, monkeypatch):
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **k: None)
    folder = make_folder(
        make_mail_account(owner),
        "INBOX",
        sync_state=Folder.SyncState.RUNNING,
        sync_state_at=timezone.now() - ondemand.STALE_AFTER - timedelta(minutes=1),
    )
    assert ondemand.request_folder_sync(folder)
    assert folder.sync_state == "queued"


def test_an_import_folder_offers_no_sync(client, owner, monkeypatch):
    from organizer.importing import IMPORT_UIDVALIDITY

    folder = make_folder(
        make_mail_account(owner), "Import/Altablage", uidvalidity=IMPORT_UIDVALIDITY
    )
    monkeypatch.setattr("django_q.tasks.async_task", pytest.fail)
    client.force_login(owner)

    page = client.get(reverse("organizer:folder", args=[folder.pk])).text
    client.post(reverse("organizer:folder_sync", args=[folder.pk]))

    assert 'data-testid="imported-folder"' in page and 'data-testid="sync-folder"' not in page
    folder.refresh_from_db()
    assert folder.sync_state == ""
