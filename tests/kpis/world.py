"""A small, readable organisation whose Q3 2026 KPIs are worked out by hand in test_compute.py.

Time zone: America/New_York (UTC-4 in summer), so 2026-07-01T02:00Z is still 30 June there.

People: ann and bob (team A, SMB), cat (team B, Enterprise), dan (team B, Mid-Market, no book).

Accounts (MRR before 2026-07-01 -> before 2026-10-01):
  X1 ann            new 1000 (2025); expansion +200 on 08-15                    1000 -> 1200
  X2 ann            new 500 (2025); churn -500 on 07-10; reactivation +300 on 09-01   500 -> 300
  X3 ann, then bob from 2026-07-01 (exactly the period start)                   400 -> 400
  X4 bob, then ann from 2026-08-01 (mid-period); contraction -100 on 09-30      600 -> 500
  X5 bob            new 800; churn -800 on 10-01 (the day after the period)     800 -> 800
  X6 ann            signed 2026-08-01, new 700 that day (not in any cohort)       0 -> 700
  X7 cat            new 2000; downgrade -500 on 07-20                           2000 -> 1500
  X8, X10, X11 ann and X9 bob: onboardings, no revenue
"""

import datetime
from decimal import Decimal

from accounts.models import Segment
from tests import factories

D = datetime.date
UTC = datetime.UTC
SIGNED = D(2025, 1, 1)


def at(text: str) -> datetime.datetime:
    return (
        datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)
        if "+" not in text
        else datetime.datetime.fromisoformat(text)
    )


