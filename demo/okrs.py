"""OKRs of the demo organisation: the previous quarter closed and scored, the current one in progress."""

from __future__ import annotations

import datetime
import random

from accounts.models import Role, Team, User
from kpis.models import KpiRun, RunStatus
from kpis.periods import Period
from okrs import services


def demo_okrs_build(*, today: datetime.date, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed)
    hr = User.objects.filter(role=Role.HR).order_by("pk").first()
    current = Period.containing(today)
    previous = current.previous()
    counts = {"objectives": 0, "check_ins": 0}
    for period, closing in ((previous, True), (current, False)):
        for team in Team.objects.select_related("manager").order_by("name"):
            manager = team.manager
            if manager is None:  # every demo team has its manager, who writes the team's OKRs
                continue
            team_obj = services.objective_create(
                user=manager,
                period=str(period),
                team=team,
                title="Keep and grow the book",
                description="Retention above the SaaS median (NRR 106%) with customers who are happy to say so.",
            )
            services.key_result_create(
                user=manager,
                objective=team_obj,
                title="NRR at or above 106%",
                kind="metric",
                metric="nrr",
                baseline=100,
                target=106,
                weight=2,
            )
            services.key_result_create(
                user=manager,
                objective=team_obj,
                title="CSAT at 75%",
                kind="metric",
                metric="csat",
                baseline=60,
                target=75,
            )
            services.okr_rollout(user=manager, source=team_obj)
            counts["objectives"] += 1 + team.members.count()
            for csm in team.members.filter(role=Role.CSM).order_by("pk"):
                own = services.objective_create(
                    user=csm,
                    period=str(period),
                    csm=csm,
                    title="Faster time to value",
                    commitment="aspirational",
                    description="New customers reach their first outcome sooner.",
                )
                plans = services.key_result_create(
                    user=csm,
                    objective=own,
                    title="Success plans signed off",
                    kind="numeric",
                    baseline=0,
                    target=10,
                    unit="plans",
                )
                qbr = services.key_result_create(
                    user=csm, objective=own, title="QBRs held with the top 5 accounts", kind="milestone"
                )
                counts["objectives"] += 1
                span = (min(period.end, today) - period.start).days
                steps = 3 if closing else rng.choice([1, 2, 3])
                value = 0
                for step in range(1, steps + 1):
                    day = period.start + datetime.timedelta(days=max(1, span * step // (steps + 1)))
                    if not closing and rng.random() < 0.25:
                        day = min(day, today - datetime.timedelta(days=20))  # some go stale
                    value = min(12, value + rng.randint(1, 4))
                    services.check_in_create(
                        user=csm,
                        key_result=plans,
                        value=value,
                        confidence=rng.randint(4, 9),
                        note=rng.choice(["", "Two plans waiting for the customer's sign-off.", "On track."]),
                        date=min(today, max(period.start, day)),
                    )
                    counts["check_ins"] += 1
                if closing or rng.random() < 0.4:
                    services.check_in_create(
                        user=csm,
                        key_result=qbr,
                        done=closing and rng.random() < 0.7,
                        confidence=rng.randint(5, 10),
                        date=min(today, period.end - datetime.timedelta(days=3)),
                    )
                    counts["check_ins"] += 1
        for run in KpiRun.objects.filter(period=str(period), status=RunStatus.PUBLISHED).order_by(
            "-finished_at"
        )[:1]:
            services.key_results_update_from_run(run=run)
        if closing and hr is not None:
            services.okr_quarter_close(user=hr, period=str(period))
    return counts
