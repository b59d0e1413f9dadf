"""Generate a large organisation as import files (deterministic):

500 CSMs in 10 teams of 50, 50,000 accounts, 2,000,000 tickets, 500,000 survey responses,
1,300,000 weekly usage snapshots, monthly health snapshots, revenue and advocacy to match.

    python bench/gen_org.py --out bench/data/org [--scale 1.0]
"""

import argparse
import csv
import datetime
import random
from pathlib import Path

SEGMENTS = ("smb", "mid_market", "enterprise")
START = datetime.date(2025, 1, 1)
END = datetime.date(2026, 11, 1)


def writer(path: Path, header: list[str]):
    f = path.open("w", newline="")
    w = csv.writer(f)
    w.writerow(header)
    return f, w


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="bench/data/org")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    n_csms = int(500 * args.scale)
    n_accounts = int(50_000 * args.scale)
    n_tickets = int(2_000_000 * args.scale)
    n_surveys = int(500_000 * args.scale)
    weeks = 26  # 50,000 accounts x 26 weeks = 1,300,000 usage snapshots

    f, w = writer(out / "people.csv", ["email", "name", "role", "team", "manager_email", "segment"])
    teams = max(1, n_csms // 50)
    for t in range(teams):
        w.writerow([f"mgr{t}@bench.example.com", f"Manager {t}", "manager", f"Team {t:03d}", "", ""])
    for c in range(n_csms):
        t = c % teams
        w.writerow(
            [
                f"csm{c}@bench.example.com",
                f"CSM {c}",
                "csm",
                f"Team {t:03d}",
                f"mgr{t}@bench.example.com",
                SEGMENTS[c % 3],
            ]
        )
    f.close()

    f, w = writer(
        out / "accounts.csv",
        ["external_id", "name", "segment", "signed_on", "onboarding_completed_on", "csm_email"],
    )
    signed = {}
    for a in range(n_accounts):
        day = START + datetime.timedelta(days=rng.randrange(-400, (END - START).days - 30))
        signed[a] = day
        done = day + datetime.timedelta(days=rng.randrange(7, 120))
        w.writerow(
            [
                f"A{a:06d}",
                f"Account {a}",
                SEGMENTS[a % 3],
                day.isoformat(),
                done.isoformat() if done < END else "",
                f"csm{a % n_csms}@bench.example.com",
            ]
        )
    f.close()

    f, w = writer(out / "assignments.csv", ["account_external_id", "csm_email", "start_date"])
    for a in range(0, n_accounts, 10):  # one account in ten changes hands once
        day = max(
            signed[a] + datetime.timedelta(days=1), START + datetime.timedelta(days=rng.randrange(0, 600))
        )
        w.writerow([f"A{a:06d}", f"csm{rng.randrange(n_csms)}@bench.example.com", day.isoformat()])
    f.close()

    f, w = writer(out / "revenue.csv", ["external_id", "account_external_id", "date", "kind", "mrr_delta"])
    n = 0
    for a in range(n_accounts):
        mrr = rng.randrange(200, 5000)
        n += 1
        w.writerow([f"R{n:08d}", f"A{a:06d}", signed[a].isoformat(), "new", f"{mrr}.00"])
        day = signed[a]
        while True:
            day += datetime.timedelta(days=rng.randrange(60, 200))
            if day >= END:
                break
            roll = rng.random()
            n += 1
            if roll < 0.05:
                w.writerow([f"R{n:08d}", f"A{a:06d}", day.isoformat(), "churn", f"-{mrr}.00"])
                break
            if roll < 0.6:
                delta = rng.randrange(10, 500)
                mrr += delta
                w.writerow(
                    [
                        f"R{n:08d}",
                        f"A{a:06d}",
                        day.isoformat(),
                        rng.choice(["expansion", "upgrade"]),
                        f"{delta}.00",
                    ]
                )
            else:
                delta = rng.randrange(1, max(2, mrr // 4))
                mrr -= delta
                w.writerow(
                    [
                        f"R{n:08d}",
                        f"A{a:06d}",
                        day.isoformat(),
                        rng.choice(["contraction", "downgrade"]),
                        f"-{delta}.00",
                    ]
                )
    f.close()

    span = (END - START).days * 24 * 60
    base = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    f, w = writer(
        out / "tickets.csv",
        [
            "external_id",
            "account_external_id",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "customer_contacts",
            "escalated_at",
            "priority",
            "channel",
        ],
    )
    for t in range(n_tickets):
        opened = base + datetime.timedelta(minutes=rng.randrange(span))
        response = opened + datetime.timedelta(minutes=rng.randrange(5, 3000))
        resolved = (
            response + datetime.timedelta(minutes=rng.randrange(5, 9000)) if rng.random() < 0.9 else None
        )
        w.writerow(
            [
                f"T{t:08d}",
                f"A{rng.randrange(n_accounts):06d}",
                opened.isoformat(),
                response.isoformat(),
                resolved.isoformat() if resolved else "",
                rng.choice([1, 1, 1, 2, 3]) if resolved else "",
                (opened + datetime.timedelta(hours=2)).isoformat() if rng.random() < 0.08 else "",
                rng.choice(["low", "normal", "high", "urgent"]),
                "email",
            ]
        )
    f.close()

    f, w = writer(
        out / "surveys.csv",
        ["external_id", "account_external_id", "responded_at", "kind", "score", "comment"],
    )
    for s in range(n_surveys):
        when = base + datetime.timedelta(minutes=rng.randrange(span))
        kind = "nps" if s % 2 else "csat"
        score = rng.choice([10, 10, 9, 9, 8, 7, 6, 3]) if kind == "nps" else rng.choice([5, 4, 4, 3, 2])
        w.writerow([f"S{s:08d}", f"A{rng.randrange(n_accounts):06d}", when.isoformat(), kind, score, ""])
    f.close()

    f, w = writer(
        out / "usage.csv",
        [
            "account_external_id",
            "date",
            "licensed_seats",
            "dau",
            "mau",
            "features_used",
            "features_available",
        ],
    )
    monday = datetime.date(2026, 4, 6)
    for week in range(weeks):
        day = (monday + datetime.timedelta(weeks=week)).isoformat()
        for a in range(n_accounts):
            mau = rng.randrange(0, 200)
            w.writerow([f"A{a:06d}", day, mau + 10, rng.randrange(0, mau + 1), mau, rng.randrange(0, 31), 30])
    f.close()

    f, w = writer(out / "health.csv", ["account_external_id", "date", "score", "band"])
    for month in range(12):
        day = datetime.date(2025 + (10 + month) // 12, (10 + month) % 12 + 1, 15).isoformat()
        for a in range(n_accounts):
            w.writerow([f"A{a:06d}", day, rng.randrange(0, 101), ""])
    f.close()

    f, w = writer(out / "advocacy.csv", ["external_id", "account_external_id", "date", "kind"])
    for e in range(n_accounts // 5):
        day = START + datetime.timedelta(days=rng.randrange((END - START).days))
        w.writerow(
            [
                f"V{e:07d}",
                f"A{rng.randrange(n_accounts):06d}",
                day.isoformat(),
                rng.choice(["referral", "review", "case_study", "reference"]),
            ]
        )
    f.close()

    f, w = writer(
        out / "touchpoints.csv", ["external_id", "account_external_id", "csm_email", "occurred_at", "kind"]
    )
    for e in range(n_accounts * 4):
        a = rng.randrange(n_accounts)
        when = base + datetime.timedelta(minutes=rng.randrange(span))
        w.writerow(
            [
                f"P{e:08d}",
                f"A{a:06d}",
                f"csm{a % n_csms}@bench.example.com",
                when.isoformat(),
                rng.choice(["call", "email", "meeting", "qbr"]),
            ]
        )
    f.close()
    print(f"wrote the organisation to {out}")


if __name__ == "__main__":
    main()
