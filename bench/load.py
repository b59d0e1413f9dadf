"""Load test (issue: trust). Runs gunicorn on loopback against the large organisation (PostgreSQL)
and drives concurrent logged-in users over the scorecard, team dashboard and review pages for a
bounded time with wrk (bench/load.lua): every user logs in through the login form, then opens one of its
pages and thinks 0.5-1.5 s, again and again. Prints throughput, the latency percentiles the users saw,
the error count, and the server time per page kind (gunicorn's access log). Traffic stays on 127.0.0.1.

    bash bench/run.sh load          # after `pages`/`pdfs` loaded the organisation and opened a cycle
"""

import argparse
import os
import statistics
import subprocess
import sys
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


def login(base: str, email: str) -> str:
    """Log in through the real login form; answer the Cookie header of that session."""
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
        raise SystemExit(f"login of {email} answered {r.status_code}")
    return "; ".join(f"{k}={v}" for k, v in s.cookies.items())


def kind_of(path: str) -> str:
    return "team" if "/team/" in path else "scorecard" if "/scorecard/" in path else "review"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument(
        "--think", type=int, nargs=2, default=(500, 1500), help="pause between a user's requests, ms"
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="CONN_MAX_AGE of the server (0: a connection per request)",
    )
    parser.add_argument(
        "--cold",
        dest="warm",
        action="store_false",
        help="do not open every page once before the timed window",
    )
    args = parser.parse_args()
    managers, urls = prepare(args.pg)
    env = dict(
        os.environ,
        DATABASE_URL=args.pg,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="False",
        AXES_FAILURE_LIMIT="1000",
        # Persistent database connections, as production runs (config/settings/production.py):
        # without them every request opens a PostgreSQL connection (a new server process).
        CONN_MAX_AGE=str(args.conn_max_age),
    )
    work = ROOT / "var" / "load"
    work.mkdir(parents=True, exist_ok=True)
    access_log = work / "access.log"
    access_log.unlink(missing_ok=True)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-c",
            str(ROOT / "config" / "gunicorn.conf.py"),
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            "%(U)s %(s)s %(D)s",
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
        users_file = work / "users.tsv"
        with users_file.open("w") as out:
            for i in range(args.users):
                email = managers[i % len(managers)]
                out.write("\t".join([login(base, email), *urls[email]]) + "\n")
        if args.warm:
            # What the worker does after the night's KPI runs (kpis.warm_pages): render every
            # scorecard and team dashboard of the period into the cache before the users come.
            from kpis import pagecache
            from kpis.periods import Period

            start = time.perf_counter()
            n = pagecache.warm(version=pagecache.version(), periods=[Period.parse("2026-Q3")])
            print(f"warm-up (kpis.pagecache.warm): {n} pages in {time.perf_counter() - start:.1f} s")
        skip = sum(1 for _ in access_log.open()) if access_log.exists() else 0
        # wrk (C, one thread and one connection per user) keeps the load generator's own CPU small.
        wrk = subprocess.run(
            [
                "wrk",
                "-t",
                str(args.users),
                "-c",
                str(args.users),
                "-d",
                f"{args.seconds}s",
                "--timeout",
                "30s",
                "-s",
                str(ROOT / "bench" / "load.lua"),
                base,
                "--",
                str(users_file),
                str(args.think[0]),
                str(args.think[1]),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        server.terminate()
        server.wait(30)
    line = next(x for x in wrk.stdout.splitlines() if x.startswith("RESULT "))
    result = dict(field.split("=") for field in line.split()[1:])
    served: dict[str, list[float]] = {}
    with access_log.open() as log:
        for n, entry in enumerate(log):
            if n < skip:
                continue
            path, _status, micros = entry.split()
            served.setdefault(kind_of(path), []).append(int(micros) / 1000)
    requests_done = int(result["requests"])
    errors = sum(int(result[k]) for k in ("not200", "connect", "read", "write", "timeout"))
    print(
        f"{args.users} users (wrk, one connection each), {args.seconds} s, gunicorn {args.workers} gthread workers "
        f"on 127.0.0.1, think {args.think[0]}-{args.think[1]} ms; CONN_MAX_AGE {args.conn_max_age}; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end; "
        f"{'KPI pages warmed as after the nightly run' if args.warm else 'cold cache'}"
    )
    print(
        f"requests {requests_done}, throughput {requests_done / float(result['seconds']):.1f} req/s, "
        f"errors {errors} (not 200: {result['not200']}, socket: {int(errors) - int(result['not200'])})"
    )
    print(
        f"  latency seen by the users: p50 {result['p50']} ms, p90 {result['p90']} ms, p95 {result['p95']} ms, "
        f"p99 {result['p99']} ms, max {result['max']} ms"
    )
    for kind, times in sorted(served.items()):
        times.sort()
        print(
            f"  server time {kind:10} n={len(times):5} p50 {statistics.median(times):6.1f} ms  "
            f"p95 {times[int(0.95 * (len(times) - 1))]:6.1f} ms"
        )


if __name__ == "__main__":
    main()
