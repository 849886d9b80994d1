"""Filed mails for the mail view tests, made the way the product makes them: raw bytes stored
by organizer.store in a mailbox folder, copied into the archive and filed by the services."""

import itertools
import struct
import zlib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from types import SimpleNamespace

from archiving import services
from organizer.models import Folder
from organizer.store import store_messages
from tests.factories import make_mail_account, make_user

_uids = itertools.count(1)


def file_raw_mail(raw, *records, user=None, sent=False):
    """Stores `raw` in a mailbox (its Sent folder with sent=True) and files it at each record
    by hand; returns the FiledMail."""
    user = user or make_user(crm=False)
    account = user.mail_accounts.first() or make_mail_account(
        user, email_address="lena.vogt@example.com"
    )
    role = Folder.Role.SENT if sent else Folder.Role.INBOX
    folder, _created = Folder.objects.get_or_create(
        account=account,
        name=role.label,
        defaults={"display_name": role.label, "role": role, "uidvalidity": 1},
    )
    item = SimpleNamespace(uid=next(_uids), raw=raw, flags=[])
    (message,) = store_messages(account, folder, [item])
    filing, _created = services.file_message(message, records[0], user)
    for record in records[1:]:
        services.file_filed_mail(filing.filed_mail, record, user)
    return filing.filed_mail


def png_bytes(width=2, height=2, rgb=(200, 30, 30)):
    """A real PNG picture (browsers render it: naturalWidth > 0)."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def html_mail(
    html,
    *,
    subject="Angebot 4711",
    from_="Mira Albrecht <mira.albrecht@example.org>",
    to="Lena Vogt <lena.vogt@example.com>",
    text="Guten Tag, siehe HTML.",
    inline_images=(),
    attachments=(),
    headers=(),
):
    """multipart/mixed { multipart/related { alternative { text, html }, images }, files }.

    inline_images: (content id without brackets, PNG bytes); attachments: (name, type, bytes).
    """
    message = EmailMessage()
    message["Message-ID"] = f"<view.{next(_uids)}@ablage.example>"
    message["Date"] = format_datetime(datetime(2025, 4, 4, 7, 0, tzinfo=UTC))
    message["From"] = from_
    message["To"] = to
    message["Subject"] = subject
    for name, value in headers:
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if inline_images:
        html_part = message.get_payload()[1]
        for content_id, data in inline_images:
            html_part.add_related(data, "image", "png", cid=f"<{content_id}>")
    for name, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()
