"""Acceptance runs on real public e-mail in ../shared/corpus (see its README.md).

The corpus is never copied into the project: the tests read it where it lies, next to the
repository, and are skipped with a message saying so when it is not there.

The e2e run shares its database with a django-q2 worker process: on SQLite the test database
is then a file (an in-memory database lives in one process only); on PostgreSQL it is the test
database pytest-django makes anyway. Both processes keep raw mail in one media folder.
"""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_CLAIM = "ablage:corpus-test:claim"


def pytest_collection_modifyitems(config, items):
    if not CORPUS.is_dir() or not any("worker" in item.fixturenames for item in items):
        return
    from django.db import connections

    database = connections["default"].settings_dict
    if database["ENGINE"].endswith("sqlite3") and not database["TEST"].get("NAME"):
        folder = Path(tempfile.mkdtemp(prefix="ablage-test-db-"))
        database["TEST"]["NAME"] = str(folder / "test.sqlite3")


@pytest.fixture(scope="session")
def corpus():
    if not CORPUS.is_dir():
        pytest.skip(
            f"the shared mail corpus is absent ({CORPUS} does not exist): corpus acceptance "
            "tests skipped"
        )
    return CORPUS


@pytest.fixture
def media_root(settings, tmp_path):
    """Raw mail in a folder of this test (and of its worker), removed with the test's files."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "mail": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root / "mail")},
        },
    }
    return root


@pytest.fixture
def redis_url():
    """A Redis database of this test alone: the first of 1..15 that is empty, claimed with a
    key so that a parallel run takes another; emptied afterwards."""
    import redis

    for db in range(1, 16):
        conn = redis.Redis(REDIS_HOST, REDIS_PORT, db=db, socket_connect_timeout=2)
        try:
            claimed = conn.set(REDIS_CLAIM, secrets.token_hex(8), nx=True, ex=3600)
        except redis.ConnectionError as error:
            pytest.skip(
                f"Redis is not reachable on {REDIS_HOST}:{REDIS_PORT} ({error}); the e2e corpus "
                "run needs it (redis-server --daemonize yes --bind 127.0.0.1 --port 6379)"
            )
        if claimed and conn.dbsize() == 1:
            break
        if claimed:
            conn.delete(REDIS_CLAIM)
    else:
        pytest.fail("no empty Redis database among 1..15 for the e2e corpus run")
    yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"
    conn.flushdb()


def database_url(settings_dict):
    """DATABASE_URL of the database this test runs on (settings.database reads it back)."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        name = settings_dict["NAME"]
        if not Path(str(name)).is_absolute():
            raise RuntimeError(f"the test database {name} is not a file another process can open")
        return f"sqlite:///{name}"
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'])}"


class Worker:
    """`manage.py qcluster` in a process of its own, on the production settings (settings.base)
    pointed by environment variables at this test's database, Redis database and media folder."""

    def __init__(self, *, database, redis_url, media_root, log_path):
        from django.conf import settings

        self.log_path = log_path
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "settings.base",
            "DEBUG": "1",
            # The same keys: the worker decrypts the stored IMAP passwords and reads the tasks
            # this process signs.
            "SECRET_KEY": settings.SECRET_KEY,
            "MAIL_PASSWORD_KEY": settings.MAIL_PASSWORD_KEY,
            "DATABASE_URL": database_url(database),
            "REDIS_URL": redis_url,
            "MEDIA_ROOT": str(media_root),
            "ABLAGE_DATA_DIR": str(media_root.parent / "worker-data"),
            "ABLAGE_ALLOW_PRIVATE_IMAP_HOSTS": "1",
            "Q_WORKERS": "2",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        self.process = None

    def start(self):
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "qcluster"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """SIGTERM: the cluster lets running tasks finish, then exits."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()

    def log_tail(self, lines=40):
        try:
            text = Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture
def worker(transactional_db, media_root, redis_url, tmp_path):
    """A django-q2 worker process on this test's database (not started yet: call .start())."""
    from django.db import connection

    worker = Worker(
        database=connection.settings_dict,
        redis_url=redis_url,
        media_root=media_root,
        log_path=tmp_path / "qcluster.log",
    )
    yield worker
    worker.stop()
