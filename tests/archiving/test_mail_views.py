"""The filed mail's page and content endpoints (archiving/mail_views.py on organizer.mailview)."""

import re

import pytest
from django.core import signing
from django.urls import reverse

from organizer import mailview, storage
from organizer.models import RemoteContentAllowance
from tests.archiving.filed_mail_data import file_raw_mail, html_mail, png_bytes
from tests.factories import make_contact
from tests.organizer import mails

LOGO = png_bytes()
HTML = (
    '<p>Sehr geehrte Frau Vogt,</p><img src="cid:logo@mail.example.org" alt="Logo">'
    '<img src="https://track.example.de/p.gif" alt="pixel">'
    '<a href="https://shop.example.org/angebot">Angebot</a>'
)
DOCUMENT_POLICY = re.compile(
    r"^default-src 'none'; style-src 'unsafe-inline'; "
    r"img-src http://testserver/archive/mail/\d+/inline/ data:; form-action 'none'; "
    r"base-uri 'none'; frame-ancestors 'self'; "
    r"sandbox allow-popups allow-popups-to-escape-sandbox$"
)


@pytest.fixture
def contact(db):
    return make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])


@pytest.fixture
def rich_mail(owner, contact):
    raw = html_mail(
        HTML,
        inline_images=[("logo@mail.example.org", LOGO)],
        attachments=[
            ("Angebot Müller.pdf", "application/pdf", b"%PDF-1.4 Angebot"),
            ("seite.html", "text/html", b"<script>window.x=1</script>"),
            ("plan.svg", "image/svg+xml", b'<svg onload="window.x=1"/>'),
        ],
    )
    return file_raw_mail(raw, contact, user=owner)


def url(name, mail, **kwargs):
    return reverse(f"archiving:{name}", kwargs={"pk": mail.pk, **kwargs})


def part_of(mail, name):
    return next(a["part"] for a in mail.attachments if a["name"] == name)


def inline_part(mail):
    return next(a["part"] for a in mail.attachments if a["content_id"])


# --- the page ----------------------------------------------------------------------------------


def test_page_frames_the_html_in_a_sandbox_without_scripts_forms_or_same_origin(
    client, owner, rich_mail
):
    client.force_login(owner)
    page = client.get(url("filed_mail", rich_mail)).content.decode()
    (iframe,) = re.findall(r"<iframe[^>]*>", page)
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in iframe
    assert f'src="{url("mail_html", rich_mail)}"' in iframe
    assert "track.example.de" not in page  # the mail's HTML never reaches the page itself


def test_page_says_remote_content_is_blocked_and_offers_to_load_it(
    client, owner, rich_mail, in_english
):
    client.force_login(owner)
    page = client.get(url("filed_mail", rich_mail)).content.decode()
    assert "Load remote content" in page
    assert f'href="{url("filed_mail", rich_mail)}?remote=1"' in page
    assert f'action="{url("mail_remote", rich_mail)}"' in page

    loaded = client.get(url("filed_mail", rich_mail), {"remote": "1"}).content.decode()
    assert f'src="{url("mail_html", rich_mail)}?remote=1"' in loaded
    assert "Load remote content" not in loaded


def test_page_offers_nothing_when_the_mail_has_no_remote_content(
    client, owner, contact, in_english
):
    mail = file_raw_mail(html_mail("<p>nur Text</p>"), contact, user=owner)
    client.force_login(owner)
    assert "Load remote content" not in client.get(url("filed_mail", mail)).content.decode()


def test_page_lists_attachments_with_download_links_but_not_the_inline_logo(
    client, owner, rich_mail
):
    client.force_login(owner)
    page = client.get(url("filed_mail", rich_mail)).content.decode()
    pdf = url("mail_part", rich_mail, part=part_of(rich_mail, "Angebot Müller.pdf"))
    assert f'href="{pdf}" download' in page
    assert "Angebot Müller.pdf" in page
    assert url("mail_part", rich_mail, part=inline_part(rich_mail)) not in page


def test_page_escapes_markup_in_the_subject_and_text(client, owner, contact):
    # F30: the subject and the text body carry markup; it is shown as text.
    mail = file_raw_mail(mails.MARKUP, contact, user=owner)
    client.force_login(owner)
    page = client.get(url("filed_mail", mail)).content.decode()
    assert "<script>window.x=1</script>" not in page
    assert "Rechnung &lt;script&gt;window.x=1&lt;/script&gt;" in page
    assert "&lt;b&gt;nicht fett&lt;/b&gt;" in page


