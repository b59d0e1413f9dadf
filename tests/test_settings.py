"""Production settings refuse to start without their secrets, naming the missing one."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FULL = {
    "DJANGO_SECRET_KEY": "k7Qp-2vX9_mRt4LzW8cYh3NbJ6sFd1GaE5uKo0iPq-VyTr7xZw2Bn4Mc",
    "DJANGO_ALLOWED_HOSTS": "csm.example.com",
    "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/csm",
}


def load_production(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in FULL}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('ok')"],
        cwd=ROOT,
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("missing", sorted(FULL))
def test_production_names_the_missing_variable(missing):
    result = load_production({k: v for k, v in FULL.items() if k != missing})
    assert result.returncode != 0
    assert missing in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_production_starts_with_everything_set():
    result = load_production(FULL)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_production_keeps_persistent_connections_without_jit():
    """The database connection production opens: kept 60 s, JIT off (as base.py says for every
    environment; production's own DATABASES dropped it)."""
    env = {k: v for k, v in os.environ.items() if k not in FULL and k != "CONN_MAX_AGE"}
    env.update(FULL, DJANGO_SETTINGS_MODULE="config.settings.production")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "db = settings.DATABASES['default']; print(db['CONN_MAX_AGE'], db['OPTIONS'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "60 {'options': '-c jit=off'}"


@pytest.mark.parametrize(
    "key, says",
    [
        ("insecure-local-only-key-change-me", "published development key"),  # the local default
        ("django-insecure-" + "a1b2c3d4e5" * 5, "published development key"),  # startproject's
        ("Zq8-rT3wLm9vB2xK", "too short or too plain (16 characters)"),
        ("ab" * 30, "too short or too plain (60 characters)"),  # long but two characters
    ],
)
def test_production_refuses_a_known_or_weak_secret_key(key, says):
    result = load_production({**FULL, "DJANGO_SECRET_KEY": key})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert says in result.stderr
    assert key not in result.stderr  # the message never repeats the key


def site_url_under(settings_module, env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "WEB_PORT")}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SITE_URL)"],
        cwd=ROOT,
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_site_url_follows_the_web_port_when_not_set():
    # `make run` on WEB_PORT=8123: the links in emails point at 8123, not at the default 8000.
    assert site_url_under("config.settings.local", {"WEB_PORT": "8123"}) == "http://127.0.0.1:8123"
    assert site_url_under("config.settings.local", {}) == "http://127.0.0.1:8000"


def test_a_set_site_url_wins_over_the_web_port():
    env = {"WEB_PORT": "8123", "SITE_URL": "https://csm.example.com"}
    assert site_url_under("config.settings.local", env) == "https://csm.example.com"
    assert site_url_under("config.settings.production", {**FULL, **env}) == "https://csm.example.com"


def test_make_run_serves_on_the_port_the_settings_read():
    run_sh = (ROOT / "scripts" / "run.sh").read_text()
    procfile = (ROOT / "Procfile").read_text()
    assert "export WEB_PORT" in run_sh
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    assert "127.0.0.1:${WEB_PORT" in web


def _production_print(env_overrides, code):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSO_", "MFA_"))}
    env.update(FULL, **env_overrides, DJANGO_SETTINGS_MODULE="config.settings.production")
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )


def test_the_identity_provider_comes_from_the_environment():
    code = (
        "from django.conf import settings; from django.urls import reverse; "
        "app = settings.SOCIALACCOUNT_PROVIDERS['openid_connect']['APPS'][0]; "
        "print(app['provider_id'], app['name'], app['client_id'], app['secret'], app['settings']['server_url']); "
        "print(reverse('openid_connect_login', kwargs={'provider_id': 'sso'}), "
        "reverse('openid_connect_callback', kwargs={'provider_id': 'sso'}), settings.MFA_REQUIRED)"
    )
    sso = {
        "SSO_OIDC_SERVER_URL": "https://acme.okta.com/",
        "SSO_OIDC_CLIENT_ID": "0oa1",
        "SSO_OIDC_CLIENT_SECRET": "s3cret",
        "SSO_OIDC_NAME": "Okta",
    }
    result = _production_print(sso, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == [
        "sso Okta 0oa1 s3cret https://acme.okta.com",
        "/accounts/oidc/sso/login/ /accounts/oidc/sso/login/callback/ True",
    ]
    # Without its client, the issuer alone is refused; SSO only needs a break-glass admin.
    result = _production_print({"SSO_OIDC_SERVER_URL": "https://acme.okta.com"}, "print('ok')")
    assert "SSO_OIDC_CLIENT_ID and SSO_OIDC_CLIENT_SECRET" in result.stderr
    result = _production_print({"SSO_ONLY": "1"}, "print('ok')")
    assert "SSO_BREAK_GLASS_EMAILS" in result.stderr
