from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from archiving import services
from archiving.models import BlockedAddress


class Command(BaseCommand):
    help = "Manages the filing block list (Archivierungs-Sperrliste): add, remove or list entries."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser(
            "add", help="Block an address or a domain (example.com or @example.com)."
        )
        add.add_argument("value")
        remove = sub.add_parser("remove", help="Remove an entry.")
        remove.add_argument("value")
        sub.add_parser("list", help="Print every entry, one a line.")

    def handle(self, *args, action, value=None, **options):
        if action == "add":
            try:
                entry = services.block(value)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            self.stdout.write(f"blocked {entry.kind} {entry.value}")
        elif action == "remove":
            if not services.unblock(value):
                raise CommandError(f"{value!r} is not on the block list")
            self.stdout.write(f"removed {value}")
        else:
            for entry in BlockedAddress.objects.order_by("value"):
                self.stdout.write(f"{entry.value}\t{entry.kind}")