def test_page_shows_the_sender_as_via_when_it_differs_from_from(client, owner, contact, in_english):
    # F10: sent on behalf of someone else.
    raw = mails.build_mail(sender="Assistenz <assistenz@example.org>")
    mail = file_raw_mail(raw, contact, user=owner)
    client.force_login(owner)
    page = client.get(url("filed_mail", mail)).content.decode()
    assert "via Assistenz &lt;assistenz@example.org&gt;" in page


def test_page_marks_a_missing_from_and_names_the_sender(client, owner, contact, in_english):
    # F09: no From header; the author comes from Sender.
    raw = mails.build_mail(from_=None, sender="Tomasz Wendt <tomasz.wendt@example.de>")
    mail = file_raw_mail(raw, contact, user=owner)
    client.force_login(owner)
    page = client.get(url("filed_mail", mail)).content.decode()
    assert "From missing" in page
    assert "Sender: Tomasz Wendt &lt;tomasz.wendt@example.de&gt;" in page


def test_page_shows_a_differing_reply_to_prominently(client, owner, contact, in_english):
    # F11: a contact form: the real person only in Reply-To.
    raw = mails.build_mail(
        from_="Kontaktformular <noreply@example.com>",
        reply_to="Mira Albrecht <mira.albrecht@example.org>",
    )
    mail = file_raw_mail(raw, contact, user=owner)
    client.force_login(owner)
    page = client.get(url("filed_mail", mail)).content.decode()
    assert 'data-testid="reply-to-notice"' in page
    assert "Replies go to Mira Albrecht &lt;mira.albrecht@example.org&gt;" in page


def test_page_hides_reply_to_notice_when_it_is_the_sender(client, owner, contact):
    raw = mails.build_mail(reply_to="mira.albrecht@example.org")
    mail = file_raw_mail(raw, contact, user=owner)
    client.force_login(owner)
    assert "reply-to-notice" not in client.get(url("filed_mail", mail)).content.decode()


def test_bcc_is_shown_on_sent_mail_only(client, owner, contact):
    bcc = "Tomasz Wendt <tomasz.wendt@example.de>"
    sent = file_raw_mail(
        mails.build_mail(
            from_="Lena Vogt <lena.vogt@example.com>", to="mira.albrecht@example.org", bcc=bcc
        ),
        contact,
        user=owner,
        sent=True,
    )
    received = file_raw_mail(mails.build_mail(bcc=bcc), contact, user=owner)
    client.force_login(owner)
    assert "tomasz.wendt@example.de" in client.get(url("filed_mail", sent)).content.decode()
    assert "tomasz.wendt@example.de" not in client.get(url("filed_mail", received)).content.decode()


def test_forwarded_mail_is_an_attachment_with_its_own_sender_subject_and_files(
    client, owner, contact
):
    # F28: the inner mail's PNG belongs to it, the CSV to the outer mail.
    mail = file_raw_mail(mails.FORWARDED, contact, user=owner)
    client.force_login(owner)
    page = client.get(url("filed_mail", mail)).content.decode()
    inner_start = page.index('data-testid="inner-mail"')
    inner = page[inner_start : page.index("</div>", inner_start)]
    assert "Mira Albrecht &lt;mira.albrecht@example.org&gt;" in inner
    assert "Schaden Regal 7" in inner
    assert "foto.png" in inner
    assert "liste.csv" not in inner and "liste.csv" in page

    response = client.get(url("mail_part", mail, part="2.2"))
    assert response.status_code == 200
    assert response.content.startswith(b"\x89PNG")
    assert 'filename="foto.png"' in response["Content-Disposition"]


def test_tnef_contents_are_listed_and_winmail_dat_stays_downloadable(client, owner, contact):
    # F26: the real attachment hides in winmail.dat.
    mail = file_raw_mail(mails.TNEF_MAIL, contact, user=owner)
    client.force_login(owner)
    page = client.get(url("filed_mail", mail)).content.decode()
    assert "masse.txt" in page and "winmail.dat" in page
    inner = client.get(url("mail_part", mail, part=part_of(mail, "masse.txt")))
    assert inner.content == b"Halle 2: 18 x 42 m"
    assert inner["Content-Type"] == "text/plain"
    dat = client.get(url("mail_part", mail, part=part_of(mail, "winmail.dat")))
    assert dat.status_code == 200
    assert dat["Content-Disposition"] == 'attachment; filename="winmail.dat"'


# --- the HTML document -------------------------------------------------------------------------


