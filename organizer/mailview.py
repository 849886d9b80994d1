"""Showing one stored mail safely: the helpers behind the mail endpoints of both apps.

A mail is any ParsedMail (an organizer.Message or an archiving.FiledMail). An app that shows
mail defines these URL names in its namespace, each taking the mail's ``pk``:

    mail_html     the sanitised HTML body as a document of its own: the iframe's src
    mail_inline   one inline image by MIME part path (``part``), for that document
    mail_part     one attachment by MIME part path (``part``), always as a download
    mail_raw      the raw source as an .eml download
    mail_remote   POST: always load remote content from this mail's sender (or stop)

and every view fetches the mail for the user (404 for anyone else) and returns one helper:

    @csp_exempt()  # the helper writes the document's own, stricter policy
    def message_html(request, pk):
        message = get_message_for_user(request, pk)
        return mailview.html_document_response(request, message, "organizer")

    def message_part(request, pk, part):
        return mailview.attachment_response(get_message_for_user(request, pk), part)

    def message_raw(request, pk):
        return mailview.raw_source_response(get_message_for_user(request, pk))

    @require_POST
    def message_remote(request, pk):
        message = get_message_for_user(request, pk)
        mailview.set_remote_content_allowed(request, message)
        return redirect(...the message page...)

    @login_not_required  # see below
    def message_inline(request, pk, part):
        message = get_object_or_404(Message, pk=pk)
        return mailview.inline_image_response(request, message, "organizer", part)

The page shows the mail with ``{% load mailview %}{% mail_view mail "organizer" sent=True %}``
(``sent`` shows Bcc; pass it for mail the user sent).

Why the inline images need no session: the HTML document lives in an iframe sandboxed without
``allow-same-origin``, so it has an opaque origin, and Chromium sends no SameSite cookie with
the requests it makes. Its inline-image URLs therefore carry a signature, made when a user
allowed to read the mail loaded the document, bound to that app, mail and part and valid for
INLINE_URL_MAX_AGE; the inline view checks the signature instead of the user.
"""

import logging
import re
import unicodedata
from urllib.parse import quote

from django.core import signing
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse

from organizer import storage
from organizer.models import RemoteContentAllowance
from organizer.parsing import get_part
from organizer.sanitize import sanitize_mail_html

logger = logging.getLogger(__name__)

INLINE_URL_MAX_AGE = 8 * 60 * 60  # seconds: a working day with the mail open
INLINE_SALT = "organizer.mailview.inline"
REMOTE_PARAMETER = "remote"

# Served as their own type (downloads all the same); anything else, text/html and SVG
# included, goes out as application/octet-stream.
PASSIVE_TYPES = frozenset(
    {
        "application/pdf", "application/zip", "application/gzip", "application/x-7z-compressed",
        "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
        "application/vnd.ms-outlook", "application/ms-tnef", "application/rtf",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "text/plain", "text/csv", "text/calendar", "message/rfc822",
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff",
        "audio/mpeg", "audio/ogg", "audio/wav", "video/mp4", "video/mpeg",
    }
)  # fmt: skip
# The images an inline part may be: raster formats only (no SVG, whatever the mail says).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"})

# The policy of the mail document when nothing remote may load. {inline} is the absolute URL
# prefix of this mail's inline images.
DOCUMENT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src {inline} data:{remote}; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)
# Same-origin pages only: never offered to another site as a frame, nor opened as a popup
# that could script it.
DOWNLOAD_POLICY = "default-src 'none'; sandbox"


# --- the page ----------------------------------------------------------------------------------


# Characters of the text body the page shows: a mail of many megabytes of text would make a page
# no browser handles well; the original (.eml) holds the rest.
TEXT_SHOWN = 500_000


def mail_view_context(request, mail, namespace, *, sent=False):
    """What templates/includes/_mail.html needs to show `mail` to request.user."""
    sender = remote_sender(mail)
    allowed_always = bool(sender) and remote_content_allowed(request.user, sender)
    load_remote = allowed_always or request.GET.get(REMOTE_PARAMETER) == "1"
    html_url = ""
    had_remote = False
    if mail.html_body:
        html_url = reverse(f"{namespace}:mail_html", kwargs={"pk": mail.pk})
        if load_remote:
            html_url += f"?{REMOTE_PARAMETER}=1"
        # Cheap (nh3 is Rust): tells whether to offer loading remote content at all.
        had_remote = sanitize_mail_html(mail.html_body).had_remote_content
    text = mail.text_body or ""
    return {
        "mail": mail,
        "text": text[:TEXT_SHOWN],
        "text_cut": len(text) > TEXT_SHOWN,
        "show_bcc": sent,
        "reply_to_differs": reply_to_differs(mail),
        "sender_differs": sender_differs(mail),
        "attachments": attachment_rows(mail, namespace),
        "html_url": html_url,
        "had_remote_content": had_remote,
        "remote_loaded": load_remote,
        "remote_allowed_always": allowed_always,
        "remote_sender": sender,
        "load_remote_url": f"{request.path}?{REMOTE_PARAMETER}=1",
        "remote_url": reverse(f"{namespace}:mail_remote", kwargs={"pk": mail.pk}),
        "raw_url": reverse(f"{namespace}:mail_raw", kwargs={"pk": mail.pk}),
    }


