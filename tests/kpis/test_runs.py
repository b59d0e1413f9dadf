"""Runs: the lock, publication only when complete, failures recorded, the nightly schedule."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone

from config.celery import app
from kpis import services
from kpis.engine import parts
from kpis.models import KpiRun, KpiValue
from kpis.periods import Period
from tests.kpis import world

Q3 = Period.parse("2026-Q3")
AS_OF = datetime.date(2026, 11, 1)


@pytest.fixture
def w(db, settings):
    settings.TIME_ZONE = "America/New_York"
    return world.build()


def test_a_second_run_of_the_same_period_is_refused_while_one_runs(w):
    first = services.kpi_run_start(period=Q3, as_of=AS_OF)
    with pytest.raises(services.RunInProgress, match="Another run of 2026-Q3 is in progress"):
        services.kpi_run_start(period=Q3, as_of=AS_OF)
    with pytest.raises(CommandError, match="Another run of 2026-Q3 is in progress"):
        call_command("compute_kpis", period="2026-Q3", verbosity=0)
    # Another period is not blocked.
    other = services.kpi_run_start(period=Q3.previous(), as_of=AS_OF)
    assert KpiRun.objects.filter(status="running").count() == 2
    services.kpi_run_execute(run=first)
    services.kpi_run_execute(run=other)
    assert KpiRun.objects.filter(status="published").count() == 2


def test_an_expired_lock_is_taken_over_and_the_old_run_cannot_publish(w, settings):
    settings.KPI_RUN_LOCK_SECONDS = 60
    stale = services.kpi_run_start(period=Q3, as_of=AS_OF)
    KpiRun.objects.filter(pk=stale.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(minutes=5))
    fresh = services.kpi_run_compute(period=Q3, as_of=AS_OF)
    stale.refresh_from_db()
    assert stale.status == "failed" and stale.error == "abandoned"  # a code, said in the reader's words
    assert fresh.status == "published"
    with pytest.raises(services.RunAbandoned):
        services.kpi_run_execute(run=stale)
    assert set(KpiValue.objects.values_list("run_id", flat=True)) == {fresh.pk}


@pytest.mark.parametrize("error", [RuntimeError, OperationalError])
def test_a_failure_in_the_middle_keeps_the_previous_run_visible(w, monkeypatch, error):
    good = services.kpi_run_compute(period=Q3, as_of=AS_OF)
    before = sorted(KpiValue.objects.values_list("subject_key", "metric", "value", "run_id"))

    def broken(inputs):
        raise error("database went away in the books part")

    monkeypatch.setitem(parts.PARTS, "books", broken)
    with pytest.raises(error):
        services.kpi_run_compute(period=Q3, as_of=AS_OF)
    failed = KpiRun.objects.exclude(pk=good.pk).get()
    assert failed.status == "failed"
    assert failed.error == f"{error.__name__}: database went away in the books part"
    assert sorted(KpiValue.objects.values_list("subject_key", "metric", "value", "run_id")) == before
    # The lock is released: the next run goes through.
    monkeypatch.undo()
    assert services.kpi_run_compute(period=Q3, as_of=AS_OF).status == "published"


def test_compute_kpis_command_and_backfill(w):
    out = io.StringIO()
    call_command("compute_kpis", period="2026-Q3", as_of=AS_OF, stdout=out, verbosity=0)
    assert "2026-Q3: run" in out.getvalue() and "4 CSMs" in out.getvalue()
    out = io.StringIO()
    call_command("compute_kpis", backfill="2026-Q1..2026-Q3", as_of=AS_OF, stdout=out, verbosity=0)
    assert [line.split(":")[0] for line in out.getvalue().splitlines()] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert sorted(set(KpiValue.objects.values_list("period", flat=True))) == ["2026-Q1", "2026-Q2", "2026-Q3"]
    with pytest.raises(CommandError, match="is not a period"):
        call_command("compute_kpis", period="Q3", verbosity=0)


def test_beat_schedule_names_the_nightly_task():
    entry = app.conf.beat_schedule["kpis-nightly"]
    assert entry["task"] == "kpis.compute_nightly"
    assert entry["schedule"].hour == {2} and entry["schedule"].minute == {0}
    app.loader.import_default_modules()  # what a worker does at start: autodiscover the tasks
    assert "kpis.compute_nightly" in app.tasks


def test_nightly_periods():
    got = [(str(p), d) for p, d in services.nightly_periods(datetime.date(2026, 11, 22))]
    assert got == [
        ("2026-11", datetime.date(2026, 11, 22)),
        ("2026-Q4", datetime.date(2026, 11, 22)),
        ("2026-10", None),
        ("2026-Q3", None),
    ]


def test_fanned_out_parts_publish_the_same_values_as_one_process(w):
    single = services.kpi_run_compute(period=Q3, as_of=AS_OF)
    fields = ("subject_key", "metric", "value", "numerator", "denominator", "sample_size", "breakdown")
    expected = sorted(KpiValue.objects.values_list(*fields))
    run = services.kpi_run_start(period=Q3, as_of=AS_OF)
    for name in reversed(list(parts.PARTS)):
        services.kpi_part_store(run=run, name=name)
    services.kpi_run_publish_parts(run=run)
    assert sorted(KpiValue.objects.values_list(*fields)) == expected
    assert set(KpiValue.objects.values_list("run_id", flat=True)) == {run.pk} != {single.pk}


def test_publishing_with_a_missing_part_is_refused(w):
    run = services.kpi_run_start(period=Q3, as_of=AS_OF)
    services.kpi_part_store(run=run, name="books")
    with pytest.raises(RuntimeError, match="parts missing"):
        services.kpi_run_publish_parts(run=run)
    run.refresh_from_db()
    assert run.status == "failed" and KpiValue.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_parts_computed_side_by_side_in_threads_give_the_same_values(settings):
    # Committed data (transaction=True): each thread reads through its own connection.
    settings.TIME_ZONE = "America/New_York"
    w = world.build()
    fields = ("subject_key", "metric", "value", "numerator", "denominator", "sample_size", "breakdown")
    settings.KPI_PART_THREADS = 1
    single = services.kpi_run_compute(period=Q3, as_of=AS_OF)
    expected = sorted(KpiValue.objects.values_list(*fields))
    settings.KPI_PART_THREADS = 3
    seen = []
    threaded = services.kpi_run_compute(period=Q3, as_of=AS_OF, progress=seen.append)
    assert sorted(KpiValue.objects.values_list(*fields)) == expected
    assert sorted(seen) == sorted(parts.PARTS)
    assert threaded.query_count == single.query_count
    # The hand-worked figures of test_compute: bob's NRR 1700 / 1800, team A's ratio of sums.
    nrr = dict(KpiValue.objects.filter(metric="nrr").values_list("subject_key", "value"))
    assert nrr[f"csm:{w['bob'].pk}"] == Decimal("94.44")
    assert nrr[f"team:{w['team_a'].pk}"] == Decimal("96.97")