def test_document_is_sanitised_and_has_a_strict_policy_of_its_own(client, owner, rich_mail):
    client.force_login(owner)
    response = client.get(url("mail_html", rich_mail))
    assert response.status_code == 200
    assert DOCUMENT_POLICY.match(response["Content-Security-Policy"]), response[
        "Content-Security-Policy"
    ]
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    body = response.content.decode()
    assert "Sehr geehrte Frau Vogt" in body
    assert 'data-remote-src="https://track.example.de/p.gif"' in body
    assert re.search(r'\ssrc="https://track', body) is None
    assert 'href="https://shop.example.org/angebot"' in body
    assert 'target="_blank"' in body and 'rel="noopener noreferrer"' in body
    assert "<script" not in body


def test_document_with_remote_allowed_loads_remote_images(client, owner, rich_mail):
    client.force_login(owner)
    response = client.get(url("mail_html", rich_mail), {"remote": "1"})
    assert response["Content-Security-Policy"].count("img-src") == 1
    assert " data: https: http:;" in response["Content-Security-Policy"]
    assert 'src="https://track.example.de/p.gif"' in response.content.decode()


def test_hostile_html_document_keeps_nothing_active(client, owner, contact):
    # F30: every attack of the case in one body; the browser test renders the same set.
    hostile = (
        '<meta http-equiv="refresh" content="0;url=https://phish.example.de/">'
        '<base href="https://phish.example.de/"><style>body{background:url(https://t.example.de/x)}</style>'
        '<img src="x" onerror="window.f30img=1"><a href="javascript:window.f30href=1">a</a>'
        '<div style="position:fixed;top:0;left:0;width:100%;height:100%">Bitte neu anmelden</div>'
        '<form action="https://phish.example.de/"><input name="pw" type="password"></form>'
        '<iframe src="https://phish.example.de/frame"></iframe><object data="https://phish.example.de/x"></object>'
    )
    mail = file_raw_mail(html_mail(hostile), contact, user=owner)
    client.force_login(owner)
    body = client.get(url("mail_html", mail)).content.decode()
    for gone in ("<meta http-equiv", "<base", "<form", "<input", "<iframe", "<object", "onerror",
                 "javascript:", "position", "phish.example.de", "t.example.de"):  # fmt: skip
        assert gone not in body
    assert "Bitte neu anmelden" in body


def test_document_of_a_mail_without_html_is_404(client, owner, contact):
    mail = file_raw_mail(mails.build_mail(), contact, user=owner)
    client.force_login(owner)
    assert client.get(url("mail_html", mail)).status_code == 404


# --- remote content for a sender ---------------------------------------------------------------


def test_always_allowing_a_sender_loads_remote_content_in_their_mail(
    client, owner, rich_mail, in_english
):
    client.force_login(owner)
    response = client.post(url("mail_remote", rich_mail), {"allow": "1"})
    assert response.status_code == 302
    assert response["Location"] == url("filed_mail", rich_mail)
    assert RemoteContentAllowance.objects.filter(
        user=owner, address="mira.albrecht@example.org"
    ).exists()
    page = client.get(url("filed_mail", rich_mail)).content.decode()
    assert f'src="{url("mail_html", rich_mail)}?remote=1"' in page
    assert "Stop always loading remote content from mira.albrecht@example.org" in page
    document = client.get(url("mail_html", rich_mail))  # without the parameter
    assert 'src="https://track.example.de/p.gif"' in document.content.decode()

    client.post(url("mail_remote", rich_mail), {"allow": "0"})
    assert not RemoteContentAllowance.objects.filter(user=owner).exists()


def test_a_senders_allowance_is_per_user(client, owner, colleague, rich_mail):
    RemoteContentAllowance.objects.create(user=owner, address="mira.albrecht@example.org")
    client.force_login(colleague)
    document = client.get(url("mail_html", rich_mail)).content.decode()
    assert 'data-remote-src="https://track.example.de/p.gif"' in document


def test_allowing_remote_content_needs_post(client, owner, rich_mail):
    client.force_login(owner)
    assert client.get(url("mail_remote", rich_mail)).status_code == 405
    assert not RemoteContentAllowance.objects.exists()


def test_a_display_name_that_looks_like_an_address_is_not_shown_as_the_sender(
    client, owner, contact, in_english
):
    # F08: only the angle address is the sender, and only it may be allowed remote content.
    raw = html_mail(
        '<img src="https://t.example.de/x.gif">',
        from_="mira.albrecht@example.org <zahlung-service@example.de>",
    )
    mail = file_raw_mail(raw, contact, user=owner)
    client.force_login(owner)
    page = client.get(url("filed_mail", mail)).content.decode()
    headers = page[page.index('<dl class="mail-headers">') : page.index("</dl>")]
    assert "zahlung-service@example.de" in headers
    assert "mira.albrecht@example.org" not in headers
    # Whether the parser calls this From clean or ambiguous, the disguise is never offered.
    assert "Always for mira.albrecht@example.org" not in page


