"""IMAP access: the only module that speaks IMAP (imaplib, with imap-tools' UTF-7 codec).

imap-tools' MailBox classes connect by host name themselves; the host guard below needs the
connection pinned to the address it checked, and the sync needs raw UID FETCH batches with
CONDSTORE, so the commands go through imaplib directly.

Everything leaves this module as plain dataclasses; every failure leaves it as one ImapError
whose `kind` says what went wrong and whose message says it in plain words for users. The rest
of the product never sees imaplib.

Rules kept here: folders are addressed by their raw modified-UTF-7 names; mail is read with
EXAMINE and BODY.PEEK so that nothing is ever marked \\Seen; a host is resolved once, checked by
the host guard and then connected to by that very address (no second DNS answer can slip in);
imaplib's debug output is never enabled, because it prints the LOGIN line with the password.
"""

import base64
import binascii
import contextlib
import imaplib
import ipaddress
import logging
import re
import socket
import ssl
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from imap_tools.imap_utf7 import utf7_encode

logger = logging.getLogger(__name__)

# A UID SEARCH ALL of a big folder is one long line; imaplib's default limit is 1 MB.
imaplib._MAXLINE = max(imaplib._MAXLINE, 50 * 1024 * 1024)

KINDS = (
    "auth",
    "dns",
    "tls",
    "timeout",
    "refused",
    "connection",
    "throttled",
    "protocol",
    "blocked_host",
)
# Failures after which trying again soon may well succeed.
TRANSIENT_KINDS = frozenset({"timeout", "refused", "connection", "throttled"})

METADATA_HOSTS = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
THROTTLE_TEXT = re.compile(rb"Suggested Backoff Time:\s*(\d+)\s*milli", re.IGNORECASE)
THROTTLE_HINTS = (b"throttl", b"[LIMIT]", b"[INUSE]", b"too many")


class ImapError(Exception):
    """One failure of IMAP work. `message` is for users; `detail` (server text) for logs."""

    def __init__(self, kind, message, *, detail="", retry_after=None, folder_level=False):
        assert kind in KINDS, kind
        super().__init__(str(message))
        self.kind = kind
        self.message = str(message)
        self.detail = detail
        # Seconds the server asked us to wait (throttling), or None.
        self.retry_after = retry_after
        # The command failed for one folder only (NO); the connection is still usable.
        self.folder_level = folder_level

    @property
    def transient(self):
        return self.kind in TRANSIENT_KINDS

    def __str__(self):
        return f"{self.message} ({self.detail})" if self.detail else self.message


@dataclass(frozen=True)
class FolderInfo:
    name: str  # as the server spells it (modified UTF-7): what is sent on the wire
    display_name: str  # decoded for people
    delimiter: str
    flags: tuple[str, ...]
    selectable: bool
    role: str = ""  # "inbox", "sent", "drafts", "trash", "junk", "archive", "all" or ""


@dataclass(frozen=True)
class FolderStatus:
    messages: int
    uidvalidity: int | None
    uidnext: int | None
    unseen: int | None
    highest_modseq: int | None


@dataclass(frozen=True)
class SelectedFolder:
    exists: int
    uidvalidity: int | None
    uidnext: int | None
    highest_modseq: int | None


@dataclass
class FetchedMessage:
    uid: int
    raw: bytes
    flags: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class MessageSummary:
    """A message of a folder without its body: for planning batches and re-mapping UIDs."""

    uid: int
    size: int
    flags: tuple[str, ...] = ()
    header: bytes = b""


# -- folder names ---------------------------------------------------------------------------------


def decode_folder_name(raw):
    """Modified UTF-7 (RFC 3501 5.1.3) to Unicode; malformed parts become U+FFFD, never an error.

    Returns (display name, well_formed).
    """
    out = []
    ok = True
    i = 0
    while i < len(raw):
        char = raw[i]
        if char != "&":
            out.append(char)
            i += 1
            continue
        end = raw.find("-", i + 1)
        if end == -1:
            out.append("\ufffd")
            return "".join(out), False
        chunk = raw[i + 1 : end]
        if not chunk:
            out.append("&")
        else:
            try:
                data = chunk.replace(",", "/").encode("ascii")
                data += b"=" * (-len(data) % 4)
                decoded = base64.b64decode(data, validate=True).decode("utf-16-be")
                out.append(decoded)
            except (binascii.Error, UnicodeError, ValueError):
                out.append("\ufffd")
                ok = False
        i = end + 1
    return "".join(out), ok


