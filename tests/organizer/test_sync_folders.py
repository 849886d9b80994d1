"""Folders: modified UTF-7 names, roles by SPECIAL-USE or name, \\Noselect, renames (F18)."""

import pytest

from organizer.models import Folder, Message
from organizer.sync import sync_account
from tests.factories import make_mail_account, make_raw_mail

pytestmark = pytest.mark.django_db


def folders_of(account):
    return {f.display_name: f for f in Folder.objects.filter(account=account)}


def test_german_exchange_folders_are_decoded_with_roles_from_special_use(dovecot, imap_proxy):
    # F18: the names are sent in modified UTF-7, shown decoded; Sent is not called "Sent".
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    for name in ["Entwürfe", "Gesendete Elemente", "Gelöschte Elemente", "Kunden/Müller & Söhne"]:
        dovecot.create_folder(account.login, name)
    dovecot.create_folder(account.login, "[Gmail]/Alle Nachrichten")
    dovecot.append(account.login, "Kunden/Müller & Söhne", make_raw_mail("Aufmaß"))
    dovecot.append(account.login, "Gesendete Elemente", make_raw_mail("Angebot gesendet"))

    result = sync_account(account, ["Kunden/Müller & Söhne", "Gesendete Elemente"])

    assert result.ok and result.new == 2
    folders = folders_of(account)
    assert folders["Kunden/Müller & Söhne"].name == "Kunden/M&APw-ller &- S&APY-hne"
    assert folders["Entwürfe"].name == "Entw&APw-rfe"
    assert {name: f.role for name, f in folders.items() if f.role} == {
        "INBOX": "inbox",
        "Entwürfe": "drafts",
        "Gesendete Elemente": "sent",
        "Gelöschte Elemente": "trash",
    }
    assert not folders["Kunden"].selectable and not folders["[Gmail]"].selectable
    assert Message.objects.get(folder=folders["Kunden/Müller & Söhne"]).subject == "Aufmaß"
    sent_on_wire = [c for c in imap_proxy.commands if "STATUS" in c or "EXAMINE" in c]
    assert any('"Kunden/M&APw-ller &- S&APY-hne"' in c for c in sent_on_wire)
    assert all(c.isascii() for c in imap_proxy.commands)
    assert not any('"Kunden"' in c or '"[Gmail]"' in c for c in sent_on_wire)


def test_inbox_and_sent_sync_automatically_junk_trash_and_others_only_on_demand(dovecot):
    account = make_mail_account(server=dovecot)
    for name in ["Sent", "Junk", "Trash", "Projekte"]:
        dovecot.create_folder(account.login, name)
        dovecot.append(account.login, name, make_raw_mail(name))
    dovecot.append(account.login, "INBOX", make_raw_mail("INBOX"))

    sync_account(account)

    assert set(Message.objects.filter(account=account).values_list("subject", flat=True)) == {
        "INBOX",
        "Sent",
    }
    sync_account(account, ["Projekte"])
    assert Message.objects.filter(account=account, subject="Projekte").exists()


def test_sent_found_by_name_when_the_server_flags_no_folder(dovecot):
    account = make_mail_account(server=dovecot)
    dovecot.create_folder(account.login, "Gesendete Objekte")
    dovecot.append(account.login, "Gesendete Objekte", make_raw_mail("raus"))

    sync_account(account)

    sent = Folder.objects.get(account=account, role="sent")
    assert sent.display_name == "Gesendete Objekte" and "\\Sent" not in sent.flags
    assert Message.objects.get(account=account).folder == sent


def test_gmail_sent_mail_below_a_noselect_parent_is_found_by_name(dovecot):
    account = make_mail_account(server=dovecot)
    dovecot.create_folder(account.login, "[Gmail]/Sent Mail")

    sync_account(account)

    assert Folder.objects.get(account=account, role="sent").name == "[Gmail]/Sent Mail"
    assert not Folder.objects.get(account=account, name="[Gmail]").selectable


def test_special_use_flag_wins_over_a_folder_merely_named_like_sent(dovecot):
    account = make_mail_account(server=dovecot)
    dovecot.create_folder(account.login, "Postausgang")  # flagged \Sent by the server
    dovecot.create_folder(account.login, "Gesendet")  # only the name

    sync_account(account)

    assert [f.display_name for f in Folder.objects.filter(account=account, role="sent")] == [
        "Postausgang"
    ]


def test_a_folder_gone_from_the_server_is_marked_and_its_mail_kept(dovecot):
    account = make_mail_account(server=dovecot)
    dovecot.create_folder(account.login, "Projekte")
    dovecot.append(account.login, "Projekte", make_raw_mail())
    sync_account(account, ["Projekte"])

    dovecot.doveadm("mailbox", "delete", "-u", account.login, "Projekte")
    sync_account(account)

    folder = Folder.objects.get(account=account, name="Projekte")
    assert not folder.exists_on_server
    assert Message.objects.filter(folder=folder).count() == 1


def test_a_renamed_folder_keeps_its_mail_and_cursor(dovecot, imap_proxy):
    # F18 step 3: the rename keeps UIDVALIDITY, so nothing is fetched twice.
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    dovecot.create_folder(account.login, "Kunden/Müller & Söhne")
    dovecot.append(account.login, "Kunden/Müller & Söhne", make_raw_mail("Aufmaß"))
    sync_account(account, ["Kunden/Müller & Söhne"])

    dovecot.doveadm(
        "mailbox", "rename", "-u", account.login, "Kunden/Müller & Söhne", "Kunden/Müller GmbH"
    )
    imap_proxy.commands.clear()
    result = sync_account(account, ["Kunden/Müller GmbH"])

    assert result.ok and result.new == 0
    folder = Folder.objects.get(account=account, display_name="Kunden/Müller GmbH")
    assert folder.name == "Kunden/M&APw-ller GmbH"
    assert Message.objects.get(account=account).folder == folder
    assert not any("BODY.PEEK[]" in c for c in imap_proxy.commands)


def test_a_malformed_folder_name_is_shown_best_effort_and_the_rest_syncs(
    dovecot, imap_proxy, caplog
):
    # F18 step 4: an unterminated shift sequence in a LIST answer.
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    dovecot.create_folder(account.login, "Archiv/Kaputt")
    dovecot.append(account.login, "INBOX", make_raw_mail())
    imap_proxy.rewrite(b"Archiv/Kaputt", b"Archiv/&Jjo")

    result = sync_account(account)

    assert result.ok and result.new == 1
    broken = Folder.objects.get(account=account, name="Archiv/&Jjo")
    assert broken.display_name == "Archiv/\ufffd"
    assert "malformed modified UTF-7 folder name" in caplog.text


def test_imported_folders_are_left_alone_by_the_sync_even_when_the_server_has_that_name(
    dovecot,
):
    from organizer.importing import import_messages

    account = make_mail_account(server=dovecot)
    import_messages(account, "Archiv", [make_raw_mail("alt, importiert")], file_async=False)
    dovecot.create_folder(account.login, "Archiv")
    dovecot.append(account.login, "Archiv", make_raw_mail("auf dem Server"))

    result = sync_account(account)
    sync_account(account, ["Archiv"])

    assert result.ok
    archive = Folder.objects.get(account=account, name="Archiv")
    assert archive.is_imported and archive.exists_on_server
    assert [m.subject for m in archive.messages.all()] == ["alt, importiert"]
