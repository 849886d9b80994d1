"""The database from DATABASE_URL: SQLite by default, PostgreSQL in production."""

import functools
import re
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured


def sqlite(path):
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # Writers queue for the lock instead of failing with "database is locked", and every
            # transaction takes the write lock up front, so no deferred transaction deadlocks.
            "timeout": 30,
            # The driver keeps this many prepared statements per connection. Statements with IN
            # lists of hundreds of ids are large, and batches of varying size each prepare their
            # own: with the default of 128 a long sync's memory grew with the mailbox (78 MB
            # instead of 72 at 10,000 mails, same speed). Preparing again is cheap.
            "cached_statements": 16,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


def from_url(url, default_sqlite_path):
    if not url:
        return sqlite(default_sqlite_path)
    parts = urlparse(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path
        return sqlite(unquote(parts.path[1:]) if parts.path.startswith("/") else parts.path)
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with sqlite:// or postgres://, not {parts.scheme}://"
    )


def _like_pattern(pattern, escape):
    """A compiled regular expression for an SQL LIKE pattern (% any, _ one, `escape` quotes)."""
    out = []
    chars = iter(pattern)
    for char in chars:
        if escape and char == escape:
            out.append(re.escape(next(chars, "")))
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


_like_cache = functools.lru_cache(maxsize=256)(_like_pattern)


def _unicode_like(pattern, value, escape=None):
    if pattern is None or value is None:
        return None
    return _like_cache(pattern, escape).fullmatch(str(value)) is not None


def unicode_like_for_sqlite(sender, connection, **kwargs):
    """SQLite's LIKE ignores case for ASCII letters only, so a search for "MÜLLER" missed
    "Müller". This LIKE ignores case for every letter, as PostgreSQL's ILIKE does. Connected to
    connection_created in CrmConfig.ready()."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("like", 2, _unicode_like, deterministic=True)
    connection.connection.create_function("like", 3, _unicode_like, deterministic=True)
