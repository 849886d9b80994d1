"""Parse every mail of ../shared/corpus/enron with parse_message and with imap-tools' MailMessage
(touching subject, from/to/cc, date and text, as the sync baseline does) and print both timings.

    .venv/bin/python tests/benchmarks/parse_bench.py [--repeat N]
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / ".." / "shared" / "corpus" / "enron"


def _ours(raws):
    from organizer.parsing import parse_message

    for raw in raws:
        parse_message(raw)


def _imap_tools(raws):
    from imap_tools import MailMessage

    for raw in raws:
        message = MailMessage.from_bytes(raw)
        _touched = (
            message.subject,
            message.from_values,
            message.to_values,
            message.cc_values,
            message.date,
            message.text,
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    files = sorted(CORPUS.rglob("*.eml"))
    if not files:
        sys.exit(f"no corpus at {CORPUS}")
    raws = [f.read_bytes() for f in files]
    print(f"{len(raws)} mails, {sum(map(len, raws)) / 1e6:.1f} MB")
    for label, run in (("parse_message", _ours), ("imap-tools", _imap_tools)):
        best = None
        for _ in range(args.repeat):
            start = time.perf_counter()
            run(raws)
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
        print(f"{label:14} {best:6.2f} s  {len(raws) / best:8.0f} mails/s (best of {args.repeat})")


if __name__ == "__main__":
    main()
