"""Files inside a TNEF stream (Outlook's winmail.dat), read with the pinned tnefparse, which
raises anything on junk and is therefore fully guarded here."""

import re

import tnefparse

from .charsets import clean_text, decode_bytes
from .htmltext import html_to_text

MAX_TNEF_BYTES = 64 * 1024 * 1024
MAX_TNEF_FILES = 500
LINE_ENDINGS = re.compile(r"\r\n?")


def read_tnef(data, where, defects):
    """([(file name, bytes)], body text) of a TNEF blob; ([], "") with a defect when it is junk."""
    if len(data) > MAX_TNEF_BYTES:
        defects.append(f"TNEF data in {where} too large to unpack")
        return [], ""
    try:
        tnef = tnefparse.TNEF(data, do_checksum=False)
    except Exception as error:  # noqa: BLE001 - tnefparse raises anything on junk
        defects.append(f"unreadable TNEF (winmail.dat) in {where} ({type(error).__name__})")
        return [], ""
    files = []
    for attachment in tnef.attachments[:MAX_TNEF_FILES]:
        try:
            name = attachment.long_filename() or attachment.name
        except Exception:  # noqa: BLE001
            name = ""
        if isinstance(name, bytes):
            name = decode_bytes(name, None, where, defects)
        file_data = attachment.data if isinstance(attachment.data, bytes) else b""
        files.append((str(name or "").strip("\x00"), file_data))
    body = ""
    for candidate, is_html in ((tnef.body, False), (tnef.htmlbody, True)):
        if not candidate or body:
            continue
        if isinstance(candidate, bytes):
            candidate = decode_bytes(candidate.rstrip(b"\x00"), None, where, defects)
        body = html_to_text(candidate) if is_html else clean_text(str(candidate))
    return files, LINE_ENDINGS.sub("\n", body)


def tnef_file(data, index):
    files, _ = read_tnef(data, "winmail.dat", [])
    return files[index] if 0 <= index < len(files) else None
