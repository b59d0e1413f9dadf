"""Expected results on the bench organisation (issue 26): fitting and scoring a quarter (under 30 s),
and `compute_kpis` of the quarter with them against without them (not more than 1.5x), each in
its own process with its peak RSS. Run after bench_kpis.py loaded the organisation:

    bash bench/run.sh kpis           (bench_kpis.py, then this)

1. fit+score, fitting: ``expected.compute`` of the quarter with no stored fit (imports included);
2. compute_kpis without the expected-results part (it computes nothing);
3. compute_kpis with it, fitting (no stored fit of the quarter);
4. compute_kpis with it again: the nightly run, whose fits are reused (their history is unchanged);
5. fit+score, reused: ``expected.compute`` again, the stored fits' fingerprint matching.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import run

PY = sys.executable
SETUP = "import django, time; django.setup(); from kpis.models import ExpectedFit; from kpis.periods import Period; "
FIT = (
    "from kpis.engine import expected; p = Period.parse('{period}'); s = time.perf_counter(); "
    "fits, rows = expected.compute(p); "
    "print(f'{{time.perf_counter() - s:.2f}} s, {{len(rows)}} accounts scored, ' "
    "+ ', '.join(f'{{o}} {{f.status}}' for o, f in fits.items()))"
)
FORGET = "ExpectedFit.objects.filter(period='{period}').delete(); "
WITHOUT = (
    "from kpis.engine import parts; parts.PARTS['expected'] = lambda inputs: {{}}; "
    "from django.core.management import call_command; call_command('compute_kpis', period='{period}')"
)
WITH = "from django.core.management import call_command; call_command('compute_kpis', period='{period}')"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", required=True)
    parser.add_argument("--period", default="2026-Q3")
    args = parser.parse_args()
    env = dict(os.environ, DATABASE_URL=args.pg, DJANGO_SETTINGS_MODULE="config.settings.local")
    steps = (
        ("fit+score, fitting", FORGET + FIT),
        ("compute_kpis without expected", WITHOUT),
        ("compute_kpis with expected, fitting", FORGET + WITH),
        ("compute_kpis with expected, reused", WITH),
        ("fit+score, fits reused", FIT),
    )
    with open("/proc/loadavg") as f:
        print(f"load average before: {' '.join(f.read().split()[:3])}")
    run([PY, "manage.py", "migrate", "-v0"], env)
    figures = {}
    for label, code in steps:
        seconds, rss, out = run([PY, "-c", SETUP + code.format(period=args.period)], env)
        figures[label] = seconds
        lines = out.strip().splitlines()
        said = next((line for line in lines if "published" in line), lines[-1])  # compute_kpis: its run
        print(f"{label:38} process {seconds:6.1f} s, peak RSS {rss:5.0f} MB: {said}")
    base = figures["compute_kpis without expected"]
    print(
        f"compute_kpis with/without expected results: fitting {figures['compute_kpis with expected, fitting'] / base:.2f}x, "
        f"fits reused (nightly) {figures['compute_kpis with expected, reused'] / base:.2f}x"
    )
    with open("/proc/loadavg") as f:
        print(f"load average after: {' '.join(f.read().split()[:3])}")


if __name__ == "__main__":
    main()
