"""Fresh numbers after an import (kpis.refresh): the periods an import touches, the debounced runs
(a real Redis holds the debounce keys; the sent tasks are captured), a real worker doing the run
after the debounce, and an import that stands while Redis is down."""

import datetime
import io
import logging
import time

import pytest
import redis
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from activity.models import RevenueEvent, Ticket
from datain import import_runs, services
from datain.models import ImportRun
from kpis import refresh, tasks
from kpis.models import KpiRun
from kpis.periods import Period
from tests.celery_worker import redis_available, running_workers

D = datetime.date
TICKETS_HEADER = (
    "external_id,account_external_id,opened_at,first_response_at,resolved_at,customer_contacts,"
    "escalated_at,priority,channel\n"
)
JULY_AND_AUGUST = (
    TICKETS_HEADER
    + "T1,A-1,2026-07-03T10:00:00Z,,,,,normal,email\n"
    + "T2,A-2,2026-08-14T10:00:00Z,,,,,low,chat\n"
)
AUGUST_ONLY = TICKETS_HEADER + "T3,B-1,2026-08-20T09:00:00Z,,,,,high,email\n"
T0 = 1_786_000_000.0  # 2026-08-06 (epoch seconds): the clock of the debounce in these tests


def ticket_load(text):
    return services.import_csv(kind="tickets", binary=io.BytesIO(text.encode()))


def periods(*texts):
    return [Period.parse(t) for t in texts]


@pytest.fixture
def clean_redis():
    """The test Redis, with no debounce key left by another test."""
    redis_available()
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    for key in client.scan_iter("kpis:*"):
        client.delete(key)
    yield client
    for key in client.scan_iter("kpis:*"):
        client.delete(key)


@pytest.fixture
def sent(monkeypatch):
    """compute_period.apply_async captured: (args, kwargs, countdown) of every task sent."""
    calls = []

    def apply_async(args=None, kwargs=None, countdown=None, **options):
        calls.append((tuple(args), kwargs, countdown))

    monkeypatch.setattr(tasks.compute_period, "apply_async", apply_async)
    return calls


@pytest.fixture
def clock(monkeypatch):
    """The debounce's clock (epoch seconds) and "today" (2026-08-20), set by the test."""
    now = [T0]
    monkeypatch.setattr(refresh, "_now", lambda: now[0])
    monkeypatch.setattr(refresh, "_today", lambda: D(2026, 8, 20))
    return now


# --- which periods an import touches ---------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "today", "expected"),
    [
        # Rows in July and August, loaded on 20 August: the two months and their quarter.
        (D(2026, 7, 3), D(2026, 8, 14), D(2026, 8, 20), ["2026-07", "2026-08", "2026-Q3"]),
        # The same rows loaded in November: September and Q4 too (their *_change metrics and
        # ticket reduction compare with August and Q3).
        (
            D(2026, 7, 3),
            D(2026, 8, 14),
            D(2026, 11, 30),
            ["2026-07", "2026-08", "2026-09", "2026-Q3", "2026-Q4"],
        ),
        # A revenue event of 10 March, loaded on 20 August, holds to today: March to August, Q1 to Q3.
        (
            D(2026, 3, 10),
            D(2026, 8, 20),
            D(2026, 8, 20),
            [
                "2026-03",
                "2026-04",
                "2026-05",
                "2026-06",
                "2026-07",
                "2026-08",
                "2026-Q1",
                "2026-Q2",
                "2026-Q3",
            ],
        ),
        # Today's rows (people): the current month and quarter only.
        (D(2026, 8, 20), D(2026, 8, 20), D(2026, 8, 20), ["2026-08", "2026-Q3"]),
        # The last day of a quarter: the next month and quarter are future, left out.
        (D(2026, 9, 30), D(2026, 9, 30), D(2026, 9, 30), ["2026-09", "2026-Q3"]),
        # Rows dated after today: nothing yet.
        (D(2026, 9, 1), D(2026, 9, 2), D(2026, 8, 20), []),
    ],
)
def test_touched_periods(first, last, today, expected):
    found, cut = refresh.touched_periods(first, last, today)
    assert [str(p) for p in found] == expected
    assert cut is None


def test_touched_periods_keep_the_latest_twelve_months():
    # Assignments from 15 January 2024, loaded on 20 August 2026: 32 months, the latest 12 kept
    # (September 2025 to August 2026) and the quarters over them (2025-Q3 to 2026-Q3).
    found, cut = refresh.touched_periods(D(2024, 1, 15), D(2026, 8, 20), D(2026, 8, 20))
    assert [str(p) for p in found] == [
        *[f"2025-{m:02d}" for m in range(9, 13)],
        *[f"2026-{m:02d}" for m in range(1, 9)],
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
    ]
    assert str(cut) == "2025-09"


