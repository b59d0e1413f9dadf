"""Start a real Celery worker process against the test Redis (REDIS_URL), for integration tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import redis
from django.conf import settings

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent


def redis_available() -> None:
    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:  # the suite needs it: say how to get one
        raise AssertionError(
            f"No Redis at {settings.CELERY_BROKER_URL}: run the suite with `make test`, which starts one."
        ) from exc


@contextlib.contextmanager
def running_worker(
    extra_env: dict[str, str] | None = None, queues: str = "celery"
) -> Iterator[subprocess.Popen]:
    redis_available()
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    env["REDIS_URL"] = settings.CELERY_BROKER_URL
    env.update(extra_env or {})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queues,
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if app.control.inspect(timeout=0.5).ping():
                break
            if proc.poll() is not None:
                raise AssertionError("The Celery worker exited at start")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
