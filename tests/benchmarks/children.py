"""The measurements, each run by run.py in a fresh process (`run.py --child KIND`), so that the
peak memory reported is that process's own. Each prints one JSON object as its last line.
"""

import os
import statistics
import sys
import time
from pathlib import Path


def peak_rss_mb():
    """Peak resident memory of this process (VmHWM: unlike ru_maxrss it does not inherit the
    parent's peak over fork + exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.test")
    import django

    django.setup()


# -- baselines ------------------------------------------------------------------------------------


def raw_fetch(job):
    """(b) imaplib: UID FETCH BODY.PEEK[] in chunks of 500 UIDs, keeping nothing."""
    import imaplib

    imaplib._MAXLINE = 50 * 1024 * 1024
    started = time.perf_counter()
    conn = imaplib.IMAP4("127.0.0.1", job["port"])
    conn.login(job["user"], job["password"])
    mails = size = 0
    for folder in job["folders"]:
        conn.select(f'"{folder}"', readonly=True)
        _typ, data = conn.uid("SEARCH", "ALL")
        uids = data[0].split()
        for start in range(0, len(uids), 500):
            chunk = b",".join(uids[start : start + 500]).decode()
            _typ, data = conn.uid("FETCH", chunk, "(BODY.PEEK[])")
            for item in data:
                if isinstance(item, tuple):
                    mails += 1
                    size += len(item[1])
            del data
    conn.logout()
    return {"seconds": time.perf_counter() - started, "mails": mails, "bytes": size}


def imap_tools_fetch(job):
    """(a) imap-tools: bulk fetch of 500 without marking seen, parse subject, addresses, date
    and text, keep nothing."""
    from imap_tools import MailBoxUnencrypted

    started = time.perf_counter()
    mails = 0
    with MailBoxUnencrypted("127.0.0.1", job["port"]).login(
        job["user"], job["password"], initial_folder=None
    ) as box:
        for folder in job["folders"]:
            box.folder.set(folder, readonly=True)
            for message in box.fetch(mark_seen=False, bulk=500):
                _touched = (
                    message.subject,
                    message.from_values,
                    message.to_values,
                    message.cc_values,
                    message.date,
                    message.text,
                )
                mails += 1
    return {"seconds": time.perf_counter() - started, "mails": mails}


# -- the product ----------------------------------------------------------------------------------


def seed(job):
    """Migrates the template database and fills the CRM."""
    from django.core.management import call_command

    setup_django()
    call_command("migrate", verbosity=0, interactive=False)
    from django.db import connection

    from tests.benchmarks.data import seed_crm

    started = time.perf_counter()
    contacts = seed_crm(job["contacts"])
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    connection.close()
    return {"contacts": contacts, "seconds": time.perf_counter() - started}


def product(job):
    """First full sync of Inbox and Sent with automatic filing, until every filing is stored
    (as `manage.py sync_mail` does it: each batch is filed right after it is stored, while the
    parse workers prepare the next); then syncs with nothing new; then, when asked, the filing
    alone again (filings removed and the mail marked pending before each run)."""
    setup_django()
    from archiving.models import FiledMail, Filing
    from archiving.services import file_pending_messages
    from organizer.models import Message
    from organizer.sync import sync_account
    from tests.benchmarks.data import OWN
    from tests.factories import make_mail_account, make_user

    account = make_mail_account(
        make_user("bench"),
        port=job["port"],
        login=job["user"],
        password=job["password"],
        email_address=OWN.address,
        auto_archive=True,
    )
    rss_ready = peak_rss_mb()
    profiler = None
    if job.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    result = sync_account(account, file_async=False)
    synced = time.perf_counter()
    filing = file_pending_messages(account)
    finished = time.perf_counter()
    if profiler is not None:
        profiler.disable()
        _write_profile(profiler, job["profile"])
    peak = peak_rss_mb()
    import resource

    # The parse worker processes of the sync (reaped by now): the largest one's peak.
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if not result.ok:
        raise SystemExit(f"first sync failed: {result.errors}")
    mails = Message.objects.filter(account=account).count()
    out = {
        "seconds": finished - started,
        "sync_seconds": synced - started,
        "filing_seconds": finished - synced,
        "mails": mails,
        "new": result.new,
        "parse_failed": result.parse_failed,
        # Each batch is filed during the sync; what is left is filed after it (nothing, as a
        # rule).
        "filed_mails": result.filed + filing.filed,
        "filings": Filing.objects.count(),
        "peak_rss_mb": peak,
        "workers_peak_rss_mb": workers_peak,
        "rss_before_sync_mb": rss_ready,
    }
    nothing_new = []
    for _ in range(job.get("nothing_new_runs", 0)):
        started = time.perf_counter()
        again = sync_account(account, file_async=False)
        nothing_new.append(time.perf_counter() - started)
        if again.new or not again.ok:
            raise SystemExit(f"second sync was not empty: {again.summary()}")
    out["nothing_new_seconds"] = nothing_new
    refile = []
    for _ in range(job.get("refile_runs", 0)):
        Filing.objects.all().delete()
        FiledMail.objects.all().delete()
        Message.objects.filter(account=account).update(archive_state=Message.ArchiveState.PENDING)
        started = time.perf_counter()
        again = file_pending_messages(account)
        refile.append(time.perf_counter() - started)
        if again.filings != out["filings"]:
            raise SystemExit(f"filing again made {again.filings} filings, not {out['filings']}")
    out["refile_seconds"] = refile
    return out


def _write_profile(profiler, path):
    import pstats

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        stats = pstats.Stats(profiler, stream=fh)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(40)


# -- the E-Mail-Archiv tab ------------------------------------------------------------------------


def tab(job):
    """The E-Mail-Archiv tab of a customer with job["filings"] filings (its own and its
    contacts'), pages 1 and 50, through the Django test client: server time and queries."""
    setup_django()
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from tests.factories import make_contact, make_customer, make_user

    customer = make_customer("Archiv GmbH")
    contacts = [make_contact("Kontakt", f"Nr. {i}", customers=[customer]) for i in range(10)]
    built = time.perf_counter()
    filings = _fill_archive(customer, contacts, job["filings"])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    built = time.perf_counter() - built
    user = make_user("reader")
    client = Client()
    client.force_login(user)
    content_type = ContentType.objects.get_for_model(customer)
    url = reverse("archiving:record_archive", args=[content_type.pk, customer.pk])
    out = {"filings": filings, "build_seconds": built}
    for page in (1, 50):
        client.get(url, {"page": page}, headers={"HX-Request": "true"})  # warm caches
        times, queries = [], set()
        for _ in range(job["runs"]):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, {"page": page}, headers={"HX-Request": "true"})
                times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"tab page {page} answered {response.status_code}")
            queries.add(len(captured))
            # Rows counted in the HTML: instrumenting the templates for response.context would
            # slow down the rendering that is measured.
            shown = response.content.count(b'class="reasons"')
        out[f"page{page}"] = {
            "seconds": times,
            "median": statistics.median(times),
            "queries": sorted(queries),
            "rows": shown,
            "sql": [q["sql"][:300] for q in captured.captured_queries],
        }
    return out