def test_no_allowance_is_offered_without_a_clear_sender(client, owner, contact, in_english):
    raw = html_mail(
        '<img src="https://t.example.de/x.gif">',
        from_="Mira <mira.albrecht@example.org>, Tomasz <tomasz.wendt@example.de>",
    )
    mail = file_raw_mail(raw, contact, user=owner)
    client.force_login(owner)
    page = client.get(url("filed_mail", mail)).content.decode()
    assert "Load remote content" in page
    assert 'data-testid="allow-sender"' not in page
    client.post(url("mail_remote", mail), {"allow": "1"})
    assert not RemoteContentAllowance.objects.exists()


# --- inline images -----------------------------------------------------------------------------


def inline_url_from_document(client, mail):
    body = client.get(url("mail_html", mail)).content.decode()
    (src,) = re.findall(r'<img[^>]*\ssrc="(/archive/[^"]+)"', body)
    return src.replace("&amp;", "&")


def test_inline_image_is_served_by_the_signed_url_of_the_document(client, owner, rich_mail):
    client.force_login(owner)
    src = inline_url_from_document(client, rich_mail)
    assert src.startswith(url("mail_inline", rich_mail, part=inline_part(rich_mail)) + "?t=")
    client.logout()  # the sandboxed document sends no cookies
    response = client.get(src)
    assert response.status_code == 200
    assert response.content == LOGO
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")


def test_inline_image_without_or_with_a_foreign_signature_is_404(client, owner, contact, rich_mail):
    other = file_raw_mail(
        html_mail('<img src="cid:b@x">', inline_images=[("b@x", LOGO)]), contact, user=owner
    )
    part = inline_part(rich_mail)
    base = url("mail_inline", rich_mail, part=part)
    foreign = mailview.inline_token("archiving", other.pk, inline_part(other))
    other_app = mailview.inline_token("organizer", rich_mail.pk, part)
    client.force_login(owner)  # even for a user who may read the mail: no signature, no image
    for query in ("", "?t=", f"?t={foreign}", f"?t={other_app}", "?t=abc:def"):
        assert client.get(base + query).status_code == 404, query


def test_inline_signature_expires(client, owner, rich_mail, monkeypatch):
    part = inline_part(rich_mail)
    now = signing.time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now - mailview.INLINE_URL_MAX_AGE - 60)
    token = mailview.inline_token("archiving", rich_mail.pk, part)
    monkeypatch.undo()
    assert client.get(url("mail_inline", rich_mail, part=part), {"t": token}).status_code == 404


def test_only_raster_images_are_served_inline(client, owner, rich_mail):
    # A signed URL for the PDF (which the sanitiser never writes) still serves nothing.
    part = part_of(rich_mail, "Angebot Müller.pdf")
    token = mailview.inline_token("archiving", rich_mail.pk, part)
    assert client.get(url("mail_inline", rich_mail, part=part), {"t": token}).status_code == 404


# --- downloads ---------------------------------------------------------------------------------


def test_attachment_downloads_with_its_umlaut_name_as_an_attachment(client, owner, rich_mail):
    client.force_login(owner)
    response = client.get(
        url("mail_part", rich_mail, part=part_of(rich_mail, "Angebot Müller.pdf"))
    )
    assert response.status_code == 200
    assert response.content == b"%PDF-1.4 Angebot"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Angebot Muller.pdf\"; filename*=UTF-8''Angebot%20M%C3%BCller.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.parametrize("name", ["seite.html", "plan.svg"])
def test_active_attachments_download_as_octet_stream(client, owner, rich_mail, name):
    client.force_login(owner)
    response = client.get(url("mail_part", rich_mail, part=part_of(rich_mail, name)))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_parts_the_parser_did_not_list_are_404(client, owner, rich_mail):
    client.force_login(owner)
    for part in ("1", "1.1", "9", "2/tnef:0", "../1"):
        assert client.get(url("mail_part", rich_mail, part=part)).status_code == 404, part


