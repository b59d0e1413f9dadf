"""Starts the test OpenID Connect identity provider (tests/oidc_idp: allauth's provider, not the
product's code) in a second process on loopback, for the product's test server to sign people in
through, and configures the product's provider ``sso`` to use it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent.parent
CLIENT_ID = "csm-reviews"
CLIENT_SECRET = "a-client-secret-for-tests-only"
PASSWORD = "idp-pass-1234"
# The people the provider knows (the product may not): the tests name them.
PEOPLE = [
    {"email": "csm.a@example.com"},  # claimed as CSM.A@Example.COM (tests/oidc_idp/adapter.py)
    {"email": "nobody@example.com"},  # nobody in the product has it
    {"email": "csm.b@example.com"},  # deactivated in the product by the test
    {"email": "wrong-audience@example.com"},  # the provider's ID token names another application
    {"email": "unverified@example.com", "verified": False},
    {"email": "hr@example.com"},
]


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen

    def configure(self, settings) -> None:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [
                    {
                        "provider_id": "sso",
                        "name": "Example SSO",
                        "client_id": CLIENT_ID,
                        "secret": CLIENT_SECRET,
                        "settings": {"server_url": self.issuer, "fetch_userinfo": True},
                    }
                ],
            }
        }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(state_dir: Path, redirect_uris: list[str]) -> Provider:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_idp.settings",
        "OIDC_IDP_DIR": str(state_dir),
        "OAUTHLIB_INSECURE_TRANSPORT": "1",  # plain HTTP on loopback
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_URL", None)
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 120}
    subprocess.run([sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"], check=True, **run)
    spec = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris}
    spec |= {"password": PASSWORD, "people": PEOPLE}
    subprocess.run(
        [sys.executable, str(ROOT / "tests" / "oidc_idp" / "seed.py")],
        input=json.dumps(spec),
        check=True,
        **run,
    )
    port = _free_port()
    log = open(state_dir / "server.log", "w")  # noqa: SIM115 -- closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(
                "The test identity provider did not start: " + (state_dir / "server.log").read_text()
            )
        time.sleep(0.2)
    return Provider(issuer=issuer, process=process)


@pytest.fixture(scope="session")
def oidc_provider(live_server, tmp_path_factory):
    provider = start(
        tmp_path_factory.mktemp("oidc-idp"), [f"{live_server.url}/accounts/oidc/sso/login/callback/"]
    )
    yield provider
    provider.process.terminate()
    provider.process.wait(timeout=10)


def sign_in_at_provider(page, email: str) -> None:
    """On the provider's own login page (allauth's, plain HTML): its email and password."""
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
