"""Load test (issue: trust). Runs gunicorn on loopback against the large organisation (PostgreSQL)
and drives concurrent logged-in users over the scorecard, team dashboard and review pages for a
bounded time; prints throughput, p50/p95 and the error count. Traffic goes to 127.0.0.1 only.

    bash bench/run.sh load          # after `pages`/`pdfs` loaded the organisation and opened a cycle
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-load-password-1"


def prepare(pg: str) -> tuple[list[str], list[str]]:
    """Give the managers a password and list the pages each one may open."""
    os.environ.update(DATABASE_URL=pg, DJANGO_SETTINGS_MODULE="config.settings.local")
    import django

    django.setup()
    from django.urls import reverse

    from accounts.models import User
    from reviews.models import Review

    managers = list(User.objects.filter(role="manager").order_by("email"))
    for m in managers:
        m.set_password(PASSWORD)
        m.save(update_fields=["password"])
    urls = {}
    for m in managers:
        team = m.managed_teams.first()
        csms = list(team.members.values_list("pk", flat=True)[:20])
        reviews = list(Review.objects.filter(reviewer=m).values_list("pk", flat=True)[:20])
        pages = [reverse("team-detail", args=[team.pk]) + "?period=2026-Q3"]
        pages += [reverse("scorecard", args=[c]) + "?period=2026-Q3" for c in csms]
        pages += [reverse("review-detail", args=[r]) for r in reviews]
        urls[m.email] = pages
    return [m.email for m in managers], urls


def user_loop(base, email, pages, stop_at, results, errors, think):
    s = requests.Session()
    s.get(f"{base}/login/", timeout=30)
    r = s.post(
        f"{base}/login/",
        data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": s.cookies.get("csrftoken")},
        headers={"Referer": f"{base}/login/"},
        timeout=30,
        allow_redirects=False,
    )
    if r.status_code != 302:
        errors.append(f"login {email}: {r.status_code}")
        return
    rng = random.Random(email)
    while time.monotonic() < stop_at:
        url = rng.choice(pages)
        start = time.perf_counter()
        try:
            r = s.get(base + url, timeout=30)
            elapsed = time.perf_counter() - start
            kind = "team" if "/team/" in url else "scorecard" if "/scorecard/" in url else "review"
            results.append((kind, elapsed, r.status_code))
            if r.status_code != 200:
                errors.append(f"{url}: {r.status_code}")
        except requests.RequestException as exc:
            errors.append(f"{url}: {exc}")
        time.sleep(rng.uniform(*think))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument(
        "--think", type=float, nargs=2, default=(0.5, 1.5), help="pause between a user's requests"
    )
    args = parser.parse_args()
    managers, urls = prepare(args.pg)
    env = dict(
        os.environ,
        DATABASE_URL=args.pg,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="False",
        AXES_FAILURE_LIMIT="1000",
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(60):
            try:
                requests.get(f"{base}/login/", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.5)
        results, errors = [], []
        stop_at = time.monotonic() + args.seconds
        threads = [
            threading.Thread(
                target=user_loop,
                args=(
                    base,
                    managers[i % len(managers)],
                    urls[managers[i % len(managers)]],
                    stop_at,
                    results,
                    errors,
                    args.think,
                ),
            )
            for i in range(args.users)
        ]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(30)
    times = sorted(r[1] for r in results)
    print(
        f"{args.users} users, {args.seconds} s, gunicorn {args.workers} workers on 127.0.0.1, think {args.think[0]}-{args.think[1]} s"
    )
    print(f"requests {len(results)}, throughput {len(results) / wall:.1f} req/s, errors {len(errors)}")
    for kind in ("scorecard", "team", "review"):
        k = sorted(r[1] for r in results if r[0] == kind)
        if k:
            print(
                f"  {kind:10} n={len(k):5} p50 {statistics.median(k) * 1000:6.0f} ms  p95 {k[int(0.95 * (len(k) - 1))] * 1000:6.0f} ms"
            )
    if times:
        print(
            f"  {'all':10} n={len(times):5} p50 {statistics.median(times) * 1000:6.0f} ms  p95 {times[int(0.95 * (len(times) - 1))] * 1000:6.0f} ms"
        )
    for e in errors[:10]:
        print("  error:", e)


if __name__ == "__main__":
    main()
