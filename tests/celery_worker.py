"""Start real Celery worker processes against the test Redis and the test database."""

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
from django.db import connection

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent


def redis_available() -> None:
    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:  # the suite needs it: say how to get one
        raise AssertionError(
            f"No Redis at {settings.CELERY_BROKER_URL}: run the suite with `make test`, which starts one."
        ) from exc


def database_url_for_processes() -> str:
    """The URL of the database the tests use right now, for processes started by a test."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@contextlib.contextmanager
def running_workers(
    count: int = 1, extra_env: dict[str, str] | None = None, flush: bool = True
) -> Iterator[list[subprocess.Popen]]:
    redis_available()
    if flush:
        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    env["REDIS_URL"] = settings.CELERY_BROKER_URL
    env["DATABASE_URL"] = database_url_for_processes()
    env["TIME_ZONE"] = settings.TIME_ZONE
    env.update(extra_env or {})
    procs = [
        subprocess.Popen(
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
                "-n",
                f"w{i}@%h",
            ],
            cwd=ROOT,
            env=env,
        )
        for i in range(count)
    ]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answered = app.control.inspect(timeout=0.5).ping() or {}
            if len(answered) >= count:
                break
            if any(p.poll() is not None for p in procs):
                raise AssertionError("A Celery worker exited at start")
        else:
            raise AssertionError(f"{count} Celery workers did not answer within 60 s")
        yield procs
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


def running_worker(extra_env: dict[str, str] | None = None):
    return running_workers(1, extra_env)
