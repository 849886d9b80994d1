"""Mailbox import (organizer/importing.py): mbox, Maildir and .eml folders into a folder of an
account, as if synced; re-imports add nothing; filing as for synced mail; clear errors."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from archiving.models import Filing
from organizer import importing, storage
from organizer.importing import (
    IMPORT_UIDVALIDITY,
    MailImportError,
    import_file,
    import_identity,
    import_mailbox,
    import_messages,
    read_mbox,
)
from organizer.mailgen import generate_mailbox
from organizer.models import Folder, Message
from organizer.parsing import parse_message
from tests.factories import make_contact, make_mail_account, make_raw_mail
from tests.organizer import mails

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


def lf(raw):
    return raw.replace(b"\r\n", b"\n")


def mbox(*raws, separator=b"From MAILER-DAEMON Tue Mar  3 10:00:00 2026\n", quote=True):
    """An mbox file as Thunderbird or Takeout write it: LF line ends, "From " lines quoted."""
    out = b""
    for raw in raws:
        body = lf(raw)
        if quote:
            body = b"\n".join(
                b">" + line if line.lstrip(b">").startswith(b"From ") else line
                for line in body.split(b"\n")
            )
        out += separator + body.rstrip(b"\n") + b"\n\n"
    return out


def stored(folder):
    return list(Message.objects.filter(folder=folder).order_by("uid"))


@pytest.fixture
def account(owner):
    return make_mail_account(owner, email_address="lena.vogt@example.com", sync_enabled=False)


def test_an_mbox_file_is_imported_into_the_folder_in_file_order(account, tmp_path):
    path = tmp_path / "Posteingang"
    path.write_bytes(mbox(*(make_raw_mail(f"Mail {n}") for n in range(1, 4))))

    result = import_mailbox(account, path, "Archiv/2019")

    folder = Folder.objects.get(account=account, display_name="Archiv/2019")
    assert [m.subject for m in stored(folder)] == ["Mail 1", "Mail 2", "Mail 3"]
    assert [m.uid for m in stored(folder)] == [1, 2, 3]
    assert (result.read, result.imported, result.duplicates) == (3, 3, 0)
    assert folder.last_uid == 3


def test_importing_the_same_file_again_adds_nothing(account, tmp_path):
    path = tmp_path / "export.mbox"
    path.write_bytes(mbox(*(make_raw_mail(f"Mail {n}") for n in range(5))))
    import_mailbox(account, path)

    again = import_mailbox(account, path)

    assert (again.read, again.imported, again.duplicates) == (5, 0, 5)
    assert Message.objects.filter(account=account).count() == 5


def test_a_second_export_with_rewritten_headers_adds_nothing(account, tmp_path):
    # Thunderbird rewrites X-Mozilla-Status when mail is read: other bytes, the same mail.
    raw = make_raw_mail("Angebot", headers=["X-Mozilla-Status: 0000"])
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_bytes(mbox(raw))
    second.write_bytes(mbox(raw.replace(b"X-Mozilla-Status: 0000", b"X-Mozilla-Status: 0001")))
    import_mailbox(account, first, "Archiv")

    result = import_mailbox(account, second, "Archiv")

    assert (result.imported, result.duplicates) == (0, 1)


def test_a_mail_twice_in_one_export_is_stored_once(account, tmp_path):
    raw = make_raw_mail("Doppelt")
    path = tmp_path / "export.mbox"
    path.write_bytes(mbox(raw, make_raw_mail("Einmal"), raw))

    result = import_mailbox(account, path)

    assert (result.imported, result.duplicates) == (2, 1)


def test_mails_without_message_id_are_told_apart_by_their_bytes(account, tmp_path):
    one = make_raw_mail("Ohne ID", message_id=False, body="Erster Text\r\n")
    two = make_raw_mail("Ohne ID", message_id=False, body="Zweiter Text\r\n")
    path = tmp_path / "export.mbox"
    path.write_bytes(mbox(one, two, one))

    result = import_mailbox(account, path)

    assert (result.imported, result.duplicates) == (2, 1)


def test_the_same_mail_is_imported_into_another_folder(account, tmp_path):
    path = tmp_path / "export.mbox"
    path.write_bytes(mbox(make_raw_mail("Hier und dort")))
    import_mailbox(account, path, "Eins")

    result = import_mailbox(account, path, "Zwei")

    assert result.imported == 1
    assert Message.objects.filter(account=account).count() == 2


def test_mail_is_stored_with_crlf_line_ends_and_from_quoting_undone(account, tmp_path):
    raw = make_raw_mail(
        "Zitat", body="From the start,\r\n>From here on\r\nFrom: not a header\r\nEnde\r\n"
    )
    path = tmp_path / "export.mbox"
    path.write_bytes(mbox(raw))  # mboxrd: ">From " lines get one more ">"
    assert b"\n>>From here on\n" in path.read_bytes()

    import_mailbox(account, path)

    message = Message.objects.get(account=account)
    stored_raw = storage.read_raw(message.raw_path)
    assert stored_raw == raw
    assert "From the start,\n>From here on\n" in message.text_body


def test_a_from_line_in_a_body_without_blank_line_before_stays_in_the_mail(tmp_path):
    # mboxo writers forget to quote; only a separator-looking line after a blank line splits.
    data = (
        b"From someone Tue Mar  3 10:00:00 2026\nSubject: eins\n\nHallo,\n"
        b"From now on we meet on Mondays.\nGruss\n\n"
        b"From - Wed Mar  4 10:00:00 2026\nSubject: zwei\n\nText\n"
    )

    found = list(read_mbox(io.BytesIO(data)))

    assert len(found) == 2
    assert b"From now on we meet on Mondays.\r\n" in found[0].raw


def test_a_thunderbird_separator_without_blank_line_before_still_splits():
    data = (
        b"From - Tue Mar  3 10:00:00 2026\nSubject: eins\n\nText\n"
        b"From - Wed Mar  4 10:00:00 2026\nSubject: zwei\n\nText\n"
    )

    assert [m.raw.split(b"\r\n")[0] for m in read_mbox(io.BytesIO(data))] == [
        b"Subject: eins",
        b"Subject: zwei",
    ]


def test_thunderbird_flags_are_kept_and_its_deleted_mail_is_skipped(account, tmp_path):
    path = tmp_path / "Inbox"
    path.write_bytes(
        mbox(
            make_raw_mail("gelesen", headers=["X-Mozilla-Status: 0001"]),
            make_raw_mail("ungelesen, markiert", headers=["X-Mozilla-Status: 0004"]),
            make_raw_mail("gelöscht", headers=["X-Mozilla-Status: 0009"]),
        )
    )

    result = import_mailbox(account, path, "Thunderbird")

    assert (result.read, result.imported, result.skipped) == (3, 2, 1)
    read, unread = stored(Folder.objects.get(account=account, name="Thunderbird"))
    assert (read.seen, read.flags) == (True, ["\\Seen"])
    assert (unread.seen, unread.flags) == (False, ["\\Flagged"])


def test_google_takeout_labels_decide_read_and_starred(account, tmp_path):
    path = tmp_path / "All mail Including Spam and Trash.mbox"
    path.write_bytes(
        mbox(
            make_raw_mail("neu", headers=["X-Gmail-Labels: Posteingang,Ungelesen"]),
            make_raw_mail("alt", headers=["X-Gmail-Labels: Archived,Opened,Starred"]),
            separator=b"From 1785123456789012345@xxx Tue Mar 03 10:00:00 +0000 2026\n",
        )
    )

    result = import_mailbox(account, path)

    assert result.folder == "Import/All mail Including Spam and Trash"
    new, old = stored(Folder.objects.get(account=account, display_name=result.folder))
    assert not new.seen
    assert old.seen and "\\Flagged" in old.flags


def test_a_maildir_is_imported_from_cur_and_new_with_its_flags(account, tmp_path):
    for sub in ("cur", "new", "tmp"):
        (tmp_path / sub).mkdir()
    (tmp_path / "cur" / "1700000001.M1P1.host:2,FS").write_bytes(lf(make_raw_mail("eins")))
    (tmp_path / "cur" / "1700000002.M2P1.host:2,").write_bytes(lf(make_raw_mail("zwei")))
    (tmp_path / "new" / "1700000003.M3P1.host").write_bytes(lf(make_raw_mail("drei")))
    (tmp_path / "tmp" / "1700000004.M4P1.host").write_bytes(b"half written")

    result = import_mailbox(account, tmp_path, "Maildir")

    assert result.imported == 3
    one, two, three = stored(Folder.objects.get(account=account, name="Maildir"))
    assert (one.subject, sorted(one.flags)) == ("eins", ["\\Flagged", "\\Seen"])
    assert (two.subject, two.seen) == ("zwei", False)
    assert (three.subject, three.seen) == ("drei", False)


def test_symbolic_links_in_a_maildir_or_eml_folder_are_not_followed(account, tmp_path):
    elsewhere = tmp_path / "elsewhere.eml"
    elsewhere.write_bytes(make_raw_mail("fremde Datei"))
    box = tmp_path / "box"
    for sub in ("cur", "new"):
        (box / sub).mkdir(parents=True)
    (box / "cur" / "1.M1P1.host:2,S").write_bytes(lf(make_raw_mail("echt")))
    (box / "cur" / "2.M2P1.host:2,S").symlink_to(elsewhere)
    emls = tmp_path / "emls"
    emls.mkdir()
    (emls / "1.eml").write_bytes(make_raw_mail("auch echt"))
    (emls / "2.eml").symlink_to(elsewhere)

    assert import_mailbox(account, box, "Maildir").imported == 1
    assert import_mailbox(account, emls, "Emls").imported == 1
    assert sorted(Message.objects.values_list("subject", flat=True)) == ["auch echt", "echt"]


def test_a_folder_name_too_long_for_imap_is_refused(account):
    with pytest.raises(MailImportError, match="folder name is too long"):
        import_messages(account, "😀" * 200, [make_raw_mail()])
    assert not Folder.objects.exists()


def test_a_folder_of_eml_files_is_read_in_natural_order(account, tmp_path):
    for n in (10, 2, 1):
        (tmp_path / f"{n}.eml").write_bytes(make_raw_mail(f"Nummer {n}"))
    (tmp_path / "notes.txt").write_text("kein Mail")

    result = import_mailbox(account, tmp_path, "Eml")

    assert result.imported == 3
    assert [m.subject for m in stored(Folder.objects.get(account=account, name="Eml"))] == [
        "Nummer 1",
        "Nummer 2",
        "Nummer 10",
    ]


def test_one_eml_file_is_imported(account, tmp_path):
    path = tmp_path / "Angebot.eml"
    path.write_bytes(mails.build_mail(subject="Einzeln"))

    result = import_mailbox(account, path)

    assert (result.folder, result.imported) == ("Import/Angebot", 1)


def test_import_folders_are_local_with_a_synthetic_uidvalidity_and_a_role_from_the_name(
    account,
):
    for name in ("inbox", "Sent", "Projekte/Müller & Söhne"):
        import_messages(account, name, [make_raw_mail(name)])

    folders = {f.display_name: f for f in Folder.objects.filter(account=account)}
    assert {name: f.role for name, f in folders.items()} == {
        "INBOX": "inbox",
        "Sent": "sent",
        "Projekte/Müller & Söhne": "",
    }
    umlauts = folders["Projekte/Müller & Söhne"]
    assert umlauts.name == "Projekte/M&APw-ller &- S&APY-hne"  # modified UTF-7, as IMAP has it
    for folder in folders.values():
        assert (folder.uidvalidity, folder.last_uid) == (IMPORT_UIDVALIDITY, 1)
        assert folder.exists_on_server  # listed in the mailbox like any folder
    assert IMPORT_UIDVALIDITY > 2**32 - 1  # above every UIDVALIDITY a server can send


def test_the_inbox_of_an_account_that_syncs_is_refused(owner):
    account = make_mail_account(owner, sync_enabled=True)

    with pytest.raises(MailImportError, match="INBOX of this account comes from its mail server"):
        import_messages(account, "Inbox", [make_raw_mail()])

    assert import_messages(account, "Import/INBOX", [make_raw_mail()]).imported == 1


@pytest.mark.parametrize("name", ["INBOX/../Sent", "../../etc", "a//b", "Import/./x"])
def test_folder_names_with_empty_or_dot_parts_are_refused(account, name):
    with pytest.raises(MailImportError, match="none of them empty"):
        import_messages(account, name, [make_raw_mail()])
    assert not Folder.objects.exists()


def test_a_folder_synced_from_the_server_is_refused(account):
    Folder.objects.create(
        account=account, name="INBOX", display_name="INBOX", role="inbox", uidvalidity=17
    )

    with pytest.raises(MailImportError, match="synced from the mail server.*Import/INBOX"):
        import_messages(account, "INBOX", [make_raw_mail()])
    assert not Message.objects.exists()


def test_imported_mail_is_filed_on_the_worker_on_accounts_with_automatic_filing(
    owner, tmp_path, django_capture_on_commit_callbacks
):
    account = make_mail_account(owner, auto_archive=True, sync_enabled=False)
    contact = make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    path = tmp_path / "export.mbox"
    path.write_bytes(mbox(make_raw_mail("Von Mira")))

    # The test settings run django-q2 tasks inline: the queued filing task runs on commit.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_mailbox(account, path)

    assert len(callbacks) == 1
    assert Message.objects.get().archive_state == Message.ArchiveState.DONE
    assert Filing.objects.get().record == contact


def test_accounts_without_automatic_filing_queue_no_filing(
    account, tmp_path, django_capture_on_commit_callbacks
):
    make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    path = tmp_path / "export.mbox"
    path.write_bytes(mbox(make_raw_mail("Von Mira")))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_mailbox(account, path)

    assert callbacks == []
    assert Message.objects.get().archive_state == Message.ArchiveState.NONE
    assert not Filing.objects.exists()


def test_an_interrupted_import_continues_where_it_stopped(account, monkeypatch):
    monkeypatch.setattr(importing, "BATCH_MESSAGES", 2)
    raws = [make_raw_mail(f"Mail {n}") for n in range(5)]

    def broken_source():
        yield from raws[:3]
        raise MailImportError("disk gone")

    with pytest.raises(MailImportError):
        import_messages(account, "Archiv", broken_source())
    assert Message.objects.count() == 2  # the first full batch was committed

    result = import_messages(account, "Archiv", raws)

    assert (result.imported, result.duplicates) == (3, 2)
    assert sorted(Message.objects.values_list("uid", flat=True)) == [1, 2, 3, 4, 5]


def test_an_mbox_is_read_one_mail_at_a_time():
    class Lines:
        """A file that counts the lines taken from it."""

        def __init__(self, data):
            self.lines = data.splitlines(keepends=True)
            self.taken = 0

        def __iter__(self):
            for line in self.lines:
                self.taken += 1
                yield line

    source = Lines(mbox(*(make_raw_mail(f"Mail {n}") for n in range(100))))
    mails_read = read_mbox(source)

    next(mails_read)

    assert source.taken < len(source.lines) / 50


def test_an_uploaded_mbox_or_eml_file_is_imported(account, tmp_path):
    upload = TemporaryUploadedFile("Export.mbox", "application/mbox", 0, None)
    upload.write(mbox(make_raw_mail("eins"), make_raw_mail("zwei")))
    upload.seek(0)
    single = SimpleUploadedFile("Angebot.eml", make_raw_mail("drei"), "message/rfc822")

    first = import_file(account, upload)
    second = import_file(account, single, "Uploads")

    assert (first.folder, first.imported) == ("Import/Export", 2)
    assert (second.folder, second.imported) == ("Uploads", 1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\n\n  \n", "is empty"),
        (None, "ZIP archive. Unpack it first"),
        (b"\x1f\x8b\x08\x00rest", "gzip archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "Outlook file"),
        (b"\x00\x01\x02binary", "neither an mbox file nor an e-mail message"),
        ("Liebe Grüße aus dem Urlaub\n".encode(), "neither an mbox file nor an e-mail message"),
    ],
)
def test_a_file_that_is_no_mail_gives_a_clear_error(account, tmp_path, content, message):
    path = tmp_path / "export"
    if content is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("Inbox.mbox", mbox(make_raw_mail()))
    else:
        path.write_bytes(content)

    with pytest.raises(MailImportError, match=message):
        import_mailbox(account, path)
    assert not Folder.objects.filter(account=account).exists()


def test_missing_paths_and_folders_without_mail_give_clear_errors(account, tmp_path):
    with pytest.raises(MailImportError, match="does not exist"):
        import_mailbox(account, tmp_path / "missing.mbox")
    (tmp_path / "empty").mkdir()
    with pytest.raises(MailImportError, match="No mail found in .*Maildir.*eml"):
        import_mailbox(account, tmp_path / "empty")


def test_the_import_identity_is_the_identity_the_parser_gives(account):
    generated = [raw for _role, raw in generate_mailbox(200, [], "lena.vogt@example.com", seed=3)]
    hostile = [value for value in vars(mails).values() if isinstance(value, bytes)]
    # RFC 2822's example 13: "Name :" headers and a junk line whose continuation belongs to To.
    broken_block = (
        b"From  : John Doe <jdoe@machine.example>\r\nTo    : Mary Smith\r\n__\r\n"
        b"          <mary@example.net>\r\nDate  : Fri, 21 Nov 1997 09:55:06 -0600\r\n"
        b"Message-ID  : <1234@local.machine.example>\r\n\r\nHello.\r\n"
    )
    raws = generated + hostile + [make_raw_mail(message_id=False), b"no headers", broken_block]

    assert len(hostile) > 10
    assert [import_identity(raw) for raw in raws] == [parse_message(raw).identity for raw in raws]


# -- the command --------------------------------------------------------------------------------


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_mailbox", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_files_and_prints_a_summary(owner, tmp_path):
    account = make_mail_account(owner, email_address="lena.vogt@example.com", auto_archive=True)
    make_contact("Mira", "Albrecht", emails=["mira.albrecht@example.org"])
    path = tmp_path / "Inbox"
    path.write_bytes(mbox(make_raw_mail("eins"), make_raw_mail("zwei")))

    out, err = run(str(path), "--account", "Lena.Vogt@example.com", "--folder", "Altes Postfach")

    assert out == (
        "lena.vogt@example.com › Altes Postfach: 2 read, 2 imported, 0 already there, 2 filed"
        f" ({out.rsplit('(', 1)[1]}"
    )
    assert Filing.objects.count() == 2
    assert account.messages.count() == 2
    again, _err = run(str(path), "--account", "lena.vogt@example.com", "--folder", "Altes Postfach")
    assert "0 imported, 2 already there, 0 filed" in again


def test_the_command_explains_what_it_cannot_import(owner, tmp_path):
    make_mail_account(owner, email_address="lena.vogt@example.com")
    path = tmp_path / "notes.txt"
    path.write_text("keine Mail")

    with pytest.raises(CommandError, match="neither an mbox file"):
        run(str(path), "--account", "lena.vogt@example.com")
    with pytest.raises(CommandError, match="No mail account nobody@example.com"):
        run(str(path), "--account", "nobody@example.com")
