"""The e2e scenario of ../shared/corpus/README.md, end to end on real mail.

Four Enron mailboxes go into Dovecot with IMAP APPEND; the CRM comes from contacts.csv through
the real import_contacts command, the block list from blocklist.txt through the blocklist
command; the four accounts (Automatische Ablage on) are synced by the django-q2 schedule on a
real worker process with the Redis broker. Then every checked line of expected.jsonl must
match the filings: none missing, none extra, none twice. Last, one contact's E-Mail-Archiv is
opened in headless Chromium.
"""

import csv
import io
import json
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_q.models import Task

from archiving.models import FiledMail, Filing
from crm.models import Contact
from organizer.accounts import create_account, parse_aliases
from organizer.models import MailAccount, Message
from organizer.parsing import normalize_message_id
from organizer.schedules import SYNC_SCHEDULE, register_schedules
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.factories import make_user

pytestmark = [pytest.mark.corpus, pytest.mark.browser]

DRAIN_TIMEOUT = 300  # seconds for the whole scheduled sync and filing


def mail_files(folder):
    return sorted(folder.glob("*.eml"), key=lambda path: int(path.stem))


def load_mailboxes(dovecot, e2e):
    """One Dovecot user per mailbox, INBOX and Sent (\\Sent) appended in file-number order."""
    loaded = 0
    for mailbox in sorted(p for p in (e2e / "mail").iterdir() if p.is_dir()):
        dovecot.add_user(mailbox.name)
        for folder in ("INBOX", "Sent"):
            files = mail_files(mailbox / folder) if (mailbox / folder).is_dir() else []
            if not files:
                continue
            if folder != "INBOX":
                dovecot.create_folder(mailbox.name, folder)
            dovecot.append_many(mailbox.name, folder, [path.read_bytes() for path in files])
            loaded += len(files)
    return loaded


def create_accounts(dovecot, e2e):
    accounts = []
    with open(e2e / "accounts.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            login = row["mailbox"]
            accounts.append(
                create_account(
                    make_user(login),
                    password=dovecot.passwords[login],
                    display_name=login,
                    email_address=row["address"],
                    aliases=parse_aliases(row["aliases"]),
                    host=dovecot.host,
                    port=dovecot.port,
                    security=MailAccount.Security.NONE,
                    login=login,
                    sync_enabled=True,
                    auto_archive=True,
                )
            )
    return accounts


def trigger_schedule(monkeypatch, redis_url):
    """Runs django-q2's scheduler here, as the cluster does every 30 s, with the sync schedule
    due now: it puts the schedule's task on the Redis queue the worker reads."""
    from django_q.brokers.redis_broker import Redis
    from django_q.conf import Conf
    from django_q.models import Schedule
    from django_q.scheduler import scheduler

    # This process runs on the test settings (ORM broker, tasks inline); the worker does not.
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", redis_url)
    register_schedules()
    Schedule.objects.filter(name=SYNC_SCHEDULE).update(
        next_run=timezone.now() - timedelta(seconds=1)
    )
    broker = Redis()
    scheduler(broker=broker)
    assert Schedule.objects.get(name=SYNC_SCHEDULE).task, "the schedule made no task"
    return broker


def wait_until_drained(worker, broker, accounts, timeout=DRAIN_TIMEOUT):
    """Polls until every account has synced, no mail waits for filing and the queue is empty."""
    ids = [a.pk for a in accounts]
    deadline = time.monotonic() + timeout
    while True:
        assert worker.alive(), f"the worker stopped:\n{worker.log_tail()}"
        states = list(
            MailAccount.objects.filter(pk__in=ids).values_list(
                "email_address", "last_sync_at", "last_error"
            )
        )
        failed = [(address, error) for address, _at, error in states if error]
        assert not failed, f"syncs failed: {failed}\n{worker.log_tail()}"
        synced = all(at is not None for _address, at, _error in states)
        pending = Message.objects.filter(
            account_id__in=ids, archive_state=Message.ArchiveState.PENDING
        ).exists()
        if synced and not pending and broker.queue_size() == 0:
            return
        assert time.monotonic() < deadline, (
            f"not drained after {timeout}s: synced={synced} pending={pending} "
            f"queued={broker.queue_size()}\n{worker.log_tail()}"
        )
        time.sleep(0.2)  # a poll interval, not a wait for something to happen


def compare(expected_lines):
    """(report lines, counts) comparing the filings at contacts with expected.jsonl."""
    names = {c.pk: f"{c.first_name} {c.last_name}" for c in Contact.objects.all()}
    contact_type = ContentType.objects.get_for_model(Contact)
    filed = defaultdict(list)  # Message-ID -> contact pks, one per filing
    elsewhere = []
    for message_id, type_id, object_id in Filing.objects.values_list(
        "filed_mail__message_id", "content_type_id", "object_id"
    ):
        if type_id == contact_type.pk:
            filed[message_id].append(object_id)
        else:
            elsewhere.append((message_id, type_id, object_id))
    checked = {normalize_message_id(line["message_id"]): line for line in expected_lines}
    counts = Counter()
    problems = []
    for message_id, line in checked.items():
        if not line["checked"]:
            counts["unchecked"] += 1
            continue
        pks = filed.get(message_id, [])
        if len(pks) != len(set(pks)):
            counts["twice"] += 1
            problems.append(f"TWICE   {message_id}: {sorted(names[pk] for pk in pks)}")
        actual = Counter(names[pk] for pk in set(pks))
        wanted = Counter(line["contacts"])
        missing, extra = wanted - actual, actual - wanted
        counts["missing"] += sum(missing.values())
        counts["extra"] += sum(extra.values())
        if missing or extra:
            problems.append(
                f"MISMATCH {message_id} ({', '.join(line['files'])}): expected "
                f"{sorted(wanted.elements())}, filed at {sorted(actual.elements())}"
            )
    for message_id, pks in filed.items():
        if message_id not in checked:
            counts["extra"] += len(pks)
            problems.append(f"UNLISTED {message_id}: filed at {sorted(names[pk] for pk in pks)}")
    counts["extra"] += len(elsewhere)
    problems += [f"NOT A CONTACT {m}: filed at {t}/{o}" for m, t, o in elsewhere]
    counts["checked"] = len(checked) - counts["unchecked"]
    return problems, counts


def archive_in_chromium(url, cookies):
    """The subject cells of the E-Mail-Archiv rows of the record page at `url`, after a click on
    its tab, in headless Chromium. Playwright runs in a thread of its own: its sync API refuses a
    thread whose event loop is taken, as it is when tests/browser's session browser runs."""
    from playwright.sync_api import sync_playwright

    outcome = {}

    def run():
        try:
            with sync_playwright() as playwright:
                chromium = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
                )
                context = chromium.new_context(locale="en-US")
                context.set_default_timeout(15_000)
                context.add_cookies(cookies)
                page = context.new_page()
                page.goto(url)
                page.click("#tab-archive")
                rows = page.locator("#archive table.mail-list tbody tr")
                rows.first.wait_for()
                outcome["subjects"] = rows.locator("td:nth-child(4)").all_inner_texts()
                chromium.close()
        except Exception as error:  # noqa: BLE001 - handed to the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, name="chromium")
    thread.start()
    thread.join(timeout=120)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("subjects")


