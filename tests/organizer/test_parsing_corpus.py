"""Acceptance on real mail: every .eml of ../shared/corpus/enron and mail-fixtures parses
without an exception into storable text, and every reported attachment path leads to its bytes."""

from pathlib import Path

import pytest

from organizer.parsing import parse_message
from tests.organizer.parsing_checks import assert_parts_match, assert_storable

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"


@pytest.mark.corpus
@pytest.mark.parametrize("collection", ["enron", "mail-fixtures"])
def test_every_corpus_mail_parses_into_storable_fields(collection):
    folder = CORPUS / collection
    if not folder.is_dir():
        pytest.skip(f"corpus not found at {folder.resolve()}")
    files = sorted(folder.rglob("*.eml"))
    assert files, f"no .eml files under {folder}"
    for path in files:
        raw = path.read_bytes()
        parsed = parse_message(raw)

        assert not parsed.failed, path
        assert_storable(parsed)
        if parsed.attachments:
            assert_parts_match(raw, parsed)
