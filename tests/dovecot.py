"""A private Dovecot IMAP server for the test suite: generated config, free loopback port.

One server runs per test session (see the `dovecot` fixture in tests/conftest.py); every test
makes its own users with add_user(), so tests never see each other's mail. Works as root (mail
belongs to `nobody`, as Dovecot refuses uid 0) and as an ordinary user (everything runs as that
user). Test code only: the product talks IMAP through organizer.imap alone.
"""

import contextlib
import grp
import imaplib
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

# Special-use mailboxes are declared with auto = no: a user has only the folders a test creates,
# so a test can also build a mailbox whose Sent folder carries no \Sent flag.
SPECIAL_USE = {
    "Sent": r"\Sent",
    "Drafts": r"\Drafts",
    "Trash": r"\Trash",
    "Junk": r"\Junk",
    "Archive": r"\Archive",
    # Folder names of a German Exchange mailbox (case F18), flagged as the server would.
    "Gesendete Elemente": r"\Sent",
    "Entwürfe": r"\Drafts",
    "Gelöschte Elemente": r"\Trash",
    # A name no fallback knows: only the flag can make it the Sent folder.
    "Postausgang": r"\Sent",
}

_counter = itertools.count(1)


class DovecotUnavailable(Exception):
    pass


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    def __init__(self, root=None):
        if not shutil.which("dovecot") and not Path("/usr/sbin/dovecot").exists():
            raise DovecotUnavailable(
                "dovecot is not installed (Debian: apt-get install dovecot-core dovecot-imapd; "
                "`make test` installs it)"
            )
        self.dovecot_bin = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self.doveadm_bin = shutil.which("doveadm") or "/usr/bin/doveadm"
        self.root = Path(root or tempfile.mkdtemp(prefix="ablage-dovecot-"))
        self.host = "127.0.0.1"
        self.port = None
        self.passwords = {}
        self._connections = {}

    # -- server ---------------------------------------------------------------------------------

    def start(self):
        as_root = os.geteuid() == 0
        if as_root:
            mail_user = pwd.getpwnam("nobody")
            mail_uid, mail_gid = mail_user.pw_uid, mail_user.pw_gid
            login_user, internal_user = "dovenull", "dovecot"
            chroot = ""
        else:
            mail_uid, mail_gid = os.getuid(), os.getgid()
            login_user = internal_user = pwd.getpwuid(mail_uid).pw_name
            chroot = "chroot ="
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        homes = self.root / "home"
        homes.mkdir(exist_ok=True)
        run = self.root / "run"
        run.mkdir(exist_ok=True)
        # One passwd file per user: Dovecot re-reads a changed passwd file at most once a
        # second, so a user added right after another's login would not be found.
        self.passwd_dir = self.root / "users"
        self.passwd_dir.mkdir(exist_ok=True)
        self.auth_gid = grp.getgrnam("dovecot").gr_gid if as_root else None
        if as_root:
            os.chown(homes, mail_uid, mail_gid)
            # The auth process runs as `dovecot` and must read the passwd files.
            os.chown(self.passwd_dir, 0, self.auth_gid)
            self.passwd_dir.chmod(0o750)
            # Every parent folder must be traversable by the mail user.
            for parent in [self.root, *self.root.parents]:
                if parent == Path("/"):
                    break
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    parent.chmod(mode | 0o001)
        self.port = free_port()
        mailboxes = "\n".join(
            f'  mailbox "{name}" {{\n    special_use = {flag}\n    auto = no\n  }}'
            for name, flag in SPECIAL_USE.items()
        )
        self.config_file = self.root / "dovecot.conf"
        self.config_file.write_text(
            f"""
base_dir = {run}
state_dir = {self.root / "state"}
log_path = {self.root / "dovecot.log"}
instance_name = ablage-test-{os.getpid()}-{self.port}
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mail_fsync = never
maildir_very_dirty_syncs = yes
first_valid_uid = {mail_uid}
last_valid_uid = {mail_uid}
default_login_user = {login_user}
default_internal_user = {internal_user}
mail_max_userip_connections = 1000
login_trusted_networks = 127.0.0.0/8
imap_capability = +SPECIAL-USE
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {self.passwd_dir}/%n
  default_fields = nodelay=yes
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={homes}/%n
}}
namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  {chroot}
  process_min_avail = 1
}}
# No growing delays after the wrong-password tests: they share 127.0.0.1 with every test.
service anvil {{
  {chroot}
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service doveadm {{
  inet_listener {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
        )
        (self.root / "state").mkdir(exist_ok=True)
        subprocess.run(
            [self.dovecot_bin, "-c", str(self.config_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            start_new_session=True,
        )
        self._wait_for_greeting()
        return self

    def _wait_for_greeting(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(200).startswith(b"* OK"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        log = self.root / "dovecot.log"
        raise DovecotUnavailable(
            "dovecot did not answer: " + (log.read_text()[-2000:] if log.exists() else "no log")
        )

    def stop(self):
        for conn in self._connections.values():
            with contextlib.suppress(Exception):
                conn.logout()
        self._connections.clear()
        # SIGTERM to the master and no waiting: `dovecot stop` waits seconds for its children.
        with contextlib.suppress(OSError, ValueError):
            os.kill(int((self.root / "run" / "master.pid").read_text().strip()), signal.SIGTERM)
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self):
        return (self.root / "dovecot.log").read_text()

    # -- users and mail -------------------------------------------------------------------------

    def add_user(self, name=None, password=None):
        """A fresh user with an empty INBOX; returns its login name."""
        name = name or f"u{os.getpid()}x{next(_counter)}"
        password = password or f"pw-{name}"
        path = self.passwd_dir / name
        path.write_text(f"{name}:{{PLAIN}}{password}::::::\n")
        if self.auth_gid is not None:
            os.chown(path, 0, self.auth_gid)
            path.chmod(0o640)
        self.passwords[name] = password
        return name

    def client(self, user):
        """A logged-in imaplib connection for putting mail in place (kept open per user)."""
        conn = self._connections.get(user)
        if conn is not None:
            try:
                conn.noop()
                return conn
            except imaplib.IMAP4.error:
                self._connections.pop(user, None)
        conn = imaplib.IMAP4(self.host, self.port, timeout=30)
        conn.login(user, self.passwords[user])
        self._connections[user] = conn
        return conn

    def create_folder(self, user, name):
        """Creates a folder by its Unicode name (Dovecot encodes it in modified UTF-7)."""
        self.doveadm("mailbox", "create", "-u", user, name)

    def append(self, user, folder, raw, flags=()):
        """Appends one message (bytes) and returns its UID."""
        conn = self.client(user)
        typ, data = conn.append(
            _quote(_utf7(folder)), f"({' '.join(flags)})" if flags else None, None, raw
        )
        assert typ == "OK", data
        # [APPENDUID <uidvalidity> <uid>]
        return int(data[0].split(b"]")[0].split()[-1])

    def append_many(self, user, folder, raws, flags=(), per_command=500):
        """Appends many messages fast: MULTIAPPEND with non-synchronising literals (LITERAL+),
        hundreds of messages per command. For loading big mailboxes (benchmarks)."""
        flag_text = f"({' '.join(flags)}) " if flags else ""
        with socket.create_connection((self.host, self.port), timeout=120) as sock:
            reader = sock.makefile("rb")
            reader.readline()  # greeting
            sock.sendall(f"a LOGIN {_quote(user)} {_quote(self.passwords[user])}\r\n".encode())
            _read_tagged(reader, b"a")
            for n, start in enumerate(range(0, len(raws), per_command)):
                tag = f"m{n}".encode()
                parts = [tag + b" APPEND " + _quote(_utf7(folder)).encode()]
                for raw in raws[start : start + per_command]:
                    parts.append(f" {flag_text}{{{len(raw)}+}}\r\n".encode() + raw)
                sock.sendall(b"".join(parts) + b"\r\n")
                _read_tagged(reader, tag)
            sock.sendall(b"z LOGOUT\r\n")

    def uids(self, user, folder):
        conn = self.client(user)
        conn.select(_quote(_utf7(folder)), readonly=True)
        typ, data = conn.uid("SEARCH", "ALL")
        conn.close()
        return [int(u) for u in data[0].split()]

    def flags(self, user, folder):
        """{uid: set of flags} of a folder, read without changing anything."""
        conn = self.client(user)
        conn.select(_quote(_utf7(folder)), readonly=True)
        typ, data = conn.uid("FETCH", "1:*", "(UID FLAGS)")
        conn.close()
        result = {}
        for item in data:
            if not item:
                continue
            text = item.decode() if isinstance(item, bytes) else item[0].decode()
            uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
            flags = text.split("FLAGS (")[1].split(")")[0].split()
            result[uid] = set(flags)
        return result

    def set_flags(self, user, folder, uid, flags, add=True):
        conn = self.client(user)
        conn.select(_quote(_utf7(folder)))
        conn.uid("STORE", str(uid), "+FLAGS" if add else "-FLAGS", f"({' '.join(flags)})")
        conn.close()

    def expunge(self, user, folder, uid):
        self.doveadm("expunge", "-u", user, "mailbox", folder, "uid", str(uid))

    def set_uidvalidity(self, user, folder, value, min_next_uid=None):
        args = ["mailbox", "update", "-u", user, "--uid-validity", str(value)]
        if min_next_uid:
            args += ["--min-next-uid", str(min_next_uid)]
        self.doveadm(*args, folder)

    def doveadm(self, *args):
        # Close cached connections first: doveadm changes the mailbox underneath them.
        proc = subprocess.run(
            [self.doveadm_bin, "-c", str(self.config_file), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout


def _utf7(name):
    from imap_tools.imap_utf7 import utf7_encode

    return utf7_encode(name).decode("ascii")


def _quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _read_tagged(reader, tag):
    while True:
        line = reader.readline()
        if not line:
            raise RuntimeError("connection closed")
        if line.startswith(tag + b" "):
            if not line.startswith(tag + b" OK"):
                raise RuntimeError(line.decode(errors="replace"))
            return line
