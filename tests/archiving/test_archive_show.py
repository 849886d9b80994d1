import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import make_contact, make_filed_mail

pytestmark = pytest.mark.django_db


def test_json_lists_the_filings_of_every_record_owning_the_address_newest_first(capsys):
    first = make_contact("Mira", "Albrecht", emails=["mira@example.org"])
    second = make_contact("Büro", "Albrecht", emails=["MIRA@example.org"])
    make_filed_mail(first, subject="alt", date=datetime(2025, 1, 1, tzinfo=UTC))
    make_filed_mail(second, subject="neu", date=datetime(2026, 1, 1, tzinfo=UTC))
    make_filed_mail(make_contact("Fremd"), subject="fremd")

    call_command("archive_show", "Mira@Example.org", "--json")
    rows = json.loads(capsys.readouterr().out)

    assert [row["subject"] for row in rows] == ["neu", "alt"]
    assert {"date", "subject", "from", "message_id", "record", "reason"} <= set(rows[0])
    assert rows[0]["record"].endswith("Büro Albrecht")
    assert rows[0]["reason"] == "sender (From) mira@example.org"


def test_text_output_and_errors(capsys):
    make_filed_mail(make_contact("Mira", emails=["mira@example.org"]), subject="Angebot")

    call_command("archive_show", "mira@example.org")

    assert "Angebot" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("archive_show", "not an address")
