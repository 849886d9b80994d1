"""Import of exported mail into a folder of a mail account, as if it had been synced.

    import_mailbox(account, path, folder_name=None) -> ImportResult   a file or folder on disk
    import_file(account, fileobj, folder_name=None) -> ImportResult   one upload (mbox or .eml)
    import_messages(account, folder_name, mails) -> ImportResult      mails from anywhere

Sources (open_source tells them apart, and says clearly what it cannot read): an mbox file
(Thunderbird, Google Takeout, mutt: "From " lines, with >From quoting undone as in mboxrd), a
Maildir (cur/ and new/, flags from the file names), a folder of .eml files (read in natural
order, 2.eml before 10.eml), or one .eml file. Line ends become CRLF, as an IMAP server
delivers them.

The import folder is a folder of the account that no server holds: its UIDVALIDITY is
IMPORT_UIDVALIDITY, above every value a server can send (32 bits), and new mail takes the UIDs
after the folder's last one in the order of the source. It is shown like any other folder
(exists_on_server stays true: the mailbox lists such folders). A folder synced from the server
is refused, and so is INBOX on an account that syncs (every server has one): the sync would
treat the imported mail as expunged there.

Re-importing adds nothing: a mail whose identity (Message-ID, author and date, or without a
Message-ID the bytes; see organizer.parsing.identity_key) the folder holds already is skipped,
and so is a repeat inside one export. Identity rather than bytes, because exporters rewrite
headers (Thunderbird keeps its read flags in X-Mozilla-Status) and a second export of the same
mail differs in bytes. The same mail in another folder is not a repeat: folders are mailboxes.

Streaming: one mail at a time is read; batches of BATCH_MESSAGES (or BATCH_BYTES) are stored in
one transaction each through organizer.store.store_batch, which parses each mail once. An
interrupted import keeps what it stored and a second run continues after it. Imports into one
folder run one after another (the folder row is locked per batch).

Filing: as for synced mail, on accounts with automatic filing the stored mail is marked pending
and filed after each batch: queued on the worker, or with file_async=False in this process
(the command). Organizer never imports archiving; the task goes by its dotted path.
"""

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organizer.imap import FolderInfo, assign_roles, encode_folder_name
from organizer.models import Folder, Message
from organizer.parsing import identity_key, parse_message
from organizer.store import CHUNK, store_batch
from organizer.sync import enqueue_filing, file_here

logger = logging.getLogger(__name__)

IMPORT_UIDVALIDITY = Folder.IMPORT_UIDVALIDITY
DEFAULT_FOLDER = "Import"
BATCH_MESSAGES = 500
BATCH_BYTES = 16 * 1024 * 1024
# What the upload on the settings page accepts; bigger exports go through the command.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024

MBOX, MAILDIR, EML_FOLDER, EML = "mbox", "Maildir", "folder of .eml files", "e-mail message"

