"""manage.py sync_mail [--account ADDRESS] [--folder NAME]

Syncs in the foreground with a progress bar (stderr) and a summary per account (stdout); exits
non-zero when an account failed. Accounts with automatic filing are filed before it returns
(the scheduled path files on the worker instead).
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from organizer.models import MailAccount
from organizer.sync import FilingFailed, file_here, sync_account


class Command(BaseCommand):
    help = "Syncs mail accounts now: Inbox and Sent, or the named folder."

    def add_arguments(self, parser):
        parser.add_argument("--account", metavar="ADDRESS", help="only this account")
        parser.add_argument(
            "--folder",
            metavar="NAME",
            action="append",
            help="sync this folder (as shown, e.g. 'Kunden/Müller'); may be repeated",
        )

    def handle(self, *args, account=None, folder=None, **options):
        accounts = MailAccount.objects.select_related("owner").order_by("email_address", "pk")
        if account:
            accounts = accounts.filter(email_address__iexact=account.strip())
            if not accounts.exists():
                raise CommandError(f"No mail account {account}.")
        else:
            accounts = accounts.filter(sync_enabled=True)
        failed = []
        for mail_account in accounts:
            if not self.sync_one(mail_account, folder):
                failed.append(mail_account.email_address)
        if failed:
            raise CommandError(f"Sync failed for {', '.join(failed)}.")

    def sync_one(self, account, folders):
        bar = _Progress(account)
        try:
            result = sync_account(account, folders, progress=bar, file_async=False)
        finally:
            bar.close()
        if result.skipped_because_running:
            self.stdout.write(f"{account.email_address}: skipped, sync already running")
            return True
        line = (
            f"{account.email_address}: {result.new} new, {result.updated} updated, "
            f"{result.removed} removed, {len(result.errors)} errors"
        )
        errors = list(result.errors)
        if account.auto_archive:
            # Filed batch by batch, plus what is still pending (a failed batch, an earlier run).
            try:
                filed = result.filed + file_here(account, quiet=False)
            except FilingFailed as error:
                filed = result.filed
                errors.append(str(error))
            line += f", {filed} filed"
        self.stdout.write(line)
        for error in errors:
            self.stdout.write(f"  {error}")
        return result.ok and len(errors) == len(result.errors)


class _Progress:
    """A tqdm bar per folder on stderr, fed by sync_account's progress callback."""

    def __init__(self, account):
        self.account = account
        self.bar = None
        self.folder = None

    def __call__(self, folder, done, total):
        if folder.pk != self.folder:
            self.close()
            self.folder = folder.pk
            self.bar = tqdm(
                total=total,
                desc=f"{self.account.email_address} {folder.display_name}",
                unit="mail",
                file=sys.stderr,
                leave=False,
            )
        self.bar.n = done
        self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
