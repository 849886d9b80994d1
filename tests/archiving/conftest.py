"""The CRM of ../shared/cases/README.md, an account of Lena Vogt on the test Dovecot, and a way to
sync it the way the scheduler does (the filing task runs on commit, inline in tests)."""

from types import SimpleNamespace

import pytest

from archiving import services
from organizer.sync import sync_account
from tests.factories import make_contact, make_mail_account

CONTACTS = {
    "K1": ("Mira", "Albrecht", ["mira.albrecht@example.org"]),
    "K2": ("Tomasz", "Wendt", ["tomasz.wendt@example.de"]),
    "K3": ("Bernd", "Hübner", ["bernd@hübner.example.de"]),
    "K4": ("Sofia", "Lindqvist", ["sofia.lindqvist@example.org", "sofia@lindqvist.example.de"]),
    "K6": ("Daniel", "Ortiz", ["daniel.ortiz@example.org"]),
    "K7": ("Petra", "Šimková", ["petra.simkova@example.de"]),
    "K8": ("Anouk", "de Vries", ["anouk.devries@example.org"]),
}


@pytest.fixture
def crm(db):
    """The contacts K1..K8 and the block list of the cases README, by key."""
    contacts = {
        key: make_contact(first, last, emails=emails)
        for key, (first, last, emails) in CONTACTS.items()
    }
    services.block("newsletter@example.org")
    services.block("bounces.example.de")
    return SimpleNamespace(**contacts)


@pytest.fixture
def lena(dovecot, db):
    """Lena Vogt's account with Automatische Ablage on, on a fresh Dovecot user."""
    user = dovecot.add_user()
    dovecot.create_folder(user, "Sent")  # special-use \Sent in the test server's config
    return make_mail_account(
        server=dovecot,
        user=user,
        email_address="lena.vogt@example.com",
        aliases=["sales@example.com", "l.vogt@example.com"],
        auto_archive=True,
    )


@pytest.fixture
def sync_and_file(django_capture_on_commit_callbacks):
    """Syncs like the schedule does: the filing task is enqueued on commit (run inline)."""

    def run(account, folder_names=None):
        with django_capture_on_commit_callbacks(execute=True):
            result = sync_account(account, folder_names)
        assert not result.failed, result.errors
        return result

    return run
