"""manage.py import_mailbox PATH --account ADDRESS [--folder NAME] [--owner USERNAME]

Imports an mbox file (Thunderbird, Google Takeout), a Maildir or a folder of .eml files into a
folder of the account, as if it had been synced (see organizer/importing.py), with a progress
bar on stderr and a summary on stdout. Importing the same file again adds nothing. On accounts
with automatic filing the new mail is filed before the command returns, as sync_mail does.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from organizer.importing import MailImportError, import_messages, open_source
from organizer.models import MailAccount
from organizer.sync import FilingFailed, file_here


class Command(BaseCommand):
    help = (
        "Imports an mbox file, a Maildir or a folder of .eml files into a folder of a mail "
        "account, as if it had been synced. Running it again adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="mbox file, Maildir, folder of .eml files or one .eml")
        parser.add_argument("--account", metavar="ADDRESS", required=True)
        parser.add_argument(
            "--folder",
            metavar="NAME",
            help="the folder to import into, e.g. 'Archiv/2019' (default: Import/<file name>)",
        )
        parser.add_argument(
            "--owner", metavar="USERNAME", help="whose account, when several have the address"
        )

    def handle(self, *args, path, account, folder=None, owner=None, **options):
        mail_account = self.account(account, owner)
        try:
            source = open_source(path)
            bar = _Progress(source, mail_account)
            try:
                result = import_messages(
                    mail_account,
                    folder or source.default_folder,
                    source.mails(),
                    progress=bar,
                    file_async=False,
                )
            finally:
                bar.close()
        except MailImportError as error:
            raise CommandError(str(error)) from None
        line = (
            f"{mail_account.email_address} › {result.folder}: {result.read} read, "
            f"{result.imported} imported, {result.duplicates} already there"
        )
        if result.skipped:
            line += f", {result.skipped} skipped (empty or deleted)"
        if result.parse_failed:
            line += f", {result.parse_failed} not fully readable (kept with a note)"
        failure = None
        if mail_account.auto_archive:
            # Filed batch by batch, plus what is still pending (a failed batch, an earlier run).
            try:
                filed = result.filed + file_here(mail_account, quiet=False)
            except FilingFailed as error:
                filed, failure = result.filed, error
            line += f", {filed} filed"
        self.stdout.write(f"{line} ({result.seconds:.1f}s)")
        if failure:
            raise CommandError(str(failure))

    def account(self, address, owner):
        accounts = MailAccount.objects.filter(email_address__iexact=address.strip())
        if owner:
            accounts = accounts.filter(owner__username=owner)
        found = list(accounts.select_related("owner")[:2])
        if not found:
            raise CommandError(f"No mail account {address}" + (f" of {owner}." if owner else "."))
        if len(found) > 1:
            raise CommandError(
                f"Several users have an account {address}; name one with --owner USERNAME."
            )
        return found[0]


class _Progress:
    """A tqdm bar on stderr over the bytes of the source, with the mails counted beside it."""

    def __init__(self, source, account):
        self.bar = tqdm(
            total=source.size,
            desc=f"{account.email_address} {source.path.name}",
            unit="B",
            unit_scale=True,
            file=sys.stderr,
            leave=False,
        )

    def __call__(self, result):
        self.bar.n = min(result.bytes_read, self.bar.total or result.bytes_read)
        self.bar.set_postfix(mails=result.read, new=result.imported, refresh=False)
        self.bar.refresh()

    def close(self):
        self.bar.close()
