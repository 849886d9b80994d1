"""The user's own copy of a mail: its page and the content endpoints (organizer.mailview)."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from organizer import mailview
from organizer.models import Folder, Message
from tests.archiving.filed_mail_data import html_mail, png_bytes
from tests.factories import make_mail_account, make_user
from tests.organizer.mailbox_data import make_folder, put_mail
from tests.organizer.mails import build_mail

pytestmark = pytest.mark.django_db
LOGO = png_bytes()


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def account(owner):
    # A server nobody answers on: the views never talk to it.
    return make_mail_account(owner, email_address="lena.vogt@example.com", host="192.0.2.1")


@pytest.fixture
def rich(account):
    raw = html_mail(
        '<p>Guten Tag</p><img src="cid:logo@example.org"><script>window.xss=1</script>',
        inline_images=[("logo@example.org", LOGO)],
        attachments=[("Angebot Müller.pdf", "application/pdf", b"%PDF-1.4 Angebot")],
    )
    (message,) = put_mail(make_folder(account, "INBOX"), raw)
    return message


def urls(message):
    pk = message.pk
    part = next(a["part"] for a in message.attachments if a["name"] == "Angebot Müller.pdf")
    return [
        ("get", reverse("organizer:message", args=[pk])),
        ("get", reverse("organizer:mail_html", args=[pk])),
        ("get", reverse("organizer:mail_part", kwargs={"pk": pk, "part": part})),
        ("get", reverse("organizer:mail_raw", args=[pk])),
        ("post", reverse("organizer:mail_remote", args=[pk])),
    ]


def test_owner_reads_the_mail_with_its_filing_panel(client, owner, rich):
    client.force_login(owner)

    page = client.get(reverse("organizer:message", args=[rich.pk])).text

    assert "Angebot 4711" in page  # the subject
    (iframe,) = re.findall(r"<iframe[^>]*>", page)
    assert f'src="{reverse("organizer:mail_html", args=[rich.pk])}"' in iframe
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in iframe
    assert f'hx-get="{reverse("archiving:message_filings", args=[rich.pk])}"' in page
    assert "Angebot Müller.pdf" in page
    assert "<script>window.xss" not in page


@pytest.mark.parametrize("who", ["colleague", "staff", "superuser", "outsider"])
def test_every_message_url_is_404_for_other_users(client, owner, rich, who):
    other = {
        "colleague": lambda: make_user(),
        "staff": lambda: make_user(is_staff=True),
        "superuser": lambda: make_user(is_staff=True, is_superuser=True),
        "outsider": lambda: make_user(crm=False),
    }[who]()
    client.force_login(other)
    for method, url in urls(rich):
        assert getattr(client, method)(url).status_code == 404, url


def test_html_document_is_sanitised_and_shows_the_inline_image_by_signed_url(client, owner, rich):
    client.force_login(owner)

    response = client.get(reverse("organizer:mail_html", args=[rich.pk]))

    assert response.status_code == 200
    assert "script" not in response.text.lower()
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    (src,) = re.findall(r'<img[^>]+src="([^"]+)"', response.text)
    assert src.startswith(
        reverse("organizer:mail_inline", kwargs={"pk": rich.pk, "part": "0"})[:-1]
    )
    client.logout()  # the sandboxed document sends no cookie
    image = client.get(src.replace("&amp;", "&"))
    assert image.status_code == 200 and image.content == LOGO
    assert client.get(src.split("?")[0] + "?t=forged").status_code == 404


def test_attachment_downloads_with_its_name_and_raw_source_is_the_stored_mail(client, owner, rich):
    client.force_login(owner)
    _m, _page, (_g, part_url), (_g2, raw_url), _remote = urls(rich)

    attachment = client.get(part_url)
    raw = client.get(raw_url)

    assert attachment.content == b"%PDF-1.4 Angebot"
    assert "attachment;" in attachment["Content-Disposition"]
    assert "filename*=UTF-8''Angebot%20M%C3%BCller.pdf" in attachment["Content-Disposition"]
    assert raw["Content-Type"] == "message/rfc822"
    assert raw.content == mailview._read_raw(rich)


def test_bcc_is_shown_on_sent_mail_only(client, owner, account):
    raw = build_mail(
        from_="Lena Vogt <lena.vogt@example.com>",
        to="mira@example.org",
        bcc="chef@example.com",
        subject="Angebot",
    )
    (sent,) = put_mail(make_folder(account, "Sent", role=Folder.Role.SENT), raw)
    (incoming,) = put_mail(
        make_folder(account, "INBOX"),
        build_mail(from_="mira@example.org", bcc="geheim@example.org", subject="Frage"),
    )
    client.force_login(owner)

    sent_page = client.get(reverse("organizer:message", args=[sent.pk])).text
    incoming_page = client.get(reverse("organizer:message", args=[incoming.pk])).text

    assert "chef@example.com" in sent_page
    assert "geheim@example.org" not in incoming_page


def test_a_huge_text_is_shortened_on_the_page_and_whole_in_the_source(
    client, owner, account, monkeypatch
):
    monkeypatch.setattr(mailview, "TEXT_SHOWN", 1000)
    line = "Zeile mit Text, immer wieder.\n"
    huge, short = line * 100 + "DAS ENDE\n", "Kurz.\n"
    (big,) = put_mail(make_folder(account, "INBOX"), build_mail(body=huge, subject="Lang"))
    (small,) = put_mail(make_folder(account, "Kunden"), build_mail(body=short, subject="Kurz"))
    client.force_login(owner)

    page = client.get(reverse("organizer:message", args=[big.pk])).text
    source = client.get(reverse("organizer:mail_raw", args=[big.pk])).getvalue()
    small_page = client.get(reverse("organizer:message", args=[small.pk])).text

    assert "Zeile mit Text" in page and "DAS ENDE" not in page
    assert 'data-testid="text-cut"' in page
    assert b"DAS ENDE" in source
    assert "Kurz." in small_page and 'data-testid="text-cut"' not in small_page


def test_mail_from_an_own_address_counts_as_sent_wherever_it_lies(client, owner, account):
    raw = build_mail(from_="sales@example.com", bcc="chef@example.com", subject="Kopie")
    account.aliases = ["sales@example.com"]
    account.save(update_fields=["aliases"])
    (message,) = put_mail(make_folder(account, "Archiv"), raw)
    client.force_login(owner)
    assert "chef@example.com" in client.get(reverse("organizer:message", args=[message.pk])).text


def test_a_mail_that_failed_to_parse_offers_its_raw_source(client, owner, account):
    (message,) = put_mail(make_folder(account, "INBOX"), build_mail(subject="Kaputt"))
    Message.objects.filter(pk=message.pk).update(parse_failed=True)
    client.force_login(owner)

    page = client.get(reverse("organizer:message", args=[message.pk])).text

    assert 'data-testid="parse-failed"' in page
    assert reverse("organizer:mail_raw", args=[message.pk]) in page


def test_reading_marks_nothing_as_seen(client, owner, rich):
    client.force_login(owner)
    for method, url in urls(rich)[:4]:
        getattr(client, method)(url)
    rich.refresh_from_db()
    assert rich.seen is False and rich.flags == []


def test_remote_content_choice_returns_to_the_message(client, owner, account):
    raw = html_mail('<img src="https://track.example.de/p.gif">')
    (message,) = put_mail(make_folder(account, "INBOX"), raw)
    client.force_login(owner)

    response = client.post(reverse("organizer:mail_remote", args=[message.pk]), {"allow": "1"})

    assert response["Location"] == reverse("organizer:message", args=[message.pk])
    assert owner.remote_content_allowances.get().address == "mira.albrecht@example.org"
