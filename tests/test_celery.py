"""The Celery wiring, proven end to end: a task through the real Redis broker to a real worker; and the
worker of `make run` (the Procfile's) living through Redis going away while it is busy, or started
again when it dies."""

import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings as django_settings

from config.celery import ping
from tests.celery_worker import ROOT, database_url_for_processes, redis_server, running_worker

pytestmark = pytest.mark.celery_integration


def test_a_task_round_trips_through_redis_and_a_worker():
    with running_worker():
        result = ping.delay("hello from the test")
        assert result.get(timeout=30) == "hello from the test"


def procfile(name: str) -> str:
    """The command line of one process of `make run` (Procfile)."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        key, _, command = line.partition(":")
        if key.strip() == name:
            return command.strip()
    raise AssertionError(f"no {name} in the Procfile")


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def celery_main(pid: int) -> int | None:
    """The Celery worker's main process of the Procfile line running as ``pid``: that process itself,
    or its child (under scripts/respawn.sh)."""

    def cmdline(p: int) -> str:
        return Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()

    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        if "celery" in cmdline(pid) and "respawn" not in cmdline(pid):  # a zombie has no command line
            return pid
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            if "celery" in cmdline(int(child)):
                return int(child)
    return None


@contextlib.contextmanager
def procfile_worker(url: str, folder: Path) -> Iterator[subprocess.Popen]:
    """The Procfile's worker line (with the tests' slow task), run as honcho runs it: a shell in a
    session of its own, stopped with SIGTERM to the whole group."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": url,
        "DATABASE_URL": database_url_for_processes(),
        "TIME_ZONE": django_settings.TIME_ZONE,
    }
    with (folder / "worker.log").open("w") as log:
        worker = subprocess.Popen(
            ["bash", "-c", procfile("worker") + " --include tests.slow_tasks"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield worker
        finally:
            try:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(30)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)


def client_of(url: str) -> Celery:
    """Sends tasks by name through the Redis at ``url`` and reads their results there."""
    return Celery("probe", broker=url, backend=url)


def log_of(folder: Path) -> str:
    return (folder / "worker.log").read_text()


def test_the_worker_of_make_run_lives_through_redis_stopped_mid_job_and_works_when_it_is_back(tmp_path):
    """The Procfile's worker (a prefork pool of two; gossip, mingle and heartbeats on) is busy with a
    task when Redis stops; Redis comes back, empty, before the task ends. Celery 5.7 stopped the worker
    twice here ("Unrecoverable error: AttributeError: 'NoneType' object has no attribute 'hostname'"):
    when it lost the connection, and when the task acknowledged its message once Redis was back. The
    very same worker process is still there, and does the next task."""
    started = tmp_path / "started"
    with redis_server(tmp_path) as server, procfile_worker(server.url, tmp_path) as worker:
        probe = client_of(server.url)
        probe.send_task("tests.slow", args=[20, str(started)])
        assert wait_for(started.exists, 90), log_of(tmp_path)[-3000:]
        main = celery_main(worker.pid)
        server.stop()  # Redis goes away while the worker is busy
        time.sleep(4)
        assert main is not None and celery_main(worker.pid) == main, log_of(tmp_path)[-3000:]
        server.start()  # Redis is back (empty) before the task ends
        probe = client_of(server.url)
        assert probe.send_task("config.ping", args=["back"]).get(timeout=120) == "back"
        assert wait_for(lambda: re.search(r"Task tests\.slow\[[^]]+\] succeeded", log_of(tmp_path)), 60)
        time.sleep(1)  # the task has acknowledged its message
        assert probe.send_task("config.ping", args=["again"]).get(timeout=60) == "again"
        assert celery_main(worker.pid) == main and worker.poll() is None, log_of(tmp_path)[-3000:]
    assert "Unrecoverable error" not in log_of(tmp_path)
    assert "starting it again" not in log_of(tmp_path)


def test_a_worker_of_make_run_that_dies_is_started_again(tmp_path):
    """Whatever else stops the worker (here SIGKILL of its main process), the Procfile's line starts a
    new one instead of exiting, which would make honcho stop the whole site; it does the next task."""
    with redis_server(tmp_path) as server, procfile_worker(server.url, tmp_path) as worker:
        probe = client_of(server.url)
        assert probe.send_task("config.ping", args=["first"]).get(timeout=90) == "first"
        main = celery_main(worker.pid)
        os.kill(main, signal.SIGKILL)
        assert wait_for(lambda: celery_main(worker.pid) not in (None, main), 30), log_of(tmp_path)[-3000:]
        assert probe.send_task("config.ping", args=["second"]).get(timeout=90) == "second"
        assert worker.poll() is None
    assert "'.venv/bin/celery' stopped (exit code" in log_of(tmp_path)