# A "From " line that is a separator even without a blank line before it (some writers forget
# it): "From sender Wed Nov 29 10:22:33 2023", "From - Thu Jan 01 ..." (Thunderbird).
FROM_LINE = re.compile(
    rb"From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +"
    rb"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
)
QUOTED_FROM = re.compile(rb">+From ")
LONE_LF = re.compile(rb"(?<!\r)\n")
HEADER_END = re.compile(rb"\r?\n\r?\n")
HEADER_NAME = re.compile(rb"([!-9;-~]+)[ \t]*:")
HEADER_START = re.compile(rb"[!-9;-~]+[ \t]*:")
MOZILLA_STATUS = re.compile(rb"^X-Mozilla-Status:[ \t]*([0-9A-Fa-f]{1,4})", re.M | re.I)
MBOX_STATUS = re.compile(rb"^Status:[ \t]*([A-Za-z]+)", re.M | re.I)
GMAIL_LABELS = re.compile(rb"^X-Gmail-Labels:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.M | re.I)
MAILDIR_FLAGS = {"S": "\\Seen", "R": "\\Answered", "F": "\\Flagged", "D": "\\Draft"}
MAILDIR_TRASHED = "T"
# The headers an identity depends on (see import_identity).
IDENTITY_HEADERS = {b"message-id", b"from", b"sender", b"date", b"content-type"}
PLACEHOLDER = b"X-Other:"
ARCHIVES = (
    (b"PK\x03\x04", "ZIP"),
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Outlook .msg / .pst


class MailImportError(Exception):
    """The source cannot be imported; the message says why, in words for users."""


@dataclass
class ImportedMail:
    """One mail read from a source: what store_batch needs (uid, raw, flags) and a little more."""

    raw: bytes
    flags: tuple = ()
    source_bytes: int = 0  # bytes of the source this mail took (for progress)
    skip: str = ""  # why it is not imported, e.g. deleted in Thunderbird but not yet compacted
    uid: int = 0


@dataclass
class ImportResult:
    folder: str = ""
    read: int = 0  # mails read from the source
    imported: int = 0  # stored now
    duplicates: int = 0  # in the folder already, or twice in the source
    skipped: int = 0  # empty, or marked deleted in the source
    parse_failed: int = 0  # stored with a parse-error mark
    filed: int = 0  # mails filed in this process (file_async=False)
    bytes_read: int = 0
    seconds: float = 0.0

    def summary(self):
        return {
            "folder": self.folder,
            "read": self.read,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "parse_failed": self.parse_failed,
        }


# -- sources --------------------------------------------------------------------------------------


@dataclass
class MailSource:
    kind: str
    path: Path
    size: int  # bytes to read
    files: list | None = None  # the files of a Maildir or .eml folder, in import order

    @property
    def count(self):
        """How many mails, when known before reading (not for mbox files)."""
        return None if self.files is None else len(self.files)

    def mails(self):
        if self.kind == MBOX:
            with _open(self.path) as fh:
                yield from read_mbox(fh, self.path.name)
        elif self.kind == EML:
            yield _eml_mail(_read(self.path))
        else:
            for path in self.files:
                raw = _read(path)
                if self.kind == MAILDIR:
                    yield _maildir_mail(path, raw)
                else:
                    yield _eml_mail(raw)

    @property
    def default_folder(self):
        return f"{DEFAULT_FOLDER}/{self.path.stem or self.path.name}"


def open_source(path):
    """The MailSource at `path`; MailImportError when there is none or it cannot be read."""
    path = Path(path).expanduser()
    try:
        if path.is_dir():
            return _directory_source(path)
        if not path.exists():
            raise MailImportError(_("%(path)s does not exist.") % {"path": path})
        with _open(path) as fh:
            kind = sniff(fh.read(4096), path.name)
        return MailSource(kind, path, path.stat().st_size)
    except PermissionError:
        raise MailImportError(
            _("%(path)s cannot be read (permission denied).") % {"path": path}
        ) from None
    except OSError as error:
        raise MailImportError(
            _("%(path)s cannot be read: %(error)s") % {"path": path, "error": error.strerror}
        ) from None


def sniff(head, name):
    """MBOX or EML from the first bytes of a file; MailImportError for anything else."""
    data = head.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n")
    if not data.strip():
        raise MailImportError(_("%(name)s is empty.") % {"name": name})
    for magic, what in ARCHIVES:
        if data.startswith(magic):
            raise MailImportError(
                _(
                    "%(name)s is a %(kind)s archive. Unpack it first and import the mbox file or "
                    "the folder inside."
                )
                % {"name": name, "kind": what}
            )
    if data.startswith(OLE):
        raise MailImportError(
            _(
                "%(name)s is an Outlook file (.msg or .pst), which cannot be read. Export the mail "
                "as .eml files or as an mbox file."
            )
            % {"name": name}
        )
    if data.startswith(b"From "):
        return MBOX
    if HEADER_START.match(data) and b"\x00" not in data:
        return EML
    raise MailImportError(
        _("%(name)s is neither an mbox file nor an e-mail message (.eml).") % {"name": name}
    )


def _mail_file(path):
    """A regular file, not hidden, and no symbolic link: a Maildir handed over by someone else
    must not bring in files from elsewhere on this machine (cur/x -> /etc/passwd)."""
    return path.is_file() and not path.is_symlink() and not path.name.startswith(".")


def _directory_source(path):
    if (path / "cur").is_dir() or (path / "new").is_dir():
        files = [
            f
            for sub in ("cur", "new")
            if (path / sub).is_dir()
            for f in sorted((path / sub).iterdir(), key=lambda p: natural_key(p.name))
            if _mail_file(f)
        ]
        kind = MAILDIR
    else:
        files = sorted(
            (f for f in path.rglob("*") if f.suffix.lower() == ".eml" and _mail_file(f)),
            key=lambda p: natural_key(str(p.relative_to(path))),
        )
        kind = EML_FOLDER
        if not files:
            raise MailImportError(
                _(
                    "No mail found in %(path)s: a folder to import is a Maildir (with cur/ and "
                    "new/) or holds .eml files."
                )
                % {"path": path}
            )
    return MailSource(kind, path, sum(f.stat().st_size for f in files), files)


def natural_key(text):
    """Sorts "2.eml" before "10.eml"."""
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text)
    ]


