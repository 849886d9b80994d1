"""Ablage settings. Every value comes from the environment, with safe defaults for development."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from settings import database, env

BASE_DIR = Path(__file__).resolve().parent.parent
# An empty value counts as unset: never fall back to the current folder.
DATA_DIR = Path(env.string("ABLAGE_DATA_DIR") or BASE_DIR / "data")

DEBUG = env.boolean("DEBUG", default=False)
SECRET_KEY = env.secret("SECRET_KEY", DATA_DIR, DEBUG)
# The key that encrypts stored mail passwords (a Fernet key or any long random string).
MAIL_PASSWORD_KEY = env.secret("MAIL_PASSWORD_KEY", DATA_DIR, DEBUG)
ALLOWED_HOSTS = env.string_list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.string_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_q",
    "template_partials",
    "csp",
    "crm",
    "organizer",
    "archiving",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "settings.urls"
WSGI_APPLICATION = "settings.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": database.from_url(env.string("DATABASE_URL"), DATA_DIR / "ablage.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.string("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.string("MEDIA_ROOT") or DATA_DIR / "media")
STORAGES = {
    # Raw mail lives here; production may point "mail" at object storage.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "mail": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT / "mail")},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Security. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER via BEHIND_PROXY.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # the mail document of the message view allows its own page
if env.boolean("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Only our own files run: no inline script, no remote anything. Mail HTML gets a stricter
# policy of its own in the message view.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    }
}

# django-q2: the database is the queue by default; REDIS_URL lets workers on several hosts share
# one queue. A sync may take long on a big mailbox: retry must exceed timeout, or a slow task
# would be handed to a second worker while the first still runs.
Q_CLUSTER = {
    "name": "ablage",
    "workers": env.integer("Q_WORKERS", 2),
    "timeout": env.integer("Q_TIMEOUT", 1800),
    "retry": env.integer("Q_TIMEOUT", 1800) + 300,
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 1000,
    "ack_failures": True,
    # A big first sync parses in worker processes of its own (organizer.store.parse_workers);
    # daemonic task workers may not have children.
    "daemonize_workers": False,
    "label": "Aufgaben",
}
REDIS_URL = env.string("REDIS_URL")
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 1

# Mail sync.
ABLAGE_SYNC_INTERVAL_MINUTES = env.integer("ABLAGE_SYNC_INTERVAL_MINUTES", 5)
# IMAP hosts on private or loopback networks are refused unless this is on (on in development).
ABLAGE_ALLOW_PRIVATE_IMAP_HOSTS = env.boolean("ABLAGE_ALLOW_PRIVATE_IMAP_HOSTS", default=DEBUG)
ABLAGE_IMAP_TIMEOUT = env.integer("ABLAGE_IMAP_TIMEOUT", 30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO")},
    "loggers": {
        # imaplib never logs through here, but make sure nothing below WARNING leaks from it.
        "imaplib": {"level": "WARNING"},
        "django_q": {"level": env.string("Q_LOG_LEVEL", "INFO")},
    },
}
# After this many failed syncs in a row an account is marked "needs attention".
ABLAGE_SYNC_ATTENTION_AFTER = env.integer("ABLAGE_SYNC_ATTENTION_AFTER", 5)
