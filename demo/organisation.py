"""A realistic, deterministic demo organisation (``manage.py seed_demo``).

Built with plain ORM calls (``demo.builders``). The same ``today``, ``seed`` and ``accounts``
always give the same organisation.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction

from accounts.models import (
    AccountTeamMember,
    AccountTeamRole,
    Assignment,
    CustomerAccount,
    Role,
    Segment,
    Team,
    User,
)
from activity.models import (
    AdvocacyEvent,
    HealthSnapshot,
    RevenueEvent,
    SurveyResponse,
    Ticket,
    Touchpoint,
    UsageSnapshot,
)
from demo.builders import BulkWriter, aware, customer_account_create, month_starts, person_create, team_create
from kpis import book

DEMO_LOGINS = (
    ("csm@example.com", Role.CSM),
    ("manager@example.com", Role.MANAGER),
    ("hr@example.com", Role.HR),
    ("admin@example.com", Role.ADMIN),
    ("contributor@example.com", Role.CONTRIBUTOR),
)
# People outside Customer Success who work the accounts and give input on the CSMs' reviews
# (role contributor): email, name, their role in the account teams.
CONTRIBUTORS = (
    ("contributor@example.com", "Jordan Blake", AccountTeamRole.ACCOUNT_EXECUTIVE),
    ("aiko.tanaka@example.com", "Aiko Tanaka", AccountTeamRole.SOLUTIONS_ENGINEER),
    ("omar.haddad@example.com", "Omar Haddad", AccountTeamRole.SUPPORT_LEAD),
)
MONTHS = 18

TEAMS = (
    ("Atlas", "manager@example.com", "Morgan Reyes"),
    ("Beacon", "manager2@example.com", "Priya Natarajan"),
    ("Summit", "manager3@example.com", "Lukas Becker"),
)
CSM_NAMES = (
    "Camila Souza",
    "Diego Fernández",
    "Ayşe Yılmaz",
    "Wei Zhang",
    "Sofia Rossi",
    "Mateus Oliveira",
    "Elif Demir",
    "Li Na",
    "Lucía Martín",
    "João Pereira",
    "Kemal Aydın",
    "Mei Chen",
    "Valentina Gómez",
    "Rafael Costa",
    "Zeynep Kaya",
    "Hao Liu",
    "Carmen Ruiz",
    "Beatriz Santos",
    "Emre Şahin",
    "Yan Wu",
)
SEGMENT_MRR = {
    Segment.SMB: (150, 1200),
    Segment.MID_MARKET: (1500, 6000),
    Segment.ENTERPRISE: (8000, 30000),
}
MONTHLY_CHURN = {Segment.SMB: 0.02, Segment.MID_MARKET: 0.014, Segment.ENTERPRISE: 0.009}
# Books of clearly different difficulty and CSMs of different skill, independent of each other, so
# that raw retention and the lift tell different stories (docs/guide/manager.md, "The demo's story"):
# per CSM (in the order of CSM_NAMES), how hard their book is and how good they are at keeping it.
PROFILES = (
    ("hard", "strong"),  # Camila Souza (csm@example.com): a hard book, kept well
    ("mixed", "steady"),
    ("easy", "strong"),
    ("easy", "learning"),  # Wei Zhang: an easy book, kept less well than it could be
    ("hard", "learning"),
    ("mixed", "strong"),
    ("hard", "steady"),
    ("mixed", "steady"),
    ("easy", "learning"),
    ("mixed", "strong"),
    ("hard", "strong"),
    ("easy", "steady"),
    ("mixed", "learning"),
    ("hard", "learning"),
    ("easy", "strong"),
    ("hard", "steady"),
    ("mixed", "learning"),
    ("easy", "steady"),
    ("hard", "strong"),
    ("mixed", "steady"),
)
# A book's mix of health at signing: the shares of accounts whose health settles poor and average
# (the rest good). Health drifts around that level month to month.
BOOK_HEALTH = {"hard": (0.8, 0.15), "mixed": (0.25, 0.4), "easy": (0.06, 0.34)}
HEALTH_LEVEL = {"poor": (12, 36), "average": (44, 66), "good": (74, 92)}
# The monthly churn chance is the segment's times the health band's times the CSM's, plus the CSM's
# own share (an account of any health can be lost by neglect).
HEALTH_CHURN = {"poor": 7.0, "average": 1.2, "good": 0.25}
SKILL_CHURN = {"strong": (0.35, 0.0), "steady": (1.0, 0.0), "learning": (1.7, 0.0)}
COMPANY_WORDS = (
    "Acme",
    "Nimbus",
    "Vertex",
    "Orbit",
    "Pioneer",
    "Quantum",
    "Harbor",
    "Lumen",
    "Cobalt",
    "Sierra",
    "Aurora",
    "Falcon",
    "Granite",
    "Juniper",
    "Maple",
    "Nova",
    "Onyx",
    "Polar",
    "Redwood",
    "Solstice",
    "Tundra",
    "Umbra",
    "Willow",
    "Zenith",
)
COMPANY_SUFFIX = ("Labs", "Logistics", "Health", "Retail", "Systems", "Foods", "Capital", "Media")


@dataclass
class DemoSummary:
    counts: dict[str, int] = field(default_factory=dict)


# What the demo's customers write with an NPS answer (the customers' words a review quotes): picked
# from the score, the account and the month, never from the random stream (the demo's numbers stay
# those of its seed). Passives mostly write nothing.
NPS_WORDS = {
    "promoter": [
        "Our CSM knows our business better than some of our own team.",
        "The quarterly review gave us a clear plan for the next six months.",
        "Onboarding the new team was quick thanks to the workshops.",
        "",
    ],
    "passive": ["", "", "Good product; the reporting could go deeper."],
    "detractor": [
        "Response times have been slow.",
        "We lost a week waiting on an escalation.",
        "Too many changes of contact this year.",
    ],
}


def nps_comment(score: int, account_key: str, month: datetime.date) -> str:
    words = NPS_WORDS["promoter" if score >= 9 else "passive" if score >= 7 else "detractor"]
    return words[(sum(map(ord, account_key)) + month.month) % len(words)]


def demo_organisation_build(
    *,
    today: datetime.date,
    accounts: int = 600,
    seed: int = 2026,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Create the demo organisation: 3 teams, 20 CSMs, ``accounts`` accounts, 18 months of facts."""
    rng = random.Random(seed)
    start = today.replace(day=1) - relativedelta(months=MONTHS - 1)
    months = month_starts(start, today)
    writer = BulkWriter()
    with transaction.atomic():
        people = _people()
        csms = people["csms"]
        for index in range(accounts):
            _account_history(rng, index, csms, start, today, months, writer)
            if progress:
                progress(index + 1, accounts)
        writer.flush()
        _reassignments(rng, csms, today, writer)
        _account_teams(people["contributors"], len(csms), writer)
        writer.flush()
    counts = {"user": User.objects.count(), "team": Team.objects.count(), **writer.counts}
    return DemoSummary(counts=counts)


