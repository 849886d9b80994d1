"""Filing by hand (Ablegen) and removing filings: archiving/filing_views.py."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from archiving import services
from archiving.models import FiledMail, Filing, FilingRemoval
from organizer.models import Folder, Message
from tests.factories import (
    make_contact,
    make_customer,
    make_mail_account,
    make_quote,
    make_raw_mail,
    make_user,
)
from tests.organizer.mailbox_data import make_folder, put_mail

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def message(owner):
    """A mail in the owner's Inbox, on an account without automatic filing."""
    inbox = make_folder(make_mail_account(owner, email_address="lena.vogt@example.com"), "INBOX")
    (stored,) = put_mail(inbox, make_raw_mail("Anfrage Regale"))
    return stored


def key(record):
    return f"{ContentType.objects.get_for_model(record).pk}:{record.pk}"


def archive_url(record):
    content_type = ContentType.objects.get_for_model(record)
    return reverse("archiving:record_archive", args=[content_type.pk, record.pk])


def file_by_hand(client, message, record, **headers):
    return client.post(
        reverse("archiving:message_file", args=[message.pk]),
        {"record": key(record)},
        headers=headers or HTMX,
    )


def user_with(*codenames):
    user = make_user(crm=False)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


# -- the panel and its search ---------------------------------------------------------------------


def test_panel_offers_the_file_button_and_its_dialog(client, owner, message):
    client.force_login(owner)

    response = client.get(reverse("archiving:message_filings", args=[message.pk]), headers=HTMX)

    assert response.status_code == 200
    assert 'data-testid="file-button"' in response.text
    assert '<dialog id="file-dialog"' in response.text
    assert reverse("archiving:filing_search") in response.text
    assert "not filed at any record yet" in response.text


def test_search_finds_customers_contacts_quotes_and_invoices_by_name_number_and_address(
    client, owner
):
    customer = make_customer("Nordlicht GmbH", number="K-100", emails=["info@nordlicht.example"])
    contact = make_contact("Mira", "Albrecht", emails=["mira@nordlicht.example"])
    quote = make_quote(customer, number="A-4711")
    client.force_login(owner)
    url = reverse("archiving:filing_search")

    def hits(q):
        return client.get(url, {"q": q}, headers=HTMX).text

    assert f'value="{key(quote)}"' in hits("A-4711")
    assert f'value="{key(customer)}"' in hits("K-100")
    assert f'value="{key(contact)}"' in hits("mira@nordlicht")
    assert f'value="{key(customer)}"' in hits("Nordlicht")
    assert "Nothing matches “zzz”." in hits("zzz")
    assert 'type="submit" name="record"' in hits("A-4711")  # choosing a hit files


def test_search_leaves_out_kinds_the_user_may_not_see(client):
    make_quote(number="A-4711", customer=make_customer("A-4711 Bau"))
    user = user_with("view_customer")
    client.force_login(user)
    text = client.get(reverse("archiving:filing_search"), {"q": "A-4711"}).text
    assert "Customer" in text and "Quote" not in text


def test_search_marks_the_records_the_mail_is_filed_at_already(client, owner, message):
    filed_at, other = make_quote(number="A-4711"), make_quote(number="A-4712")
    services.file_message(message, filed_at, owner)
    client.force_login(owner)

    text = client.get(
        reverse("archiving:filing_search"), {"q": "A-471", "message": message.pk}, headers=HTMX
    ).text

    assert re.search(rf'value="{key(filed_at)}"[^>]*disabled', text)
    assert not re.search(rf'value="{key(other)}"[^>]*disabled', text)
    assert text.count('data-testid="filed-here"') == 1


def test_search_for_another_users_mail_is_404(client, colleague, message):
    client.force_login(colleague)
    response = client.get(reverse("archiving:filing_search"), {"q": "A", "message": message.pk})
    assert response.status_code == 404


def test_search_without_crm_access_is_refused(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("archiving:filing_search"), {"q": "x"}).status_code == 403


