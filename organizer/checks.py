"""System checks of the organizer (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

MIN_KEY_LENGTH = 32


@register(Tags.security, deploy=True)
def mail_password_key_is_strong(app_configs, **kwargs):
    """MAIL_PASSWORD_KEY encrypts every stored mail password: any string is accepted (a key is
    derived from it), so a short one must at least be pointed out."""
    from cryptography.fernet import Fernet

    key = settings.MAIL_PASSWORD_KEY or ""
    try:
        Fernet(key)  # a generated Fernet key is strong whatever its look
        return []
    except ValueError:
        pass
    if len(key) >= MIN_KEY_LENGTH:
        return []
    return [
        Warning(
            f"MAIL_PASSWORD_KEY has fewer than {MIN_KEY_LENGTH} characters.",
            hint="Use a long random string, e.g. the output of "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`.",
            id="organizer.W001",
        )
    ]
