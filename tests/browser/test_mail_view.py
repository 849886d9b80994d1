"""The message view in Chromium: inline images, remote content only on request, links."""

import pytest
from django.urls import reverse

from organizer.models import RemoteContentAllowance
from tests.archiving.filed_mail_data import file_raw_mail, html_mail, png_bytes
from tests.browser.conftest import script_runs
from tests.factories import make_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The sanitiser drops id attributes: the pictures are found by their alt text.
LOGO = "img[alt=Logo]"
BANNER = "img[alt=Banner]"


def remote_mail(attacker, owner, subject="Angebot 4711"):
    contact = make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    html = (
        '<p>Guten Tag,</p><img src="cid:logo@mail.example.org" alt="Logo">'
        f'<img src="{attacker.url}/remote.png" alt="Banner">'
        f'<p><a href="{attacker.url}/landing">Zum Angebot</a></p>'
    )
    raw = html_mail(html, subject=subject, inline_images=[("logo@mail.example.org", png_bytes())])
    return file_raw_mail(raw, contact, user=owner)


def open_mail(page, live_server, mail):
    page.goto(live_server.url + reverse("archiving:filed_mail", kwargs={"pk": mail.pk}))
    frame = page.wait_for_selector("iframe.mail-html").content_frame()
    frame.wait_for_selector(LOGO, state="attached")
    frame.wait_for_function("document.querySelector('img[alt=Logo]').complete")
    return frame


def test_inline_image_shows_and_remote_image_waits_for_the_user(
    live_server, page, login, requests_seen, attacker, owner
):
    mail = remote_mail(attacker, owner)
    login(owner)
    frame = open_mail(page, live_server, mail)

    # The cid: image comes from the mail itself (signed URL: the sandbox sends no cookie).
    assert frame.evaluate("document.querySelector('img[alt=Logo]').naturalWidth") == 2
    assert frame.get_attribute(BANNER, "src") is None
    assert page.get_by_text("Remote content (images) in this mail was blocked").is_visible()
    assert attacker.paths == []
    assert requests_seen.outside(live_server.url) == []

    page.get_by_role("link", name="Load remote content").click()
    assert attacker.hit.wait(10)
    assert attacker.paths == ["/remote.png"]
    frame = page.wait_for_selector("iframe.mail-html").content_frame()
    frame.wait_for_function("document.querySelector('img[alt=Banner]').naturalWidth > 0")
    assert page.get_by_text("Remote content is shown.").is_visible()
    assert script_runs(page) == []


def test_always_for_this_sender_loads_remote_content_in_their_next_mail(
    live_server, page, login, attacker, owner
):
    first = remote_mail(attacker, owner, subject="Erste")
    login(owner)
    open_mail(page, live_server, first)
    page.get_by_role("button", name="Always for mira.albrecht@example.org").click()
    page.wait_for_load_state("load")
    assert attacker.hit.wait(10)
    assert RemoteContentAllowance.objects.filter(user=owner).count() == 1

    attacker.paths.clear()
    second = remote_mail(attacker, owner, subject="Zweite")
    frame = open_mail(page, live_server, second)
    frame.wait_for_function("document.querySelector('img[alt=Banner]').naturalWidth > 0")
    assert attacker.paths == ["/remote.png"]


def test_links_open_a_new_tab_without_access_to_the_mail(
    live_server, page, context, login, attacker, owner
):
    mail = remote_mail(attacker, owner)
    login(owner)
    frame = open_mail(page, live_server, mail)
    with context.expect_page() as opened:
        frame.get_by_role("link", name="Zum Angebot").click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == f"{attacker.url}/landing"
    assert tab.evaluate("window.opener") is None
    assert page.url.endswith(reverse("archiving:filed_mail", kwargs={"pk": mail.pk}))
