"""Folders and stored mail for the mailbox view tests, stored the way the sync stores them
(organizer.store), without an IMAP server."""

import itertools
from types import SimpleNamespace

from organizer.imap import decode_folder_name
from organizer.models import Folder
from organizer.store import store_messages

_uids = itertools.count(1)


def make_folder(account, name="INBOX", *, role="", delimiter="/", **extra):
    """A folder by its server name (modified UTF-7), shown decoded like the sync does."""
    if name.upper() == "INBOX" and not role:
        role = Folder.Role.INBOX
    extra.setdefault("display_name", decode_folder_name(name)[0])
    extra.setdefault("uidvalidity", 1)
    return Folder.objects.create(
        account=account, name=name, role=role, delimiter=delimiter, **extra
    )


def put_mail(folder, *raws, seen=False):
    """Stores the raw mails in the folder; returns the Message rows in the given order."""
    items = [
        SimpleNamespace(uid=next(_uids), raw=raw, flags=["\\Seen"] if seen else []) for raw in raws
    ]
    return store_messages(folder.account, folder, items)
