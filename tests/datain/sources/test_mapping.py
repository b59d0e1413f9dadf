"""Mapping files: validation with clear errors, every transform, the shipped examples,
and the command, the upload page and the API reading a file through a mapping."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from activity.models import HealthSnapshot, RevenueEvent, Ticket, UsageSnapshot
from datain import import_runs, services
from datain.models import ImportRun, SourceAccount
from datain.sources.mapping import MappingError, parse_mapping, shipped_mapping_text, shipped_mappings

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def load(kind, mapping, data, dry_run=False):
    raw = data.encode() if isinstance(data, str) else json.dumps(data).encode()
    return services.import_csv(kind=kind, binary=io.BytesIO(raw), dry_run=dry_run, mapping=mapping)


def errors_of(result):
    return [(e.row, e.column, e.value, e.message) for e in result.errors]


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "kind: [",
            ["not valid YAML at line 1, column 8: expected the node content, but found '<stream end>'"],
        ),
        ("- a\n- b\n", ["a mapping file is a YAML mapping with kind, fields and optionally source"]),
        (
            "kind: widgets\nfields: {a: b}\n",
            [
                "kind: 'widgets' is not a kind (one of people, accounts, assignments, revenue, tickets, surveys, usage, health, advocacy, touchpoints, source_accounts, source_owners, account_team)"
            ],
        ),
        (
            "kind: health\nsource: vitally\nfeilds: {}\n",
            [
                "feilds: unknown key (expected: description, fields, format, kind, records, source)",
                "fields: must map each column of the kind to where its value comes from",
            ],
        ),
        (
            "kind: health\nformat: xml\nfields:\n  account_external_id: id\n  date: {column: d, constant: 2026-01-01}\n  scor: s\n",
            [
                "format: 'xml' must be csv or json",
                "fields.date: give exactly one of column, constant or today",
                "fields.scor: not a column of health (its columns: account_external_id, date, score, band)",
                "fields: score is required by health and is not mapped",
            ],
        ),
        (
            "kind: tickets\nfields:\n  external_id: id\n  account_external_id: {column: org, crosswalk: account}\n"
            "  opened_at: {column: t, transform: unix}\n  priority: {column: p, map: [a, b]}\n"
            "  first_response_at: {column: t, transform: date_format}\n  channel: {column: c, format: '%Y'}\n",
            [
                "fields.account_external_id: crosswalk needs the mapping's source (e.g. source: pendo)",
                "fields.opened_at.transform: 'unix' is not one of unix_seconds, unix_milliseconds, cents, date_format, datetime_format, round, lower",
                "fields.priority.map: must map each source value to one value, e.g. {Green: good}",
                "fields.first_response_at.format: date_format needs a format such as '%m/%d/%Y'",
                "fields.channel.format: only for transform date_format or datetime_format",
            ],
        ),
    ],
)
def test_mapping_validation_names_every_problem(text, problems):
    with pytest.raises(MappingError) as caught:
        parse_mapping(text)
    assert [str(p) for p in caught.value.problems] == problems


def test_mapping_for_another_kind_is_refused():
    with pytest.raises(MappingError, match="kind: the mapping is for health, not usage"):
        parse_mapping(shipped_mapping_text("vitally-health"), "usage")


def test_the_shipped_mappings_are_valid():
    assert set(shipped_mappings()) == {"pendo-usage", "vitally-health", "gainsight-health"}
    for name in shipped_mappings():
        assert parse_mapping(shipped_mapping_text(name)).fields


# --- transforms ------------------------------------------------------------------------------

TICKETS_MAPPING = """
kind: tickets
source: helpdesk
fields:
  external_id: Ticket ID
  account_external_id: {column: Org, crosswalk: account}
  opened_at: {column: Created (unix), transform: unix_seconds}
  first_response_at: {column: Created (unix), transform: unix_seconds, plus_minutes: Reply minutes}
  resolved_at: {column: Solved, transform: datetime_format, format: "%d/%m/%Y %H:%M"}
  customer_contacts: Contacts
  priority: {column: Prio, map: {P1: urgent, P2: high, P3: normal, P4: low}, default: P3}
  channel: {constant: email}