def attachment_rows(mail, namespace):
    """The mail's attachments as dicts with a download `url`; forwarded mails carry theirs in
    inner.attachments the same way."""

    def rows(attachments):
        result = []
        for attachment in attachments or ():
            if shown_in_html(attachment):
                continue
            row = dict(attachment)
            row["url"] = reverse(
                f"{namespace}:mail_part", kwargs={"pk": mail.pk, "part": attachment["part"]}
            )
            if attachment.get("inner"):
                row["inner"] = dict(attachment["inner"])
                row["inner"]["attachments"] = rows(attachment["inner"].get("attachments"))
            result.append(row)
        return result

    def shown_in_html(attachment):
        # An image the HTML shows by its Content-ID is part of the text, not a file to list
        # (it stays downloadable by its part).
        return (
            bool(mail.html_body and attachment.get("inline") and attachment.get("content_id"))
            and f"cid:{_content_id(attachment['content_id'])}" in mail.html_body.lower()
        )

    return rows(mail.attachments)


def _addresses(mailboxes):
    return {m.get("normalized") or m.get("address", "").lower() for m in mailboxes or ()}


def reply_to_differs(mail):
    return bool(mail.reply_to) and _addresses(mail.reply_to) != _addresses(mail.from_addresses)


def sender_differs(mail):
    return bool(mail.sender and mail.from_addresses) and _addresses(mail.sender) != _addresses(
        mail.from_addresses
    )


# --- remote content ----------------------------------------------------------------------------


def remote_sender(mail):
    """The normal form of the address remote content may be allowed for, or "" when the mail
    has no clear author (several or ambiguous From mailboxes)."""
    if not mail.from_problem and len(mail.from_addresses) == 1:
        return mail.from_addresses[0].get("normalized", "")
    if mail.from_problem == "missing" and len(mail.sender) == 1:
        return mail.sender[0].get("normalized", "")
    return ""


def remote_content_allowed(user, address):
    if not user.is_authenticated or not address:
        return False
    return RemoteContentAllowance.objects.filter(user=user, address=address).exists()


def set_remote_content_allowed(request, mail):
    """Records (POST allow=1) or forgets (allow=0) the user's choice to always load remote
    content from the mail's sender. Returns the address, or "" when the mail has none."""
    address = remote_sender(mail)
    if not address:
        return ""
    if request.POST.get("allow", "1") == "1":
        RemoteContentAllowance.objects.get_or_create(user=request.user, address=address)
    else:
        RemoteContentAllowance.objects.filter(user=request.user, address=address).delete()
    return address


# --- the HTML document -------------------------------------------------------------------------


def html_document_response(request, mail, namespace):
    """The mail's sanitised HTML as a document of its own, for the sandboxed iframe."""
    if not mail.html_body:
        raise Http404
    load_remote = request.GET.get(REMOTE_PARAMETER) == "1" or remote_content_allowed(
        request.user, remote_sender(mail)
    )
    inline = InlineUrls(mail, namespace)
    sanitized = sanitize_mail_html(
        mail.html_body, inline_url=inline.url_for, allow_remote=load_remote
    )
    html = render_to_string(
        "includes/_mail_html_frame.html", {"body": sanitized.html, "mail": mail}, request=request
    )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = DOCUMENT_POLICY.format(
        inline=request.build_absolute_uri(inline.prefix),
        remote=" https: http:" if load_remote else "",
    )
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # The one document our own pages frame (everything else is DENY).
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


class InlineUrls:
    """Signed URLs of a mail's inline images (see the module docstring)."""

    def __init__(self, mail, namespace):
        self.mail = mail
        self.namespace = namespace
        self.by_content_id = {
            _content_id(a.get("content_id")): a["part"]
            for a in mail.attachments or ()
            if a.get("content_id") and _base_type(a.get("content_type")) in INLINE_IMAGE_TYPES
        }
        marker = reverse(f"{namespace}:mail_inline", kwargs={"pk": mail.pk, "part": "0"})
        self.prefix = marker[:-1]

    def url_for(self, content_id):
        part = self.by_content_id.get(_content_id(content_id))
        if part is None:
            return None
        token = inline_token(self.namespace, self.mail.pk, part)
        return f"{self.prefix}{quote(part, safe='/.:')}?t={token}"