def _open(path):
    return open(path, "rb")  # noqa: SIM115 (the callers close it)


def _read(path):
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise MailImportError(
            _("%(path)s cannot be read: %(error)s") % {"path": path, "error": error.strerror}
        ) from None


def read_mbox(fh, name="mbox"):
    """The mails of an mbox file, one at a time (never the whole file in memory).

    A line starting with "From " separates mails when a blank line precedes it or it looks like
    a separator (FROM_LINE); ">From " lines lose one ">" (mboxrd; for mboxo files that is right
    too, except for a body line that was ">From " already).
    """
    lines, consumed, started, previous_blank = [], 0, False, True
    try:
        for line in fh:
            if line.startswith(b"From ") and (previous_blank or FROM_LINE.match(line)):
                if started:
                    yield _mbox_mail(lines, consumed)
                lines, consumed, started, previous_blank = [], len(line), True, False
                continue
            consumed += len(line)
            previous_blank = line in (b"\n", b"\r\n")
            if not started:
                if line.strip() and line != b"\xef\xbb\xbf\n":
                    raise MailImportError(
                        _("%(name)s is not an mbox file: it does not start with a “From ” line.")
                        % {"name": name}
                    )
                continue
            if line[:1] == b">" and QUOTED_FROM.match(line):
                line = line[1:]
            lines.append(line)
    except OSError as error:
        raise MailImportError(
            _("%(name)s cannot be read: %(error)s") % {"name": name, "error": error.strerror}
        ) from None
    if started:
        yield _mbox_mail(lines, consumed)


def _mbox_mail(lines, consumed):
    # The blank line before the next separator belongs to the mbox format, not to the mail.
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines.pop()
    raw = _crlf(b"".join(lines))
    if not raw or raw.isspace():
        return ImportedMail(b"", source_bytes=consumed, skip="empty")
    flags, skip = _mbox_flags(_head(raw))
    return ImportedMail(raw, flags, source_bytes=consumed, skip=skip)


def _mbox_flags(head):
    """Flags from what mail programs write into an mbox: X-Mozilla-Status (Thunderbird),
    X-Gmail-Labels (Google Takeout), Status (mutt, Apple Mail). Read unless they say otherwise:
    an export is mostly old mail."""
    seen, flags = True, []
    status = MOZILLA_STATUS.search(head)
    if status:
        bits = int(status.group(1), 16)
        if bits & 0x0008:
            return (), "deleted"  # deleted in Thunderbird, still in the file until compacted
        seen = bool(bits & 0x0001)
        if bits & 0x0002:
            flags.append("\\Answered")
        if bits & 0x0004:
            flags.append("\\Flagged")
    else:
        labels = GMAIL_LABELS.search(head)
        if labels:
            names = {n.strip().lower() for n in labels.group(1).split(b",")}
            seen = not names & {b"unread", b"ungelesen"}
            if names & {b"starred", b"markiert"}:
                flags.append("\\Flagged")
        else:
            mbox_status = MBOX_STATUS.search(head)
            if mbox_status:
                seen = b"R" in mbox_status.group(1).upper()
    if seen:
        flags.insert(0, "\\Seen")
    return tuple(flags), ""


def _maildir_mail(path, raw):
    name = path.name
    info = name.split(":2,", 1)[1] if ":2," in name else ""
    if path.parent.name == "new":
        info = ""
    flags = tuple(flag for letter, flag in MAILDIR_FLAGS.items() if letter in info)
    if MAILDIR_TRASHED in info:
        flags += ("\\Deleted",)
    raw = _crlf(raw)
    return ImportedMail(raw, flags, source_bytes=len(raw), skip=_empty(raw))


