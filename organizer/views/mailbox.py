"""ORGANIZER › E-Mail: the user's accounts with their folders, a folder's mail, "Sync folder",
and the user's own copy of one mail (its page and the endpoints organizer.mailview needs).

Users only ever see their own accounts, folders and mail: every view fetches through
get_folder_for_user / get_message_for_user, so a guessed id of someone else's is a 404.
Nothing here talks to the mail server; in particular nothing is ever marked as seen.
"""

from csp.decorators import csp_exempt
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET, require_POST

from crm.models import user_can_view_record
from organizer import mailview, ondemand
from organizer.models import Folder, MailAccount, Message
from organizer.views.common import MAX_DEPTH, folder_depth_and_label, folder_sort_key
from settings.http import search_text, vary_on_htmx, wants_fragment

PAGE_SIZE = 50
NAMESPACE = "organizer"
# organizer never imports archiving (it depends on organizer): named by its dotted path.
FILINGS_BY_IDENTITY = "archiving.selectors.filings_by_identity"
# What a line of the mail list shows; the bodies stay in the database.
LIST_FIELDS = (
    "pk",
    "account_id",
    "folder_id",
    "identity",
    "date",
    "subject",
    "author_name",
    "author_address",
    "to",
    "cc",
    "bcc",
    "has_attachments",
    "seen",
    "archive_state",
    "parse_failed",
)
# After a sync, the page keeps asking this long for mail still waiting to be filed.
FILING_WAIT_SECONDS = 120


def get_folder_for_user(request, pk):
    return get_object_or_404(
        Folder.objects.select_related("account").defer("account__password_encrypted"),
        pk=pk,
        account__owner=request.user,
    )


def get_message_for_user(request, pk):
    return get_object_or_404(
        Message.objects.select_related("folder", "account").defer("account__password_encrypted"),
        pk=pk,
        account__owner=request.user,
    )


# -- the folder tree ------------------------------------------------------------------------------


def folder_tree(user, current=None):
    """The user's accounts, each with its folders in tree order: two queries."""
    accounts = list(MailAccount.objects.filter(owner=user).defer("password_encrypted"))
    folders = Folder.objects.filter(account__owner=user, exists_on_server=True).only(
        "pk",
        "account_id",
        "name",
        "display_name",
        "delimiter",
        "role",
        "selectable",
        "unseen_count",
        "last_error",
    )
    by_account = {}
    for folder in folders:
        by_account.setdefault(folder.account_id, []).append(folder)
    for account_folders in by_account.values():
        listed = {folder.display_name for folder in account_folders}
        for folder in account_folders:
            depth, label = folder_depth_and_label(folder.display_name, folder.delimiter, listed)
            if folder.name.upper() == "INBOX":
                label = Folder.Role.INBOX.label
            folder.depth, folder.label = min(depth, MAX_DEPTH), label
            folder.current = current is not None and folder.pk == current.pk
    for account in accounts:
        account.tree = sorted(
            by_account.get(account.pk, []),
            key=lambda f: folder_sort_key(f.display_name, f.delimiter),
        )
    return accounts


def _first_folder(accounts):
    for account in accounts:
        selectable = [f for f in account.tree if f.selectable]
        inbox = next((f for f in selectable if f.role == Folder.Role.INBOX), None)
        if inbox or selectable:
            return inbox or selectable[0]
    return None


@require_GET
def mailbox(request):
    """ORGANIZER › E-Mail: opens the first account's Inbox, or says how to connect one."""
    accounts = folder_tree(request.user)
    first = _first_folder(accounts)
    if first is not None:
        return redirect("organizer:folder", pk=first.pk)
    return render(request, "organizer/mailbox.html", {"accounts": accounts, "section": "organizer"})


# -- a folder's mail ------------------------------------------------------------------------------


def folder_messages(folder, search=""):
    messages = Message.objects.filter(folder=folder).only(*LIST_FIELDS)
    search = search.strip()
    if search:
        messages = messages.filter(
            Q(subject__icontains=search)
            | Q(author_name__icontains=search)
            | Q(search_addresses__icontains=search.lower())
        )
    return messages.order_by("-date", "-pk")


def attach_filings(user, messages):
    """Sets `filed_at` on each message: the records it is filed at, as shortcuts to their
    E-Mail-Archiv tab ({"label", "kind", "url"}; no url for records the user may not see).
    One lookup for the whole page, whatever its length."""
    filings_by_identity = import_string(FILINGS_BY_IDENTITY)
    found = filings_by_identity([m.identity for m in messages]) if messages else {}
    for message in messages:
        shortcuts, seen = [], set()
        for filing in found.get(message.identity, ()):
            key = (filing.content_type_id, filing.object_id)
            if key in seen:
                continue
            seen.add(key)
            record = filing.record
            visible = record is not None and user_can_view_record(user, record)
            shortcuts.append(
                {
                    "label": str(record) if visible else "",
                    "kind": record._meta.verbose_name if record is not None else "",
                    "url": reverse("archiving:record_archive", args=key) if visible else "",
                }
            )
        message.filed_at = shortcuts
    return messages