# -- filing ---------------------------------------------------------------------------------------


def test_filing_at_a_quote_shows_in_the_panel_and_in_the_quotes_archive_tab(client, owner, message):
    quote = make_quote(number="A-4711", title="Regalsystem")
    client.force_login(owner)

    response = file_by_hand(client, message, quote)

    assert response.status_code == 200
    filing = Filing.objects.get()
    assert (filing.source, filing.filed_by, filing.record) == ("manual", owner, quote)
    assert filing.created_at is not None
    assert "Filed at" in response.text and 'data-testid="filing"' in response.text
    assert archive_url(quote) in response.text
    # The kind once, as the badge; then the number and title (not "Quote Quote A-4711").
    assert re.search(
        r'<span class="badge">Quote</span>\s*<a href="[^"]+">A-4711 Regalsystem</a>', response.text
    )
    tab = client.get(archive_url(quote), headers=HTMX)
    assert [m.subject for m in tab.context["page"].object_list] == ["Anfrage Regale"]
    assert f"filed by {owner.username}" in tab.text


def test_a_manual_filing_names_the_user_as_the_header_does(client, owner, colleague, message):
    owner.first_name, owner.last_name = "Lena", "Vogt"
    owner.save()
    quote = make_quote(number="A-4712")
    client.force_login(owner)

    panel = file_by_hand(client, message, quote)
    tab = client.get(archive_url(quote), headers=HTMX)

    assert "by hand, by Lena Vogt on" in panel.text
    assert "filed by Lena Vogt on" in tab.text
    owner.delete()  # a user who is gone: the filing stays
    client.force_login(colleague)
    tab = client.get(archive_url(quote), headers=HTMX)
    assert "filed by a former user on" in tab.text


def test_a_mail_can_be_filed_at_several_records(client, owner, message):
    quote, contact = make_quote(), make_contact("Mira", "Albrecht")
    client.force_login(owner)

    file_by_hand(client, message, quote)
    response = file_by_hand(client, message, contact)

    assert {f.record for f in Filing.objects.all()} == {quote, contact}
    assert FiledMail.objects.count() == 1
    assert response.text.count('data-testid="filing"') == 2


def test_filing_twice_at_one_record_creates_nothing_new(client, owner, message):
    quote = make_quote()
    client.force_login(owner)
    file_by_hand(client, message, quote)
    response = file_by_hand(client, message, quote)
    assert Filing.objects.count() == 1
    assert "filed at" in response.text and "already" in response.text


def test_manual_filing_works_on_an_account_without_automatic_filing(client, owner, message):
    assert not message.account.auto_archive
    contact = make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    client.force_login(owner)
    file_by_hand(client, message, contact)
    assert Filing.objects.get().record == contact


def test_manual_filing_ignores_the_block_list(client, owner, message):
    services.block("mira.albrecht@example.org")
    services.block("example.org")
    contact = make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    client.force_login(owner)

    file_by_hand(client, message, contact)

    assert Filing.objects.get().record == contact


def test_filing_without_a_choice_says_what_to_do(client, owner, message):
    client.force_login(owner)
    response = client.post(reverse("archiving:message_file", args=[message.pk]), headers=HTMX)
    assert response.status_code == 422
    assert "Choose a customer, contact, quote or invoice" in response.text
    assert not Filing.objects.exists()


def test_filing_at_a_record_the_user_may_not_see_is_refused_in_plain_words(client):
    user = user_with("view_contact")
    inbox = make_folder(make_mail_account(user), "INBOX")
    (message,) = put_mail(inbox, make_raw_mail("Anfrage"))
    quote = make_quote(make_customer("Geheim GmbH"), number="A-4711", title="Geheimprojekt")
    client.force_login(user)

    response = file_by_hand(client, message, quote)

    assert response.status_code == 422
    assert "You may not see this record, so you cannot file mail there." in response.text
    for secret in ("A-4711", "Geheim GmbH", "Geheimprojekt"):  # the refusal names nothing
        assert secret not in response.text
    assert not Filing.objects.exists()


