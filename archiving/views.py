from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from archiving import selectors, services
from archiving.forms import BlockEntryForm
from archiving.models import BlockedAddress, FiledMail
from crm.addresses import display_address
from crm.models import user_can_view_record
from crm.views import render_record_tab
from settings.http import search_text

PAGE_SIZE = 25
# No archive has this many pages; a larger number (typed or forged) would overflow the
# database's OFFSET. Beyond it the page is empty, as any page beyond the last.
MAX_PAGE = 10_000_000


class Page:
    """One page of a list, newest first, with links to newer and older pages but no total:
    counting an archive of 100,000 filings costs more than showing a page of it."""

    def __init__(self, queryset, number, size=PAGE_SIZE):
        try:
            self.number = min(max(1, int(number or 1)), MAX_PAGE)
        except ValueError:
            self.number = 1
        start = (self.number - 1) * size
        rows = list(queryset[start : start + size + 1])  # one more tells whether there are older
        self.object_list = rows[:size]
        self.has_next = len(rows) > size
        self.has_previous = self.number > 1
        self.next_page_number = self.number + 1
        self.previous_page_number = self.number - 1

    def has_other_pages(self):
        return self.has_next or self.has_previous


def record_archive(request, content_type_id, object_id):
    """The E-Mail-Archiv tab of a customer, contact, quote or invoice."""
    record = selectors.archive_record(content_type_id, object_id)
    if record is None:
        raise Http404
    if not user_can_view_record(request.user, record):
        raise PermissionDenied
    search = search_text(request)
    page = Page(selectors.filed_mails_for_record(record, search), request.GET.get("page"))
    context = {"page": page, "search": search}
    return render_record_tab(request, record, "archive", "archiving/_record_archive.html", context)


def get_filed_mail_for_user(request, pk):
    """The filed mail and its filings, if the user may see one of its records; 404 otherwise."""
    filed_mail = get_object_or_404(FiledMail, pk=pk)
    filings = selectors.filings_of_mail(filed_mail)
    if not selectors.user_can_view_filed_mail(request.user, filed_mail, filings):
        raise Http404
    visible = [f for f in filings if f.record and user_can_view_record(request.user, f.record)]
    return filed_mail, visible


def filed_mail_detail(request, pk):
    filed_mail, filings = get_filed_mail_for_user(request, pk)
    return render(
        request,
        "archiving/filed_mail_detail.html",
        {"mail": filed_mail, "filings": filings, "section": "crm"},
    )


@permission_required("archiving.manage_blocklist", raise_exception=True)
def blocklist(request):
    """Globale Einstellungen › Organizer › Archivierungs-Sperrliste."""
    form = BlockEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.block(form.cleaned_data["value"], request.user)
        except ValidationError as error:
            form.add_error("value", error)
        else:
            messages.success(
                request, _("“%(value)s” was added to the block list.") % {"value": entry.value}
            )
            return redirect("archiving:blocklist")
    context = {
        "form": form,
        # In the order people read them: "bücher.de" among the b, not after "xn--…" (a short
        # list, kept by hand).
        "entries": sorted(
            BlockedAddress.objects.select_related("created_by"),
            key=lambda entry: display_address(entry.value).casefold(),
        ),
        "section": "settings",
    }
    return render(request, "archiving/blocklist.html", context, status=400 if form.errors else 200)


@require_POST
@permission_required("archiving.manage_blocklist", raise_exception=True)
def blocklist_remove(request, pk):
    entry = get_object_or_404(BlockedAddress, pk=pk)
    entry.delete()
    messages.success(
        request, _("“%(value)s” was removed from the block list.") % {"value": entry.value}
    )
    return redirect("archiving:blocklist")
