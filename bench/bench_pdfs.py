"""Review PDF and cycle benchmark (issues: reviews, 17). On the large organisation (PostgreSQL, KPIs
computed by bench_pages / bench_kpis): opens a cycle for 2026-Q3 (500 reviews), times HR's cycle page,
the calibration session and the summary PDF on it, 50 single PDFs (p50, p95), then the whole cycle's
zip through Celery with two worker processes (chunks any worker takes), printing progress, with the
workers' peak RSS. Budgets: one PDF p95 < 1 s; opening a 500-review cycle < 10 s; the zip < 2 min.

    bash bench/run.sh pdfs
"""

import argparse
import datetime
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_rss_mb(pid: int) -> float:
    """The highest peak resident size (VmHWM) among a process and its children (the pool processes)."""
    peaks = []
    for p in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks, default=0.0)


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=args.pg,
        REDIS_URL=args.redis,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="False",
    )
    import django

    django.setup()
    from accounts.models import User
    from reviews.cycles import services
    from reviews.models import Review, ReviewCycle
    from reviews.output import exports
    from reviews.output.pdf import review_pdf

    hr = User.objects.filter(role="hr").first() or User.objects.create_user(
        "hr@bench.example.com", None, role="hr", name="Bench HR"
    )
    ReviewCycle.objects.filter(period="2026-Q3").delete()
    start = time.perf_counter()
    cycle = services.cycle_create(
        user=hr,
        period="2026-Q3",
        self_review_due=datetime.date(2026, 10, 10),
        manager_review_due=datetime.date(2026, 10, 20),
    )
    n = services.cycle_open(user=hr, cycle=cycle, confirm=True)
    print(f"cycle opened: {n} reviews with frozen snapshots in {time.perf_counter() - start:.1f} s")
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client without a test database: the pages as HR sees them
    client = Client()
    client.force_login(hr)

    def page(url: str, runs: int = 3) -> str:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            response = client.get(url, HTTP_HOST="127.0.0.1")
            assert response.status_code == 200, (url, response.status_code)
            times.append(time.perf_counter() - t)
        return f"{min(times) * 1000:.0f} ms (first {times[0] * 1000:.0f} ms)"

    print(f"cycle page with {n} reviews: {page(f'/cycles/{cycle.pk}/')}")
    print(
        f"cycle page filtered to one manager's overdue reviews: {page(f'/cycles/{cycle.pk}/?overdue=1&status=draft')}"
    )
    services.cycle_start_calibration(user=hr, cycle=cycle, override_reason="benchmark")
    print(f"calibration session with {n} reviews: {page(f'/cycles/{cycle.pk}/calibration/')}")
    print(f"cycle summary PDF: {page(f'/cycles/{cycle.pk}/summary.pdf', runs=1)}")
    reviews = list(
        Review.objects.filter(cycle=cycle).select_related("cycle__template", "csm__team", "reviewer")[:50]
    )
    review_pdf(reviews[0], viewer=hr)  # warm: fonts
    times = []
    for r in reviews:
        t = time.perf_counter()
        review_pdf(r, viewer=hr)
        times.append(time.perf_counter() - t)
    times.sort()
    print(
        f"single PDF over {len(times)} reviews: p50 {statistics.median(times) * 1000:.0f} ms, "
        f"p95 {times[int(0.95 * (len(times) - 1))] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms; "
        f"this process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    env = dict(os.environ)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--concurrency={args.workers}",
            "--loglevel=WARNING",
            "-n",
            "bench@%h",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        # The cycle's opening queued one email per person: let the worker drain them first, so that
        # the clock times the zip alone.
        import redis

        queue = redis.Redis.from_url(args.redis)
        time.sleep(5)
        while queue.llen("celery"):
            time.sleep(1)
        t0 = time.perf_counter()
        with django.db.transaction.atomic():
            export = exports.cycle_export_start(user=hr, cycle=cycle)
        last = -1
        while True:
            export.refresh_from_db()
            if export.done != last and (export.done % 50 == 0 or export.status != "running"):
                print(
                    f"  {time.perf_counter() - t0:6.1f} s  {export.status:8} {export.done}/{export.total}",
                    flush=True,
                )
                last = export.done
            if export.status in ("done", "failed"):
                break
            time.sleep(1)
        elapsed = time.perf_counter() - t0
        rss = peak_rss_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(30)
    size = Path(export.path).stat().st_size / 1e6 if export.path else 0
    print(
        f"zip of {export.total} reviews: {export.status} in {elapsed:.0f} s with {args.workers} worker processes, "
        f"{size:.0f} MB; worker peak RSS {rss:.0f} MB"
    )


if __name__ == "__main__":
    main()
