import json

from django.core.management.base import BaseCommand, CommandError

from archiving.models import Filing
from crm.addresses import InvalidAddress, normalize_address
from crm.selectors import records_by_address


class Command(BaseCommand):
    help = (
        "Prints the E-Mail-Archiv of the record(s) owning ADDRESS, newest first: one line per "
        "filing, or with --json one JSON list of objects."
    )

    def add_arguments(self, parser):
        parser.add_argument("address")
        parser.add_argument("--json", action="store_true", help="print one JSON list")

    def handle(self, *args, address, **options):
        try:
            normalized = normalize_address(address)
        except InvalidAddress:
            raise CommandError(f"{address!r} is not a valid e-mail address") from None
        records = records_by_address([normalized]).get(normalized, [])
        if not records and not options["json"]:
            self.stderr.write(f"no record owns {normalized}")
        rows = []
        for record in records:
            filings = (
                Filing.objects.filter(
                    content_type__app_label=record._meta.app_label,
                    content_type__model=record._meta.model_name,
                    object_id=record.pk,
                )
                .select_related("filed_mail", "filed_by")
                .order_by("-mail_date", "-pk")
            )
            rows += [self.row(filing, record) for filing in filings]
        rows.sort(key=lambda row: row["date"] or "", reverse=True)
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        for row in rows:
            self.stdout.write(
                f"{row['date'] or '-':25}  {row['direction']:3}  {row['record']}  "
                f"{row['from']}  {row['subject']}  [{row['reason']}]"
            )

    def row(self, filing, record):
        mail = filing.filed_mail
        return {
            "date": mail.date.isoformat() if mail.date else None,
            "subject": mail.subject,
            "from": mail.author_address,
            "message_id": mail.message_id,
            "record": f"{record._meta.model_name}:{record.pk} {record}",
            "reason": filing.reason,
            "source": filing.source,
            "direction": filing.direction,
            "matched_address": filing.matched_address,
            "filed_by": filing.filed_by.get_username() if filing.filed_by else None,
        }
