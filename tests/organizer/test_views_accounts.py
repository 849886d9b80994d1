"""Meine Einstellungen (My settings): the user's own mail accounts, "Test connection" against
the real Dovecot, the own-address notice, "Sync now", and nobody else ever seeing an account."""

import socket
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from organizer.models import MailAccount, Message
from organizer.secrets import decrypt_password
from tests.dovecot import free_port
from tests.factories import make_contact, make_mail_account, make_raw_mail, make_user

pytestmark = pytest.mark.django_db
SECRET = "S3cret-Passw0rt!"


@pytest.fixture
def client(client):
    """The UI in English (the msgids), whatever the default language."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def form_data(**extra):
    data = {
        "display_name": "Vertrieb",
        "email_address": "lena.vogt@example.com",
        "aliases": "sales@example.com",
        "host": "imap.example.com",
        "port": "993",
        "security": "ssl",
        "login": "lena",
        "password": "",
        "sync_enabled": "on",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def account_urls(account):
    """Every URL of one account, with the method it answers to."""
    pk = account.pk
    return [
        ("get", reverse("organizer:account_edit", args=[pk])),
        ("post", reverse("organizer:account_edit", args=[pk])),
        ("get", reverse("organizer:account_card", args=[pk])),
        ("post", reverse("organizer:account_test", args=[pk])),
        ("post", reverse("organizer:account_sync", args=[pk])),
        ("get", reverse("organizer:account_delete", args=[pk])),
        ("post", reverse("organizer:account_delete", args=[pk])),
    ]


# -- who sees what --------------------------------------------------------------------------------


def test_settings_page_lists_only_the_users_own_accounts(client, owner, colleague):
    mine = make_mail_account(owner, email_address="lena.vogt@example.com")
    make_mail_account(colleague, email_address="jonas.berg@example.com")
    client.force_login(owner)

    page = client.get(reverse("organizer:my_settings")).text

    assert "lena.vogt@example.com" in page
    assert "jonas.berg@example.com" not in page
    assert reverse("organizer:account_edit", args=[mine.pk]) in page


def test_header_name_links_to_my_settings(client, owner):
    client.force_login(owner)
    page = client.get(reverse("organizer:my_settings")).text
    assert f'href="{reverse("organizer:my_settings")}" title="My settings"' in page


@pytest.mark.parametrize("who", ["colleague", "staff", "superuser", "outsider"])
def test_every_account_url_is_404_for_anyone_but_the_owner(client, owner, who):
    account = make_mail_account(owner)
    other = {
        "colleague": lambda: make_user(),
        "staff": lambda: make_user(is_staff=True),
        "superuser": lambda: make_user(is_staff=True, is_superuser=True),
        "outsider": lambda: make_user(crm=False),
    }[who]()
    client.force_login(other)

    for method, url in account_urls(account):
        response = getattr(client, method)(url, form_data(password="x"))
        assert response.status_code == 404, (method, url)
    assert MailAccount.objects.filter(pk=account.pk).exists()


def test_the_owner_reaches_every_account_url(client, owner):
    account = make_mail_account(owner)
    client.force_login(owner)
    for method, url in account_urls(account)[:3]:
        assert getattr(client, method)(url).status_code in (200, 422), url


def test_settings_need_a_login(client):
    response = client.get(reverse("organizer:my_settings"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# -- add, edit, delete ----------------------------------------------------------------------------


def test_adding_an_account_stores_the_password_encrypted_and_never_shows_it(client, owner):
    client.force_login(owner)

    response = client.post(reverse("organizer:account_add"), form_data(password=SECRET))

    assert response.status_code == 302
    account = MailAccount.objects.get(owner=owner)
    assert decrypt_password(account.password_encrypted) == SECRET
    assert account.aliases == ["sales@example.com"] and not account.auto_archive
    for url in [
        reverse("organizer:my_settings"),
        reverse("organizer:account_edit", args=[account.pk]),
        reverse("organizer:account_card", args=[account.pk]),
    ]:
        body = client.get(url).text
        assert SECRET not in body and account.password_encrypted not in body


def test_a_new_account_is_synced_at_once_not_at_the_next_schedule(
    client, owner, dovecot, django_capture_on_commit_callbacks
):
    user = dovecot.add_user()
    dovecot.append(user, "INBOX", make_raw_mail("Willkommen"))
    client.force_login(owner)

    # The test settings run django-q2 tasks inline: the enqueued sync runs on commit.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(
            reverse("organizer:account_add"),
            form_data(
                host=dovecot.host,
                port=str(dovecot.port),
                security="none",
                login=user,
                password=dovecot.passwords[user],
            ),
        )

    account = MailAccount.objects.get(owner=owner)
    assert len(callbacks) == 1
    assert account.last_sync_at is not None
    assert [m.subject for m in account.messages.all()] == ["Willkommen"]


def test_no_organizer_page_ever_contains_the_password(client, owner):
    from tests.organizer.mailbox_data import make_folder, put_mail

    account = make_mail_account(owner, password=SECRET, host="imap.example.com")
    inbox = make_folder(account, "INBOX")
    (message,) = put_mail(inbox, make_raw_mail("Anfrage"))
    client.force_login(owner)
    pages = [
        client.get(reverse("organizer:my_settings")),
        client.get(reverse("organizer:account_edit", args=[account.pk])),
        client.get(reverse("organizer:account_card", args=[account.pk])),
        client.get(reverse("organizer:account_delete", args=[account.pk])),
        client.get(reverse("organizer:folder", args=[inbox.pk])),
        client.get(reverse("organizer:message", args=[message.pk])),
        client.post(
            reverse("organizer:account_test", args=[account.pk]),
            form_data(email_address=account.email_address, host="127.0.0.1", port="1"),
        ),
        client.post(
            reverse("organizer:account_edit", args=[account.pk]),
            form_data(email_address="kaputt", password=SECRET),
        ),
    ]
    for response in pages:
        body = response.content.decode()
        assert SECRET not in body and account.password_encrypted not in body
        assert response.status_code in (200, 422)


def test_a_form_with_errors_does_not_send_the_typed_password_back(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("organizer:account_add"), form_data(password=SECRET, email_address="kaputt")
    )

    assert response.status_code == 422
    assert "Enter a valid e-mail address." in response.text
    assert SECRET not in response.text
    assert not MailAccount.objects.exists()


def test_adding_needs_a_password(client, owner):
    client.force_login(owner)
    response = client.post(reverse("organizer:account_add"), form_data())
    assert response.status_code == 422 and "Enter the password." in response.text


def test_the_service_rules_show_as_form_errors(client, owner):
    make_mail_account(owner, email_address="lena.vogt@example.com")
    client.force_login(owner)

    response = client.post(reverse("organizer:account_add"), form_data(password="pw"))

    assert response.status_code == 422
    assert "You already have an account with this address." in response.text


@pytest.mark.parametrize(
    "typed", ["sales@example.com;l.vogt@example.com", "sales@example.com\nl.vogt@example.com"]
)
def test_aliases_may_be_separated_by_semicolons_or_lines(client, owner, typed):
    client.force_login(owner)
    client.post(reverse("organizer:account_add"), form_data(password="pw", aliases=typed))
    account = MailAccount.objects.get(owner=owner)
    assert account.aliases == ["sales@example.com", "l.vogt@example.com"]


def test_edit_form_shows_aliases_one_per_line(client, owner):
    account = make_mail_account(owner, aliases=["sales@example.com", "l.vogt@example.com"])
    client.force_login(owner)
    page = client.get(reverse("organizer:account_edit", args=[account.pk])).text
    assert "sales@example.com\nl.vogt@example.com</textarea>" in page


def test_editing_with_an_empty_password_keeps_the_stored_one(client, owner):
    account = make_mail_account(owner, password=SECRET, host="imap.example.com", security="ssl")
    client.force_login(owner)

    response = client.post(
        reverse("organizer:account_edit", args=[account.pk]),
        form_data(email_address=account.email_address, login="lena2"),
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.login == "lena2"
    assert decrypt_password(account.password_encrypted) == SECRET


def test_editing_sets_a_new_password_when_one_is_typed(client, owner):
    account = make_mail_account(owner, password="alt", host="imap.example.com")
    client.force_login(owner)
    client.post(
        reverse("organizer:account_edit", args=[account.pk]),
        form_data(email_address=account.email_address, password=SECRET),
    )
    account.refresh_from_db()
    assert decrypt_password(account.password_encrypted) == SECRET


@pytest.mark.parametrize(
    "change",
    [{"host": "imap.elsewhere.example"}, {"port": "1993"}, {"security": "starttls", "port": "143"}],
)
def test_a_new_server_needs_the_password_again(client, owner, change):
    """The stored password never travels to a server it was not entered for: another host,
    another port of the same host, or another kind of connection."""
    account = make_mail_account(
        owner, password=SECRET, host="imap.example.com", port=993, security="ssl"
    )
    client.force_login(owner)

    response = client.post(
        reverse("organizer:account_edit", args=[account.pk]),
        form_data(email_address=account.email_address, **change),
    )
    tested = post_connection_test(
        client,
        reverse("organizer:account_test", args=[account.pk]),
        **{**form_data(email_address=account.email_address), **change},
    )

    assert response.status_code == 422
    assert "Enter the password again for the new server." in response.text
    assert "Enter the password again for the new server." in tested.text
    account.refresh_from_db()
    assert (account.host, account.port, account.security) == ("imap.example.com", 993, "ssl")


def test_the_same_server_keeps_the_stored_password(client, owner):
    account = make_mail_account(
        owner, password=SECRET, host="imap.example.com", port=993, security="ssl"
    )
    client.force_login(owner)

    response = client.post(
        reverse("organizer:account_edit", args=[account.pk]),
        form_data(email_address=account.email_address, host="IMAP.example.com.", login="lena2"),
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert decrypt_password(account.password_encrypted) == SECRET


def test_automatic_filing_is_switched_on_and_off_through_the_form(
    client, owner, django_capture_on_commit_callbacks
):
    account = make_mail_account(owner, host="imap.example.com", security="ssl")
    client.force_login(owner)
    url = reverse("organizer:account_edit", args=[account.pk])

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, form_data(email_address=account.email_address, auto_archive="on"))
    account.refresh_from_db()
    assert account.auto_archive
    assert "Automatic filing on" in client.get(reverse("organizer:my_settings")).text

    client.post(url, form_data(email_address=account.email_address))
    account.refresh_from_db()
    assert not account.auto_archive


def test_the_checkbox_carries_the_warning_and_the_rule(client, owner):
    client.force_login(owner)
    page = client.get(reverse("organizer:account_add")).text
    warning = page.index('data-testid="auto-archive-warning"')
    checkbox = page.index('name="auto_archive"')
    assert 0 < warning - checkbox < 1500  # right next to it
    assert "Never switch this on for an account that carries private or confidential mail." in page
    assert "How automatic filing decides" in page
    assert "own addresses (the address and its aliases) never count" in page
    assert "filing block list" in page


def test_delete_asks_first_and_then_removes_the_account(client, owner):
    account = make_mail_account(owner)
    client.force_login(owner)
    url = reverse("organizer:account_delete", args=[account.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200 and "stays in their e-mail archive" in confirm.text
    assert MailAccount.objects.filter(pk=account.pk).exists()

    response = client.post(url)
    assert response.status_code == 302
    assert not MailAccount.objects.filter(pk=account.pk).exists()


# -- status -------------------------------------------------------------------------------------


def test_card_shows_last_sync_last_error_next_attempt_and_needs_attention(client, owner):
    now = timezone.now()
    make_mail_account(
        owner,
        last_sync_at=now - timedelta(hours=3),
        last_error="The server rejected the login name or password.",
        last_error_at=now - timedelta(minutes=5),
        failure_count=settings.ABLAGE_SYNC_ATTENTION_AFTER,
        next_attempt_at=now + timedelta(minutes=30),
    )
    client.force_login(owner)

    page = client.get(reverse("organizer:my_settings")).text

    assert "Last successful sync" in page and "3\xa0hours ago" in page
    assert "The server rejected the login name or password." in page
    assert "Next attempt" in page
    assert 'data-testid="needs-attention"' in page


def test_card_of_a_healthy_account_needs_no_attention(client, owner):
    make_mail_account(owner, last_sync_at=timezone.now())
    client.force_login(owner)
    page = client.get(reverse("organizer:my_settings")).text
    assert 'data-testid="needs-attention"' not in page
    assert 'data-testid="last-error"' not in page


# -- the own-address notice -----------------------------------------------------------------------


def test_edit_page_names_the_contact_owning_the_accounts_address_when_filing_is_on(client, owner):
    contact = make_contact("Lena", "Vogt", emails=["Lena.Vogt@example.com"])
    account = make_mail_account(owner, email_address="lena.vogt@example.com", auto_archive=True)
    client.force_login(owner)

    page = client.get(reverse("organizer:account_edit", args=[account.pk])).text

    assert 'data-testid="own-address-notice"' in page
    assert f'<a href="{contact.get_absolute_url()}">Lena Vogt</a>' in page
    assert "ignores this account's own addresses" in page


def test_notice_follows_the_typed_alias_and_the_ticked_checkbox(client, owner):
    contact = make_contact("Vertrieb", "Postfach", emails=["sales@example.com"])
    client.force_login(owner)
    url = reverse("organizer:account_own_addresses")
    typed = {
        "email_address": "lena.vogt@example.com",
        "aliases": "x@example.com\nsales@example.com",
    }

    ticked = client.post(url, {**typed, "auto_archive": "on"}, headers={"HX-Request": "true"})
    unticked = client.post(url, typed, headers={"HX-Request": "true"})

    assert contact.get_absolute_url() in ticked.text and "sales@example.com" in ticked.text
    assert 'data-testid="own-address-notice"' not in unticked.text


def test_switching_filing_on_warns_about_the_contact_after_saving(client, owner):
    make_contact("Lena", "Vogt", emails=["lena.vogt@example.com"])
    account = make_mail_account(owner, email_address="lena.vogt@example.com", security="ssl")
    client.force_login(owner)

    response = client.post(
        reverse("organizer:account_edit", args=[account.pk]),
        form_data(email_address=account.email_address, host=account.host, auto_archive="on"),
        follow=True,
    )

    assert "Your address is stored at Lena Vogt in the CRM." in response.text
    assert 'data-testid="own-address-notice"' in response.text  # and on the card


def test_notice_reveals_nothing_of_the_crm_to_a_user_without_access(client, outsider):
    # Anyone may type any address: the answer must not tell whether the CRM holds it.
    make_contact("Geheim", "Kontakt", emails=["sales@example.com"])
    client.force_login(outsider)
    url = reverse("organizer:account_own_addresses")

    stored = client.post(url, {"email_address": "sales@example.com", "auto_archive": "on"})
    unknown = client.post(url, {"email_address": "nobody@example.com", "auto_archive": "on"})
    make_mail_account(outsider, email_address="sales@example.com", auto_archive=True)
    card = client.get(reverse("organizer:my_settings"))

    assert 'data-testid="own-address-notice"' not in stored.text
    assert stored.text == unknown.text
    assert "Geheim" not in card.text and 'data-testid="own-address-notice"' not in card.text


def test_no_notice_while_filing_is_off(client, owner):
    make_contact("Lena", "Vogt", emails=["lena.vogt@example.com"])
    account = make_mail_account(owner, email_address="lena.vogt@example.com")
    client.force_login(owner)
    page = client.get(reverse("organizer:account_edit", args=[account.pk])).text
    assert 'data-testid="own-address-notice"' not in page


# -- Test connection (real Dovecot) -------------------------------------------------------------


def post_connection_test(client, url, **data):
    return client.post(url, form_data(**data), headers={"HX-Request": "true"})


def test_test_connection_lists_the_folders_with_their_roles(client, owner, dovecot):
    user = dovecot.add_user()
    dovecot.create_folder(user, "Sent")
    dovecot.create_folder(user, "Kunden/Nord")
    client.force_login(owner)

    response = post_connection_test(
        client,
        reverse("organizer:account_test_new"),
        host=dovecot.host,
        port=str(dovecot.port),
        security="none",
        login=user,
        password=dovecot.passwords[user],
    )

    assert 'data-testid="connection-ok"' in response.text
    assert "INBOX" in response.text and "Nord" in response.text
    assert '<span class="badge info">Sent</span>' in response.text
    assert '<span class="badge info">Inbox</span>' in response.text
    assert dovecot.passwords[user] not in response.text
    assert not MailAccount.objects.exists()  # testing saves nothing


def test_test_connection_says_wrong_password_in_plain_words(client, owner, dovecot):
    user = dovecot.add_user()
    client.force_login(owner)

    response = post_connection_test(
        client,
        reverse("organizer:account_test_new"),
        host=dovecot.host,
        port=str(dovecot.port),
        security="none",
        login=user,
        password="falsch",
    )

    assert 'data-testid="connection-failed"' in response.text
    assert "The server rejected the login name or password." in response.text


def test_test_connection_to_a_closed_port_says_so(client, owner):
    client.force_login(owner)
    response = post_connection_test(
        client,
        reverse("organizer:account_test_new"),
        host="127.0.0.1",
        port=str(free_port()),
        security="none",
        login="lena",
        password="pw",
    )
    assert "refused the connection; is the port right?" in response.text


def test_test_connection_names_a_tls_failure(client, owner, dovecot):
    """SSL/TLS spoken to a server that answers in plain text."""
    client.force_login(owner)
    response = post_connection_test(
        client,
        reverse("organizer:account_test_new"),
        host=dovecot.host,
        port=str(dovecot.port),
        security="ssl",
        login="lena",
        password="pw",
    )
    assert "The secure connection (TLS) to the server failed." in response.text


def test_test_connection_gives_up_on_a_silent_server(client, owner, settings):
    settings.ABLAGE_IMAP_TIMEOUT = 1
    with socket.socket() as silent:  # accepts connections (backlog) and never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        client.force_login(owner)
        response = post_connection_test(
            client,
            reverse("organizer:account_test_new"),
            host="127.0.0.1",
            port=str(silent.getsockname()[1]),
            security="none",
            login="lena",
            password="pw",
        )
    assert "The server did not answer in time." in response.text


@pytest.mark.parametrize(
    ("host", "says"),
    [
        ("imap.does-not-exist.invalid", "imap.does-not-exist.invalid could not be found"),
        ("169.254.169.254", "are not allowed"),  # a cloud metadata address
    ],
)
def test_test_connection_names_an_unknown_or_refused_host(client, owner, host, says):
    client.force_login(owner)
    response = post_connection_test(
        client, reverse("organizer:account_test_new"), host=host, login="lena", password="pw"
    )
    assert says in response.text


def test_test_connection_asks_for_missing_fields_first(client, owner):
    client.force_login(owner)
    response = post_connection_test(
        client, reverse("organizer:account_test_new"), host="", login=""
    )
    assert 'data-testid="connection-invalid"' in response.text
    assert "IMAP server" in response.text and "Password" in response.text


def test_test_connection_uses_the_stored_password_when_editing(client, owner, dovecot):
    account = make_mail_account(owner, server=dovecot)
    client.force_login(owner)

    response = post_connection_test(
        client,
        reverse("organizer:account_test", args=[account.pk]),
        email_address=account.email_address,
        host=account.host,
        port=str(account.port),
        security="none",
        login=account.login,
        password="",
    )

    assert 'data-testid="connection-ok"' in response.text
    assert dovecot.passwords[account.login] not in response.text


# -- Sync now -------------------------------------------------------------------------------------


def test_sync_now_runs_the_sync_and_the_card_shows_its_outcome(
    client, owner, dovecot, django_capture_on_commit_callbacks
):
    account = make_mail_account(owner, server=dovecot)
    dovecot.append(account.login, "INBOX", make_raw_mail("Angebot Regale"))
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("organizer:account_sync", args=[account.pk]), headers={"HX-Request": "true"}
        )

    assert response.status_code == 200
    assert Message.objects.filter(account=account, subject="Angebot Regale").exists()
    account.refresh_from_db()
    assert account.last_sync_at is not None
    card = client.get(reverse("organizer:account_card", args=[account.pk])).text
    assert 'data-testid="sync-pending"' not in card and "every 2s" not in card


def test_a_requested_sync_makes_the_card_poll_until_an_outcome_arrives(client, owner):
    account = make_mail_account(owner, sync_requested_at=timezone.now())
    client.force_login(owner)

    card = client.get(reverse("organizer:account_card", args=[account.pk])).text
    assert 'hx-trigger="every 2s"' in card and 'data-testid="sync-pending"' in card

    MailAccount.objects.filter(pk=account.pk).update(last_sync_at=timezone.now())
    card = client.get(reverse("organizer:account_card", args=[account.pk])).text
    assert "every 2s" not in card


def test_sync_now_is_not_offered_while_synchronisation_is_off(client, owner):
    make_mail_account(owner, sync_enabled=False)
    client.force_login(owner)
    page = client.get(reverse("organizer:my_settings")).text
    assert 'data-testid="sync-now"' not in page and "Synchronisation off" in page