def _fill_archive(customer, contacts, total):
    """`total` filings: mails filed at the customer or at one of its contacts; every tenth
    mail at two contacts (it must still show once)."""
    import random
    from datetime import UTC, datetime, timedelta

    from django.contrib.contenttypes.models import ContentType

    from archiving.models import FiledMail, Filing

    rng = random.Random(5)
    customer_type = ContentType.objects.get_for_model(customer)
    contact_type = ContentType.objects.get_for_model(contacts[0])
    start = datetime(2020, 1, 1, tzinfo=UTC)
    made = 0
    index = 0
    batch = 5000
    while made < total:
        mails = []
        for _ in range(min(batch, total - made)):
            index += 1
            mails.append(
                FiledMail(
                    identity=f"{index:064x}",
                    fingerprint=f"{index:064x}",
                    raw_path=f"none/{index}.eml",
                    size=2000,
                    message_id=f"<archive{index}@bench.example>",
                    date=start + timedelta(minutes=37 * index + rng.randrange(30)),
                    subject=f"Angebot {index} – Neubau Lindenstraße",
                    from_addresses=[
                        {"name": "Kontakt", "address": "k@x.example", "normalized": "k@x.example"}
                    ],
                    author_name="Kontakt",
                    author_address="k@x.example",
                    text_body="Guten Tag,\nanbei das Angebot.\n",
                    search_addresses="k@x.example",
                )
            )
        mails = FiledMail.objects.bulk_create(mails)
        rows = []
        for mail in mails:
            if made >= total:
                break
            targets = []
            if rng.random() < 0.3:
                targets.append((customer_type.pk, customer.pk))
            else:
                targets += [(contact_type.pk, c.pk) for c in rng.sample(contacts, 2)]
                if rng.random() >= 0.1:
                    targets = targets[:1]
            for content_type_id, object_id in targets[: total - made]:
                rows.append(
                    Filing(
                        filed_mail=mail,
                        content_type_id=content_type_id,
                        object_id=object_id,
                        mail_date=mail.date,
                        direction="in",
                        source="auto",
                        matched_address="k@x.example",
                        matched_role="from",
                        reason="sender (From) k@x.example",
                    )
                )
                made += 1
        Filing.objects.bulk_create(rows)
    return made


CHILDREN = {
    "raw": raw_fetch,
    "imap_tools": imap_tools_fetch,
    "seed": seed,
    "product": product,
    "tab": tab,
}


def main(kind, job):
    import json

    result = CHILDREN[kind](job)
    result["peak_rss_mb"] = result.get("peak_rss_mb") or peak_rss_mb()
    sys.stdout.write(json.dumps(result) + "\n")
