"""Writes of mail accounts, one function per use case (the command line and My settings use them).

Passwords enter only through create_account / set_password and are stored encrypted; they are
never logged and never returned.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.addresses import InvalidAddress, normalize_address
from organizer import imap
from organizer.models import MailAccount, Message
from organizer.secrets import encrypt_password

logger = logging.getLogger(__name__)

EDITABLE = (
    "display_name",
    "email_address",
    "aliases",
    "host",
    "port",
    "security",
    "login",
    "sync_enabled",
    "auto_archive",
)
# Changing these points the account at another mailbox: its error state starts afresh.
CONNECTION_FIELDS = ("host", "port", "security", "login")


def parse_aliases(value):
    """Aliases from a list or from 'a@x; b@y' (commas work too)."""
    if isinstance(value, str):
        value = value.replace(",", ";").split(";")
    return [a.strip() for a in value or [] if a and a.strip()]


def _validated(values, owner, instance=None):
    errors = {}
    address = (values.get("email_address") or "").strip()
    try:
        normalize_address(address)
    except InvalidAddress:
        errors["email_address"] = _("Enter a valid e-mail address.")
    aliases = parse_aliases(values.get("aliases"))
    bad = []
    for alias in aliases:
        try:
            normalize_address(alias)
        except InvalidAddress:
            bad.append(alias)
    if bad:
        errors["aliases"] = _("Not an e-mail address: %(aliases)s") % {"aliases": ", ".join(bad)}
    host = (values.get("host") or "").strip().rstrip(".")
    if not host or any(c.isspace() for c in host) or "/" in host:
        errors["host"] = _("Enter the name of the IMAP server.")
    try:
        port = int(values.get("port"))
        if not 1 <= port <= 65535:
            raise ValueError
    except (TypeError, ValueError):
        errors["port"] = _("Enter a port between 1 and 65535.")
        port = None
    security = values.get("security")
    if security not in MailAccount.Security.values:
        errors["security"] = _("Choose SSL/TLS, STARTTLS or unencrypted.")
    elif security == MailAccount.Security.NONE and host and not imap.is_loopback_host(host):
        errors["security"] = _(
            "Unencrypted connections are only allowed to this machine; choose SSL/TLS or STARTTLS."
        )
    if not {"host", "port", "security"} & errors.keys() and (
        instance is None
        or (host, port, security) != (instance.host, instance.port, instance.security)
    ):
        # The host guard, at once rather than at the first sync. A name that does not resolve
        # now may well later (the connection test tells): only refusals count here.
        try:
            imap.resolve_host(host, port, security)
        except imap.ImapError as exc:
            if exc.kind == "blocked_host":
                errors["host"] = exc.message
    login = (values.get("login") or "").strip()
    if not login:
        errors["login"] = _("Enter the login name.")
    if address and "email_address" not in errors:
        duplicates = MailAccount.objects.filter(owner=owner, email_address__iexact=address)
        if instance is not None:
            duplicates = duplicates.exclude(pk=instance.pk)
        if duplicates.exists():
            errors["email_address"] = _("You already have an account with this address.")
    if errors:
        raise ValidationError(errors)
    return {
        "display_name": (values.get("display_name") or "").strip(),
        "email_address": address,
        "aliases": aliases,
        "host": host,
        "port": port,
        "security": security,
        "login": login,
        "sync_enabled": bool(values.get("sync_enabled", True)),
        "auto_archive": bool(values.get("auto_archive", False)),
    }


def create_account(owner, *, password, **values):
    """A new mail account of `owner`; raises ValidationError with a message per field."""
    if not password:
        raise ValidationError({"password": _("Enter the password.")})
    cleaned = _validated(values, owner)
    account = MailAccount.objects.create(
        owner=owner, password_encrypted=encrypt_password(password), **cleaned
    )
    logger.info("mail account %s added for %s", account, owner)
    return account


def update_account(account, **changes):
    """Changes an account's settings (not its password: see set_password)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable here: {', '.join(sorted(unknown))}")
    values = {name: getattr(account, name) for name in EDITABLE}
    values.update(changes)
    cleaned = _validated(values, account.owner, instance=account)
    changed = [name for name in EDITABLE if getattr(account, name) != cleaned[name]]
    if not changed:
        return account
    filing_switched = "auto_archive" in changed
    for name in changed:
        setattr(account, name, cleaned[name])
    if set(changed) & set(CONNECTION_FIELDS):
        _reset_errors(account, changed)
    with transaction.atomic():
        account.save(update_fields=changed)
        if filing_switched:
            _switch_filing(account)
    return account


def set_password(account, password):
    if not password:
        raise ValidationError({"password": _("Enter the password.")})
    account.password_encrypted = encrypt_password(password)
    changed = ["password_encrypted"]
    _reset_errors(account, changed)
    account.save(update_fields=changed)
    return account


def delete_account(account):
    """Removes the account with its folders and synced mail; filed mail stays in the archive."""
    logger.info("mail account %s of %s removed", account, account.owner)
    account.delete()


def _reset_errors(account, changed):
    # A "Sync now" that ended in the error being cleared here is over too: without its error
    # as outcome it would look as if it still waited for the worker.
    account.last_error = ""
    account.last_error_at = None
    account.failure_count = 0
    account.next_attempt_at = None
    account.sync_requested_at = None
    changed += [
        "last_error",
        "last_error_at",
        "failure_count",
        "next_attempt_at",
        "sync_requested_at",
    ]


def _switch_filing(account):
    # On: the mail synced so far is filed too. Off: what waits for filing is not filed.
    if account.auto_archive:
        marked = Message.objects.filter(
            account=account, archive_state=Message.ArchiveState.NONE
        ).update(archive_state=Message.ArchiveState.PENDING)
        if marked:
            from organizer.sync import enqueue_filing

            enqueue_filing(account.pk)
    else:
        Message.objects.filter(account=account, archive_state=Message.ArchiveState.PENDING).update(
            archive_state=Message.ArchiveState.NONE
        )
