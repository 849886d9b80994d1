"""Meine Einstellungen (My settings): the user's own mail accounts.

An account is its owner's alone: every view fetches it with get_account_for_user, so anyone
else (staff and superusers included; only the Django admin lists accounts) gets 404. The
password is write-only: forms never render it, and "Test connection" uses the stored one only
for the server it was entered for.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from crm.addresses import normalize_address_or_none
from crm.models import user_can_view_record
from crm.selectors import records_by_address
from organizer import accounts, imap, ondemand
from organizer.forms import AccountForm, MailImportForm, split_aliases
from organizer.importing import MAX_UPLOAD_BYTES, MailImportError, import_file
from organizer.models import Folder, MailAccount
from organizer.views.common import MAX_DEPTH, folder_depth_and_label, folder_sort_key
from settings.http import vary_on_htmx, wants_fragment

# What "Test connection" needs from the form; the other fields may still be unfinished.
CONNECTION_FIELDS = ("host", "port", "security", "login", "password")


def get_account_for_user(request, pk):
    """The account if it is the user's own; 404 for everyone else, whoever they are."""
    return get_object_or_404(MailAccount, pk=pk, owner=request.user)


def own_address_records(user, addresses):
    """The CRM contacts and customers the user may see that own one of the addresses, as dicts
    with `record` and `addresses`. Records the user may not see are left out, not even hinted
    at: anyone may type any address here, and the answer must reveal nothing of the CRM.

    On an account with automatic filing these are the records the mission warns about: all of
    the account's mail would be filed there, were its own addresses not ignored.
    """
    normalized = {normalize_address_or_none(a) for a in addresses} - {None}
    found = {}
    for address, records in sorted(records_by_address(normalized).items()):
        for record in records:
            if not user_can_view_record(user, record):
                continue
            row = found.setdefault(
                (record._meta.label, record.pk), {"record": record, "addresses": []}
            )
            row["addresses"].append(address)
    return list(found.values())


def _card_context(request, account, now=None):
    now = now or timezone.now()
    return {
        "account": account,
        "sync_pending": ondemand.account_sync_pending(account, now),
        "sync_running": bool(account.sync_lock_until and account.sync_lock_until > now),
        "own_records": own_address_records(request.user, [account.email_address, *account.aliases])
        if account.auto_archive
        else [],
    }


@require_GET
def my_settings(request):
    user_accounts = MailAccount.objects.filter(owner=request.user).defer("password_encrypted")
    now = timezone.now()
    context = {
        "cards": [_card_context(request, account, now) for account in user_accounts],
        "section": "settings",
    }
    return render(request, "organizer/my_settings.html", context)


@require_GET
def account_card(request, pk):
    """One account's card: what the settings page polls while a "Sync now" runs."""
    account = get_account_for_user(request, pk)
    response = render(request, "organizer/_account_card.html", _card_context(request, account))
    return vary_on_htmx(response)


def _account_form(request, account=None):
    form = AccountForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        was_filing = account is not None and account.auto_archive
        try:
            saved = form.save(request.user)
        except ValidationError:
            pass
        else:
            if account is None:
                messages.success(request, _("Mail account %(address)s added.") % {"address": saved})
                if saved.sync_enabled:  # the first sync starts now, not at the next schedule
                    ondemand.request_account_sync(saved)
            else:
                messages.success(request, _("Mail account %(address)s saved.") % {"address": saved})
            if saved.auto_archive and not was_filing:
                _warn_about_own_addresses(request, saved)
            return redirect("organizer:my_settings")
    context = {
        "form": form,
        "account": account,
        "own_records": _own_records_for_form(request.user, form),
        "section": "settings",
    }
    status = 422 if form.errors else 200
    return render(request, "organizer/account_form.html", context, status=status)


def _warn_about_own_addresses(request, account):
    records = own_address_records(request.user, [account.email_address, *account.aliases])
    if records:
        names = ", ".join(str(row["record"]) for row in records)
        messages.warning(
            request,
            _(
                "Your address is stored at %(records)s in the CRM. Automatic filing ignores "
                "this account's own addresses, so your mail is not filed there wholesale."
            )
            % {"records": names},
        )


def _own_records_for_form(user, form):
    """Records owning the addresses typed into the form, when automatic filing is ticked."""
    if form.is_bound:
        data = form.data
        ticked = data.get("auto_archive") in ("on", "true", "1", "True")
        addresses = [data.get("email_address", ""), *split_aliases(data.get("aliases", ""))]
    else:
        ticked = bool(form.initial.get("auto_archive"))
        addresses = [
            form.initial.get("email_address", ""),
            *form.initial.get("aliases", "").split(),
        ]
    return own_address_records(user, addresses) if ticked else []


