"""Start real Celery worker processes against the test Redis and the test database."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
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
    count: int = 1,
    extra_env: dict[str, str] | None = None,
    flush: bool = True,
    ping: bool = True,
    pool: list[str] | None = None,
) -> Iterator[list[subprocess.Popen]]:
    """Workers on settings.CELERY_BROKER_URL. ``ping``: wait until they answer (through the broker of
    the Celery app: pass False for workers on another broker, and wait for what they do instead).
    ``pool``: the pool options (by default one process, ``--pool=solo``; the Procfile's worker is
    ``["--concurrency=2"]``, a prefork pool)."""
    redis_available()
    if flush:
        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    env["REDIS_URL"] = settings.CELERY_BROKER_URL
    env["DATABASE_URL"] = database_url_for_processes()
    env["TIME_ZONE"] = settings.TIME_ZONE
    env.update(extra_env or {})
    # The job-fault tests slow each part of a KPI run down in the workers they start.
    include = ["--include", "tests.fault_injection"] if env.get("KPI_FAULT_DELAY_SECONDS") else []
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                *(pool or ["--pool=solo"]),
                *include,
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
        while ping and time.monotonic() < deadline:
            answered = app.control.inspect(timeout=0.5).ping() or {}
            if len(answered) >= count:
                break
            if any(p.poll() is not None for p in procs):
                raise AssertionError("A Celery worker exited at start")
        else:
            if ping:
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


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class RedisServer:
    """A Redis of a test's own on 127.0.0.1:``port``, to stop (an outage) and start again.

    While it is stopped the port stays taken by a socket that does not listen: connecting is refused,
    as with a Redis that is down, and nobody else's Redis can start there meanwhile."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.folder = folder
        self.url = f"redis://127.0.0.1:{port}/0"
        self.proc: subprocess.Popen | None = None
        self.holder: socket.socket | None = None

    def start(self) -> None:
        assert shutil.which("redis-server"), "redis-server is needed: `make test` installs it"
        if self.holder is not None:
            self.holder.close()
            self.holder = None
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            if self.proc.poll() is not None:
                raise AssertionError(f"redis-server exited at start on port {self.port} (taken?)")
            try:
                # The Redis that answers must be ours, not another one on the same port.
                assert self.client().info("server")["process_id"] == self.proc.pid
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
            self.proc = None
            self.holder = socket.socket()
            self.holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.holder.bind(("127.0.0.1", self.port))  # taken, not listening: refused

    def close(self) -> None:
        self.stop()
        if self.holder is not None:
            self.holder.close()
            self.holder = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=1)


def _any_free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    """A Redis of the test's own: on JOB_TEST_REDIS_PORT when set, else on the first free of 6446-6448,
    else (all taken by other test runs on this machine) on a port the system says is free. A port
    found free but taken before this Redis listens (a test of another worker or run, at the same
    moment) is passed over for the next one."""
    wanted = os.environ.get("JOB_TEST_REDIS_PORT")
    if wanted:
        ports = [int(wanted)]
    else:
        ports = [p for p in (6446, 6447, 6448) if _free(p)] + [_any_free_port(), _any_free_port()]
    for port in ports:
        server = RedisServer(port, folder)
        try:
            server.start()
            break
        except AssertionError:
            if server.proc is not None and server.proc.poll() is None:
                server.proc.kill()
                server.proc.wait(15)
            if port == ports[-1]:
                raise
    try:
        yield server
    finally:
        server.close()


@contextlib.contextmanager
def unreachable_broker() -> Iterator[str]:
    """The URL of a Redis that is down: a port taken by a socket that does not listen (refused)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield f"redis://127.0.0.1:{holder.getsockname()[1]}/0"
