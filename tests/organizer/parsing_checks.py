"""Assertions shared by the parsing tests: every string a parse returns can be stored."""

import dataclasses

from organizer.parsing import ParsedMessage, get_part


def strings_of(value):
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value):
        for item in dataclasses.fields(value):
            yield from strings_of(getattr(value, item.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_of(key)
            yield from strings_of(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_of(item)


def assert_storable(parsed):
    """PostgreSQL text holds neither NUL nor lone surrogates (strict UTF-8 encoding fails)."""
    assert isinstance(parsed, ParsedMessage)
    for text in strings_of(parsed):
        text.encode("utf-8")
        assert "\x00" not in text
    assert parsed.date is None or parsed.date.utcoffset().total_seconds() == 0
    assert len(parsed.identity) == len(parsed.fingerprint) == 64


def assert_parts_match(raw, parsed):
    """Every attachment's path leads get_part to bytes of the reported size."""
    for attachment in parsed.attachments:
        found = get_part(raw, attachment.part)
        assert found is not None, attachment.part
        assert len(found[2]) == attachment.size, attachment.part
