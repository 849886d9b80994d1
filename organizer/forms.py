"""The form of a mail account in My settings. It only collects and shapes the input: the rules
(valid addresses, unencrypted only to this machine, one account per address) live in
organizer.accounts, the one write path, and come back as that form's errors."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from organizer import accounts
from organizer.models import MailAccount
from organizer.secrets import UnreadablePassword, decrypt_password

ALIAS_SEPARATORS = re.compile(r"[;,\n\r]+")


def split_aliases(text):
    """Aliases typed as "a;b", "a, b" or one per line."""
    return [a.strip() for a in ALIAS_SEPARATORS.split(text or "") if a.strip()]


class AccountForm(forms.Form):
    display_name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=200,
        help_text=_("Shown in your account list, e.g. “Sales” or “Lena Vogt”."),
    )
    email_address = forms.CharField(
        label=_("E-mail address"),
        max_length=254,
        # Not type="email": browsers refuse umlaut domains there.
        widget=forms.TextInput(attrs={"inputmode": "email", "autocomplete": "off"}),
    )
    aliases = forms.CharField(
        label=_("Other addresses you send from (aliases)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Separated by “;” or one per line."),
    )
    host = forms.CharField(label=_("IMAP server"), max_length=253)
    port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, initial=993)
    security = forms.ChoiceField(
        label=_("Security"),
        choices=MailAccount.Security.choices,
        initial=MailAccount.Security.SSL,
    )
    login = forms.CharField(
        label=_("Login"), max_length=254, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    # Write-only: never rendered back (render_value=False), empty on edit keeps the stored one.
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    sync_enabled = forms.BooleanField(
        label=_("Synchronise Inbox and Sent automatically"), required=False, initial=True
    )
    auto_archive = forms.BooleanField(label=_("Automatic filing"), required=False)

    def __init__(self, *args, account=None, **kwargs):
        self.account = account
        if account is not None:
            kwargs.setdefault(
                "initial",
                {
                    "display_name": account.display_name,
                    "email_address": account.email_address,
                    "aliases": "\n".join(account.aliases),
                    "host": account.host,
                    "port": account.port,
                    "security": account.security,
                    "login": account.login,
                    "sync_enabled": account.sync_enabled,
                    "auto_archive": account.auto_archive,
                },
            )
        super().__init__(*args, **kwargs)
        if account is not None:
            self.fields["password"].help_text = _("Leave empty to keep the stored password.")

    def clean_aliases(self):
        return split_aliases(self.cleaned_data.get("aliases"))

    def clean(self):
        cleaned = super().clean()
        if self.account is None:
            if not cleaned.get("password"):
                self.add_error("password", _("Enter the password."))
        elif not cleaned.get("password") and self._server_changed(cleaned):
            # The stored password never travels to a server it was not entered for: another
            # host, another port (another service on that host) or another kind of connection.
            self.add_error("password", _("Enter the password again for the new server."))
        return cleaned

    def _server_changed(self, cleaned):
        if not cleaned.get("host"):
            return False  # the host's own error says what is wrong
        server = (
            cleaned["host"].strip().rstrip(".").lower(),
            cleaned.get("port"),
            cleaned.get("security"),
        )
        account = self.account
        return server != (account.host.lower(), account.port, account.security)

    def values(self):
        """The settings for organizer.accounts (everything but the password)."""
        return {name: self.cleaned_data[name] for name in accounts.EDITABLE}

    def save(self, owner):
        """Creates or updates the account through organizer.accounts; the service's validation
        errors become this form's (and ValidationError is raised to say so)."""
        password = self.cleaned_data.get("password")
        try:
            with transaction.atomic():
                if self.account is None:
                    return accounts.create_account(owner, password=password, **self.values())
                account = accounts.update_account(self.account, **self.values())
                if password:
                    accounts.set_password(account, password)
                return account
        except ValidationError as error:
            self.add_error(None, error)
            raise

    def login_password(self):
        """The password to test the connection with: the typed one, else the stored one (edit,
        same server only: see clean). None when there is none."""
        password = self.cleaned_data.get("password")
        if password:
            return password
        if self.account is None:
            return None
        try:
            return decrypt_password(self.account.password_encrypted)
        except UnreadablePassword:
            return None


class MailImportForm(forms.Form):
    """An mbox file (Thunderbird, Google Takeout) or one .eml message, uploaded into a folder."""

    file = forms.FileField(
        label=_("Mail file"),
        help_text=_("An mbox file (e.g. exported from Thunderbird or Google Takeout) or one .eml."),
    )
    folder = forms.CharField(
        label=_("Folder"),
        max_length=200,
        required=False,
        help_text=_("Empty: “Import/” followed by the file name."),
    )

    def __init__(self, *args, max_bytes, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("The file is larger than %(size)s. Import it with “manage.py import_mailbox”."),
                params={"size": filesizeformat(self.max_bytes)},
            )
        return upload
