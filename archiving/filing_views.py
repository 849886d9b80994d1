"""Filing by hand (Ablegen) and removing filings.

Two kinds of mail can be filed by hand: a mail of the user's own mailbox (organizer Message,
its owner only; 404 for anyone else) and a mail that is in the archive already (FiledMail,
for users who may see a record it is filed at). Each has:

    <kind>_filings   GET   the filing panel: where the mail is filed, "File" and its dialog
    <kind>_file      GET   the same as a page (without JavaScript); POST record=<ct>:<id> files
    <kind>_unfile    POST  removes one filing (remembered: the automatic rule never redoes it)

Filing needs view permission on the chosen record; removing a filing needs it on that
filing's record. Manual filing ignores Automatische Ablage and the block list: it is the
user's explicit choice. htmx requests get the panel back; plain requests are redirected.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from archiving import selectors, services
from archiving.models import FiledMail, Filing
from archiving.views import get_filed_mail_for_user
from crm import selectors as crm_selectors
from crm.models import user_can_view_record
from organizer.models import Message
from settings.http import search_text, wants_fragment

SEARCH_LIMIT = 8  # hits per kind in the dialog


class _Target:
    """The mail being filed, with what the panel needs whichever kind it is."""

    kind = ""

    def __init__(self, request, pk):
        self.request = request
        self.user = request.user
        self.pk = pk

    def url(self, action, **kwargs):
        return reverse(f"archiving:{self.kind}_{action}", kwargs={"pk": self.pk, **kwargs})

    def panel_context(self, *, notice="", error=""):
        filings = self.filings()
        visible = [f for f in filings if f.record and user_can_view_record(self.user, f.record)]
        rows = [
            {
                "filing": f,
                "record": f.record,
                "archive_url": reverse(
                    "archiving:record_archive", args=[f.content_type_id, f.object_id]
                ),
                "unfile_url": self.url("unfile", filing_pk=f.pk),
            }
            for f in visible
        ]
        return {
            "target": self,
            "rows": rows,
            "hidden_count": len(filings) - len(visible),
            "can_file": bool(searchable_kinds(self.user)),
            "panel_url": self.url("filings"),
            "file_url": self.url("file"),
            "search_url": f"{reverse('archiving:filing_search')}?{self.kind}={self.pk}",
            "notice": notice,
            "error": error,
        }


class _MessageTarget(_Target):
    """A mail of the user's own mailbox."""

    kind = "message"

    def __init__(self, request, pk):
        super().__init__(request, pk)
        self.message = get_object_or_404(
            Message.objects.select_related("folder", "account").defer(
                "account__password_encrypted"
            ),
            pk=pk,
            account__owner=request.user,
        )
        self.back_url = reverse("organizer:message", args=[pk])
        self.pending = self.message.archive_state == Message.ArchiveState.PENDING

    def filed_mail(self):
        return FiledMail.objects.filter(identity=self.message.identity).first()

    def filings(self):
        filed_mail = self.filed_mail()
        return selectors.filings_of_mail(filed_mail) if filed_mail else []

    def file(self, record):
        return services.file_message(self.message, record, self.user)

    def still_visible(self):
        return True


class _FiledMailTarget(_Target):
    """A mail in the archive, for users who may see a record it is filed at."""

    kind = "filed_mail"
    pending = False

    def __init__(self, request, pk, mail=None):
        super().__init__(request, pk)
        # `mail` when the caller fetched it for this user already (the filed-mail page).
        self.mail = mail if mail is not None else get_filed_mail_for_user(request, pk)[0]
        self.back_url = reverse("archiving:filed_mail", args=[pk])

    def filed_mail(self):
        return self.mail

    def filings(self):
        return selectors.filings_of_mail(self.mail)

    def file(self, record):
        return services.file_filed_mail(self.mail, record, self.user)

    def still_visible(self):
        return selectors.user_can_view_filed_mail(self.user, self.mail)


def filed_mail_panel_context(request, mail):
    """The filing panel of a filed mail that was fetched for request.user already."""
    return _FiledMailTarget(request, mail.pk, mail).panel_context()


def searchable_kinds(user):
    """The record kinds (crm.selectors.SEARCHABLE) the user may see and so file mail at."""
    return [kind for kind in crm_selectors.SEARCHABLE if user.has_perm(f"crm.view_{kind}")]


def _panel(request, target, status=200, **messages_):
    context = target.panel_context(**messages_)
    return render(request, "archiving/_filing_panel.html", context, status=status)


def _record_from(value):
    """The archive record named by "<content type id>:<object id>", or None."""
    try:
        content_type_id, object_id = (int(part) for part in (value or "").split(":"))
    except ValueError:
        return None
    return selectors.archive_record(content_type_id, object_id)


