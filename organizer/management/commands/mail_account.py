"""Operators' command line for mail accounts. Scripts depend on these exact forms:

    manage.py mail_account add --user USERNAME --address ADDRESS [--aliases 'A;B'] --host HOST
        --port PORT --security ssl|starttls|none --login LOGIN
        (--password-env VAR | --password-stdin) [--auto-archive]
    manage.py mail_account list
    manage.py mail_account remove ADDRESS

The password never appears in argv (other users can read it there) nor in any output.
"""

import os
import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from organizer.accounts import create_account, delete_account
from organizer.models import MailAccount


class Command(BaseCommand):
    help = "Adds, lists and removes users' mail accounts."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Add a mail account to a user.")
        add.add_argument("--user", required=True, help="username of the owner")
        add.add_argument("--address", required=True, help="the account's e-mail address")
        add.add_argument("--aliases", default="", help="other addresses, e.g. 'a@x.de;b@x.de'")
        add.add_argument("--host", required=True, help="IMAP server")
        add.add_argument("--port", required=True, type=int)
        add.add_argument("--security", required=True, choices=MailAccount.Security.values)
        add.add_argument("--login", required=True)
        source = add.add_mutually_exclusive_group(required=True)
        source.add_argument("--password-env", metavar="VAR", help="read the password from $VAR")
        source.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin"
        )
        add.add_argument("--auto-archive", action="store_true", help="switch on automatic filing")
        add.add_argument("--display-name", default="")
        actions.add_parser("list", help="List all mail accounts (never their passwords).")
        remove = actions.add_parser("remove", help="Remove a mail account and its synced mail.")
        remove.add_argument("address")
        remove.add_argument("--user", help="the owner, when several users have this address")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_add(self, **options):
        owner = get_user_model().objects.filter(username=options["user"]).first()
        if owner is None:
            raise CommandError(f"No user {options['user']!r}.")
        password = self.read_password(options)
        try:
            account = create_account(
                owner,
                password=password,
                email_address=options["address"],
                aliases=options["aliases"],
                host=options["host"],
                port=options["port"],
                security=options["security"],
                login=options["login"],
                auto_archive=options["auto_archive"],
                display_name=options["display_name"],
            )
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from None
        self.stdout.write(f"Added {account.email_address} for {owner.username}.")

    def read_password(self, options):
        if options["password_env"]:
            password = os.environ.get(options["password_env"], "")
            if not password:
                raise CommandError(f"${options['password_env']} is empty or not set.")
            return password
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("No password on standard input.")
        return password

    def handle_list(self, **options):
        accounts = MailAccount.objects.select_related("owner").order_by(
            "owner__username", "email_address"
        )
        for a in accounts:
            if a.needs_attention:
                state = f"needs attention: {a.last_error}"
            elif a.last_error:
                state = f"error: {a.last_error}"
            else:
                state = "ok"
            last = a.last_sync_at.isoformat(timespec="seconds") if a.last_sync_at else "never"
            self.stdout.write(
                "\t".join(
                    [
                        a.email_address,
                        a.owner.username,
                        f"{a.host}:{a.port}",
                        a.security,
                        "sync on" if a.sync_enabled else "sync off",
                        "automatic filing" if a.auto_archive else "no automatic filing",
                        f"last sync {last}",
                        state,
                    ]
                )
            )

    def handle_remove(self, address, user=None, **options):
        accounts = MailAccount.objects.filter(email_address__iexact=address.strip())
        if user:
            accounts = accounts.filter(owner__username=user)
        found = list(accounts)
        if not found:
            raise CommandError(f"No mail account {address}.")
        if len(found) > 1:
            raise CommandError(f"Several users have {address}; name the owner with --user.")
        delete_account(found[0])
        self.stdout.write(f"Removed {found[0].email_address} of {found[0].owner.username}.")


def _messages(error):
    if hasattr(error, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    return "; ".join(error.messages)