"""
TICKETS_CSV = (
    "Ticket ID,Org,Created (unix),Reply minutes,Solved,Contacts,Prio,Ignored column\n"
    "H-1,org-1,1782900000,90,02/07/2026 09:00,2,P1,x\n"
    "H-2,org-1,1782900000,,,,,y\n"
)


def test_a_csv_read_through_a_mapping_equals_our_own_format(org, settings):
    settings.TIME_ZONE = "Europe/Madrid"
    SourceAccount.objects.create(source="helpdesk", source_id="org-1", account=org.account_a)
    result = load("tickets", TICKETS_MAPPING, TICKETS_CSV)
    assert result.ok, errors_of(result)
    fields = (
        "external_id",
        "account__external_id",
        "opened_at",
        "first_response_at",
        "resolved_at",
        "customer_contacts",
        "escalated_at",
        "priority",
        "channel",
    )
    mapped = sorted(Ticket.objects.values_list(*fields))
    opened = datetime.datetime.fromtimestamp(1782900000, tz=UTC)  # 2026-07-01 10:00 UTC
    assert mapped[0][2:5] == (
        opened,
        opened + datetime.timedelta(minutes=90),
        datetime.datetime(2026, 7, 2, 7, tzinfo=UTC),
    )
    assert (mapped[0][7], mapped[1][7], mapped[1][3]) == ("urgent", "normal", None)
    Ticket.objects.all().delete()
    ours = services.import_csv(
        kind="tickets",
        binary=io.BytesIO(
            b"external_id,account_external_id,opened_at,first_response_at,resolved_at,customer_contacts,escalated_at,priority,channel\n"
            b"H-1,A-1,2026-07-01T10:00:00Z,2026-07-01T11:30:00Z,2026-07-02 09:00,2,,urgent,email\n"
            b"H-2,A-1,2026-07-01T12:00:00+02:00,,,,,normal,email\n"
        ),
    )
    assert ours.ok, errors_of(ours)
    assert sorted(Ticket.objects.values_list(*fields)) == mapped


def test_mapped_errors_name_the_file_row_and_the_source_column(org):
    text = TICKETS_CSV.replace(",P1,", ",P9,").replace("H-2,org-1,1782900000,,", "H-2,org-2,17829x,,")
    result = load("tickets", TICKETS_MAPPING, text)
    assert errors_of(result) == [
        (
            2,
            "Prio",
            "P9",
            "Helpdesk (mapped) row 2: Prio is not one of the values the mapping knows (P1, P2, P3, P4)",
        ),
        (3, "Created (unix)", "17829x", "Helpdesk (mapped) row 3: Created (unix) is not a unix time"),
    ]
    assert Ticket.objects.count() == 0


def test_a_column_the_mapping_reads_must_be_in_the_header(org):
    result = load("tickets", TICKETS_MAPPING, TICKETS_CSV.replace("Reply minutes", "Reply"))
    assert errors_of(result) == [
        (1, "Reply minutes", "", "is missing from the header (the mapping reads it)")
    ]


def test_cents_and_an_unknown_account(org):
    mapping = "kind: revenue\nsource: stripe\nfields:\n  external_id: id\n  account_external_id: {column: customer, crosswalk: account}\n  date: {column: created, transform: unix_seconds}\n  kind: {column: type, map: {new: new, up: expansion}}\n  mrr_delta: {column: amount, transform: cents}\n"
    data = "id,customer,created,type,amount\nev1,A-1,1782900000,new,129900\nev2,cus_x,1782900000,up,500\n"
    result = load("revenue", mapping, data)
    assert [(e.row, e.column, e.value, e.code) for e in result.errors] == [
        (3, "customer", "cus_x", "no_crosswalk_match")
    ]
    data = data.replace("cus_x", "A-1")
    result = load("revenue", mapping, data)
    assert result.ok, errors_of(result)
    assert sorted(RevenueEvent.objects.values_list("mrr_delta", "date")) == [
        (Decimal("5.00"), datetime.date(2026, 7, 1)),
        (Decimal("1299.00"), datetime.date(2026, 7, 1)),
    ]


# --- the shipped examples --------------------------------------------------------------------


def test_pendo_usage_example(org):
    day = int(datetime.datetime(2026, 7, 1, tzinfo=UTC).timestamp() * 1000)
    payload = {
        "startTime": day,
        "results": [
            {
                "accountId": "A-1",
                "day": day,
                "dailyActiveVisitors": 11.6,
                "monthlyActiveVisitors": 40,
                "featuresUsed": 7,
                "metadata": {"agent": {"licensedseats": 50, "featurecount": 25}},
            }
        ],
    }
    result = load("usage", shipped_mapping_text("pendo-usage"), payload)
    assert result.ok, errors_of(result)
    fields = (
        "account__external_id",
        "date",
        "licensed_seats",
        "dau",
        "mau",
        "features_used",
        "features_available",
    )
    mapped = list(UsageSnapshot.objects.values_list(*fields))
    assert mapped == [("A-1", datetime.date(2026, 7, 1), 50, 12, 40, 7, 25)]
    UsageSnapshot.objects.all().delete()
    ours = services.import_csv(
        kind="usage",
        binary=io.BytesIO(
            b"account_external_id,date,licensed_seats,dau,mau,features_used,features_available\nA-1,2026-07-01,50,12,40,7,25\n"
        ),
    )
    assert ours.ok and list(UsageSnapshot.objects.values_list(*fields)) == mapped


def test_vitally_health_example_dated_today(org):
    payload = {
        "results": [{"id": "v1", "externalId": "A-1", "name": "Alpha", "healthScore": 7.85}],
        "next": None,
    }
    result = load("health", shipped_mapping_text("vitally-health"), payload)
    assert result.ok, errors_of(result)
    assert list(HealthSnapshot.objects.values_list("date", "score", "band")) == [
        (timezone.localdate(), 79, "")
    ]


def test_gainsight_health_example(org):
    data = "Company External ID,Scorecard Date,Overall Score,Overall Score Label,Company Name\nA-1,07/01/2026,82,Green,Alpha\nB-1,07/01/2026,35,,Bravo\nA-2,31/01/2026,50,Yellow,Alder\n"
    result = load("health", shipped_mapping_text("gainsight-health"), data)
    assert errors_of(result) == [
        (
            4,
            "Scorecard Date",
            "31/01/2026",
            "Gainsight (mapped) row 4: Scorecard Date does not match the format %m/%d/%Y",
        )
    ]
    result = load(
        "health", shipped_mapping_text("gainsight-health"), data.replace("31/01/2026", "01/31/2026")
    )
    assert result.ok, errors_of(result)
    assert sorted(HealthSnapshot.objects.values_list("account__external_id", "score", "band")) == [
        ("A-1", 82, "good"),
        ("A-2", 50, "average"),
        ("B-1", 35, ""),
    ]


# --- command, page, API ----------------------------------------------------------------------


def test_command_with_a_mapping_file_or_a_shipped_name(org, tmp_path, capsys):
    data = tmp_path / "vitally.json"
    data.write_text(json.dumps({"results": [{"externalId": "A-1", "healthScore": 5}]}))
    call_command("import_data", "health", str(data), "--mapping", "vitally-health", verbosity=0)
    assert "health: 1 rows read, 1 created" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: health\nfields:\n  score: s\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_data", "health", str(data), "--mapping", str(bad), verbosity=0)
    assert "- fields: account_external_id is required by health and is not mapped" in str(caught.value)
    assert ImportRun.objects.get().source_format == "mapping"


@pytest.fixture
def run_tasks_inline(monkeypatch):
    def enqueue(task_name, run):
        import_runs.import_run_execute(run_id=run.pk, dry_run=task_name.endswith("validate"))

    monkeypatch.setattr(import_runs, "_enqueue", enqueue)


def test_upload_page_with_a_mapping_file_and_a_shipped_mapping(
    client, org, run_tasks_inline, django_capture_on_commit_callbacks
):
    client.force_login(org.admin)
    page = client.get(reverse("import-list")).content.decode()
    assert "Vitally account health (accounts API, today&#x27;s score) (mapping vitally-health)" in page
    body = json.dumps({"results": [{"externalId": "A-1", "healthScore": 6}]}).encode()
    f = io.BytesIO(body)
    f.name = "vitally.json"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("import-list"), {"kind": "health", "file": f, "source_format": "mapping:vitally-health"}
        )
    run = ImportRun.objects.get()
    assert (run.status, run.created, run.source_format) == ("valid", 1, "mapping:vitally-health")
    # A mapping file of one's own; a broken one is refused on the form, naming the problem.
    f = io.BytesIO(
        b"kind: health\nsource: x\nfields:\n  account_external_id: a\n  date: {today: true}\n  score: s\n"
    )
    f.name = "mine.yaml"
    data = io.BytesIO(b"a,s\nA-1,70\n")
    data.name = "h.csv"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import-list"), {"kind": "health", "file": data, "mapping_file": f})
    run = ImportRun.objects.latest("pk")
    assert (run.status, run.created, run.source_format) == ("valid", 1, "mapping")
    f = io.BytesIO(b"kind: health\nfields: {score: s}\n")
    f.name = "broken.yaml"
    data = io.BytesIO(b"a,s\nA-1,70\n")
    data.name = "h.csv"
    response = client.post(reverse("import-list"), {"kind": "health", "file": data, "mapping_file": f})
    assert "account_external_id is required by health and is not mapped" in response.content.decode()
    assert ImportRun.objects.count() == 2


def test_api_with_a_shipped_mapping_or_one_in_the_body(org):
    api = APIClient()
    api.force_authenticate(org.admin)
    rows = [{"externalId": "A-1", "healthScore": 9}]
    response = api.post(
        reverse("api-ingest", args=["health"]) + "?mapping=vitally-health", {"results": rows}, format="json"
    )
    assert response.status_code == 200, response.json()
    mapping = {
        "kind": "health",
        "fields": {"account_external_id": "acct", "date": {"today": True}, "score": "s"},
    }
    response = api.post(
        reverse("api-ingest", args=["health"]),
        {"mapping": mapping, "rows": [{"acct": "B-1", "s": 20}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert sorted(HealthSnapshot.objects.values_list("account__external_id", "score")) == [
        ("A-1", 90),
        ("B-1", 20),
    ]
    response = api.post(
        reverse("api-ingest", args=["health"]),
        {"mapping": {"kind": "usage", "fields": {}}, "rows": []},
        format="json",
    )
    assert response.status_code == 400
    assert [e["message"] for e in response.json()["errors"]] == [
        "kind: the mapping is for usage, not health",
        "fields: must map each column of the kind to where its value comes from",
    ]