def _people() -> dict:
    segments = [Segment.SMB, Segment.MID_MARKET, Segment.ENTERPRISE]
    person_create(email="hr@example.com", name="Hana Roth", role=Role.HR)
    person_create(email="admin@example.com", name="Ada Ops", role=Role.ADMIN)
    csms: list[User] = []
    for t, (team_name, manager_email, manager_name) in enumerate(TEAMS):
        manager = person_create(email=manager_email, name=manager_name, role=Role.MANAGER)
        team = team_create(name=team_name, manager=manager)
        for i in range(7 if t < 2 else 6):
            n = len(csms)
            email = "csm@example.com" if n == 0 else f"csm{n + 1}@example.com"
            csms.append(
                person_create(
                    email=email, name=CSM_NAMES[n], role=Role.CSM, team=team, segment=segments[(t + i) % 3]
                )
            )
    contributors = [person_create(email=e, name=n, role=Role.CONTRIBUTOR) for e, n, _role in CONTRIBUTORS]
    return {"csms": csms, "contributors": contributors}


def _account_teams(contributors: list[User], csm_count: int, writer: BulkWriter) -> None:
    """The account teams, by a fixed rule (no draw from the random stream, which the facts own):
    the account executive on every account first owned by a CSM of Atlas, the solutions engineer on
    the mid-market and enterprise accounts of Atlas and Beacon, the support lead on every third
    account; each since the account signed."""
    atlas = 7  # Atlas and Beacon have 7 CSMs each, Summit 6 (_people)
    roles = {e: role for e, _name, role in CONTRIBUTORS}
    for index, (account_id, segment, signed_on) in enumerate(
        CustomerAccount.objects.order_by("external_id").values_list("pk", "segment", "signed_on")
    ):
        owner = index % csm_count  # the CSM who first owned it (_account_history)
        sits = {
            AccountTeamRole.ACCOUNT_EXECUTIVE: owner < atlas,
            AccountTeamRole.SOLUTIONS_ENGINEER: owner < 2 * atlas and segment != Segment.SMB,
            AccountTeamRole.SUPPORT_LEAD: index % 3 == 0,
        }
        for person in contributors:
            role = roles[person.email]
            if sits[role]:
                writer.add(
                    AccountTeamMember(account_id=account_id, person=person, role=role, start_date=signed_on)
                )