def session_cookies(user, base_url):
    client = Client()
    client.force_login(user)
    return [
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": base_url,
        },
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": base_url},
    ]


def test_the_e2e_scenario_files_every_mail_where_expected(
    corpus, dovecot, worker, monkeypatch, capsys, live_server
):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: `make test-deps` installs Debian's chromium package")
    e2e = corpus / "e2e"
    started = time.monotonic()
    loaded = load_mailboxes(dovecot, e2e)
    loading = time.monotonic() - started
    accounts = create_accounts(dovecot, e2e)
    call_command("import_contacts", str(e2e / "contacts.csv"), stdout=io.StringIO())
    for value in (e2e / "blocklist.txt").read_text().split():
        call_command("blocklist", "add", value, stdout=io.StringIO())

    worker.start()
    synced_at = time.monotonic()
    broker = trigger_schedule(monkeypatch, worker.env["REDIS_URL"])
    wait_until_drained(worker, broker, accounts)
    seconds = time.monotonic() - synced_at
    worker.stop()

    expected = [json.loads(line) for line in (e2e / "expected.jsonl").read_text().splitlines()]
    problems, counts = compare(expected)
    # What the worker ran, from the results it saved in the shared database.
    ran = Counter(Task.objects.values_list("func", flat=True))
    with capsys.disabled():
        print(
            f"\ncorpus e2e: {loaded} mails appended in {loading:.1f}s; "
            f"{Message.objects.count()} mails synced, {FiledMail.objects.count()} filed mails, "
            f"{Filing.objects.count()} filings; {counts['checked']} checked Message-IDs "
            f"({counts['unchecked']} unchecked): {counts['missing']} missing, "
            f"{counts['extra']} extra, {counts['twice']} twice; sync and filing on the worker "
            f"took {seconds:.1f}s ({ran['organizer.tasks.enqueue_due_syncs']} scheduled run, "
            f"{ran['organizer.tasks.sync_account_task']} syncs, "
            f"{ran['archiving.tasks.file_pending_messages']} filing tasks)"
        )
        for problem in problems:
            print(f"  {problem}")
    assert Message.objects.count() == loaded
    assert ran["organizer.tasks.sync_account_task"] == len(accounts)
    assert problems == []

    # One contact's E-Mail-Archiv in the browser: the contact with the most filings.
    contact_type = ContentType.objects.get_for_model(Contact)
    busiest = Counter(
        Filing.objects.filter(content_type=contact_type).values_list("object_id", flat=True)
    ).most_common(1)[0]
    contact = Contact.objects.get(pk=busiest[0])
    shown = archive_in_chromium(
        live_server.url + contact.get_absolute_url(),
        session_cookies(accounts[0].owner, live_server.url),
    )
    assert len(shown) == min(busiest[1], 25)
    subjects = {
        " ".join((subject or "(no subject)").split())
        for subject in FiledMail.objects.filter(
            filings__content_type=contact_type, filings__object_id=contact.pk
        ).values_list("subject", flat=True)
    }
    assert {" ".join(text.split()) for text in shown} <= subjects
