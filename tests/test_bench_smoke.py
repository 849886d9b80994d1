"""`make bench` must not rot: its script runs end to end on a tiny mailbox (SQLite only)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_script_prints_the_table_and_writes_the_targets(tmp_path):
    from tests.dovecot import Dovecot, DovecotUnavailable

    try:
        Dovecot(root=tmp_path / "probe")
    except DovecotUnavailable as exc:
        pytest.skip(str(exc))
    output = tmp_path / "latest.json"

    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "benchmarks" / "run.py"),
            *("--mails", "40", "--small", "20", "--runs", "1", "--small-runs", "1"),
            *("--nothing-new-runs", "1", "--contacts", "300", "--tab-filings", "60"),
            "--no-postgres",
            *("--output", str(output)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(output.read_text())
    names = [row["name"] for row in report["rows"]]
    assert "(a) imap-tools fetch + parse" in names
    assert "(b) raw imaplib fetch" in names
    assert "first sync + filing, SQLite" in names
    assert "E-Mail-Archiv tab page 50, SQLite" in names
    synced = [r for r in report["rows"] if r["name"] == "first sync + filing, SQLite"]
    assert [r["n"] for r in synced] == [20, 40]
    assert all(r["seconds"] > 0 and r["peak_rss_mb"] > 0 for r in synced)
    assert report["targets"]
    for target in report["targets"]:
        assert set(target) >= {"name", "value", "target", "met"}
        assert isinstance(target["met"], bool)
    assert "targets" in proc.stdout and "first sync + filing" in proc.stdout