def _filings(request, target):
    return _panel(request, target)


def _file(request, target):
    if request.method != "POST":
        return _file_page(request, target)
    record = _record_from(request.POST.get("record"))
    error = ""
    if record is None:
        error = _("Choose a customer, contact, quote or invoice to file the mail at.")
    elif not user_can_view_record(request.user, record):
        # Never named: walking the ids would list every record the user may not see.
        error = _("You may not see this record, so you cannot file mail there.")
    if error:
        if wants_fragment(request):
            return _panel(request, target, status=422, error=error)
        messages.error(request, error)
        return redirect(target.back_url)
    _filing, created = target.file(record)
    if created:
        notice = _("Filed at %(record)s.") % {"record": record}
    else:
        notice = _("The mail was filed at %(record)s already.") % {"record": record}
    if wants_fragment(request):
        return _panel(request, target, notice=notice)
    messages.success(request, notice)
    return redirect(target.back_url)


def _file_page(request, target):
    """The filing dialog as a page of its own, for browsers without JavaScript."""
    q = search_text(request)
    kinds = searchable_kinds(request.user)
    hits = crm_selectors.search_records(q, kinds, limit=SEARCH_LIMIT) if kinds else []
    context = {
        **target.panel_context(),
        "q": q,
        "hits": _hits_with_filings(hits, target),
        "section": "organizer" if target.kind == "message" else "crm",
    }
    return render(request, "archiving/file_mail.html", context)


def _unfile(request, target, filing_pk):
    filed_mail = target.filed_mail()
    if filed_mail is None:
        raise Http404
    filing = get_object_or_404(
        Filing.objects.select_related("content_type"), pk=filing_pk, filed_mail=filed_mail
    )
    record = filing.record
    if record is None or not user_can_view_record(request.user, record):
        raise Http404
    services.unfile(filing, request.user)
    notice = _("Removed from %(record)s. Automatic filing will not file it there again.") % {
        "record": record
    }
    if not target.still_visible():
        # The last record this user could see it at: the mail is out of their sight now.
        notice = _("Removed from %(record)s. The mail is no longer filed anywhere you can see.") % {
            "record": record
        }
        if wants_fragment(request):
            return render(request, "archiving/_filing_panel_gone.html", {"notice": notice})
        messages.success(request, notice)
        return redirect(
            reverse("archiving:record_archive", args=[filing.content_type_id, filing.object_id])
        )
    if wants_fragment(request):
        return _panel(request, target, notice=notice)
    messages.success(request, notice)
    return redirect(target.back_url)


# -- a mail of the user's mailbox -----------------------------------------------------------------


@require_GET
def message_filings(request, pk):
    return _filings(request, _MessageTarget(request, pk))


def message_file(request, pk):
    return _file(request, _MessageTarget(request, pk))


@require_POST
def message_unfile(request, pk, filing_pk):
    return _unfile(request, _MessageTarget(request, pk), filing_pk)


# -- a mail in the archive ------------------------------------------------------------------------


@require_GET
def filed_mail_filings(request, pk):
    return _filings(request, _FiledMailTarget(request, pk))


def filed_mail_file(request, pk):
    return _file(request, _FiledMailTarget(request, pk))


@require_POST
def filed_mail_unfile(request, pk, filing_pk):
    return _unfile(request, _FiledMailTarget(request, pk), filing_pk)


# -- the dialog's search --------------------------------------------------------------------------


@require_GET
def filing_search(request):
    """Customers, contacts, quotes and invoices matching `q` by name, number or e-mail, as
    buttons that file the mail (inside the dialog's form)."""
    kinds = searchable_kinds(request.user)
    if not kinds:
        raise PermissionDenied
    q = search_text(request)
    hits = crm_selectors.search_records(q, kinds, limit=SEARCH_LIMIT)
    target = _search_target(request)
    context = {"q": q, "hits": _hits_with_filings(hits, target)}
    return render(request, "archiving/_filing_hits.html", context)


def _search_target(request):
    """The mail the dialog files (?message= or ?filed_mail=), checked like its own views."""
    for kind, target_class in (("message", _MessageTarget), ("filed_mail", _FiledMailTarget)):
        if kind in request.GET:
            try:
                return target_class(request, int(request.GET[kind]))
            except ValueError:
                raise Http404 from None
    return None


def _hits_with_filings(hits, target):
    """The hits as {"hit", "filed"}: filed says the mail is filed at that record already."""
    filed = set()
    if target is not None and hits:
        filed = {(f.content_type_id, f.object_id) for f in target.filings()}
    return [{"hit": hit, "filed": (hit.content_type_id, hit.object_id) in filed} for hit in hits]
