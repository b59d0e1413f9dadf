"""Generate the import benchmark files: N tickets and N usage rows over A accounts (deterministic).

python bench/gen_import.py --rows 1000000 --accounts 50000 --out bench/data
"""

import argparse
import csv
import datetime
import random
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--out", default="bench/data")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)

    with (out / "accounts.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "name", "segment", "signed_on", "onboarding_completed_on", "csm_email"])
        for a in range(args.accounts):
            w.writerow([f"ACC-{a:06d}", f"Customer {a}", "smb", "2024-01-01", "", ""])

    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    with (out / "tickets.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
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
            ]
        )
        for n in range(args.rows):
            opened = start + datetime.timedelta(minutes=rng.randrange(0, 600 * 24 * 60))
            response = opened + datetime.timedelta(minutes=rng.randrange(5, 3000))
            resolved = (
                response + datetime.timedelta(minutes=rng.randrange(5, 9000)) if rng.random() < 0.9 else None
            )
            escalated = (
                opened + datetime.timedelta(hours=rng.randrange(1, 48)) if rng.random() < 0.08 else None
            )
            w.writerow(
                [
                    f"TKT-{n:08d}",
                    f"ACC-{rng.randrange(args.accounts):06d}",
                    opened.isoformat(),
                    response.isoformat(),
                    resolved.isoformat() if resolved else "",
                    rng.choice([1, 1, 1, 2, 3]) if resolved else "",
                    escalated.isoformat() if escalated else "",
                    rng.choice(["low", "normal", "high", "urgent"]),
                    rng.choice(["email", "chat", "phone"]),
                ]
            )

    weeks = -(-args.rows // args.accounts)
    monday = datetime.date(2025, 1, 6)
    with (out / "usage.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "account_external_id",
                "date",
                "licensed_seats",
                "dau",
                "mau",
                "features_used",
                "features_available",
            ]
        )
        n = 0
        for week in range(weeks):
            day = (monday + datetime.timedelta(weeks=week)).isoformat()
            for a in range(args.accounts):
                if n >= args.rows:
                    break
                mau = rng.randrange(1, 200)
                w.writerow(
                    [f"ACC-{a:06d}", day, mau + 20, rng.randrange(0, mau + 1), mau, rng.randrange(0, 31), 30]
                )
                n += 1
    print(f"wrote {args.accounts} accounts, {args.rows} tickets, {args.rows} usage rows to {out}")


if __name__ == "__main__":
    main()
