"""A loopback TCP proxy in front of the test Dovecot, for recording commands and injecting faults.

Each fault is a rule that fires on the n-th client command matching a pattern, counted across all
connections of the proxy (so "the 3rd FETCH" stays the 3rd even after a reconnect):

- throttle(): answer the command with a tagged NO carrying a throttling text instead of
  forwarding it;
- cut_in_literal(): forward it, then close the connection half-way through the k-th literal of
  the server's answer (a message partially received);
- bye(): answer with `* BYE ...` and close, instead of forwarding;
- bad_after_login(): after a successful LOGIN, every command is answered with BAD;
- rewrite(): replace bytes in what the server sends (e.g. a folder name in LIST).

Timing is deterministic: a rule acts on a command, never on a clock.
"""

import contextlib
import re
import selectors
import socket
import threading
from dataclasses import dataclass

_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


@dataclass
class Rule:
    action: str
    pattern: bytes
    nth: int
    text: bytes = b""
    literal_index: int = 1
    times: int = 1  # how many matches from the n-th on fire (0 = every one)
    seen: int = 0
    fired: int = 0

    def hit(self, line):
        if self.pattern.lower() not in line.lower():
            return False
        self.seen += 1
        if self.seen < self.nth:
            return False
        if self.times and self.fired >= self.times:
            return False
        self.fired += 1
        return True


class ImapProxy:
    def __init__(self, target_port, target_host="127.0.0.1"):
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.commands = []  # every client command line, LOGIN arguments masked
        self.connections = 0
        self.rules = []
        self.rewrites = []
        self.bad_after_login_text = None
        self._lock = threading.Lock()
        self._stopped = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    # -- rules ------------------------------------------------------------------------------------

    def throttle(self, pattern=b"BODY.PEEK[]", nth=1, times=1, millis=5000):
        text = f"NO Request is throttled. Suggested Backoff Time: {millis} milliseconds"
        self.rules.append(Rule("throttle", pattern, nth, text.encode(), times=times))

    def cut_in_literal(self, pattern=b"BODY.PEEK[]", nth=1, literal_index=1, times=1):
        self.rules.append(Rule("cut", pattern, nth, literal_index=literal_index, times=times))

    def bye(self, pattern=b"BODY.PEEK[]", nth=1, times=1):
        self.rules.append(
            Rule("bye", pattern, nth, b"* BYE Connection closed due to inactivity", times=times)
        )

    def refuse(self, pattern, nth=1, times=0, text=b"BAD Invalid command"):
        self.rules.append(Rule("answer", pattern, nth, text, times=times))

    def bad_after_login(self, text=b"BAD User is authenticated but not connected."):
        self.bad_after_login_text = text

    def rewrite(self, old, new):
        self.rewrites.append((old, new))

    def clear(self):
        with self._lock:
            self.rules.clear()
            self.rewrites.clear()
            self.bad_after_login_text = None

    def fetch_commands(self):
        return [c for c in self.commands if " FETCH " in c.upper()]

    # -- plumbing ---------------------------------------------------------------------------------

    def stop(self):
        self._stopped = True
        with contextlib.suppress(OSError):
            self.listener.close()

    def _accept(self):
        while not self._stopped:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        try:
            server = socket.create_connection(self.target, timeout=10)
        except OSError:
            client.close()
            return
        conn = _Connection(self, client, server)
        try:
            conn.run()
        finally:
            for sock in (client, server):
                with contextlib.suppress(OSError):
                    sock.close()


class _Connection:
    def __init__(self, proxy, client, server):
        self.proxy = proxy
        self.client = client
        self.server = server
        self.client_buffer = b""
        self.literal_remaining = 0  # bytes of a client literal still to pass through
        self.cut = None  # literal index at which to cut the server's answer
        self.server_line = b""
        self.server_literal_remaining = 0
        self.server_literals = 0
        self.cut_after = None
        self.logged_in = False
        self.login_tag = None
        self.closed = False

    def run(self):
        sel = selectors.DefaultSelector()
        sel.register(self.client, selectors.EVENT_READ, "client")
        sel.register(self.server, selectors.EVENT_READ, "server")
        while not self.closed:
            for key, _events in sel.select(timeout=30):
                try:
                    data = key.fileobj.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    return
                if key.data == "client":
                    self.from_client(data)
                else:
                    self.from_server(data)
                if self.closed:
                    return

    def close(self):
        self.closed = True
        for sock in (self.client, self.server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    # client -> server: split into command lines (literals pass through untouched)

    def from_client(self, data):
        self.client_buffer += data
        while self.client_buffer and not self.closed:
            if self.literal_remaining:
                chunk = self.client_buffer[: self.literal_remaining]
                self.client_buffer = self.client_buffer[len(chunk) :]
                self.literal_remaining -= len(chunk)
                self.server.sendall(chunk)
                continue
            end = self.client_buffer.find(b"\r\n")
            if end == -1:
                return
            line = self.client_buffer[: end + 2]
            self.client_buffer = self.client_buffer[end + 2 :]
            literal = _LITERAL.search(line)
            if literal:
                self.literal_remaining = int(literal.group(1))
            self.command(line)

    def command(self, line):
        proxy = self.proxy
        parts = line.split(b" ", 2)
        tag = parts[0]
        verb = parts[1].upper().rstrip(b"\r\n") if len(parts) > 1 else b""
        text = line.rstrip(b"\r\n").decode("utf-8", "replace")
        if verb == b"LOGIN":
            text = " ".join(text.split(" ")[:3]) + " ***"
            self.login_tag = tag
        proxy.commands.append(text)
        if self.logged_in and proxy.bad_after_login_text and verb not in (b"LOGOUT",):
            self.client.sendall(tag + b" " + proxy.bad_after_login_text + b"\r\n")
            return
        with proxy._lock:
            rule = next((r for r in proxy.rules if r.hit(line)), None)
        if rule is None:
            self.server.sendall(line)
        elif rule.action in ("throttle", "answer"):
            self.client.sendall(tag + b" " + rule.text + b"\r\n")
        elif rule.action == "bye":
            self.client.sendall(rule.text + b"\r\n")
            self.close()
        elif rule.action == "cut":
            self.cut = rule.literal_index
            self.server_literals = 0
            self.server.sendall(line)

    # server -> client: passed through; parsed only while a cut is armed

    def from_server(self, data):
        for old, new in self.proxy.rewrites:
            data = data.replace(old, new)
        if self.login_tag and not self.logged_in and (self.login_tag + b" OK") in data:
            self.logged_in = True
        if self.cut is None:
            self.client.sendall(data)
            return
        out = bytearray()
        pos = 0
        while pos < len(data):
            if self.server_literal_remaining:
                take = data[pos : pos + self.server_literal_remaining]
                pos += len(take)
                self.server_literal_remaining -= len(take)
                out += take
                if self.cut_after is not None:
                    self.cut_after -= len(take)
                    if self.cut_after <= 0:
                        self.client.sendall(bytes(out))
                        self.close()
                        return
                continue
            end = data.find(b"\r\n", pos)
            if end == -1:
                self.server_line += data[pos:]
                out += data[pos:]
                break
            line = self.server_line + data[pos : end + 2]
            out += data[pos : end + 2]
            pos = end + 2
            self.server_line = b""
            literal = _LITERAL.search(line)
            if literal:
                size = int(literal.group(1))
                self.server_literals += 1
                self.server_literal_remaining = size
                if self.server_literals == self.cut:
                    # Forward half of this literal, then drop the connection.
                    self.server_literal_remaining = max(1, size // 2)
                    self.cut_after = self.server_literal_remaining
        self.client.sendall(bytes(out))
