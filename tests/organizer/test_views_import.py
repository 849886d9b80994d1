"""Upload of an mbox file or an .eml on the account's settings page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from archiving.models import Filing
from organizer.models import Folder
from tests.factories import make_contact, make_mail_account
from tests.organizer.mails import build_mail

pytestmark = pytest.mark.django_db


def mbox(*raws):
    out = b""
    for raw in raws:
        out += b"From sender@example.org Mon Mar  3 10:00:00 2025\n" + raw.replace(b"\r\n", b"\n")
        out += b"\n"
    return out


def upload(client, account, content, name="export.mbox", folder=""):
    return client.post(
        reverse("organizer:account_import", args=[account.pk]),
        {"file": SimpleUploadedFile(name, content), "folder": folder},
    )


def test_uploaded_mbox_lands_in_a_folder_and_a_second_upload_adds_nothing(client, owner):
    account = make_mail_account(owner)
    content = mbox(build_mail(subject="eins"), build_mail(subject="zwei"))
    client.force_login(owner)

    first = upload(client, account, content)
    second = upload(client, account, content)

    assert first.status_code == second.status_code == 302
    folder = Folder.objects.get(account=account, name="Import/export")
    assert folder.is_imported
    assert sorted(folder.messages.values_list("subject", flat=True)) == ["eins", "zwei"]


def test_uploaded_mail_is_filed_on_accounts_with_automatic_filing(
    client, owner, django_capture_on_commit_callbacks
):
    contact = make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    account = make_mail_account(owner, auto_archive=True)
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        upload(client, account, build_mail(subject="Angebot"), name="angebot.eml", folder="Alt")

    assert [f.record for f in Filing.objects.all()] == [contact]


def test_a_file_that_holds_no_mail_gets_a_clear_error(client, owner):
    account = make_mail_account(owner)
    client.force_login(owner)

    response = upload(client, account, b"\x00\x01binary junk" * 100, name="bild.png")

    assert response.status_code == 422
    assert response.context["form"].errors["file"]
    assert not Folder.objects.filter(account=account).exists()


def test_only_the_owner_may_import(client, owner, colleague):
    account = make_mail_account(owner)
    client.force_login(colleague)

    assert upload(client, account, build_mail(), name="x.eml").status_code == 404
    assert client.get(reverse("organizer:account_import", args=[account.pk])).status_code == 404
    assert not Folder.objects.filter(account=account).exists()
