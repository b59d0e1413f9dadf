"""A period in progress: its totals (counts and sums, ``Metric.accumulates``) are not compared with
the whole previous period until it ends; its rates and medians are. Values set by hand."""

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from kpis import scorecards
from kpis.models import KpiRun, KpiValue, RunStatus, SubjectType
from kpis.periods import QUARTER, Period
from kpis.registry import REGISTRY
from web import selectors


def _store(run, period, *, csm=None, team=None, **values):
    for metric, value in values.items():
        subject = ("csm", csm) if csm else ("team", team)
        KpiValue.objects.create(
            run=run,
            period=str(period),
            metric=metric,
            value=Decimal(value),
            sample_size=30,
            subject_type=SubjectType.CSM if csm else SubjectType.TEAM,
            subject_key=f"{subject[0]}:{subject[1].pk}",
            csm=csm,
            team=team,
            segment=csm.segment if csm else "",
            computed_at=timezone.now(),
        )


def test_totals_of_the_current_quarter_wait_for_its_end_rates_do_not(org, client):
    now = Period.containing(timezone.localdate(), QUARTER)  # in progress today, whatever today is
    before = now.previous()
    csm, team = org.csm_a, org.csm_a.team
    for period in (before, now):
        run = KpiRun.objects.create(
            period=str(period), as_of=min(period.end, timezone.localdate()), status=RunStatus.PUBLISHED
        )
        if period == before:
            _store(run, period, csm=csm, referrals="19", nrr="99.00")
            _store(run, period, team=team, referrals="40", nrr="98.00")
        else:
            _store(run, period, csm=csm, referrals="3", nrr="101.00")
            _store(run, period, team=team, referrals="7", nrr="100.50")
    card = scorecards.scorecard(csm=csm, period=now)
    # NRR (a rate): 101.00 - 99.00 = +2.00, compared already. Referrals (a count): 3 so far against
    # 19 in the whole previous quarter is no drop of 16: not compared yet.
    assert (card.rows["nrr"].change, card.rows["nrr"].partial) == (Decimal("2.00"), False)
    assert (card.rows["referrals"].change, card.rows["referrals"].change_class) == (None, "")
    assert card.rows["referrals"].partial and card.in_progress
    glance = {r.metric.key: r for r in selectors.team_glance(team=team, period=now).rows}
    assert (glance["nrr"].change, glance["referrals"].change) == (Decimal("2.50"), None)
    assert glance["referrals"].partial
    # A period that has ended compares everything.
    assert scorecards.comparable_change(REGISTRY["referrals"], Decimal(3), Decimal(19), partial=False) == -16
    assert not scorecards.in_progress(before) and scorecards.in_progress(now)
    client.force_login(csm)
    page = client.get(reverse("my-scorecard") + f"?period={now}").content.decode()
    referrals = page.split('id="metric-referrals"')[1].split("</tr>")[0]
    assert "at the end" in referrals and "-16" not in referrals
    assert "is in progress: its numbers are to date" in page