def test_without_crm_access_the_panel_offers_no_filing(client, outsider):
    inbox = make_folder(make_mail_account(outsider), "INBOX")
    (message,) = put_mail(inbox, make_raw_mail("Anfrage"))
    client.force_login(outsider)

    panel = client.get(reverse("archiving:message_filings", args=[message.pk]), headers=HTMX)
    refused = file_by_hand(client, message, make_contact())

    assert 'data-testid="file-button"' not in panel.text
    assert "needs access to the CRM" in panel.text
    assert refused.status_code == 422 and not Filing.objects.exists()


def test_filing_without_htmx_redirects_back_to_the_mail(client, owner, message):
    quote = make_quote(number="A-4711")
    client.force_login(owner)

    response = client.post(
        reverse("archiving:message_file", args=[message.pk]), {"record": key(quote)}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("organizer:message", args=[message.pk])
    assert Filing.objects.get().record == quote


def test_file_page_works_without_javascript(client, owner, message):
    quote = make_quote(number="A-4711")
    client.force_login(owner)
    page = client.get(reverse("archiving:message_file", args=[message.pk]), {"q": "A-4711"})
    assert page.status_code == 200 and "<html" in page.text
    assert f'value="{key(quote)}"' in page.text


@pytest.mark.parametrize("who", ["colleague", "superuser"])
def test_another_users_mail_cannot_be_seen_or_filed_by_guessing_its_id(client, owner, message, who):
    other = make_user(is_superuser=who == "superuser", is_staff=who == "superuser")
    quote = make_quote()
    services.file_message(message, quote, owner)
    filing = Filing.objects.get()
    client.force_login(other)

    assert client.get(reverse("archiving:message_filings", args=[message.pk])).status_code == 404
    assert client.get(reverse("archiving:message_file", args=[message.pk])).status_code == 404
    assert file_by_hand(client, message, make_contact()).status_code == 404
    unfile = reverse("archiving:message_unfile", args=[message.pk, filing.pk])
    assert client.post(unfile).status_code == 404
    assert Filing.objects.count() == 1


# -- removing filings -----------------------------------------------------------------------------


def test_removing_a_filing_records_who_and_when(client, owner, message):
    quote = make_quote(number="A-4711")
    services.file_message(message, quote, owner)
    filing = Filing.objects.get()
    client.force_login(owner)

    response = client.post(
        reverse("archiving:message_unfile", args=[message.pk, filing.pk]), headers=HTMX
    )

    assert response.status_code == 200
    assert not Filing.objects.exists()
    removal = FilingRemoval.objects.get()
    assert (removal.removed_by, removal.record, removal.removed_source) == (owner, quote, "manual")
    assert removal.removed_at is not None
    assert "Automatic filing will not file it there again." in response.text


def test_a_filing_of_another_mail_cannot_be_removed_through_this_one(client, owner, message):
    (other,) = put_mail(message.folder, make_raw_mail("Andere"))
    services.file_message(other, make_quote(), owner)
    filing = Filing.objects.get()
    client.force_login(owner)

    response = client.post(reverse("archiving:message_unfile", args=[message.pk, filing.pk]))

    assert response.status_code == 404 and Filing.objects.exists()


def test_removing_needs_view_permission_on_the_record(client):
    user = user_with("view_contact")
    inbox = make_folder(make_mail_account(user), "INBOX")
    (message,) = put_mail(inbox, make_raw_mail("Anfrage"))
    services.file_message(message, make_quote(), make_user())
    filing = Filing.objects.get()
    client.force_login(user)

    panel = client.get(reverse("archiving:message_filings", args=[message.pk]), headers=HTMX)
    response = client.post(reverse("archiving:message_unfile", args=[message.pk, filing.pk]))

    assert "Also filed at 1 record you cannot see." in panel.text
    assert response.status_code == 404 and Filing.objects.exists()


def test_a_removed_automatic_filing_does_not_come_back_after_a_resync(
    client, owner, dovecot, sync_and_file
):
    contact = make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    account = make_mail_account(owner, server=dovecot, auto_archive=True)
    raw = make_raw_mail("Anfrage Regale")
    dovecot.append(account.login, "INBOX", raw)
    sync_and_file(account)
    message = Message.objects.get(account=account)
    filing = Filing.objects.get()
    assert (filing.source, filing.record) == ("auto", contact)
    client.force_login(owner)

    client.post(reverse("archiving:message_unfile", args=[message.pk, filing.pk]), headers=HTMX)
    # The mail comes again: a second copy in another folder, then a full re-read of the Inbox.
    dovecot.create_folder(account.login, "Kopie")
    dovecot.append(account.login, "Kopie", raw)
    Folder.objects.filter(account=account).update(last_uid=0, server_message_count=None)
    Message.objects.filter(account=account).delete()
    sync_and_file(account)
    sync_and_file(account, ["Kopie"])

    assert Message.objects.filter(account=account).count() == 2
    assert not Filing.objects.exists()
    assert FilingRemoval.objects.get().removed_source == "auto"
    tab = client.get(archive_url(contact), headers=HTMX)
    assert list(tab.context["page"].object_list) == []


# -- the filed-mail page (reached from an E-Mail-Archiv tab) --------------------------------------


@pytest.fixture
def filed(owner, message):
    """The owner's mail filed at a contact, as the archive holds it."""
    contact = make_contact("Mira", "Albrecht")
    filing, _created = services.file_message(message, contact, owner)
    return filing.filed_mail


def test_filed_mail_page_has_the_file_button(client, colleague, filed):
    client.force_login(colleague)
    page = client.get(reverse("archiving:filed_mail", args=[filed.pk])).text
    assert 'data-testid="file-button"' in page and '<dialog id="file-dialog"' in page
    assert reverse("archiving:filed_mail_file", args=[filed.pk]) in page


def test_a_colleague_files_an_archived_mail_at_a_quote(client, colleague, filed):
    quote = make_quote(number="A-4711")
    client.force_login(colleague)

    response = client.post(
        reverse("archiving:filed_mail_file", args=[filed.pk]), {"record": key(quote)}, headers=HTMX
    )

    filing = Filing.objects.get(object_id=quote.pk, content_type__model="quote")
    assert (filing.source, filing.filed_by) == ("manual", colleague)
    assert response.text.count('data-testid="filing"') == 2
    tab = client.get(archive_url(quote), headers=HTMX)
    assert [m.pk for m in tab.context["page"].object_list] == [filed.pk]


def test_outsiders_cannot_reach_a_filed_mails_filing(client, outsider, filed):
    client.force_login(outsider)
    quote = make_quote()
    for method, url in [
        ("get", reverse("archiving:filed_mail_filings", args=[filed.pk])),
        ("get", reverse("archiving:filed_mail_file", args=[filed.pk])),
        ("post", reverse("archiving:filed_mail_file", args=[filed.pk])),
    ]:
        assert getattr(client, method)(url, {"record": key(quote)}).status_code == 404
    assert Filing.objects.count() == 1


def test_removing_the_last_filing_a_user_sees_says_the_mail_is_gone_from_sight(
    client, colleague, filed
):
    filing = filed.filings.get()
    client.force_login(colleague)
    url = reverse("archiving:filed_mail_unfile", args=[filed.pk, filing.pk])

    response = client.post(url, headers=HTMX)

    assert "no longer filed anywhere you can see" in response.text
    assert FilingRemoval.objects.get().removed_by == colleague
    assert client.get(reverse("archiving:filed_mail", args=[filed.pk])).status_code == 404


def test_removing_without_htmx_returns_to_the_records_archive_when_the_mail_is_gone(
    client, colleague, filed
):
    filing = filed.filings.get()
    client.force_login(colleague)
    response = client.post(reverse("archiving:filed_mail_unfile", args=[filed.pk, filing.pk]))
    assert response.status_code == 302
    assert response["Location"] == archive_url(filing.record)
