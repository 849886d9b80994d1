"""A few overrides for the test suite; everything else is settings.base."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)
os.environ.setdefault("MAIL_PASSWORD_KEY", "test-mail-password-key")
if "ABLAGE_DATA_DIR" not in os.environ:
    # One data folder per test session, shared with the processes it starts (they inherit the
    # variable), and removed when the session ends. Forked parse workers leave by os._exit and
    # never run this.
    os.environ["ABLAGE_DATA_DIR"] = tempfile.mkdtemp(prefix="ablage-test-")
    atexit.register(shutil.rmtree, os.environ["ABLAGE_DATA_DIR"], ignore_errors=True)

from settings.base import *  # noqa: E402,F403
from settings.base import STATIC_ROOT, STORAGES  # noqa: E402

# WhiteNoise warns about a missing static root on every request; the finders serve the files.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ABLAGE_ALLOW_PRIVATE_IMAP_HOSTS = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not Django's shared in-memory database: a second writer (a racing sync thread, a
    # worker process) then waits for the lock instead of failing with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False}
