"""Writes of the archive: filing and unfiling mail. INTERIM: being written by the lead."""

from dataclasses import dataclass


@dataclass
class FilingResult:
    examined: int = 0
    filed: int = 0


def file_pending_messages(account):
    """Files every message of `account` whose archive_state is "pending". Returns a FilingResult."""
    return FilingResult()