def _sent_like(folder):
    return folder.role in (Folder.Role.SENT, Folder.Role.DRAFTS)


@require_GET
def folder_view(request, pk):
    """A folder's mail, newest first, 50 a page, searchable; htmx gets the list only."""
    folder = get_folder_for_user(request, pk)
    search = search_text(request)
    page = Paginator(folder_messages(folder, search), PAGE_SIZE).get_page(request.GET.get("page"))
    attach_filings(request.user, list(page.object_list))
    context = {
        "folder": folder,
        "account": folder.account,
        "page_obj": page,
        "q": search,
        "sent_like": _sent_like(folder),
        "imported": folder.is_imported,
        "section": "organizer",
    }
    if wants_fragment(request):
        return vary_on_htmx(render(request, "organizer/folder.html#mail_list", context))
    context |= {"accounts": folder_tree(request.user, folder), **sync_status_context(folder)}
    return vary_on_htmx(render(request, "organizer/folder.html", context))


# -- "Sync folder" --------------------------------------------------------------------------------


def sync_status_context(folder):
    """What the folder's sync status shows, and whether the page keeps polling it."""
    now = timezone.now()
    active = ondemand.folder_sync_active(folder, now)
    report = folder.sync_report or {}
    waiting_for_filing = 0
    if folder.account.auto_archive and folder.sync_state == Folder.SyncState.DONE:
        waiting_for_filing = Message.objects.filter(
            folder=folder, archive_state=Message.ArchiveState.PENDING
        ).count()
    recent = folder.sync_state_at and (now - folder.sync_state_at).total_seconds() < (
        FILING_WAIT_SECONDS
    )
    return {
        "sync_active": active,
        "sync_lost": folder.sync_state in ondemand.ACTIVE_STATES and not active,
        "report": report,
        "waiting_for_filing": waiting_for_filing,
        "poll": active or bool(waiting_for_filing and recent),
    }


def _render_sync_status(request, folder, *, finished_now=False):
    context = {"folder": folder, "account": folder.account, **sync_status_context(folder)}
    if finished_now and not context["poll"]:
        # The list and the folder tree catch up once, when the sync (and its filing) is done.
        context["accounts"] = folder_tree(request.user, folder)
        context["refresh_tree"] = True
    response = render(request, "organizer/_folder_sync_status.html", context)
    if finished_now and not context["poll"]:
        response["HX-Trigger"] = "folderSynced"
    return vary_on_htmx(response)


@require_POST
def folder_sync(request, pk):
    """Sync folder: enqueues a sync of this folder (a second click while it runs does nothing)."""
    folder = get_folder_for_user(request, pk)
    if folder.selectable and not folder.is_imported:
        ondemand.request_folder_sync(folder)
    if wants_fragment(request):
        return _render_sync_status(request, folder, finished_now=True)
    return redirect("organizer:folder", pk=folder.pk)


@require_GET
def folder_sync_status(request, pk):
    """The folder's sync status; the page polls it while the sync waits, runs or files."""
    folder = get_folder_for_user(request, pk)
    return _render_sync_status(request, folder, finished_now=request.GET.get("poll") == "1")


# -- one mail -------------------------------------------------------------------------------------


def is_sent_mail(message):
    """Mail the user sent: it lies in Sent (or Drafts) or comes from one of the account's
    addresses. Only then is Bcc shown."""
    if _sent_like(message.folder):
        return True
    own = message.account.own_addresses()
    return any(m.get("normalized") in own for m in message.from_addresses)


@require_GET
def message_detail(request, pk):
    message = get_message_for_user(request, pk)
    context = {
        "message": message,
        "folder": message.folder,
        "account": message.account,
        "sent": is_sent_mail(message),
        "section": "organizer",
    }
    return render(request, "organizer/message_detail.html", context)


@csp_exempt()  # organizer.mailview writes the document's own, stricter policy
@require_GET
def message_html(request, pk):
    return mailview.html_document_response(request, get_message_for_user(request, pk), NAMESPACE)


@login_not_required  # requested by the sandboxed document without cookies: a signed URL
@require_GET
def message_inline(request, pk, part):
    message = get_object_or_404(Message.objects.only("pk", "raw_path", "attachments"), pk=pk)
    return mailview.inline_image_response(request, message, NAMESPACE, part)


@require_GET
def message_part(request, pk, part):
    return mailview.attachment_response(get_message_for_user(request, pk), part)


@require_GET
def message_raw(request, pk):
    return mailview.raw_source_response(get_message_for_user(request, pk))


@require_POST
def message_remote(request, pk):
    message = get_message_for_user(request, pk)
    mailview.set_remote_content_allowed(request, message)
    return redirect("organizer:message", pk=message.pk)