def _account_history(rng, index, csms, start, today, months, writer) -> None:
    n = index % len(csms)
    csm = csms[n]
    segment = csm.segment
    difficulty, skill = PROFILES[n % len(PROFILES)]
    poor_share, average_share = BOOK_HEALTH[difficulty]
    roll = rng.random()
    level = "poor" if roll < poor_share else "average" if roll < poor_share + average_share else "good"
    settles = rng.randint(*HEALTH_LEVEL[level])  # the level the account's health drifts around
    # Two thirds of the book predates the window; new logos sign every month.
    if rng.random() < 0.66:
        signed_on = start - datetime.timedelta(days=rng.randint(30, 900))
    else:
        signed_on = start + datetime.timedelta(days=rng.randint(0, (today - start).days))
    onboarding_days = rng.randint(10, 45 if segment == Segment.SMB else 120)
    onboarded = signed_on + datetime.timedelta(days=onboarding_days)
    word = COMPANY_WORDS[index % len(COMPANY_WORDS)]
    suffix = COMPANY_SUFFIX[(index // len(COMPANY_WORDS)) % len(COMPANY_SUFFIX)]
    account = customer_account_create(
        external_id=f"ACC-{index + 1:05d}",
        name=f"{word} {suffix} {index + 1}",
        segment=segment,
        signed_on=signed_on,
        onboarding_completed_on=onboarded if onboarded <= today else None,
    )
    writer.add(Assignment(account=account, csm=csm, start_date=signed_on))

    low, high = SEGMENT_MRR[segment]
    mrr = Decimal(rng.randint(low, high))
    seq = 0

    def revenue(day: datetime.date, kind: str, delta: Decimal) -> None:
        nonlocal seq
        seq += 1
        writer.add(
            RevenueEvent(
                external_id=f"REV-{index + 1:05d}-{seq:03d}",
                account=account,
                date=day,
                kind=kind,
                mrr_delta=delta.quantize(Decimal("0.01")),
            )
        )

    revenue(signed_on, "new", mrr)
    churned_on: datetime.date | None = None
    seats = max(5, int(mrr / 40))
    features_available = 40
    features_used = rng.randint(6, 20)
    health = max(5, min(100, settles + rng.randint(-5, 5)))
    counter = {"tkt": 0, "srv": 0, "adv": 0, "tch": 0}

    def ext(prefix: str) -> str:
        counter[prefix] += 1
        return f"{prefix.upper()}-{index + 1:05d}-{counter[prefix]:04d}"

    now = aware(today, 0)  # the data ends at the start of ``today``: same day, same data

    def escalation(opened: datetime.datetime) -> datetime.datetime | None:
        """Some tickets are escalated within two days of opening (later than ``now``: not yet)."""
        return opened + datetime.timedelta(hours=rng.randint(2, 48)) if rng.random() < 0.08 else None

    for month in months:
        month_end = min(month + relativedelta(months=1), today)
        days_in = (month_end - month).days
        if month_end <= signed_on or days_in <= 0:
            continue
        first_day = max(month, signed_on)
        days_live = (month_end - first_day).days  # the month's days from signing to before today
        live = churned_on is None
        # Revenue movements of the month.
        if live and month > signed_on:
            day = first_day + datetime.timedelta(days=rng.randrange(max(1, (month_end - first_day).days)))
            roll = rng.random()
            times, plus = SKILL_CHURN[skill]
            if roll < MONTHLY_CHURN[segment] * HEALTH_CHURN[book.health_band(health, "")] * times + plus:
                revenue(day, "churn", -mrr)
                churned_on, mrr = day, Decimal(0)
            elif roll < 0.07:
                delta = (mrr * Decimal(rng.uniform(0.05, 0.3))).quantize(Decimal("1"))
                if delta > 0:
                    revenue(day, rng.choice(["expansion", "upgrade"]), delta)
                    mrr += delta
            elif roll < 0.10:
                delta = (mrr * Decimal(rng.uniform(0.05, 0.25))).quantize(Decimal("1"))
                if 0 < delta < mrr:
                    revenue(day, rng.choice(["contraction", "downgrade"]), -delta)
                    mrr -= delta
            if month.month == signed_on.month and month.year > signed_on.year and churned_on is None:
                uplift = (mrr * Decimal(rng.choice([0, 0, 0.03, 0.05, 0.08]))).quantize(Decimal("1"))
                renewed_on = month.replace(day=min(signed_on.day, 28))
                if renewed_on < month_end:  # a renewal still to come this month is not a fact yet
                    revenue(renewed_on, "renewal", uplift)
                    mrr += uplift
        elif churned_on and rng.random() < 0.02:
            mrr = Decimal(rng.randint(low, high))
            revenue(first_day, "reactivation", mrr)
            churned_on = None
        if churned_on is not None and churned_on < month:
            continue

        health = max(5, min(100, health + round((settles - health) * 0.3) + rng.randint(-7, 7)))
        # Tickets: more in January and September (seasonal), fewer for healthy accounts.
        seasonal = 1.5 if month.month in (1, 9) else 1.0
        expected = {Segment.SMB: 1.2, Segment.MID_MARKET: 2.0, Segment.ENTERPRISE: 3.5}[segment]
        expected *= seasonal * (1.3 if health < 50 else 0.9)
        for _ in range(int(expected + rng.random())):
            opened = aware(
                first_day + datetime.timedelta(days=rng.randrange(max(1, (month_end - first_day).days))),
                rng.randint(7, 19),
                rng.randint(0, 59),
            )
            response = opened + datetime.timedelta(hours=round(rng.lognormvariate(1.0, 0.8), 2))
            resolved = response + datetime.timedelta(hours=round(rng.lognormvariate(2.5, 1.0), 2))
            done = resolved < now
            writer.add(
                Ticket(
                    external_id=ext("tkt"),
                    account=account,
                    opened_at=opened,
                    first_response_at=response if response < now else None,
                    resolved_at=resolved if done else None,
                    customer_contacts=rng.choice([1, 1, 1, 1, 2, 2, 3]) if done else None,
                    escalated_at=escalated if (escalated := escalation(opened)) and escalated < now else None,
                    priority=rng.choice(["low", "normal", "normal", "normal", "high", "urgent"]),
                    channel=rng.choice(["email", "chat", "phone"]),
                )
            )
            if done and rng.random() < 0.25:
                writer.add(
                    SurveyResponse(
                        external_id=ext("srv"),
                        account=account,
                        responded_at=min(resolved + datetime.timedelta(hours=3), now),
                        kind="csat",
                        score=rng.choice([5, 5, 4, 4, 4, 3, 2]),
                        comment="",
                    )
                )
        # NPS: a third of the accounts answer in the last month of each quarter.
        if month.month in (3, 6, 9, 12) and rng.random() < 0.35:
            score = rng.choice([10, 10, 9, 9, 9, 8, 8, 7, 7, 6, 5, 3])
            writer.add(
                SurveyResponse(
                    external_id=ext("srv"),
                    account=account,
                    responded_at=aware(first_day + datetime.timedelta(days=rng.randrange(days_live)), 15),
                    kind="nps",
                    score=score,
                    comment=nps_comment(score, account.external_id, month),
                )
            )
        writer.add(
            HealthSnapshot(
                account=account,
                date=month_end - datetime.timedelta(days=1),
                score=health,
                band="",
            )
        )
        # Weekly usage; adoption grows slowly, stickiness follows health.
        features_used = min(features_available, features_used + rng.choice([0, 0, 1]))
        week = first_day + datetime.timedelta(days=(7 - first_day.weekday()) % 7)
        while week < month_end:
            mau = max(1, int(seats * rng.uniform(0.4, 0.95)))
            dau = max(0, min(mau, int(mau * (health / 100) * rng.uniform(0.3, 0.7))))
            writer.add(
                UsageSnapshot(
                    account=account,
                    date=week,
                    licensed_seats=seats,
                    dau=dau,
                    mau=mau,
                    features_used=features_used,
                    features_available=features_available,
                )
            )
            week += datetime.timedelta(days=7)
        if rng.random() < (0.05 if health >= 70 else 0.01):
            writer.add(
                AdvocacyEvent(
                    external_id=ext("adv"),
                    account=account,
                    date=first_day + datetime.timedelta(days=rng.randrange(days_live)),
                    kind=rng.choice(["referral", "review", "case_study", "reference"]),
                )
            )
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            writer.add(
                Touchpoint(
                    external_id=ext("tch"),
                    account=account,
                    csm=csm,
                    occurred_at=aware(
                        first_day
                        + datetime.timedelta(days=rng.randrange(max(1, (month_end - first_day).days))),
                        10,
                    ),
                    kind=rng.choice(["call", "email", "email", "meeting", "qbr"]),
                )
            )


def _reassignments(rng, csms, today, writer) -> None:
    """Six months ago the last CSM of each team took over a share of a teammate's book."""
    when = today.replace(day=1) - relativedelta(months=6)
    by_team: dict[int, list[User]] = {}
    for csm in csms:
        by_team.setdefault(csm.team_id, []).append(csm)
    for members in by_team.values():
        giver, taker = members[0], members[-1]
        if giver.email == "csm@example.com":
            giver = members[1]
        accounts = (
            CustomerAccount.objects.filter(assignments__csm=giver, signed_on__lt=when)
            .order_by("external_id")
            .distinct()
        )
        for account in accounts:
            if rng.random() < 0.3:
                writer.add(Assignment(account=account, csm=taker, start_date=when))