def _content_id(value):
    return (value or "").strip().strip("<>").strip().lower()


def _inline_value(namespace, pk, part):
    return f"{namespace}:{pk}:{part}"


def inline_token(namespace, pk, part):
    value = _inline_value(namespace, pk, part)
    return signing.TimestampSigner(salt=INLINE_SALT).sign(value)[len(value) + 1 :]


def inline_image_response(request, mail, namespace, part):
    """One inline image of the mail, for a document that inline_token() signed; 404 otherwise."""
    token = request.GET.get("t", "")
    value = _inline_value(namespace, mail.pk, part)
    try:
        signing.TimestampSigner(salt=INLINE_SALT).unsign(
            f"{value}:{token}", max_age=INLINE_URL_MAX_AGE
        )
    except signing.BadSignature:
        raise Http404 from None
    attachment = find_attachment(mail, part)
    if attachment is None or _base_type(attachment.get("content_type")) not in INLINE_IMAGE_TYPES:
        raise Http404
    _name, content_type, data = _read_part(mail, part)
    if _base_type(content_type) not in INLINE_IMAGE_TYPES:
        raise Http404
    response = HttpResponse(data, content_type=_base_type(content_type))
    response["Content-Disposition"] = content_disposition("inline", attachment.get("name"))
    return _protect_download(response)


# --- downloads ---------------------------------------------------------------------------------


def attachment_response(mail, part):
    """One attachment (or a forwarded mail's attachment) as a download, never shown inline."""
    attachment = find_attachment(mail, part)
    if attachment is None:
        raise Http404
    name, content_type, data = _read_part(mail, part)
    response = HttpResponse(data, content_type=download_type(content_type))
    filename = attachment.get("name") or name or f"part-{part}"
    response["Content-Disposition"] = content_disposition("attachment", filename)
    return _protect_download(response)


def raw_source_response(mail):
    """The mail exactly as it was fetched, as an .eml download."""
    data = _read_raw(mail)
    response = HttpResponse(data, content_type="message/rfc822")
    # A subject like "Re: Angebot 12/2025" is a name, not a path.
    stem = re.sub(r"[\\/]+", "-", (mail.subject or "").strip())[:80] or f"mail-{mail.pk}"
    response["Content-Disposition"] = content_disposition("attachment", f"{stem}.eml")
    return _protect_download(response)


def find_attachment(mail, part):
    """The attachment dict at `part`, searched through forwarded mails too; None if unlisted.

    Only listed parts are served: a MIME path the parser did not report is nobody's file.
    """

    def search(attachments):
        for attachment in attachments or ():
            if attachment.get("part") == part:
                return attachment
            inner = attachment.get("inner") or {}
            found = search(inner.get("attachments"))
            if found is not None:
                return found
        return None

    return search(mail.attachments)


def download_type(content_type):
    """The type to serve an attachment as: its own when passive, else application/octet-stream."""
    base = _base_type(content_type)
    return base if base in PASSIVE_TYPES else "application/octet-stream"


def content_disposition(disposition, filename):
    """`attachment; filename="ASCII fallback"; filename*=UTF-8''...` (RFC 6266 / RFC 5987)."""
    filename = _clean_filename(filename) or "download"
    fallback = unicodedata.normalize("NFKD", filename.replace("ß", "ss").replace("ẞ", "SS"))
    fallback = fallback.encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r"[^A-Za-z0-9._ ()+,-]", "_", fallback).strip()
    if not fallback.strip("._ "):
        fallback = "download"
    elif fallback.startswith("."):
        fallback = "download" + fallback  # "日本.txt": keep the extension
    value = f'{disposition}; filename="{fallback}"'
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


def _clean_filename(filename):
    # No path, no control characters (a header cannot carry them anyway), no leading dots.
    name = re.split(r"[\\/]", str(filename or ""))[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name.strip().lstrip(".").strip()[:200]


def _protect_download(response):
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_POLICY
    response["Cache-Control"] = "private, no-cache"
    return response


def _base_type(content_type):
    return (content_type or "").split(";", 1)[0].strip().lower()


def _read_raw(mail):
    try:
        return storage.read_raw(mail.raw_path)
    except (OSError, ValueError):
        logger.warning(
            "Raw mail %s of %s %s is missing", mail.raw_path, type(mail).__name__, mail.pk
        )
        raise Http404 from None


def _read_part(mail, part):
    found = get_part(_read_raw(mail), part)
    if found is None:
        raise Http404
    return found
