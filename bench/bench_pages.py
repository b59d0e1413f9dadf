"""Page benchmark (issue: scorecards). Server time of the scorecard and of a 50-CSM team dashboard,
p50 and p95 over 200 requests each, served from the page cache and rendered as a first view after a
publication, on the large organisation (PostgreSQL).

    bash bench/run.sh pages
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KINDS = (
    "people",
    "accounts",
    "assignments",
    "revenue",
    "tickets",
    "surveys",
    "usage",
    "health",
    "advocacy",
    "touchpoints",
)


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", required=True)
    parser.add_argument("--data", default=str(ROOT / "bench" / "data" / "org"))
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=args.pg,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="False",
        DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1",
    )
    import django

    django.setup()
    from django.test import Client
    from django.urls import reverse

    from accounts.models import Team, User
    from kpis import pagecache
    from kpis.models import KpiRun

    manage("migrate", "-v0")
    if not User.objects.exists():
        for kind in KINDS:
            manage("import_data", kind, f"{args.data}/{kind}.csv", "-v0")
    if not KpiRun.objects.filter(period="2026-Q3", status="published").exists():
        manage("compute_kpis", "--backfill", "2025-Q1..2026-Q3", "-v0")
    team = Team.objects.order_by("name").first()
    csm = User.objects.filter(team=team, role="csm").order_by("pk").first()
    client = Client()
    client.force_login(team.manager)
    pages = {
        "scorecard": reverse("scorecard", args=[csm.pk]) + "?period=2026-Q3",
        f"team dashboard ({team.members.count()} CSMs)": reverse("team-detail", args=[team.pk])
        + "?period=2026-Q3",
    }
    print(f"{'page':44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'bytes':>8}")
    for name, url in pages.items():
        for _ in range(10):
            assert client.get(url).status_code == 200
        for cached in (True, False):
            times = []
            for _ in range(args.requests):
                if not cached:
                    pagecache.invalidate()  # as after a publication: rendered from the database
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
            label = f"{name}, {'cached' if cached else 'first view'}"
            print(
                f"{label:44} {statistics.median(times):>8.1f} {percentile(times, 0.95):>8.1f} "
                f"{max(times):>8.1f} {len(response.content):>8}"
            )


if __name__ == "__main__":
    main()
