"""A changed UIDVALIDITY re-reads the folder without duplicates, never with UID FETCH 0:* (F19)."""

import re

import pytest

from organizer.models import Folder, Message
from organizer.sync import sync_account
from tests.factories import make_mail_account, make_raw_mail

pytestmark = pytest.mark.django_db

RANGE_FROM_ZERO = re.compile(r"\bFETCH (0|0:\S*|\S*,0:\S*|\S*,0)\s")


def never_fetched_from_zero(proxy):
    return not [c for c in proxy.commands if RANGE_FROM_ZERO.search(c)]


def five_mails():
    raws = [make_raw_mail(f"Mail {i}") for i in range(4)]
    raws.append(make_raw_mail("ohne Message-ID", message_id=False))
    return raws


def test_server_migration_reassociates_known_mail_and_imports_new_mail_once(
    dovecot, imap_proxy, caplog
):
    # F19: UIDs 1..5 become 101..105 under a new UIDVALIDITY, plus 106 and 107.
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    user = account.login
    raws = five_mails()
    dovecot.set_uidvalidity(user, "INBOX", 1700000000)
    for raw in raws:
        dovecot.append(user, "INBOX", raw)
    sync_account(account)
    before = dict(Message.objects.filter(account=account).values_list("subject", "pk"))

    dovecot.doveadm("expunge", "-u", user, "mailbox", "INBOX", "all")
    dovecot.set_uidvalidity(user, "INBOX", 1800000000, min_next_uid=101)
    for raw in raws:
        dovecot.append(user, "INBOX", raw)
    dovecot.append(user, "INBOX", make_raw_mail("neu ohne Message-ID", message_id=False))
    dovecot.append(
        user,
        "INBOX",
        make_raw_mail("neu mit Sender", sender=None, headers=["Sender: t@example.de"]),
    )
    imap_proxy.refuse(b"FETCH 0:", text=b"BAD Invalid uidset")  # the strict server variant
    imap_proxy.commands.clear()
    caplog.clear()

    result = sync_account(account)

    assert result.ok and result.new == 2 and result.removed == 0
    messages = Message.objects.filter(account=account)
    assert messages.count() == 7
    assert sorted(messages.values_list("uid", flat=True)) == list(range(101, 108))
    assert set(messages.values_list("uidvalidity", flat=True)) == {1800000000}
    assert dict(messages.filter(subject__in=before).values_list("subject", "pk")) == before
    inbox = Folder.objects.get(account=account, name="INBOX")
    assert (inbox.uidvalidity, inbox.last_uid) == (1800000000, 107)
    assert never_fetched_from_zero(imap_proxy)
    # Mail with a Message-ID is matched from its headers; only the rest is downloaded.
    bodies = [c for c in imap_proxy.commands if "BODY.PEEK[]" in c]
    assert [c.split()[3] for c in bodies] == ["105:107"]
    assert caplog.text.count("UIDVALIDITY of folder INBOX") == 1

    assert sync_account(account).new == 0
    assert messages.count() == 7


def test_uidvalidity_bump_with_the_same_uids_changes_nothing_visible(dovecot, imap_proxy):
    account = make_mail_account(server=dovecot, port=imap_proxy.port)
    for raw in five_mails():
        dovecot.append(account.login, "INBOX", raw)
    sync_account(account)
    pks = sorted(Message.objects.values_list("pk", flat=True))

    dovecot.set_uidvalidity(account.login, "INBOX", 4242)
    result = sync_account(account)

    assert result.ok and (result.new, result.removed) == (0, 0)
    assert sorted(Message.objects.values_list("pk", flat=True)) == pks
    assert set(Message.objects.values_list("uidvalidity", flat=True)) == {4242}
    assert never_fetched_from_zero(imap_proxy)


def test_recreated_folder_keeps_what_is_still_there_and_drops_what_is_not(dovecot):
    account = make_mail_account(server=dovecot)
    user = account.login
    dovecot.create_folder(user, "Projekte")
    kept, lost = make_raw_mail("bleibt"), make_raw_mail("weg", message_id=False)
    dovecot.append(user, "Projekte", kept)
    dovecot.append(user, "Projekte", lost)
    sync_account(account, ["Projekte"])
    kept_pk = Message.objects.get(subject="bleibt").pk

    dovecot.doveadm("mailbox", "delete", "-u", user, "Projekte")
    dovecot.create_folder(user, "Projekte")
    dovecot.set_uidvalidity(user, "Projekte", 99)  # never the same second as the first one
    dovecot.append(user, "Projekte", make_raw_mail("ganz neu"))
    dovecot.append(user, "Projekte", kept)
    result = sync_account(account, ["Projekte"])

    assert (result.new, result.removed) == (1, 1)
    assert dict(Message.objects.values_list("subject", "uid")) == {"ganz neu": 1, "bleibt": 2}
    assert Message.objects.get(subject="bleibt").pk == kept_pk