def test_touched_periods_follow_the_fiscal_year(settings):
    settings.FISCAL_YEAR_START_MONTH = 4  # 2026-Q2 is July to September 2026
    found, _ = refresh.touched_periods(D(2026, 7, 3), D(2026, 8, 14), D(2026, 8, 20))
    assert [str(p) for p in found] == ["2026-07", "2026-08", "2026-Q2"]
    assert refresh.label(found[2]) == "Q2 FY2026 (July to September 2026)"


@pytest.mark.django_db
def test_the_days_an_import_touches_are_read_in_the_organisation_time_zone(org, settings, monkeypatch):
    settings.TIME_ZONE = "America/New_York"  # 2026-09-01T02:00Z is 31 August, 22:00 there
    monkeypatch.setattr("datain.kinds.base.timezone.localdate", lambda: D(2026, 9, 20))
    result = ticket_load(TICKETS_HEADER + "T1,A-1,2026-09-01T02:00:00Z,,,,,normal,email\n")
    assert (result.first_day, result.last_day) == (D(2026, 8, 31), D(2026, 8, 31))
    # Revenue holds from its date on: up to the load date.
    rows = "external_id,account_external_id,date,kind,mrr_delta\nR1,A-1,2026-03-10,new,100.00\n"
    result = services.import_csv(kind="revenue", binary=io.BytesIO(rows.encode()))
    assert (result.first_day, result.last_day) == (D(2026, 3, 10), D(2026, 9, 20))
    # Loading the same rows again changes nothing: no day touched.
    result = services.import_csv(kind="revenue", binary=io.BytesIO(rows.encode()))
    assert (result.created, result.updated, result.first_day, result.last_day) == (0, 0, None, None)
    # A dry run touches nothing either.
    result = services.import_csv(
        kind="tickets",
        binary=io.BytesIO((TICKETS_HEADER + "T9,A-1,2026-07-01T12:00:00Z,,,,,low,\n").encode()),
        dry_run=True,
    )
    assert result.first_day is None


# --- the debounce ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_import_touching_july_and_august_schedules_one_run_of_each_period(
    org, clean_redis, sent, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = ticket_load(JULY_AND_AUGUST)
    assert result.ok and result.created == 2
    assert sent == [
        (("2026-07", None, "import"), {"debounced": True}, 60),
        (("2026-08", None, "import"), {"debounced": True}, 60),
        (("2026-Q3", None, "import"), {"debounced": True}, 60),
    ]
    # Each period's key holds the deadline (T0 + 60 s) and outlives it by 15 minutes.
    for period in ("2026-07", "2026-08", "2026-Q3"):
        assert float(clean_redis.get(f"kpis:refresh:{period}")) == T0 + 60
        assert 0 < clean_redis.ttl(f"kpis:refresh:{period}") <= 960
    (follow_up,) = result.follow_ups
    due = datetime.datetime.fromtimestamp(T0 + 60, tz=datetime.UTC)
    assert follow_up.periods == ("2026-07", "2026-08", "2026-Q3")
    assert follow_up.due_at == due
    assert follow_up.notice == (
        "The KPIs of July 2026, August 2026 and Q3 2026 will be recomputed in about a minute "
        f"(around {due:%H:%M})."
    )


