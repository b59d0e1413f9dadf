"""Production settings refuse to start without their secrets, naming the missing one."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FULL = {
    "DJANGO_SECRET_KEY": "x" * 60,
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


def site_url_under(settings_module, env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "WEB_PORT")}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SITE_URL)"],
        cwd=ROOT,
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