def _eml_mail(raw):
    size = len(raw)
    raw = _crlf(raw)
    return ImportedMail(raw, ("\\Seen",), source_bytes=size, skip=_empty(raw))


def _empty(raw):
    return "empty" if not raw or raw.isspace() else ""


def _crlf(raw):
    return LONE_LF.sub(b"\r\n", raw) if b"\n" in raw else raw


def _head(raw):
    end = HEADER_END.search(raw)
    return raw[: end.start()] if end else raw[:65536]


# -- identity -------------------------------------------------------------------------------------


def import_identity(raw):
    """The identity parse_message(raw) gives the mail, computed from the headers it depends on
    (Message-ID, From, Sender, Date and the charset): a fraction of the cost of a parse, which
    store_batch does anyway for the mails that are new."""
    kept, keep = [], True
    for line in _head(raw).split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if keep:
                kept.append(line)
            continue
        name = HEADER_NAME.match(line)
        keep = name is None or name.group(1).lower() in IDENTITY_HEADERS
        # Other headers shrink to a stand-in, and lines that are no header stay: the parser's
        # repair of a broken header block then sees the same structure as in the whole mail.
        kept.append(line if keep else PLACEHOLDER + (b"\r" if line.endswith(b"\r") else b""))
    parsed = parse_message(b"\n".join(kept) + b"\n\n")
    author = parsed.author.normalized if parsed.author else ""
    # Without a Message-ID the key is the fingerprint of the whole mail, as in parse_message.
    fingerprint = "" if parsed.message_id else hashlib.sha256(raw).hexdigest()
    return identity_key(parsed.message_id, author, parsed.date, fingerprint)


# -- the folder -----------------------------------------------------------------------------------


def import_folder(account, folder_name=None):
    """The account's folder to import into, made when new; MailImportError when it is a folder
    synced from the server."""
    display = "/".join(part.strip() for part in (folder_name or DEFAULT_FOLDER).split("/"))
    display = display.strip("/")
    if not display:
        raise MailImportError(_("Enter the name of the folder to import into."))
    if any(part in ("", ".", "..") for part in display.split("/")):
        # "INBOX/../Sent" or "a//b" would look like another folder, or none, in the tree.
        raise MailImportError(
            _("A folder name is made of names separated by “/”, none of them empty, “.” or “..”.")
        )
    if display.upper() == "INBOX":
        display = "INBOX"
        if account.sync_enabled:
            raise MailImportError(
                _(
                    "The INBOX of this account comes from its mail server. Import into a folder "
                    "of its own, for example “%(suggestion)s”."
                )
                % {"suggestion": f"{DEFAULT_FOLDER}/INBOX"}
            )
    name = encode_folder_name(display)
    if len(name) > Folder._meta.get_field("name").max_length:
        raise MailImportError(_("The folder name is too long."))
    folder = Folder.objects.filter(account=account, name=name).first()
    if folder is None:
        folder = Folder.objects.filter(account=account, display_name=display).first()
    if folder is None:
        info = FolderInfo(name=name, display_name=display, delimiter="/", flags=(), selectable=True)
        try:
            with transaction.atomic():
                return Folder.objects.create(
                    account=account,
                    name=name,
                    display_name=display,
                    delimiter="/",
                    role=assign_roles([info])[0].role,
                    selectable=True,
                    uidvalidity=IMPORT_UIDVALIDITY,
                )
        except IntegrityError:
            folder = Folder.objects.get(account=account, name=name)  # a parallel import made it
    if folder.uidvalidity == IMPORT_UIDVALIDITY:
        return folder
    if folder.uidvalidity is None and not folder.exists_on_server:
        # Gone from the server before it was ever synced: nothing of the server's is in it.
        Folder.objects.filter(pk=folder.pk).update(
            uidvalidity=IMPORT_UIDVALIDITY, exists_on_server=True
        )
        folder.uidvalidity, folder.exists_on_server = IMPORT_UIDVALIDITY, True
        return folder
    raise MailImportError(
        _(
            "The folder “%(folder)s” is synced from the mail server. Import into a folder of its "
            "own, for example “%(suggestion)s”."
        )
        % {"folder": folder.display_name, "suggestion": f"{DEFAULT_FOLDER}/{folder.display_name}"}
    )


def is_import_folder(folder):
    return folder.is_imported


# -- importing ------------------------------------------------------------------------------------


