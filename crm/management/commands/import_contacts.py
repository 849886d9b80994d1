from django.core.management.base import BaseCommand, CommandError

from crm.importing import COLUMNS, ImportFileError, import_contacts


class Command(BaseCommand):
    help = (
        "Imports customers and contacts from a UTF-8 CSV with the header "
        f"{','.join(COLUMNS)} (emails separated by ';'). Running it twice changes nothing. "
        "See crm/importing.py for which row means which contact."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file")
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change, change nothing"
        )

    def handle(self, *args, file, dry_run, **options):
        try:
            report = import_contacts(file, dry_run=dry_run)
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        for line, reason in report.skipped:
            self.stdout.write(f"line {line}: skipped: {reason}")
        summary = (
            f"{report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.skipped)} skipped"
        )
        if dry_run:
            self.stdout.write(f"Dry run, nothing saved: {summary}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Rows: {summary}."))
            if report.mails_filed:
                self.stdout.write(f"{report.mails_filed} existing mails were filed.")
