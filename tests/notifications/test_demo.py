"""On the demo organisation (seed_demo, 15 November 2026, 60 accounts): every role's to-dos worked
out by hand from demo/reviews.py and demo/okrs.py, and what a newcomer sees: right after the
seed, send_reminders sends csm@example.com one message (the review waiting for acknowledgement) and
manager@example.com one (the reviews waiting on them); again the same day it sends nothing."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from datain.models import ImportRun, ImportStatus
from kpis import services as kpi_services
from kpis.periods import Period
from notifications.models import EmailState, Notification
from notifications.selectors import todos_for
from okrs.models import CheckIn, KeyResult

TODAY = datetime.date(2026, 11, 15)


def who(email: str) -> User:
    return User.objects.get(email=email)


def listed(email: str, today=TODAY) -> list[tuple]:
    return [(t.kind, t.text, t.due, t.overdue) for t in todos_for(who(email), today=today)]


def stale_by_hand(team_name: str, today: datetime.date) -> int:
    """Key results of the team's quarter (its objective and its CSMs') not done, whose last check-in
    (or KPI value, or the objective's creation when neither) is more than 14 days before today."""
    n = 0
    krs = KeyResult.objects.filter(objective__period="2026-Q4", done=False).select_related("objective__team")
    for kr in krs:
        team = kr.objective.team or kr.objective.csm.team
        if team.name != team_name:
            continue
        dates = [c.date for c in CheckIn.objects.filter(key_result=kr)]
        if kr.kind == "metric" and kr.current_at:  # a KPI-linked key result moves with each run
            dates.append(timezone.localdate(kr.current_at))
        last = max(dates) if dates else timezone.localdate(kr.objective.created_at)
        if kr.kind == "milestone" and any(c.done for c in CheckIn.objects.filter(key_result=kr)):
            continue
        if (today - last).days > 14:
            n += 1
    return n


@pytest.mark.django_db
def test_demo_todos_by_role_and_the_reminders_acceptance(smtp):
    call_command("seed_demo", today=TODAY, accounts=60, verbosity=0)
    assert not Notification.objects.exclude(email=EmailState.NONE).exists()  # the seed mailed nobody
    assert smtp.messages() == []
    # Q4 2026 cycle: self-reviews due 25 Dec (quarter end - 7), manager reviews 15 Jan. Reviews by
    # CSM in pk order go submitted (csm@ first), then self_review, manager_review, submitted,
    # acknowledged, finalized, draft, self_review, ... (demo/reviews.py). Atlas = csm@ .. csm7@.

    # CSM (csm@example.com): their review is submitted, no flag, no key result stale yet.
    # The demo's CSM flagged a number of that review and the manager answered it (not resolved yet).
    assert listed("csm@example.com") == [
        ("acknowledge", "Read and acknowledge your Q4 2026 review", None, False),
        (
            "flag_answered",
            "Morgan Reyes answered what you flagged about “First response time”: read the answer",
            None,
            False,
        ),
    ]

    # Manager of Atlas: csm7 (Elif Demir) is in draft, csm3 (Ayşe Yılmaz) sent her self-review;
    # no flags in Atlas; the stale key results of the team, counted by hand.
    stale = stale_by_hand("Atlas", TODAY)
    assert stale == 5
    assert listed("manager@example.com") == [
        (
            "review_to_start",
            "Send the Q4 2026 review of Elif Demir to them for their self-review",
            datetime.date(2026, 12, 25),
            False,
        ),
        (
            "review_to_write",
            "Ayşe Yılmaz submitted their self-review: write their Q4 2026 review",
            datetime.date(2027, 1, 15),
            False,
        ),
        ("team_okrs_stale", "5 key results of team Atlas have had no check-in for 14 days", None, False),
    ]

    # HR: three acknowledged reviews (the 5th, 11th and 17th CSM) wait to be finalized.
    assert listed("hr@example.com") == [
        ("reviews_to_finalize", "Finalize 3 acknowledged Q4 2026 reviews", None, False)
    ]
    # After the self-review due date (28 Dec): the drafts and self-reviews are late, by manager:
    # Atlas csm2 + csm7, Beacon csm8 + csm13 + csm14, Summit csm19 + csm20.
    late = [t for t in listed("hr@example.com", datetime.date(2026, 12, 28)) if t[0] == "overdue_reviews"]
    assert [t[1] for t in late] == [
        "Priya Natarajan: 3 Q4 2026 reviews overdue",  # Beacon
        "Lukas Becker: 2 Q4 2026 reviews overdue",  # Summit
        "Morgan Reyes: 2 Q4 2026 reviews overdue",  # Atlas
    ]

    # CS ops: nothing on the seeded organisation ...
    assert listed("admin@example.com") == []
    # ... then an import fails and the month's KPI run fails.
    ImportRun.objects.create(
        kind="tickets",
        source="upload",
        status=ImportStatus.FAILED,
        created_by=who("admin@example.com"),
        filename="tickets.csv",
    )
    run = kpi_services.kpi_run_start(period=Period.containing(timezone.localdate(), "month"))
    kpi_services.kpi_run_fail(run=run, error="OperationalError: the database went away")
    month = Period.containing(timezone.localdate(), "month")
    texts = [t.text for t in todos_for(who("admin@example.com"))]
    assert texts[0].startswith("The import of tickets from tickets.csv failed on ")
    assert texts[1] == f"The last KPI run of {month.start:%B %Y} failed: see why and recompute it"

    # The acceptance: one message each to csm@ and manager@, nothing the second time.
    out = io.StringIO()
    call_command("send_reminders", today=TODAY, stdout=out)
    first = out.getvalue()
    assert "  csm@example.com: 1\n" in first and "  manager@example.com: 1\n" in first
    [to_csm] = smtp.to("csm@example.com")
    assert to_csm.subject == "Reminder: your review is waiting for your acknowledgement"
    [to_manager] = smtp.to("manager@example.com")
    assert to_manager.subject == "Reminder: 2 reviews are waiting on you"
    assert "Elif Demir" in to_manager.text and "Ayşe Yılmaz" in to_manager.text
    count = len(smtp.messages())
    out = io.StringIO()
    call_command("send_reminders", today=TODAY, stdout=out)
    assert "Sent 0 messages to 0 people" in out.getvalue()
    assert len(smtp.messages()) == count