@pytest.mark.django_db
def test_two_imports_within_the_debounce_give_one_run_per_period(
    org, clean_redis, sent, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_load(JULY_AND_AUGUST)
    clock[0] = T0 + 40  # 40 s later, another import touching August (and so Q3)
    with django_capture_on_commit_callbacks(execute=True):
        second = ticket_load(AUGUST_ONLY)
    assert second.created == 1
    # No new task: the runs already on their way wait for the new deadline (T0 + 100 s).
    assert [args[0] for args, _, _ in sent] == ["2026-07", "2026-08", "2026-Q3"]
    assert float(clean_redis.get("kpis:refresh:2026-07")) == T0 + 60
    assert float(clean_redis.get("kpis:refresh:2026-08")) == T0 + 100
    assert float(clean_redis.get("kpis:refresh:2026-Q3")) == T0 + 100
    sent.clear()

    # T0 + 60: the three tasks fire. July computes; August and Q3 wait 40 s more (one task each).
    clock[0] = T0 + 60
    assert tasks.compute_period("2026-07", None, "import", debounced=True).endswith("published")
    assert (
        tasks.compute_period("2026-08", None, "import", debounced=True)
        == "2026-08: waits 40 s more (a later import)"
    )
    assert (
        tasks.compute_period("2026-Q3", None, "import", debounced=True)
        == "2026-Q3: waits 40 s more (a later import)"
    )
    assert sent == [
        (("2026-08", None, "import", False), {"debounced": True}, 40.0),
        (("2026-Q3", None, "import", False), {"debounced": True}, 40.0),
    ]
    # T0 + 100: they fire again and compute. One run of each period in all, after the last import.
    clock[0] = T0 + 100
    assert tasks.compute_period("2026-08", None, "import", debounced=True).endswith("published")
    assert tasks.compute_period("2026-Q3", None, "import", debounced=True).endswith("published")
    runs = sorted(KpiRun.objects.values_list("period", "trigger", "status"))
    assert runs == [
        ("2026-07", "import", "published"),
        ("2026-08", "import", "published"),
        ("2026-Q3", "import", "published"),
    ]
    assert not list(clean_redis.scan_iter("kpis:refresh:*"))

    # An import after the runs started finds no key: it schedules the next run of its periods.
    sent.clear()
    clock[0] = T0 + 130
    with django_capture_on_commit_callbacks(execute=True):
        ticket_load(TICKETS_HEADER + "T4,A-1,2026-08-21T09:00:00Z,,,,,low,email\n")
    assert [args[0] for args, _, _ in sent] == ["2026-08", "2026-Q3"]


@pytest.mark.django_db
def test_a_debounced_run_whose_key_is_gone_computes_anyway(org, clean_redis, clock):
    # The key expired (a run long delayed) or Redis was flushed: computing is the safe answer.
    assert refresh.claim(Period.parse("2026-07")) == 0
    assert tasks.compute_period("2026-07", None, "import", debounced=True).endswith("published")


@pytest.mark.django_db
def test_a_claimed_run_that_finds_the_period_locked_retries_without_the_debounce(
    org, clean_redis, clock, monkeypatch, settings
):
    KpiRun.objects.create(period="2026-07", as_of=D(2026, 8, 20), heartbeat_at=timezone.now())  # the lock
    clean_redis.set("kpis:refresh:2026-07", f"{T0 - 1:.3f}")  # the deadline has passed
    retries = []

    def retry(**options):
        retries.append(options)
        return RuntimeError("retried")

    monkeypatch.setattr(tasks.compute_period, "retry", retry)
    with pytest.raises(RuntimeError, match="retried"):
        tasks.compute_period("2026-07", None, "import", debounced=True)
    (options,) = retries
    assert (options["kwargs"], options["countdown"]) == (
        {"debounced": False},
        settings.KPI_LOCK_RETRY_SECONDS,
    )
    assert clean_redis.get("kpis:refresh:2026-07") is None  # claimed: an import now schedules anew


@pytest.mark.django_db
def test_an_import_that_changes_nothing_schedules_nothing(
    org, clean_redis, sent, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_load(JULY_AND_AUGUST)
    sent.clear()
    clean_redis.delete(*clean_redis.keys("kpis:refresh:*"))
    with django_capture_on_commit_callbacks(execute=True):
        again = ticket_load(JULY_AND_AUGUST)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert sent == []
    assert [f.notice for f in again.follow_ups] == ["Nothing changed: the KPIs stay as they are."]


@pytest.mark.django_db
def test_redis_down_the_import_stands_and_says_so(
    org, settings, sent, clock, caplog, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    caplog.set_level(logging.WARNING, logger="kpis.refresh")
    with django_capture_on_commit_callbacks(execute=True):
        result = ticket_load(JULY_AND_AUGUST)
    assert result.ok and Ticket.objects.count() == 2
    assert sent == []
    assert any(
        "runs of 2026-07, 2026-08, 2026-Q3 not scheduled" in r.getMessage() and r.levelno == logging.WARNING
        for r in caplog.records
    )
    (follow_up,) = result.follow_ups
    assert follow_up.periods == ()
    assert follow_up.notice.startswith(
        "The KPIs of July 2026, August 2026 and Q3 2026 could not be scheduled for a recompute now"
    )


@pytest.mark.django_db
def test_a_broker_refusing_the_task_leaves_no_key_behind(
    org, clean_redis, clock, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.compute_period, "apply_async", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        result = ticket_load(JULY_AND_AUGUST)
    assert result.ok and Ticket.objects.count() == 2
    assert "could not be scheduled" in result.follow_ups[0].notice
    # The first period's key was taken back: the next import schedules again.
    assert clean_redis.get("kpis:refresh:2026-07") is None


# --- the three paths say it ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_command_says_when_the_numbers_refresh(org, clean_redis, sent, clock, tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(JULY_AND_AUGUST)
    out = io.StringIO()
    call_command("import_data", "tickets", str(path), stdout=out, verbosity=0)
    due = datetime.datetime.fromtimestamp(T0 + 60, tz=datetime.UTC)
    assert out.getvalue().splitlines() == [
        "tickets: 2 rows read, 2 created, 0 updated, 0 unchanged, 0 errors",
        f"The KPIs of July 2026, August 2026 and Q3 2026 will be recomputed in about a minute (around {due:%H:%M}).",
    ]
    assert len(sent) == 3
    assert ImportRun.objects.get().message_words.startswith("The KPIs of July 2026, August 2026 and Q3 2026")


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_the_periods_scheduled(org, clean_redis, sent, clock):
    call_command("create_api_token", email="crm-sync@example.com", name="CRM sync", stdout=io.StringIO())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get().key}")
    rows = [
        {
            "external_id": "R1",
            "account_external_id": "A-1",
            "date": "2026-07-15",
            "kind": "new",
            "mrr_delta": "50.00",
        },
    ]
    response = client.post("/api/v1/ingest/revenue/", rows, format="json")
    assert response.status_code == 200, response.json()
    assert RevenueEvent.objects.count() == 1
    (follow_up,) = response.json()["follow_ups"]
    # Revenue holds from 15 July on: July and August (today is 20 August in these tests), Q3.
    assert follow_up["periods"] == ["2026-07", "2026-08", "2026-Q3"]
    assert follow_up["code"] == "kpis.refresh_scheduled"
    assert follow_up["due_at"] == datetime.datetime.fromtimestamp(T0 + 60, tz=datetime.UTC).isoformat()
    assert [args[0] for args, _, _ in sent] == ["2026-07", "2026-08", "2026-Q3"]


@pytest.mark.django_db
def test_the_upload_page_says_when_the_numbers_refresh(
    client, org, clean_redis, sent, clock, monkeypatch, django_capture_on_commit_callbacks
):
    def enqueue(task_name, run):  # the check and the write run here instead of in a worker
        import_runs.import_run_execute(run_id=run.pk, dry_run=task_name.endswith("validate"))

    monkeypatch.setattr(import_runs, "_enqueue", enqueue)
    client.force_login(org.admin)
    upload = io.BytesIO(JULY_AND_AUGUST.encode())
    upload.name = "tickets.csv"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import-list"), {"kind": "tickets", "file": upload})
    run = ImportRun.objects.get()
    assert sent == [] and run.message_words == ""  # the check (a dry run) schedules nothing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import-confirm", args=[run.pk]))
    run.refresh_from_db()
    due = datetime.datetime.fromtimestamp(T0 + 60, tz=datetime.UTC)
    notice = (
        "The KPIs of July 2026, August 2026 and Q3 2026 will be recomputed in about a minute "
        f"(around {due:%H:%M})."
    )
    assert (run.status, run.message_words) == ("done", notice)
    assert len(sent) == 3
    page = client.get(reverse("import-detail", args=[run.pk])).content.decode()
    assert f'<p class="box" id="kpi-refresh">{notice} <a href="/admin/kpis/kpirun/">KPI runs</a></p>' in page


# --- a real worker ---------------------------------------------------------------------------


@pytest.mark.celery_integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_each_period_once_after_the_last_import(org, monkeypatch, settings):
    """Debounce 2 s: two imports 1 s apart; the worker computes 2026-07, 2026-08 and 2026-Q3 once
    each, every run starting at least 2 s after the second import committed."""
    settings.KPI_IMPORT_DEBOUNCE_SECONDS = 2
    monkeypatch.setattr(refresh, "_today", lambda: D(2026, 8, 20))
    with running_workers(1, extra_env={"KPI_IMPORT_DEBOUNCE_SECONDS": "2"}):
        ticket_load(JULY_AND_AUGUST)
        time.sleep(1)
        ticket_load(AUGUST_ONLY)
        second_commit = time.time()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and KpiRun.objects.filter(status="published").count() < 3:
            time.sleep(0.2)
        time.sleep(1)  # nothing more comes
        runs = list(
            KpiRun.objects.order_by("period").values_list("period", "trigger", "status", "started_at")
        )
    assert [r[:3] for r in runs] == [
        ("2026-07", "import", "published"),
        ("2026-08", "import", "published"),
        ("2026-Q3", "import", "published"),
    ], runs
    # July was due 2 s after the first import; August and Q3 2 s after the second.
    assert runs[1][3].timestamp() >= second_commit + 2 - 0.5
    assert runs[2][3].timestamp() >= second_commit + 2 - 0.5
