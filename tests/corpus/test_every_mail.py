"""Every mail of ../shared/corpus/enron and ../shared/corpus/mail-fixtures syncs, is stored and
can be shown: one account, one Dovecot INBOX, one sync; then each stored mail is rendered as
the message page shows it. A parse defect is recorded, never raised."""

import time

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from organizer.importing import import_identity
from organizer.models import Message
from organizer.storage import read_raw
from organizer.sync import sync_account
from tests.factories import make_mail_account

pytestmark = pytest.mark.corpus


def test_every_corpus_mail_is_synced_stored_and_shown(
    corpus, dovecot, owner, media_root, capsys, in_english
):
    enron = sorted((corpus / "enron").glob("*/*.eml"))
    fixtures = sorted((corpus / "mail-fixtures").rglob("*.eml"))
    files = enron + fixtures
    user = dovecot.add_user()
    started = time.monotonic()
    dovecot.append_many(user, "INBOX", [path.read_bytes() for path in files])
    loading = time.monotonic() - started
    account = make_mail_account(owner, server=dovecot, user=user)

    started = time.monotonic()
    result = sync_account(account)
    syncing = time.monotonic() - started

    assert result.ok, result.errors
    assert result.new == len(files)
    stored = Message.objects.filter(account=account)
    assert stored.count() == len(files)

    # Each mail as the message page shows it: the {% mail_view %} part, rendered directly (the
    # whole page costs ~20 ms, too much for ten thousand), plus whole pages for the hostile
    # fixtures and every hundredth of the rest, and every HTML document.
    request = RequestFactory().get("/")
    request.user = owner
    mail_part = Template('{% load mailview %}{% mail_view message "organizer" sent=True %}')
    client = Client()
    client.force_login(owner)
    # The locale middleware activates the request's language for this thread: keep it English
    # for the template rendered directly between requests.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    started = time.monotonic()
    shown = pages = html_documents = 0
    for message in stored.order_by("uid").iterator(500):
        html = mail_part.render(Context({"request": request, "message": message}))
        assert 'class="card mail-view"' in html, message.pk
        if message.parse_defects and not message.parse_failed:
            assert "This mail has formal defects" in html, message.pk
        shown += 1
        if message.uid > len(enron) or message.uid % 100 == 0:
            response = client.get(reverse("organizer:message", args=[message.pk]))
            assert response.status_code == 200, (message.pk, response.status_code)
            pages += 1
        if message.html_body:
            response = client.get(reverse("organizer:mail_html", args=[message.pk]))
            assert response.status_code == 200, (message.pk, response.status_code)
            html_documents += 1
    rendering = time.monotonic() - started
    with_defects = stored.exclude(parse_defects=[]).count()
    unreadable = stored.filter(parse_failed=True).count()

    with capsys.disabled():
        print(
            f"\ncorpus enron + mail-fixtures: {len(files)} mails appended in {loading:.1f}s, "
            f"synced and stored in {syncing:.1f}s; {shown} mails shown ({pages} as whole pages, "
            f"{html_documents} HTML documents) in {rendering:.1f}s; {with_defects} with parse "
            f"defects recorded, {unreadable} unreadable (kept raw)"
        )
    assert shown == len(files)
    # The hostile fixtures once more: the identity an import computes is the one the sync
    # stored, so importing them into a folder that holds them adds nothing.
    hostile = stored.filter(uid__gt=len(enron))
    assert [m.uid for m in hostile if import_identity(read_raw(m.raw_path)) != m.identity] == []