def encode_folder_name(name):
    """Unicode to modified UTF-7: for folder names typed by people."""
    return utf7_encode(name).decode("ascii")


SPECIAL_USE_ROLES = {
    "\\sent": "sent",
    "\\drafts": "drafts",
    "\\trash": "trash",
    "\\junk": "junk",
    "\\archive": "archive",
    "\\all": "all",
}
# Fallback when the server flags no folder for a role: common names, best first (compared
# case-insensitively on the decoded name, below INBOX when the server nests folders there).
ROLE_NAMES = {
    "sent": [
        "Sent",
        "Sent Items",
        "Sent Messages",
        "Sent Mail",
        "Gesendet",
        "Gesendete Elemente",
        "Gesendete Objekte",
        "Gesendete Nachrichten",
        "[Gmail]/Sent Mail",
        "[Google Mail]/Gesendet",
    ],
    "drafts": ["Drafts", "Entwürfe", "[Gmail]/Drafts", "[Google Mail]/Entwürfe"],
    "trash": [
        "Trash",
        "Papierkorb",
        "Deleted Items",
        "Deleted Messages",
        "Gelöschte Elemente",
        "Gelöschte Objekte",
        "[Gmail]/Trash",
        "[Google Mail]/Papierkorb",
    ],
    "junk": ["Junk", "Spam", "Junk-E-Mail", "Junk E-Mail", "[Gmail]/Spam", "[Google Mail]/Spam"],
}


def assign_roles(folders):
    """The folders with their roles: SPECIAL-USE flags first, then well-known names."""
    roles = {}
    for info in folders:
        if info.name.upper() == "INBOX":
            roles[info.name] = "inbox"
            continue
        for flag in info.flags:
            role = SPECIAL_USE_ROLES.get(flag.lower())
            if role and info.selectable:
                roles[info.name] = role
                break
    flagged = set(roles.values())
    for role, names in ROLE_NAMES.items():
        if role in flagged:
            continue
        wanted = [n.casefold() for n in names]
        candidates = []
        for info in folders:
            if info.name in roles or not info.selectable:
                continue
            key = info.display_name
            prefix = "INBOX" + (info.delimiter or "")
            if info.delimiter and key.upper().startswith(prefix.upper()):
                key = key[len(prefix) :]
            if key.casefold() in wanted:
                candidates.append((wanted.index(key.casefold()), info.name))
        if candidates:
            roles[min(candidates)[1]] = role
    return [
        FolderInfo(
            name=i.name,
            display_name=i.display_name,
            delimiter=i.delimiter,
            flags=i.flags,
            selectable=i.selectable,
            role=roles.get(i.name, ""),
        )
        for i in folders
    ]


# -- host guard -----------------------------------------------------------------------------------


def _blocked_reason(ip):
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip in METADATA_HOSTS:
        return _("cloud metadata address")
    if ip.is_link_local:
        return _("link-local address")
    if ip.is_multicast:
        return _("multicast address")
    if ip.is_unspecified or (ip.version == 4 and ip in ipaddress.ip_network("0.0.0.0/8")):
        return _("unspecified address")
    if ip.is_reserved and not ip.is_loopback:  # ::1 lies in IPv6's reserved ::/8
        return _("reserved address")
    if not ip.is_global and not settings.ABLAGE_ALLOW_PRIVATE_IMAP_HOSTS:
        return _("private or loopback address")
    return ""


def resolve_host(host, port, security):
    """The socket addresses to connect to, after the host guard; raises ImapError."""
    host = (host or "").strip()
    if not host:
        raise ImapError("dns", _("No IMAP server name is set."))
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise ImapError(
            "dns",
            _("The server name %(host)s could not be found.") % {"host": host},
            detail=str(exc),
        ) from None
    addresses = []
    for family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(sockaddr[0].split("%")[0])
        reason = _blocked_reason(ip)
        if reason:
            # One bad answer refuses the host: a name that also points inward is not trusted.
            raise ImapError(
                "blocked_host",
                _("Connections to %(host)s are not allowed (it points to a %(reason)s).")
                % {"host": host, "reason": reason},
            )
        addresses.append((family, sockaddr, ip))
    if security == "none" and not all(
        (ip.ipv4_mapped or ip).is_loopback if ip.version == 6 else ip.is_loopback
        for _f, _s, ip in addresses
    ):
        raise ImapError(
            "blocked_host",
            _(
                "Unencrypted connections are only allowed to this machine; "
                "choose SSL/TLS or STARTTLS."
            ),
        )
    return [(family, sockaddr) for family, sockaddr, _ip in addresses]


