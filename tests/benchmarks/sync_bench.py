"""First full sync of a generated N-mail Dovecot mailbox vs a plain imap-tools bulk fetch.

    .venv/bin/python tests/benchmarks/sync_bench.py [--mails 10000] [--json]

Starts the private Dovecot of the test suite, loads N generated mails into INBOX (MULTIAPPEND),
then runs, each in a fresh process so that peak memory is its own:

- baseline: imap-tools fetches every mail in bulk batches without marking it seen, touches
  subject, addresses, date and text, and keeps nothing;
- product: organizer.sync.sync_account on a fresh account (automatic filing off): fetch, parse,
  store raw bytes and rows.

Prints seconds, mails per second and peak RSS of each. Uses a throwaway SQLite database unless
DATABASE_URL is set. Not collected by pytest (no test_ prefix).
"""

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

WORDS = [
    "Angebot",
    "Rechnung",
    "Lieferung",
    "Termin",
    "Aufmaß",
    "Bestellung",
    "Rückfrage",
    "Projekt",
    "Kunde",
    "Preis",
    "Menge",
    "Montage",
    "Größe",
    "Änderung",
    "Zahlung",
    "Frist",
    "bitte",
    "danke",
    "freundliche",
    "Grüße",
    "wir",
    "Sie",
    "Ihnen",
    "der",
    "die",
    "das",
]


def make_mail(i, rng):
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(150, 2500)))
    subject = f"=?utf-8?q?{rng.choice(WORDS)}_Nr=2E_{i}?="
    headers = (
        f"From: Kontakt {i % 97} <kontakt{i % 97}@kunde{i % 13}.example.org>\r\n"
        f"To: Lena Vogt <lena.vogt@example.com>\r\n"
        f"Cc: team{i % 5}@example.com\r\n"
        f"Subject: {subject}\r\n"
        f"Date: Tue, {1 + i % 28:02d} Apr 2026 {i % 24:02d}:{i % 60:02d}:00 +0200\r\n"
        f"Message-ID: <bench{i}.{rng.getrandbits(32)}@kunde.example.org>\r\n"
        "MIME-Version: 1.0\r\n"
    )
    if i % 10 == 0:
        attachment = rng.randbytes(rng.randint(20_000, 120_000))
        import base64

        b64 = base64.encodebytes(attachment).decode().replace("\n", "\r\n")
        body = (
            'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
            "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            f'{words}\r\n--b1\r\nContent-Type: application/pdf; name="Angebot-{i}.pdf"\r\n'
            "Content-Transfer-Encoding: base64\r\n"
            f'Content-Disposition: attachment; filename="Angebot-{i}.pdf"\r\n\r\n'
            f"{b64}--b1--\r\n"
        )
    elif i % 3 == 0:
        body = (
            'Content-Type: multipart/alternative; boundary="b2"\r\n\r\n'
            "--b2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"{words}\r\n--b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            f"<html><body><p>{words}</p></body></html>\r\n--b2--\r\n"
        )
    else:
        body = f"Content-Type: text/plain; charset=utf-8\r\n\r\n{words}\r\n"
    return (headers + body).encode("utf-8")


def peak_rss_mb():
    # VmHWM belongs to the process image: unlike ru_maxrss it does not carry the parent's
    # peak over fork + exec.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.test")
    import django

    django.setup()


def child_baseline(port, user, password):
    from imap_tools import MailBoxUnencrypted

    started = time.perf_counter()
    count = 0
    with MailBoxUnencrypted("127.0.0.1", port).login(user, password, initial_folder=None) as box:
        box.folder.set("INBOX", readonly=True)
        for message in box.fetch(mark_seen=False, bulk=500):
            _touched = (
                message.subject,
                message.from_values,
                message.to_values,
                message.cc_values,
                message.date,
                message.text,
            )
            count += 1
    return {"seconds": time.perf_counter() - started, "mails": count, "peak_rss_mb": peak_rss_mb()}


def child_product(port, user, password, profile=False):
    setup_django()
    from organizer.models import Message
    from organizer.sync import sync_account
    from tests.factories import make_mail_account, make_user

    account = make_mail_account(make_user(), port=port, login=user, password=password)
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(sync_account, account, file_async=False)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    else:
        result = sync_account(account, file_async=False)
    seconds = time.perf_counter() - started
    assert result.ok, result.errors
    started = time.perf_counter()
    again = sync_account(account, file_async=False)
    nothing_new = time.perf_counter() - started
    return {
        "seconds": seconds,
        "mails": Message.objects.filter(account=account).count(),
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_sync_mb": rss_before,
        "nothing_new_seconds": nothing_new,
        "nothing_new_created": again.new,
    }


def run_child(kind, port, user, password, env, profile=False):
    command = [sys.executable, __file__, "--child", kind, "--port", str(port), "--user", user]
    out = subprocess.run(
        command + (["--profile"] if profile else []),
        input=password,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", choices=["baseline", "product"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--user")
    parser.add_argument("--profile", action="store_true", help="cProfile the sync (stderr)")
    args = parser.parse_args()
    if args.child:
        password = sys.stdin.read().strip()
        if args.child == "baseline":
            print(json.dumps(child_baseline(args.port, args.user, password)))
        else:
            print(json.dumps(child_product(args.port, args.user, password, args.profile)))
        return

    from tests.dovecot import Dovecot

    work = Path(tempfile.mkdtemp(prefix="ablage-sync-bench-"))
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "settings.test")
    # As in production: with DEBUG on, Django keeps every SQL statement (bulk INSERTs of mail
    # bodies included) in memory, which would measure the query log rather than the sync.
    env["DEBUG"] = "0"
    env["ABLAGE_DATA_DIR"] = str(work)
    env.setdefault("DATABASE_URL", f"sqlite:///{work}/bench.sqlite3")
    env["PYTHONPATH"] = str(ROOT)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
        env=env,
        check=True,
    )
    server = Dovecot(root=work / "dovecot").start()
    try:
        user = server.add_user()
        rng = random.Random(42)
        raws = [make_mail(i, rng) for i in range(args.mails)]
        started = time.perf_counter()
        server.append_many(user, "INBOX", raws)
        load = time.perf_counter() - started
        total_mb = sum(len(r) for r in raws) / 1e6
        del raws
        password = server.passwords[user]
        baseline = run_child("baseline", server.port, user, password, env)
        product = run_child("product", server.port, user, password, env, args.profile)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "mails": args.mails,
        "mailbox_mb": round(total_mb, 1),
        "load_seconds": round(load, 2),
        "database": env["DATABASE_URL"].split(":", 1)[0],
        "baseline_imap_tools": baseline,
        "product_first_sync": product,
        "ratio_product_to_baseline": product["seconds"] / baseline["seconds"],
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{args.mails} mails, {total_mb:.1f} MB, loaded in {load:.1f}s, {report['database']}")
    for name, row in [("imap-tools bulk fetch + parse", baseline), ("Ablage first sync", product)]:
        print(
            f"{name:32s} {row['seconds']:7.2f}s {row['mails'] / row['seconds']:8.0f} mails/s "
            f"peak RSS {row['peak_rss_mb']:6.1f} MB"
        )
    print(f"ratio product / baseline: {report['ratio_product_to_baseline']:.2f}")
    print(
        f"second sync, nothing new: {product['nothing_new_seconds'] * 1000:.0f} ms, "
        f"{product['nothing_new_created']} created"
    )


if __name__ == "__main__":
    main()