def build() -> dict:
    team_a = factories.TeamFactory(name="A", manager=factories.ManagerFactory(email="ma@example.com"))
    team_b = factories.TeamFactory(name="B", manager=factories.ManagerFactory(email="mb@example.com"))
    ann = factories.CsmFactory(email="ann@example.com", team=team_a, segment=Segment.SMB)
    bob = factories.CsmFactory(email="bob@example.com", team=team_a, segment=Segment.SMB)
    cat = factories.CsmFactory(email="cat@example.com", team=team_b, segment=Segment.ENTERPRISE)
    dan = factories.CsmFactory(email="dan@example.com", team=team_b, segment=Segment.MID_MARKET)

    def account(ext, owner, signed=SIGNED, onboarded=None):
        a = factories.CustomerAccountFactory(
            external_id=ext, name=ext, signed_on=signed, onboarding_completed_on=onboarded
        )
        factories.AssignmentFactory(account=a, csm=owner, start_date=signed)
        return a

    def rev(a, day, kind, delta):
        factories.RevenueEventFactory(account=a, date=day, kind=kind, mrr_delta=Decimal(delta))

    x1 = account("X1", ann)
    rev(x1, D(2025, 1, 1), "new", "1000")
    rev(x1, D(2026, 8, 15), "expansion", "200")
    x2 = account("X2", ann)
    rev(x2, D(2025, 1, 1), "new", "500")
    rev(x2, D(2026, 7, 10), "churn", "-500")
    rev(x2, D(2026, 9, 1), "reactivation", "300")
    x3 = account("X3", ann)
    factories.AssignmentFactory(account=x3, csm=bob, start_date=D(2026, 7, 1))
    rev(x3, D(2025, 1, 1), "new", "400")
    x4 = account("X4", bob)
    factories.AssignmentFactory(account=x4, csm=ann, start_date=D(2026, 8, 1))
    rev(x4, D(2025, 1, 1), "new", "600")
    rev(x4, D(2026, 9, 30), "contraction", "-100")
    x5 = account("X5", bob)
    rev(x5, D(2025, 1, 1), "new", "800")
    rev(x5, D(2026, 10, 1), "churn", "-800")
    x6 = account("X6", ann, signed=D(2026, 8, 1), onboarded=D(2026, 8, 21))
    rev(x6, D(2026, 8, 1), "new", "700")
    x7 = account("X7", cat)
    rev(x7, D(2025, 1, 1), "new", "2000")
    rev(x7, D(2026, 7, 20), "downgrade", "-500")
    account("X8", ann, signed=D(2026, 6, 1), onboarded=D(2026, 7, 11))  # 40 days
    account("X9", bob, signed=D(2026, 5, 1), onboarded=D(2026, 9, 30))  # 152 days
    account("X10", ann, signed=D(2026, 7, 1), onboarded=D(2026, 7, 31))  # 30 days
    account("X11", ann, signed=D(2026, 7, 1), onboarded=D(2026, 7, 11))  # 10 days

    def ticket(a, opened, response_h=None, resolved=None, contacts=None, escalated=False):
        o = at(opened)
        factories.TicketFactory(
            account=a,
            opened_at=o,
            first_response_at=o + datetime.timedelta(hours=response_h) if response_h is not None else None,
            resolved_at=at(resolved) if resolved else None,
            customer_contacts=contacts,
            escalated_at=o + datetime.timedelta(hours=1) if escalated else None,
        )

    # Q3 tickets.
    ticket(x1, "2026-07-05T14:00", 2, "2026-07-06T10:00", 1)  # ann
    ticket(x1, "2026-08-10T10:00", 5, "2026-08-12T10:00", 3, escalated=True)  # ann
    ticket(x4, "2026-07-20T12:00", 1)  # bob (owner of X4 on 07-20), unresolved
    ticket(x4, "2026-08-05T12:00", 4, "2026-10-02T12:00", 1)  # ann; resolved after the period
    ticket(x3, "2026-10-01T03:00", 3, "2026-10-01T03:30", 2)  # 30 Sep 23:00 local: Q3, bob; resolved in Q3
    # Q2 tickets.
    ticket(x3, "2026-07-01T02:00")  # 30 Jun 22:00 local: Q2, owner ann that day
    ticket(x1, "2026-05-10T12:00")  # ann
    ticket(x5, "2026-06-01T12:00")  # bob
    ticket(x7, "2026-06-10T12:00")  # cat

    def survey(a, when, kind, score):
        factories.SurveyResponseFactory(account=a, responded_at=at(when), kind=kind, score=score)

    survey(x1, "2026-07-15T15:00", "nps", 10)
    survey(x2, "2026-08-01T15:00", "nps", 9)
    survey(x1, "2026-09-01T15:00", "nps", 6)
    survey(x6, "2026-09-10T15:00", "nps", 7)
    survey(x1, "2026-05-05T15:00", "nps", 10)  # Q2
    survey(x3, "2026-07-01T01:00", "nps", 0)  # 30 Jun local: Q2, ann
    survey(x1, "2026-07-20T15:00", "csat", 5)
    survey(x1, "2026-08-20T15:00", "csat", 4)
    survey(x1, "2026-09-20T15:00", "csat", 3)
    survey(x5, "2026-08-20T15:00", "csat", 2)

    def usage(a, day, dau, mau, used, available):
        factories.UsageSnapshotFactory(
            account=a, date=day, dau=dau, mau=mau, features_used=used, features_available=available
        )

    usage(x1, D(2026, 6, 1), 8, 40, 4, 10)  # Q2, ann; adoption reading at the start
    usage(x1, D(2026, 7, 6), 10, 40, 5, 10)
    usage(x1, D(2026, 9, 7), 20, 40, 7, 10)  # adoption reading at the end
    usage(x4, D(2026, 6, 15), 1, 5, 2, 5)  # Q2, bob; a reading at the start for X4
    usage(x4, D(2026, 7, 13), 5, 10, 1, 5)  # bob
    usage(x4, D(2026, 8, 10), 6, 12, 1, 5)  # ann
    usage(x4, D(2026, 9, 20), 0, 0, 0, 0)  # mau 0: skipped; features_available 0: no reading
    usage(x2, D(2026, 8, 3), 0, 0, 0, 0)

    def health(a, day, score, band=""):
        factories.HealthSnapshotFactory(account=a, date=day, score=score, band=band)

    health(x1, D(2026, 9, 15), 70)  # exactly 70: good
    health(x2, D(2026, 9, 15), 40)  # exactly 40: average
    health(x4, D(2026, 9, 20), 39)  # poor
    health(x6, D(2026, 8, 15), 90)  # before 08-31: no reading
    health(x5, D(2026, 9, 1), 90, "poor")  # the given band wins
    health(x1, D(2026, 6, 15), 80)  # Q2 window
    health(x2, D(2026, 6, 15), 20, "good")  # Q2 window, band wins

    factories.AdvocacyEventFactory(account=x1, date=D(2026, 7, 15), kind="referral")  # ann
    factories.AdvocacyEventFactory(account=x4, date=D(2026, 7, 25), kind="review")  # bob
    factories.AdvocacyEventFactory(account=x4, date=D(2026, 8, 2), kind="case_study")  # ann
    factories.AdvocacyEventFactory(account=x1, date=D(2026, 10, 1), kind="reference")  # Q4

    factories.TouchpointFactory(account=x1, csm=ann, occurred_at=at("2026-07-02T15:00"), kind="call")
    factories.TouchpointFactory(
        account=x1, csm=ann, occurred_at=at("2026-10-01T02:00"), kind="call"
    )  # 30 Sep local
    factories.TouchpointFactory(account=x1, csm=ann, occurred_at=at("2026-08-08T15:00"), kind="qbr")
    factories.TouchpointFactory(account=x1, csm=ann, occurred_at=at("2026-07-01T02:00"), kind="email")  # Q2
    return {"ann": ann, "bob": bob, "cat": cat, "dan": dan, "team_a": team_a, "team_b": team_b}