def import_mailbox(account, path, folder_name=None, *, progress=None, file_async=True):
    """Imports the mbox file, Maildir, .eml folder or .eml file at `path` (see open_source) into
    `folder_name` (default: "Import/<name of the file or folder>")."""
    source = open_source(path)
    return import_messages(
        account,
        folder_name or source.default_folder,
        source.mails(),
        progress=progress,
        file_async=file_async,
    )


def import_file(account, fileobj, folder_name=None, *, name="", file_async=True):
    """Imports one uploaded file (an mbox file or one .eml) read from the binary `fileobj`, e.g.
    request.FILES["file"]; see MAX_UPLOAD_BYTES for what a view should accept."""
    name = name or getattr(fileobj, "name", "") or "upload"
    head = fileobj.read(4096)
    kind = sniff(head, name)
    fileobj.seek(0)
    # The file underneath an UploadedFile: Django's own line iteration also splits at a lone CR.
    stream = getattr(fileobj, "file", fileobj)
    mails = read_mbox(stream, name) if kind == MBOX else iter([_eml_mail(stream.read())])
    folder_name = folder_name or f"{DEFAULT_FOLDER}/{Path(name).stem or name}"
    return import_messages(account, folder_name, mails, file_async=file_async)


def import_messages(account, folder_name, mails, *, progress=None, file_async=True):
    """Imports `mails` (ImportedMail, or raw bytes read as unflagged new mail) into the folder.

    progress(result) is called after each stored batch.
    """
    started = time.monotonic()
    folder = import_folder(account, folder_name)
    result = ImportResult(folder=folder.display_name)
    batch, size = [], 0
    for mail in mails:
        if isinstance(mail, bytes | bytearray):
            mail = ImportedMail(bytes(mail), source_bytes=len(mail))
        result.read += 1
        result.bytes_read += mail.source_bytes or len(mail.raw)
        if mail.skip or not mail.raw or mail.raw.isspace():
            result.skipped += 1
            continue
        batch.append(mail)
        size += len(mail.raw)
        if len(batch) >= BATCH_MESSAGES or size >= BATCH_BYTES:
            _store(account, folder, batch, result, file_async)
            batch, size = [], 0
            if progress:
                progress(result)
    if batch:
        _store(account, folder, batch, result, file_async)
    _update_counts(folder)
    result.seconds = time.monotonic() - started
    if progress:
        progress(result)
    logger.info(
        "import into %s of %s: %d read, %d imported, %d duplicates, %d skipped in %.1fs",
        folder.display_name,
        account,
        result.read,
        result.imported,
        result.duplicates,
        result.skipped,
        result.seconds,
    )
    return result


def _store(account, folder, batch, result, file_async):
    identities = [import_identity(mail.raw) for mail in batch]
    with transaction.atomic():
        # The lock makes imports into one folder take turns: two of them never hand out the
        # same UIDs, nor both store one mail. (SQLite has one writer at a time anyway.)
        last_uid = (
            Folder.objects.select_for_update().values_list("last_uid", flat=True).get(pk=folder.pk)
        )
        known = _identities_in(folder, identities)
        new = []
        for mail, identity in zip(batch, identities, strict=True):
            if identity in known:
                result.duplicates += 1
                continue
            known.add(identity)
            last_uid += 1
            mail.uid = last_uid
            new.append(mail)
        if not new:
            return
        outcome = store_batch(account, folder, new)
        Folder.objects.filter(pk=folder.pk).update(last_uid=last_uid)
        folder.last_uid = last_uid
        if outcome.created and account.auto_archive and file_async:
            enqueue_filing(account.pk)
    result.imported += len(outcome.created)
    result.duplicates += outcome.skipped
    result.parse_failed += outcome.parse_failed
    if outcome.created and account.auto_archive and not file_async:
        result.filed += file_here(account)


def _identities_in(folder, identities):
    wanted = sorted(set(identities))
    found = set()
    for start in range(0, len(wanted), CHUNK):
        found.update(
            Message.objects.filter(
                folder=folder, identity__in=wanted[start : start + CHUNK]
            ).values_list("identity", flat=True)
        )
    return found


def _update_counts(folder):
    stored = Message.objects.filter(folder=folder)
    Folder.objects.filter(pk=folder.pk).update(
        unseen_count=stored.filter(seen=False).count(), last_synced_at=timezone.now()
    )