def is_loopback_host(host):
    """Whether `host` names this machine (for allowing unencrypted connections)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return False
    ips = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    return bool(ips) and all((getattr(ip, "ipv4_mapped", None) or ip).is_loopback for ip in ips)


def _connect_any(addresses, timeout):
    last = None
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    raise last or OSError("no address to connect to")


class _PinnedIMAP4(imaplib.IMAP4):
    def __init__(self, host, port, timeout, addresses):
        self._addresses = addresses
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout):
        return _connect_any(self._addresses, timeout)


class _PinnedIMAP4_SSL(imaplib.IMAP4_SSL):
    def __init__(self, host, port, timeout, addresses, ssl_context):
        self._addresses = addresses
        super().__init__(host, port, ssl_context=ssl_context, timeout=timeout)

    def _create_socket(self, timeout):
        sock = _connect_any(self._addresses, timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


# -- errors -----------------------------------------------------------------------------------


def _text(data):
    parts = []
    for item in data or []:
        if isinstance(item, tuple):
            item = item[0]
        if isinstance(item, bytes):
            parts.append(item.decode("utf-8", "replace"))
        elif item is not None:
            parts.append(str(item))
    return " ".join(parts).strip()


def _throttled(text_bytes):
    match = THROTTLE_TEXT.search(text_bytes)
    if match:
        return int(match.group(1)) / 1000
    lowered = text_bytes.lower()
    if any(hint.lower() in lowered for hint in THROTTLE_HINTS):
        return 0.0
    return None


def _raise_if_throttled(text):
    """A NO answer asking to slow down (with a suggested back-off) becomes a "throttled" error."""
    retry_after = _throttled(text.encode())
    if retry_after is not None:
        raise ImapError(
            "throttled",
            _("The server asks to slow down; the sync continues later."),
            detail=text[:300],
            retry_after=retry_after or None,
        )


def _translate(exc, host):
    """An ImapError for an exception raised while talking to the server."""
    if isinstance(exc, ImapError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ImapError(
            "tls",
            _("The server's certificate for %(host)s is not valid.") % {"host": host},
            detail=exc.verify_message or str(exc),
        )
    if isinstance(exc, ssl.SSLError):
        return ImapError(
            "tls", _("The secure connection (TLS) to the server failed."), detail=str(exc)
        )
    if isinstance(exc, ConnectionRefusedError):
        return ImapError(
            "refused",
            _("The server %(host)s refused the connection; is the port right?") % {"host": host},
            detail=str(exc),
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        return ImapError("timeout", _("The server did not answer in time."), detail=str(exc))
    if isinstance(exc, imaplib.IMAP4.abort | OSError | EOFError):
        detail = str(exc)
        retry_after = _throttled(detail.encode())
        if retry_after is not None:
            return ImapError(
                "throttled",
                _("The server asks to slow down; the sync continues later."),
                detail=detail,
                retry_after=retry_after or None,
            )
        return ImapError("connection", _("The connection to the server was lost."), detail=detail)
    if isinstance(exc, imaplib.IMAP4.error):
        # imaplib words a BAD as "NAME command error: BAD [b'server text']".
        found = re.search(r"BAD \[b?['\"](.*)['\"]\]", str(exc))
        text = (found.group(1) if found else "")[:200]
        return ImapError(
            "protocol",
            _("The server answered with an error: %(text)s") % {"text": text}
            if text
            else _("The server answered with an error."),
            detail=str(exc)[:500],
        )
    return ImapError("protocol", _("Unexpected answer from the server."), detail=repr(exc)[:500])


# -- response parsing ---------------------------------------------------------------------------

_ATOM = re.compile(rb'[^\s()"{}]+')
_FETCH_START = re.compile(rb"^\d+ \(")
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)")
_LITERAL_SIZE = re.compile(rb"\{(\d+)\}$")
_STATUS_ITEMS = re.compile(rb"([A-Z]+) (\d+)")


def _read_string(data, pos):
    """(value bytes, new position) of a quoted string, atom or NIL at data[pos:]."""
    if data[pos : pos + 1] == b'"':
        out = bytearray()
        pos += 1
        while pos < len(data):
            char = data[pos : pos + 1]
            if char == b"\\":
                out += data[pos + 1 : pos + 2]
                pos += 2
            elif char == b'"':
                return bytes(out), pos + 1
            else:
                out += char
                pos += 1
        return bytes(out), pos
    match = _ATOM.match(data, pos)
    if not match:
        return b"", pos
    return match.group(0), match.end()


def parse_list_line(item):
    """(flags, delimiter, raw name) of one LIST response, or None when it cannot be read."""
    literal = None
    if isinstance(item, tuple):
        item, literal = item[0], item[1]
    if not isinstance(item, bytes):
        return None
    match = re.match(rb"\s*\(([^)]*)\)\s+", item)
    if not match:
        return None
    flags = tuple(f.decode("ascii", "replace") for f in match.group(1).split())
    pos = match.end()
    delimiter, pos = _read_string(item, pos)
    if delimiter.upper() == b"NIL":
        delimiter = b""
    pos += 1
    if literal is not None:
        name = literal
    else:
        name, pos = _read_string(item, pos)
    return flags, delimiter.decode("ascii", "replace"), name


def _fetch_records(data):
    """[(metadata bytes, literal bytes or None)] of a FETCH response as imaplib returns it."""
    records = []
    for item in data or []:
        if isinstance(item, tuple):
            header, literal = item[0], item[1]
            expected = _LITERAL_SIZE.search(header)
            if expected and len(literal) != int(expected.group(1)):
                # A message cut off in transit is never handed on.
                raise ImapError(
                    "connection",
                    _("The connection to the server was lost."),
                    detail="literal shorter than announced",
                )
            records.append([header, literal])
        elif isinstance(item, bytes):
            if records and records[-1][1] is not None and not _FETCH_START.match(item):
                records[-1][0] = records[-1][0] + b" " + item  # the rest after a literal
            else:
                records.append([item, None])
    return records


def _flags_of(meta):
    match = _FLAGS.search(meta)
    if not match:
        return None
    return tuple(
        f for f in match.group(1).decode("utf-8", "replace").split() if f.lower() != "\\recent"
    )


def uid_set(uids):
    """A compact UID set ("1:5,9,12:14") of ascending UIDs; never includes 0."""
    parts = []
    start = prev = None
    for uid in sorted(uids):
        if uid <= 0:
            raise ValueError("UIDs start at 1")
        if prev is not None and uid == prev + 1:
            prev = uid
            continue
        if start is not None:
            parts.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = uid
    if start is not None:
        parts.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(parts)


# -- the connection -------------------------------------------------------------------------------


class ImapConnection:
    """A logged-in IMAP session. Use connect(); close() or `with` ends it."""

    def __init__(self, client, host):
        self._client = client
        self.host = host
        self.capabilities = frozenset()
        self.condstore = False
        self._broken = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # plumbing

    def _call(self, method, *args, folder_level=False):
        self._client.untagged_responses.clear()
        try:
            typ, data = method(*args)
        except Exception as exc:
            error = _translate(exc, self.host)
            self._broken = error.kind != "protocol"
            raise error from None
        if typ != "OK":
            text = _text(data)
            _raise_if_throttled(text)
            raise ImapError(
                "protocol",
                _("The server refused a command: %(text)s") % {"text": text[:200]},
                folder_level=folder_level,
            )
        return data

    def _simple(self, name, *args, folder_level=False):
        return self._call(self._client._simple_command, name, *args, folder_level=folder_level)

    def _untagged(self, name):
        return self._client.untagged_responses.pop(name, [])

    @staticmethod
    def _quote(name):
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def login(self, login, password):
        try:
            if login.isascii() and password.isascii():
                typ, data = self._client._simple_command(
                    "LOGIN", self._quote(login), self._quote(password)
                )
            else:
                # LOGIN only carries ASCII; SASL PLAIN carries UTF-8.
                raw = b"\0" + login.encode() + b"\0" + password.encode()
                typ, data = self._client.authenticate("PLAIN", lambda _challenge: raw)
        except imaplib.IMAP4.abort as exc:
            raise _translate(exc, self.host) from None
        except imaplib.IMAP4.error as exc:
            typ, data = "NO", [str(exc).encode()]
        except Exception as exc:
            raise _translate(exc, self.host) from None
        if typ != "OK":
            text = _text(data)
            _raise_if_throttled(text)
            if "[UNAVAILABLE]" in text or "Temporary" in text:
                raise ImapError(
                    "connection",
                    _("The server cannot log in right now; it will be tried again."),
                    detail=text[:300],
                )
            raise ImapError(
                "auth", _("The server rejected the login name or password."), detail=text[:300]
            )
        self._client.state = "AUTH"
        caps = re.search(r"\[CAPABILITY ([^\]]*)\]", _text(data))
        if caps:
            self.capabilities = frozenset(caps.group(1).upper().split())
        else:
            data = self._simple("CAPABILITY")
            self.capabilities = frozenset(
                _text(self._untagged("CAPABILITY") or data).upper().split()
            )
        if "CONDSTORE" in self.capabilities and "ENABLE" in self.capabilities:
            self._simple("ENABLE", "CONDSTORE")
            self.condstore = True

    def close(self):
        client, self._client = self._client, None
        if client is None:
            return
        if self._broken:
            # No LOGOUT on a dead or stalled connection: it would only wait for the timeout.
            with contextlib.suppress(Exception):
                client.shutdown()
            return
        try:
            client.logout()
        except Exception:
            with contextlib.suppress(Exception):
                client.shutdown()

    # folders

    def list_folders(self):
        data = self._call(self._client._simple_command, "LIST", '""', '"*"')
        data = self._untagged("LIST") or data
        folders = []
        for item in data:
            if not item:
                continue
            parsed = parse_list_line(item)
            if parsed is None:
                logger.warning("unreadable LIST line from %s: %r", self.host, item)
                continue
            flags, delimiter, raw = parsed
            try:
                name = raw.decode("ascii")
            except UnicodeDecodeError:
                # 8-bit names without UTF8=ACCEPT break the protocol; show them as UTF-8.
                name = raw.decode("utf-8", "replace")
                logger.warning("folder name with 8-bit characters on %s: %r", self.host, raw)
            display, ok = decode_folder_name(name)
            if not ok:
                logger.warning("malformed modified UTF-7 folder name on %s: %r", self.host, name)
            lowered = {f.lower() for f in flags}
            selectable = not ({"\\noselect", "\\nonexistent"} & lowered)
            folders.append(FolderInfo(name, display, delimiter, flags, selectable))
        return assign_roles(folders)

    def status(self, name):
        items = "MESSAGES UIDNEXT UIDVALIDITY UNSEEN"
        if self.condstore:
            items += " HIGHESTMODSEQ"
        data = self._simple("STATUS", self._quote(name), f"({items})", folder_level=True)
        data = self._untagged("STATUS") or data
        values = {}
        for item in data:
            if isinstance(item, tuple):
                item = item[-1]
            if isinstance(item, bytes) and b"(" in item:
                values.update(
                    (k.decode(), int(v)) for k, v in _STATUS_ITEMS.findall(item.rsplit(b"(", 1)[-1])
                )
        return FolderStatus(
            messages=values.get("MESSAGES", 0),
            uidvalidity=values.get("UIDVALIDITY"),
            uidnext=values.get("UIDNEXT"),
            unseen=values.get("UNSEEN"),
            highest_modseq=values.get("HIGHESTMODSEQ"),
        )

    def examine(self, name):
        """Selects a folder read-only (nothing can be marked seen)."""
        data = self._simple("EXAMINE", self._quote(name), folder_level=True)
        self._client.state = "SELECTED"

        def number(key):
            values = self._untagged(key)
            for value in reversed(values):
                text = value.decode() if isinstance(value, bytes) else str(value)
                text = text.split()[0] if text.split() else ""
                if text.isdigit():
                    return int(text)
            return None

        del data
        return SelectedFolder(
            exists=number("EXISTS") or 0,
            uidvalidity=number("UIDVALIDITY"),
            uidnext=number("UIDNEXT"),
            highest_modseq=number("HIGHESTMODSEQ") if self.condstore else None,
        )

    # messages (of the folder selected with examine())

    def _uid_fetch(self, uids_text, items, *modifiers):
        args = ["FETCH", uids_text, items, *modifiers]
        data = self._call(self._client.uid, *args)
        try:
            return _fetch_records(data)
        except ImapError:
            self._broken = True
            raise

    def list_messages(self, first_uid, last_uid=None, *, header_fields=()):
        """Summaries (uid, size, flags) of the messages with UIDs first_uid..last_uid (or the top).

        `UID n:*` always answers the highest UID, even below n: filtered here.
        """
        if first_uid < 1:
            raise ValueError("UIDs start at 1")
        items = "UID RFC822.SIZE FLAGS"
        if header_fields:
            items += f" BODY.PEEK[HEADER.FIELDS ({' '.join(header_fields)})]"
        upper = "*" if last_uid is None else str(last_uid)
        result = []
        for meta, literal in self._uid_fetch(f"{first_uid}:{upper}", f"({items})"):
            uid = _UID.search(meta)
            size = _SIZE.search(meta)
            if not uid or not size:
                continue  # an unsolicited FETCH (flag change) of another message
            uid = int(uid.group(1))
            if uid < first_uid or (last_uid is not None and uid > last_uid):
                continue
            result.append(
                MessageSummary(uid, int(size.group(1)), _flags_of(meta) or (), literal or b"")
            )
        result.sort(key=lambda s: s.uid)
        return result

    def fetch_messages(self, uids):
        """The raw bytes and flags of the given UIDs, in one command, without marking them seen.

        Messages expunged meanwhile are simply missing from the result.
        """
        if not uids:
            return []
        wanted = set(uids)
        result = {}
        for meta, literal in self._uid_fetch(uid_set(uids), "(UID FLAGS BODY.PEEK[])"):
            uid = _UID.search(meta)
            if not uid or literal is None:
                continue
            uid = int(uid.group(1))
            if uid in wanted:
                result[uid] = FetchedMessage(uid, literal, _flags_of(meta) or ())
        return [result[u] for u in sorted(result)]

    def fetch_flags(self, last_uid, changed_since=None):
        """{uid: flags} for UIDs 1..last_uid; with CONDSTORE only those changed since a modseq."""
        if last_uid < 1:
            return {}
        modifiers = []
        if changed_since is not None and self.condstore:
            modifiers.append(f"(CHANGEDSINCE {changed_since})")
        flags = {}
        for meta, _literal in self._uid_fetch(f"1:{last_uid}", "(UID FLAGS)", *modifiers):
            uid = _UID.search(meta)
            found = _flags_of(meta)
            if uid and found is not None and int(uid.group(1)) <= last_uid:
                flags[int(uid.group(1))] = found
        return flags

    def search_uids(self):
        """Every UID of the selected folder."""
        data = self._call(self._client.uid, "SEARCH", "ALL")
        data = self._untagged("SEARCH") or data
        return sorted({int(u) for item in data if item for u in item.split()})


def connect(host, port, security, login, password, *, timeout=None):
    """A logged-in ImapConnection; raises ImapError (kind and plain words) on any failure."""
    timeout = timeout or settings.ABLAGE_IMAP_TIMEOUT
    addresses = resolve_host(host, port, security)
    try:
        if security == "ssl":
            client = _PinnedIMAP4_SSL(host, port, timeout, addresses, ssl.create_default_context())
        else:
            client = _PinnedIMAP4(host, port, timeout, addresses)
            if security == "starttls":
                if "STARTTLS" not in client.capabilities:
                    client.shutdown()
                    raise ImapError("tls", _("The server does not offer STARTTLS."))
                client.starttls(ssl.create_default_context())
    except Exception as exc:
        raise _translate(exc, host) from None
    conn = ImapConnection(client, host)
    try:
        conn.login(login, password)
    except BaseException:
        conn.close()
        raise
    return conn


def test_login(host, port, security, login, password):
    """Logs in and lists the folders (for "Test connection"); raises ImapError."""
    with connect(host, port, security, login, password) as conn:
        return conn.list_folders()


test_login.__test__ = False  # not a test, whatever pytest finds it imported into
