"""`make run` (scripts/run.sh) and Ctrl-C: the Redis it started is stopped with everything else; a
Redis that was running before is left running. The processes of the Procfile are replaced by one idle
process (PROCFILE): what is tested is the script around them."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.celery_worker import ROOT, database_url_for_processes, redis_server

pytestmark = [pytest.mark.celery_integration, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    try:
        return redis.Redis(port=port, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        return False


def make_run_then_ctrl_c(folder: Path, redis_port: int) -> str:
    """Run scripts/run.sh until its processes are up, press Ctrl-C, wait for it to end: its output."""
    procfile = folder / "Procfile"
    procfile.write_text("idle: sleep 600\n")
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        DATABASE_URL=database_url_for_processes(),
        DJANGO_SETTINGS_MODULE="config.settings.test",
        REDIS_PORT=str(redis_port),
        PROCFILE=str(procfile),
    )
    out = folder / "make-run.log"
    with out.open("w") as log:
        run = subprocess.Popen(
            ["bash", "scripts/run.sh"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 120
            while "idle.1" not in out.read_text() and time.monotonic() < deadline and run.poll() is None:
                time.sleep(0.3)
            assert "idle.1" in out.read_text(), out.read_text()
            assert answers(redis_port)
            os.killpg(run.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole foreground group
            run.wait(60)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
    return out.read_text()


def test_ctrl_c_of_make_run_stops_the_redis_it_started(org, tmp_path):
    port = free_port()
    assert not answers(port)
    output = make_run_then_ctrl_c(tmp_path, port)
    assert not answers(port), output
    assert f"stopping the Redis started on port {port}" in output


def test_ctrl_c_of_make_run_leaves_a_redis_that_was_running_before(org, tmp_path):
    with redis_server(tmp_path) as server:
        output = make_run_then_ctrl_c(tmp_path, server.port)
        assert f"using the Redis already running on port {server.port}" in output
        assert answers(server.port) and server.proc.poll() is None, output