def test_a_missing_raw_file_is_404(client, owner, rich_mail):
    storage.mail_storage().delete(storage.pack_path(rich_mail.raw_path))
    client.force_login(owner)
    part = part_of(rich_mail, "Angebot Müller.pdf")
    assert client.get(url("mail_part", rich_mail, part=part)).status_code == 404
    assert client.get(url("mail_raw", rich_mail)).status_code == 404


def test_a_mail_that_failed_to_parse_offers_its_raw_source(client, owner, contact):
    raw = b"\x00\xff\xfe kein Kopf, nur Bytes\r\n\r\n\x00"
    mail = file_raw_mail(raw, contact, user=owner)
    assert mail.parse_failed
    client.force_login(owner)
    page = client.get(url("filed_mail", mail)).content.decode()
    assert 'data-testid="parse-failed"' in page
    assert f'href="{url("mail_raw", mail)}"' in page

    response = client.get(url("mail_raw", mail))
    assert response.content == raw
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="mail-{mail.pk}.eml"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_raw_source_is_named_after_the_subject(client, owner, rich_mail, contact):
    client.force_login(owner)
    response = client.get(url("mail_raw", rich_mail))
    assert response["Content-Disposition"] == 'attachment; filename="Angebot 4711.eml"'
    assert response.content == storage.read_raw(rich_mail.raw_path)
    slashed = file_raw_mail(mails.build_mail(subject="Re: Angebot 12/2025"), contact, user=owner)
    response = client.get(url("mail_raw", slashed))
    assert response["Content-Disposition"] == (
        'attachment; filename="Re_ Angebot 12-2025.eml"; '
        "filename*=UTF-8''Re%3A%20Angebot%2012-2025.eml"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.pdf", 'attachment; filename="a.pdf"'),
        ("Größe.txt", "attachment; filename=\"Grosse.txt\"; filename*=UTF-8''Gr%C3%B6%C3%9Fe.txt"),
        ('a"b.txt', "attachment; filename=\"a_b.txt\"; filename*=UTF-8''a%22b.txt"),
        ("../../etc/passwd", 'attachment; filename="passwd"'),
        ("C:\\Users\\x\\.bashrc", 'attachment; filename="bashrc"'),
        (
            "a\r\nSet-Cookie: x.txt",
            "attachment; filename=\"aSet-Cookie_ x.txt\"; filename*=UTF-8''aSet-Cookie%3A%20x.txt",
        ),  # fmt: skip
        ("", 'attachment; filename="download"'),
        (
            "日本.txt",
            "attachment; filename=\"download.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt",
        ),
        ("日本", "attachment; filename=\"download\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC"),
    ],
)
def test_content_disposition_header(name, expected):
    assert mailview.content_disposition("attachment", name) == expected


# --- access ------------------------------------------------------------------------------------


def endpoints(mail):
    return [
        url("filed_mail", mail),
        url("mail_html", mail),
        url("mail_part", mail, part=part_of(mail, "Angebot Müller.pdf")),
        url("mail_raw", mail),
    ]


def test_owner_and_colleague_may_open_every_endpoint(client, owner, colleague, rich_mail):
    for user in (owner, colleague):
        client.force_login(user)
        for address in endpoints(rich_mail):
            assert client.get(address).status_code == 200, (user, address)


def test_outsider_gets_404_on_every_endpoint(client, outsider, rich_mail):
    client.force_login(outsider)
    for address in endpoints(rich_mail):
        assert client.get(address).status_code == 404, address
    response = client.post(url("mail_remote", rich_mail), {"allow": "1"})
    assert response.status_code == 404
    assert not RemoteContentAllowance.objects.exists()


def test_a_user_who_cannot_see_the_record_gets_404_even_as_mailbox_owner(client, contact):
    # The mailbox owner without CRM access filed it; reading the filed copy needs CRM access.
    from tests.factories import make_user

    mailbox_owner = make_user(crm=False)
    mail = file_raw_mail(
        html_mail(HTML, attachments=[("Angebot Müller.pdf", "application/pdf", b"x")]),
        contact,
        user=mailbox_owner,
    )
    client.force_login(mailbox_owner)
    for address in endpoints(mail):
        assert client.get(address).status_code == 404, address


def test_anonymous_users_are_sent_to_the_login(client, rich_mail):
    for address in endpoints(rich_mail):
        response = client.get(address)
        assert response.status_code == 302 and "/login/" in response["Location"], address


def test_unknown_mail_is_404(client, owner):
    client.force_login(owner)
    missing = type("M", (), {"pk": 999999})()
    assert client.get(url("mail_html", missing)).status_code == 404
    assert client.get(url("mail_raw", missing)).status_code == 404