def account_add(request):
    return _account_form(request)


def account_edit(request, pk):
    return _account_form(request, get_account_for_user(request, pk))


def account_delete(request, pk):
    """GET: the confirmation page (the card's dialog does the same without a page); POST: delete."""
    account = get_account_for_user(request, pk)
    if request.method == "POST":
        address = account.email_address
        accounts.delete_account(account)
        messages.success(
            request,
            _("Mail account %(address)s removed. Mail filed from it stays in the archive.")
            % {"address": address},
        )
        return redirect("organizer:my_settings")
    return render(
        request,
        "organizer/account_confirm_delete.html",
        {"account": account, "section": "settings"},
    )


@require_POST
def account_test(request, pk=None):
    """Test connection: logs in with the values typed into the form (not saved) and lists the
    folders, or says in plain words why it failed."""
    account = get_account_for_user(request, pk) if pk is not None else None
    form = AccountForm(request.POST, account=account)
    form.is_valid()
    errors = {name: form.errors[name] for name in CONNECTION_FIELDS if name in form.errors}
    context = {"errors": errors, "form": form}
    if not errors:
        password = form.login_password()
        if password is None:
            context["error"] = _("The stored password cannot be read; enter it again.")
        else:
            data = form.cleaned_data
            try:
                folders = imap.test_login(
                    data["host"].strip(), data["port"], data["security"], data["login"], password
                )
            except imap.ImapError as error:
                context["error"] = error.message
            else:
                context["folders"] = _folder_rows(folders)
    return vary_on_htmx(render(request, "organizer/_connection_test.html", context))


def _folder_rows(folders):
    roles = dict(Folder.Role.choices)
    rows = []
    listed = {info.display_name for info in folders}
    for info in sorted(folders, key=lambda f: folder_sort_key(f.display_name, f.delimiter)):
        depth, label = folder_depth_and_label(info.display_name, info.delimiter, listed)
        rows.append(
            {
                "label": label,
                "path": info.display_name,
                "depth": min(depth, MAX_DEPTH),
                "role": roles.get(info.role, "") if info.role else "",
                "selectable": info.selectable,
            }
        )
    return rows


@require_POST
def account_own_addresses(request):
    """The own-address notice for the addresses typed so far (the form refreshes it on change)."""
    form = AccountForm(request.POST)
    context = {
        "own_records": _own_records_for_form(request.user, form),
        "live": True,
    }
    return vary_on_htmx(render(request, "organizer/_own_address_notice.html", context))


@require_POST
def account_sync(request, pk):
    """Sync now: Inbox and Sent of the account, on the worker."""
    account = get_account_for_user(request, pk)
    started = account.sync_enabled and ondemand.request_account_sync(account)
    if wants_fragment(request):
        # The card itself says that the sync waits, runs or how it ended.
        account.refresh_from_db()
        return vary_on_htmx(
            render(request, "organizer/_account_card.html", _card_context(request, account))
        )
    if not account.sync_enabled:
        messages.error(request, _("Synchronisation is switched off for this account."))
    elif started:
        messages.info(request, _("Sync of %(address)s started.") % {"address": account})
    return redirect("organizer:my_settings")


def account_import(request, pk):
    """Upload of an mbox file or an .eml into a folder of the account, as if it had been synced
    (and filed by the worker on accounts with Automatische Ablage)."""
    account = get_account_for_user(request, pk)
    form = MailImportForm(request.POST or None, request.FILES or None, max_bytes=MAX_UPLOAD_BYTES)
    if request.method == "POST" and form.is_valid():
        try:
            result = import_file(account, form.cleaned_data["file"], form.cleaned_data["folder"])
        except MailImportError as error:
            form.add_error("file", str(error))
        else:
            messages.success(
                request,
                ngettext(
                    "%(imported)d mail imported into “%(folder)s” (%(duplicates)d already "
                    "there, %(skipped)d skipped).",
                    "%(imported)d mails imported into “%(folder)s” (%(duplicates)d already "
                    "there, %(skipped)d skipped).",
                    result.imported,
                )
                % {
                    "imported": result.imported,
                    "folder": result.folder,
                    "duplicates": result.duplicates,
                    "skipped": result.skipped,
                },
            )
            if account.auto_archive and result.imported:
                messages.info(request, _("They are being filed now; this may take a moment."))
            return redirect("organizer:my_settings")
    context = {"account": account, "form": form, "section": "settings"}
    return render(
        request, "organizer/account_import.html", context, status=422 if form.errors else 200
    )
