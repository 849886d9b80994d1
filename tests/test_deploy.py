"""A production configuration (environment only) passes Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_manage(*args, **env):
    # Only the machine's environment: settings.test put test secrets into this process's.
    ours = {"SECRET_KEY", "MAIL_PASSWORD_KEY", "DEBUG", "ABLAGE_DATA_DIR", "DATABASE_URL"}
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k not in ours
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


# A production configuration as the README gives it.
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "Zx9!-production-secret-of-fifty-chars-or-more",
    "MAIL_PASSWORD_KEY": "another-long-random-secret-for-mail-passwords",
    "ALLOWED_HOSTS": "ablage.example.com",
}


def test_check_deploy_passes_without_warnings(tmp_path):
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, ABLAGE_DATA_DIR=str(tmp_path)
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_about_a_short_mail_password_key(tmp_path):
    settings = {**PRODUCTION, "MAIL_PASSWORD_KEY": "x"}
    result = run_manage("check", "--deploy", **settings, ABLAGE_DATA_DIR=str(tmp_path))

    assert "organizer.W001" in result.stderr + result.stdout
    assert "MAIL_PASSWORD_KEY has fewer than 32 characters" in result.stderr + result.stdout


def test_production_refuses_to_start_without_its_secrets(tmp_path):
    result = run_manage(
        "check", DEBUG="0", ALLOWED_HOSTS="ablage.example.com", ABLAGE_DATA_DIR=str(tmp_path)
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert not (tmp_path / "secret_key").exists()  # nothing generated behind the operator's back
