"""Every metric of the definitions (docs/metrics.md) on the hand-made organisation of world.py, worked out by hand."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpis import services
from kpis.engine import blocks, formulas, parts
from kpis.engine.components import C
from kpis.models import KpiValue
from kpis.periods import Period
from kpis.registry import ALL_KEYS
from tests import factories
from tests.kpis import world

Q3 = Period.parse("2026-Q3")


@pytest.fixture
def org_world(db, settings):
    settings.TIME_ZONE = "America/New_York"
    return world.build()


def values(subject_key, period=Q3):
    return {v.metric: v for v in KpiValue.objects.filter(subject_key=subject_key, period=str(period))}


def val(subject_key, metric, period=Q3):
    return KpiValue.objects.get(subject_key=subject_key, metric=metric, period=str(period)).value


@pytest.fixture
def q3(org_world):
    services.kpi_run_compute(period=Q3, as_of=datetime.date(2026, 11, 1))
    w = org_world
    return {name: f"csm:{w[name].pk}" for name in ("ann", "bob", "cat", "dan")} | {
        "team_a": f"team:{w['team_a'].pk}",
        "team_b": f"team:{w['team_b'].pk}",
    }


def test_revenue_kpis_by_hand(q3):
    ann, bob, cat, dan = (values(q3[k]) for k in ("ann", "bob", "cat", "dan"))
    # ann's cohort: X1 1000 -> 1200, X2 500 -> 300 (churn then reactivation). X4 joined mid-period: not hers.
    assert ann["starting_mrr"].value == Decimal("1500.00")
    assert ann["portfolio_growth"].value == Decimal("0.00")
    assert ann["nrr"].value == Decimal("100.00")
    assert ann["gross_retention"].value == Decimal("86.67")  # (1000 + 300) / 1500
    assert ann["logo_retention"].value == Decimal("100.00")
    assert ann["nrr"].numerator == Decimal("1500") and ann["nrr"].denominator == Decimal("1500")
    assert ann["nrr"].sample_size == 2
    # bob's cohort: X3 (his from exactly 07-01) 400, X4 600 -> 500 (contraction on 09-30), X5 800 (churn on 10-01 is after).
    assert bob["starting_mrr"].value == Decimal("1800.00")
    assert bob["nrr"].value == Decimal("94.44")  # 1700 / 1800
    assert bob["portfolio_growth"].value == Decimal("-100.00")
    assert bob["portfolio_growth_rate"].value == Decimal("-5.56")
    assert bob["gross_retention"].value == Decimal("94.44")
    assert cat["nrr"].value == Decimal("75.00")
    assert cat["portfolio_growth"].breakdown == {"downgrade": "-500.00"}
    # dan has no book: ratios are "no data", sums are 0.
    assert dan["nrr"].value is None
    assert dan["portfolio_growth"].value is None
    assert dan["logo_retention"].value is None
    assert dan["starting_mrr"].value == Decimal("0.00")
    assert dan["book_size"].value == Decimal("0.00")
    # Books at the end: ann X1 1200, X2 300, X4 500, X6 700; bob X3 400, X5 800.
    assert ann["book_size"].value == Decimal("4.00")
    assert ann["arr_managed"].value == Decimal("32400.00")
    assert bob["book_size"].value == Decimal("2.00")
    assert bob["arr_managed"].value == Decimal("14400.00")


def test_team_rollup_is_the_ratio_of_sums(q3):
    # (1500 + 1700) / (1500 + 1800) = 96.97, not the mean of 100.00 and 94.44 (97.22).
    assert val(q3["team_a"], "nrr") == Decimal("96.97")
    assert val(q3["team_b"], "nrr") == Decimal("75.00")
    assert val(q3["team_a"], "tickets_per_account") == Decimal("0.83")  # 5 / 6
    assert val(q3["team_a"], "ticket_reduction") == Decimal("-38.89")  # (3/5 - 5/6) / (3/5)
    assert val(q3["team_a"], "first_response_hours") == Decimal("3.00")  # pooled 1,2,3,4,5
    assert val(q3["team_a"], "stickiness") == Decimal("40.20")  # 41 / 102
    assert val("segment:smb", "nrr") == Decimal("96.97")
    assert val("segment:enterprise", "nrr") == Decimal("75.00")
    assert val("segment:mid_market", "nrr") is None


def test_ticket_metrics_by_hand(q3):
    ann, bob, cat = (values(q3[k]) for k in ("ann", "bob", "cat"))
    # ann: T1 (2h, 1 contact), T2 (5h, 3 contacts, escalated), T4 (4h, resolved after the period).
    assert ann["first_response_hours"].value == Decimal("4.00")
    assert ann["escalation_rate"].value == Decimal("33.33")
    assert ann["first_contact_resolution"].value == Decimal("50.00")
    assert ann["contacts_to_resolve"].value == Decimal("2.00")
    assert ann["tickets_per_account"].value == Decimal("0.75")  # 3 / 4
    # Previous: 2 tickets (one opened 30 June local, on X3 which was hers that day) / 3 accounts.
    assert ann["ticket_reduction"].value == Decimal("-12.50")
    # bob: T3 (1h) and T6 (3h, opened 30 Sep 23:00 local although 1 Oct in UTC): even-count median.
    assert bob["first_response_hours"].value == Decimal("2.00")
    assert bob["escalation_rate"].value == Decimal("0.00")
    assert bob["first_contact_resolution"].value == Decimal("0.00")
    assert bob["ticket_reduction"].value == Decimal("-100.00")  # (1/2 - 2/2) / (1/2)
    # cat: no tickets this quarter, one last quarter.
    assert cat["first_response_hours"].value is None
    assert cat["escalation_rate"].value is None
    assert cat["tickets_per_account"].value == Decimal("0.00")
    assert cat["ticket_reduction"].value == Decimal("100.00")


def test_survey_metrics_by_hand(q3):
    ann, bob, cat = (values(q3[k]) for k in ("ann", "bob", "cat"))
    assert ann["nps"].value == Decimal("25.00")  # 10, 9, 6, 7
    assert ann["nps"].sample_size == 4
    assert ann["nps_change"].value == Decimal("25.00")  # previous: 10 and 0 (30 June local) = 0
    assert ann["csat"].value == Decimal("66.67")
    assert bob["nps"].value is None and bob["nps_change"].value is None
    assert bob["csat"].value == Decimal("0.00")
    assert cat["csat"].value is None


def test_usage_metrics_by_hand(q3):
    ann, bob, cat = (values(q3[k]) for k in ("ann", "bob", "cat"))
    # X1 07-06 10/40, X1 09-07 20/40, X4 08-10 6/12 (hers since 08-01); mau 0 skipped.
    assert ann["stickiness"].value == Decimal("39.13")
    assert ann["stickiness"].sample_size == 3
    assert ann["stickiness_change"].value == Decimal("19.13")  # - 8/40
    assert bob["stickiness"].value == Decimal("50.00")
    assert bob["stickiness_change"].value == Decimal("30.00")  # - 1/5
    # Adoption: X1 4/10 -> 7/10; X4's end reading has features_available 0; X2, X6 no readings.
    assert ann["adoption_change"].value == Decimal("30.00")
    assert ann["adoption_change"].sample_size == 1
    assert bob["adoption_change"].value is None
    assert cat["stickiness"].value is None


def test_health_metrics_by_hand(q3):
    ann, bob, cat = (values(q3[k]) for k in ("ann", "bob", "cat"))
    # X1 score 70 good, X2 score 40 average, X4 39 poor, X6's reading is too old.
    assert ann["health_good_share"].value == Decimal("33.33")
    assert ann["health_average_share"].value == Decimal("33.33")
    assert ann["health_poor_share"].value == Decimal("33.33")
    assert ann["health_good_share"].sample_size == 3
    assert ann["health_mix_change"].value == Decimal("-66.67")  # previous: X1 80, X2 band good -> 100
    assert bob["health_poor_share"].value == Decimal("100.00")  # X5: band poor wins over score 90
    assert bob["health_mix_change"].value is None
    assert cat["health_good_share"].value is None


def test_advocacy_onboarding_touchpoints_by_hand(q3):
    ann, bob, cat = (values(q3[k]) for k in ("ann", "bob", "cat"))
    assert ann["referrals"].value == Decimal("2.00")
    assert ann["referrals"].breakdown == {"case_study": 1, "referral": 1}
    assert bob["referrals"].value == Decimal("1.00")
    assert cat["referrals"].value == Decimal("0.00")  # a count: 0, not "no data"
    assert ann["onboarding_days"].value == Decimal("25.00")  # 10, 20, 30, 40
    assert ann["onboardings"].value == Decimal("4.00")
    assert bob["onboarding_days"].value == Decimal("152.00")
    assert cat["onboarding_days"].value is None
    assert cat["onboardings"].value == Decimal("0.00")
    assert ann["touchpoints"].value == Decimal("3.00")
    assert ann["touchpoints"].breakdown == {"call": 2, "qbr": 1}


def test_every_key_for_every_csm_and_subject(q3):
    for key in ("ann", "bob", "cat", "dan", "team_a", "team_b"):
        assert set(values(q3[key])) == set(ALL_KEYS)


def test_period_to_date(org_world):
    services.kpi_run_compute(period=Q3, as_of=datetime.date(2026, 8, 15))
    ann = values(f"csm:{org_world['ann'].pk}")
    # As of 08-15: X1 1200 (expansion on 08-15 counts), X2 0 (reactivation on 09-01 not yet).
    assert ann["nrr"].value == Decimal("80.00")
    assert ann["logo_retention"].value == Decimal("50.00")
    # Tickets to date: T1, T2 (08-10), T4 (08-05).
    assert ann["tickets_per_account"].sample_size == 3


def test_the_same_run_twice_gives_identical_rows(org_world):
    services.kpi_run_compute(period=Q3, as_of=datetime.date(2026, 11, 1))
    fields = ("subject_key", "metric", "value", "numerator", "denominator", "sample_size", "breakdown")
    first = sorted(KpiValue.objects.values_list(*fields))
    services.kpi_run_compute(period=Q3, as_of=datetime.date(2026, 11, 1))
    assert sorted(KpiValue.objects.values_list(*fields)) == first
    assert KpiValue.objects.count() == len(first)


def grow(n_csms: int, n_accounts_each: int):
    team = factories.TeamFactory()
    for _ in range(n_csms):
        csm = factories.CsmFactory(team=team)
        for _ in range(n_accounts_each):
            a = factories.CustomerAccountFactory()
            factories.AssignmentFactory(account=a, csm=csm, start_date=datetime.date(2025, 1, 1))
            factories.RevenueEventFactory(account=a, date=datetime.date(2025, 1, 1))
            factories.TicketFactory(account=a, opened_at=world.at("2026-07-10T10:00"))
            factories.UsageSnapshotFactory(account=a, date=datetime.date(2026, 7, 10))
            factories.HealthSnapshotFactory(account=a, date=datetime.date(2026, 9, 10))
            factories.SurveyResponseFactory(account=a, responded_at=world.at("2026-07-10T10:00"))


def queries_of_compute() -> int:
    inputs = parts.Inputs(period=Q3)
    with CaptureQueriesContext(connection) as ctx:
        for part in parts.PARTS.values():
            part(inputs)
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_csms_accounts_or_events(org_world, django_assert_max_num_queries):
    grow(2, 2)
    small = queries_of_compute()
    grow(20, 5)
    assert queries_of_compute() == small
    # The whole run stays within a budget; only the batched upsert of the values grows (by one query
    # per batch of rows), never a query per CSM or account. The expected results take 10 of them (a
    # temporary table, one statement for the rows of every quarter, the fits kept and read again).
    with django_assert_max_num_queries(70):
        services.kpi_run_compute(period=Q3)


def test_median_and_rounding_rules():
    assert formulas.median([Decimal(3), Decimal(1), Decimal(2), Decimal(10)]) == Decimal("2.5")
    assert formulas.median([]) is None
    assert formulas.round2(Decimal("2.345")) == Decimal("2.35")
    assert formulas.round2(Decimal("-2.345")) == Decimal("-2.35")
    assert formulas.round2(Decimal("2.3449")) == Decimal("2.34")


def test_books_part_leaves_no_balances_table_behind_even_when_it_fails(org_world, monkeypatch):
    inputs = parts.Inputs(period=Q3, as_of=datetime.date(2026, 11, 1))
    expected = parts.part_books(inputs)
    # ann's book on the last day, from the balances table: A-1..A-4 (world.py).
    assert expected[org_world["ann"].pk][C.BOOK] == 4

    def broken(out, rows):
        raise RuntimeError("health readings failed")

    monkeypatch.setattr(parts, "accumulate_health", broken)
    with pytest.raises(RuntimeError, match="health readings failed"):
        parts.part_books(inputs)
    monkeypatch.undo()
    # The table was dropped on the way out: creating it again on the same connection works.
    assert parts.part_books(inputs) == expected
    with connection.cursor() as cursor, pytest.raises(Exception, match=blocks.BALANCES):
        cursor.execute(f"SELECT 1 FROM {blocks.BALANCES}")


def test_events_find_their_owner_in_one_join(org_world):
    # Guards the plan shape the benchmark chose (docs/architecture.md, "The nightly job"): the
    # tickets are joined to the assignment spans once, no subquery per ticket.
    with CaptureQueriesContext(connection) as ctx:
        parts.part_tickets(parts.Inputs(period=Q3))
    sql = ctx.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "accounts_assignment" in plan and "SubPlan" not in plan, plan
