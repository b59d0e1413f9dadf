"""Pull connectors, offline: recorded HTTP exchanges (``responses``) written from the
vendors' documented response shapes, never real credentials. Two pages of pagination, a 429 then
success, resuming from a stored cursor, a failed load that leaves the cursor where it was."""

import datetime
import io
import json
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from responses import matchers

from accounts.models import AccountTeamMember, Assignment, Role
from activity.models import RevenueEvent, Ticket
from config.celery import app
from datain.models import SourceAccount, SyncCursor, SyncRun
from datain.sources import http
from datain.sources.sync import next_sync_at, sync_run
from tests import factories
from tests.datain.sources.test_formats import (
    U1,
    U2,
    cm_activity,
    hs_company,
    hs_entry,
    zd_metrics,
    zd_ticket,
)

pytestmark = pytest.mark.django_db
ZD = "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json"


@pytest.fixture
def waits(monkeypatch):
    recorded = []
    monkeypatch.setattr(http, "sleep", recorded.append)
    return recorded


@pytest.fixture
def creds(settings, org, waits):
    settings.ZENDESK_SUBDOMAIN, settings.ZENDESK_EMAIL, settings.ZENDESK_API_TOKEN = (
        "acme",
        "ops@example.com",
        "t0k",
    )
    settings.SALESFORCE_DOMAIN = "https://acme.my.salesforce.com"
    settings.SALESFORCE_CLIENT_ID, settings.SALESFORCE_CLIENT_SECRET = "cid", "secret"
    settings.HUBSPOT_ACCESS_TOKEN = "pat-na1-x"
    settings.CHARTMOGUL_API_KEY = "cm-key"
    settings.SOURCES_HTTP_BACKOFF_SECONDS = 1.0
    settings.SOURCES_HTTP_TRIES = 3
    SourceAccount.objects.create(source="zendesk", source_id="9001", account=org.account_a)
    return org


def zd_page(ids, after, end, org=9001):
    return {
        "tickets": [zd_ticket(i, org=org) for i in ids],
        "metric_sets": [zd_metrics(i) for i in ids],
        "after_url": f"{ZD}?cursor={after}",
        "after_cursor": after,
        "before_url": None,
        "before_cursor": None,
        "end_of_stream": end,
    }


def zd_query(**params):
    return matchers.query_param_matcher({**params, "include": "metric_sets"})


def cursor_of(source):
    return SyncCursor.objects.filter(source=source).values_list("cursor", flat=True).first()


# --- Zendesk ---------------------------------------------------------------------------------


@responses.activate
def test_zendesk_two_pages_then_the_cursor_moves(creds):
    start = int(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC).timestamp())
    responses.get(ZD, json=zd_page([1, 2], "c1", False), match=[zd_query(start_time=str(start))])
    responses.get(ZD, json=zd_page([3], "c2", True), match=[zd_query(cursor="c1")])
    run = sync_run(source="zendesk")
    assert (run.status, run.pages, run.records, run.created, run.cursor_from, run.cursor_to) == (
        "done",
        2,
        3,
        3,
        "",
        "c2",
    )
    assert sorted(Ticket.objects.values_list("external_id", flat=True)) == [
        "zendesk:1",
        "zendesk:2",
        "zendesk:3",
    ]
    assert cursor_of("zendesk") == "c2"
    # The basic auth of an API token: {email}/token:{token}.
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")


@responses.activate
def test_zendesk_429_then_success_waits_as_told(creds, waits):
    responses.get(ZD, status=429, headers={"Retry-After": "7"}, json={"error": "TooManyRequests"})
    responses.get(ZD, status=503, body="busy")
    responses.get(ZD, json=zd_page([1], "c1", True))
    run = sync_run(source="zendesk")
    assert run.status == "done" and run.created == 1
    assert waits == [7.0, 2.0]  # Retry-After, then the doubled backoff of the second try
    assert len(responses.calls) == 3


@responses.activate
def test_zendesk_resumes_from_the_stored_cursor(creds):
    SyncCursor.objects.create(source="zendesk", cursor="c2")
    responses.get(ZD, json=zd_page([4], "c3", True), match=[zd_query(cursor="c2")])
    run = sync_run(source="zendesk")
    assert (run.status, run.cursor_from, run.cursor_to, run.created) == ("done", "c2", "c3", 1)
    assert cursor_of("zendesk") == "c3"


@responses.activate
def test_a_failed_load_leaves_the_cursor_where_it_was(creds):
    SyncCursor.objects.create(source="zendesk", cursor="c1")
    page = zd_page([5, 6], "c9", True)
    page["tickets"][1]["organization_id"] = 4242  # no crosswalk entry: the whole load is refused
    responses.get(ZD, json=page, match=[zd_query(cursor="c1")])
    run = sync_run(source="zendesk")
    assert (run.status, run.error_count, run.cursor_to) == ("invalid", 1, "")
    assert (
        "Zendesk ticket 6 (record 2): no account matches organization_id '4242'"
        in run.shown_errors[0]["message"]
    )
    assert Ticket.objects.count() == 0
    assert cursor_of("zendesk") == "c1"


@responses.activate
def test_the_source_down_after_every_try_fails_and_writes_nothing(creds, waits):
    SyncCursor.objects.create(source="zendesk", cursor="c1")
    responses.get(ZD, status=502, body="bad gateway")
    run = sync_run(source="zendesk")
    assert run.status == "failed" and "answered 502 3 times in a row" in run.message_words
    # Stored as a key and its parameters, said in the reader's language when read.
    assert (run.message, run.message_params) == (
        "datain.source_busy",
        {"source": "Zendesk", "status": 502, "tries": 3, "answer": "bad gateway"},
    )
    with translation.override("es"):
        assert run.message_words.startswith("Zendesk respondió 502 3 veces seguidas (bad gateway)")
    assert waits == [1.0, 2.0] and len(responses.calls) == 3
    assert cursor_of("zendesk") == "c1" and Ticket.objects.count() == 0


@responses.activate
def test_refused_credentials_are_not_retried(creds, waits):
    responses.get(ZD, status=401, json={"error": "Couldn't authenticate you"})
    run = sync_run(source="zendesk")
    assert run.status == "failed" and "refused GET" in run.message_words and "401" in run.message_words
    assert waits == [] and len(responses.calls) == 1


@responses.activate
def test_since_overrides_the_cursor_and_a_dry_run_moves_nothing(creds, settings):
    settings.TIME_ZONE = "Europe/Madrid"
    SyncCursor.objects.create(source="zendesk", cursor="c1")
    start = int(datetime.datetime(2026, 6, 30, 22, tzinfo=datetime.UTC).timestamp())  # 1 July in Madrid
    responses.get(ZD, json=zd_page([7], "c8", True), match=[zd_query(start_time=str(start))])
    run = sync_run(source="zendesk", since=datetime.date(2026, 7, 1), dry_run=True)
    assert (run.status, run.created, run.cursor_from) == ("checked", 1, "2026-07-01")
    assert Ticket.objects.count() == 0 and cursor_of("zendesk") == "c1"


# --- Salesforce ------------------------------------------------------------------------------

SF = "https://acme.my.salesforce.com"
SF_QUERY = f"{SF}/services/data/v62.0/query"
SF_EMPTY = {"totalSize": 0, "done": True, "records": []}


def sf_history_rows(at, old, new):
    base = {"AccountId": "A-1", "Field": "Owner", "CreatedDate": at}
    return [
        {
            "attributes": {"type": "AccountHistory"},
            "Id": f"017{at[:10]}E",
            **base,
            "DataType": "EntityId",
            "OldValue": old,
            "NewValue": new,
        },
        {
            "attributes": {"type": "AccountHistory"},
            "Id": f"017{at[:10]}T",
            **base,
            "DataType": "Text",
            "OldValue": "A",
            "NewValue": "B",
        },
    ]


@responses.activate
def test_salesforce_history_two_pages_oauth_and_cursor(creds):
    responses.post(
        f"{SF}/services/oauth2/token",
        json={"access_token": "00Dxx!AQ", "instance_url": SF, "token_type": "Bearer", "issued_at": "1"},
        match=[
            matchers.urlencoded_params_matcher(
                {"grant_type": "client_credentials", "client_id": "cid", "client_secret": "secret"}
            )
        ],
    )
    history_1 = {
        "totalSize": 4,
        "done": False,
        "nextRecordsUrl": "/services/data/v62.0/query/01gD0-2000",
        "records": sf_history_rows("2026-03-02T10:00:00.000+0000", U1, U2),
    }
    history_2 = {
        "totalSize": 4,
        "done": True,
        "records": sf_history_rows("2026-05-02T10:00:00.000+0000", U2, U1),
    }
    responses.get(SF_QUERY, json=history_1, match=[_soql_contains("FROM AccountHistory")])
    responses.get(f"{SF}/services/data/v62.0/query/01gD0-2000", json=history_2)
    responses.get(
        SF_QUERY, json={"totalSize": 0, "done": True, "records": []}, match=[_soql_contains("FROM Account ")]
    )
    users = {
        "totalSize": 2,
        "done": True,
        "records": [
            {"attributes": {"type": "User"}, "Id": U1, "Name": "CSM A", "Email": "csm.a@example.com"},
            {"attributes": {"type": "User"}, "Id": U2, "Name": "CSM A2", "Email": "csm.a2@example.com"},
        ],
    }
    responses.get(SF_QUERY, json=users, match=[_soql_contains("FROM User WHERE Id IN")])
    responses.get(SF_QUERY, json=SF_EMPTY, match=[_soql_contains("FROM AccountTeamMember")])
    run = sync_run(source="salesforce")
    assert run.status == "done", run.errors
    assert sorted(
        Assignment.objects.filter(account__external_id="A-1").values_list("start_date", "csm__email")
    ) == [
        (datetime.date(2025, 1, 1), "csm.a@example.com"),
        (datetime.date(2026, 3, 2), "csm.a2@example.com"),
        (datetime.date(2026, 5, 2), "csm.a@example.com"),
    ]
    assert cursor_of("salesforce") == "2026-05-02T10:00:00Z"
    assert all(c.request.headers.get("Authorization") == "Bearer 00Dxx!AQ" for c in responses.calls[1:])


def _soql_contains(text):
    def match(request):
        q = parse_qs(urlparse(request.url).query).get("q", [""])[0]
        return (text in q, f"SOQL {q!r} lacks {text!r}")

    return match


@responses.activate
def test_salesforce_resumes_from_its_cursor(creds, settings):
    settings.SALESFORCE_ACCESS_TOKEN = "00Dxx!direct"
    SyncCursor.objects.create(source="salesforce", cursor="2026-05-02T10:00:00Z")
    responses.get(
        SF_QUERY,
        json={"totalSize": 0, "done": True, "records": []},
        match=[_soql_contains("CreatedDate >= 2026-05-02T10:00:00Z")],
    )
    responses.get(SF_QUERY, json=SF_EMPTY, match=[_soql_contains("FROM AccountTeamMember")])
    run = sync_run(source="salesforce")
    assert (run.status, run.created, run.cursor_to) == ("done", 0, "2026-05-02T10:00:00Z")
    # History and accounts since the cursor, the whole account team; no owner to look up.
    assert len(responses.calls) == 3


# --- HubSpot ---------------------------------------------------------------------------------

HS = "https://api.hubapi.com"


@responses.activate
def test_hubspot_two_pages_of_companies_and_the_owners(creds):
    owners = {
        "results": [
            {"id": "101", "email": "csm.a@example.com", "archived": False},
            {"id": "102", "email": "csm.b@example.com", "archived": False},
        ]
    }
    responses.get(
        f"{HS}/crm/v3/owners",
        json=owners,
        match=[matchers.query_param_matcher({"limit": "100", "archived": "false"})],
    )
    responses.get(
        f"{HS}/crm/v3/owners",
        json={"results": []},
        match=[matchers.query_param_matcher({"limit": "100", "archived": "true"})],
    )
    old = hs_company("B-1", [hs_entry("102", "2025-06-01T08:00:00Z")])
    old["updatedAt"] = "2025-06-01T08:00:00Z"
    page_1 = {
        "results": [hs_company("A-1", [hs_entry("102", "2026-04-01T08:00:00Z")])],
        "paging": {"next": {"after": "A1", "link": f"{HS}/crm/v3/objects/companies?after=A1"}},
    }
    page_2 = {"results": [old]}
    responses.get(f"{HS}/crm/v3/objects/companies", json=page_1, match=[_no_after(False)])
    responses.get(f"{HS}/crm/v3/objects/companies", json=page_2, match=[_no_after(True)])
    SyncCursor.objects.create(source="hubspot", cursor="2026-01-01T00:00:00+00:00")
    run = sync_run(source="hubspot")
    assert run.status == "done", run.errors
    # Only the company updated since the cursor is loaded.
    assert (run.records, run.created) == (1, 1)
    assert (
        Assignment.objects.get(account__external_id="A-1", start_date=datetime.date(2026, 4, 1)).csm.email
        == "csm.b@example.com"
    )
    assert cursor_of("hubspot") == "2026-04-01T08:00:00+00:00"
    assert responses.calls[0].request.headers["Authorization"] == "Bearer pat-na1-x"


def _no_after(expected_after):
    def match(request):
        has_after = "after=" in request.url
        return (has_after == expected_after, "after")

    return match


# --- ChartMogul ------------------------------------------------------------------------------

CM = "https://api.chartmogul.com/v1/activities"


@responses.activate
def test_chartmogul_pages_by_cursor_and_resumes_from_the_last_date(creds):
    SourceAccount.objects.create(source="chartmogul", source_id="cus_0001", account=creds.account_a)
    page_1 = {
        "entries": [cm_activity("a1", "new_biz", 10000, "2026-01-05T10:00:00+00:00")],
        "has_more": True,
        "cursor": "MjAy",
    }
    page_2 = {
        "entries": [
            cm_activity("a2", "churn", -10000, "2026-03-31T10:00:00+00:00"),
            cm_activity("a3", "reactivation", 5000, "2026-05-10T10:00:00+00:00"),
        ],
        "has_more": False,
        "cursor": "MjAz",
    }
    responses.get(CM, json=page_1, match=[matchers.query_param_matcher({"per_page": "200"})])
    responses.get(
        CM, json=page_2, match=[matchers.query_param_matcher({"per_page": "200", "cursor": "MjAy"})]
    )
    run = sync_run(source="chartmogul")
    assert (run.status, run.pages, run.records, run.created) == ("done", 2, 3, 3)
    assert cursor_of("chartmogul") == "2026-05-10T10:00:00+00:00"
    responses.get(
        CM,
        json={"entries": [], "has_more": False, "cursor": None},
        match=[matchers.query_param_matcher({"per_page": "200", "start-date": "2026-05-10T10:00:00+00:00"})],
    )
    again = sync_run(source="chartmogul")
    assert (again.status, again.records, again.cursor_from, again.cursor_to) == (
        "done",
        0,
        "2026-05-10T10:00:00+00:00",
        "2026-05-10T10:00:00+00:00",
    )
    assert RevenueEvent.objects.count() == 3


# --- command, beat, page ---------------------------------------------------------------------


def test_sync_command_names_the_missing_variables(org, settings):
    settings.CHARTMOGUL_API_KEY = ""
    with pytest.raises(CommandError, match="ChartMogul is not configured: set CHARTMOGUL_API_KEY"):
        call_command("sync", "chartmogul", verbosity=0)


@responses.activate
def test_sync_command_prints_the_outcome(creds, capsys):
    responses.get(ZD, json=zd_page([1], "c1", True))
    call_command("sync", "zendesk", verbosity=0)
    out = capsys.readouterr().out
    assert "zendesk (tickets): Loaded; 1 pages, 1 records, 0 skipped, 1 created" in out
    responses.get(ZD, json=zd_page([2], "c2", True, org=4242))
    with pytest.raises(CommandError, match="A sync failed"):
        call_command("sync", "zendesk", verbosity=0)
    assert "no account matches organization_id '4242'" in capsys.readouterr().err
    assert cursor_of("zendesk") == "c1"


def test_the_nightly_sync_runs_before_the_kpis():
    schedule = app.conf.beat_schedule
    sync, kpis = schedule["sources-sync"]["schedule"], schedule["kpis-nightly"]["schedule"]
    assert schedule["sources-sync"]["task"] == "activity.sources_sync"
    assert (min(sync.hour), min(sync.minute)) < (min(kpis.hour), min(kpis.minute))


def test_next_sync_at(settings):
    settings.TIME_ZONE = "Europe/Madrid"
    settings.SOURCES_SYNC_AT = "01:30"
    before = datetime.datetime(2026, 7, 1, 23, 0, tzinfo=datetime.UTC)  # 01:00 on 2 July in Madrid
    assert next_sync_at(before).isoformat() == "2026-07-02T01:30:00+02:00"
    after = datetime.datetime(2026, 7, 2, 0, 0, tzinfo=datetime.UTC)  # 02:00 in Madrid
    assert next_sync_at(after).isoformat() == "2026-07-03T01:30:00+02:00"


@responses.activate
def test_sources_page_lists_last_sync_rows_errors_and_next_run(client, creds, settings):
    settings.HUBSPOT_ACCESS_TOKEN = ""
    responses.get(ZD, json=zd_page([1], "c1", True))
    sync_run(source="zendesk")
    client.force_login(creds.admin)
    page = client.get(reverse("sources-list")).content.decode()
    assert (
        "Zendesk" in page
        and "Loaded" in page
        and "Not configured: set" in page
        and "HUBSPOT_ACCESS_TOKEN" in page
    )
    assert SyncRun.objects.count() == 1
    client.force_login(creds.csm_a)
    assert client.get(reverse("sources-list")).status_code == 403


def test_import_data_reads_a_saved_page_of_the_same_api(creds, tmp_path):
    """What a connector pulls and what a person saves from the same API load alike."""
    path = tmp_path / "page.json"
    path.write_text(json.dumps(zd_page([1, 2], "c1", True)))
    call_command(
        "import_data", "tickets", str(path), "--source", "zendesk", verbosity=0, stdout=io.StringIO()
    )
    assert Ticket.objects.count() == 2


# --- account teams, by the same syncs ----------------------------------------------------------


@pytest.fixture
def team(creds, settings):
    settings.SALESFORCE_ACCESS_TOKEN = "00Dxx!direct"
    settings.HUBSPOT_ACCOUNT_TEAM_PROPERTIES = "ae_owner:account_executive,se_owner:solutions_engineer"
    factories.UserFactory(email="ae@example.com", name="Ada Exec", role=Role.CONTRIBUTOR)
    factories.UserFactory(email="se@example.com", name="Sam Eng", role=Role.CONTRIBUTOR)
    return creds


def sf_member(id, account, user, role, email=None, created="2026-02-03T15:00:00.000+0000"):
    """An ``AccountTeamMember`` record as SOQL answers it, ``User.Email`` nested under ``User``."""
    record = {
        "attributes": {
            "type": "AccountTeamMember",
            "url": f"/services/data/v62.0/sobjects/AccountTeamMember/{id}",
        },
        "Id": id,
        "AccountId": account,
        "UserId": user,
        "TeamMemberRole": role,
        "CreatedDate": created,
        "User": None,
    }
    if email:
        record["User"] = {
            "attributes": {"type": "User", "url": f"/services/data/v62.0/sobjects/User/{user}"},
            "Email": email,
        }
    return record


def team_rows():
    return sorted(
        AccountTeamMember.objects.values_list(
            "account__external_id", "person__email", "role", "start_date", "end_date"
        )
    )


def sf_owner_change():
    """One owner change of A-1 on 2 March (to CSM A2) and the users it names."""
    responses.get(
        SF_QUERY,
        json={
            "totalSize": 2,
            "done": True,
            "records": sf_history_rows("2026-03-02T10:00:00.000+0000", U1, U2),
        },
        match=[_soql_contains("FROM AccountHistory")],
    )
    responses.get(SF_QUERY, json=SF_EMPTY, match=[_soql_contains("FROM Account ")])
    users = [
        {"attributes": {"type": "User"}, "Id": U1, "Name": "CSM A", "Email": "csm.a@example.com"},
        {"attributes": {"type": "User"}, "Id": U2, "Name": "CSM A2", "Email": "csm.a2@example.com"},
    ]
    responses.get(
        SF_QUERY,
        json={"totalSize": 2, "done": True, "records": users},
        match=[_soql_contains("FROM User WHERE")],
    )


TEAM_SOQL = "SELECT Id, AccountId, UserId, TeamMemberRole, CreatedDate, User.Email FROM AccountTeamMember"


@responses.activate
def test_salesforce_sync_reads_the_account_team_across_pages(team):
    sf_owner_change()
    page_1 = {
        "totalSize": 2,
        "done": False,
        "nextRecordsUrl": "/services/data/v62.0/query/01gD0-T2000",
        "records": [
            sf_member("01M000000000001AAA", "A-1", "005000000000011AAA", "Sales Rep", "ae@example.com")
        ],
    }
    page_2 = {
        "totalSize": 2,
        "done": True,
        "records": [
            sf_member(
                "01M000000000002AAA",
                "B-1",
                "005000000000012AAA",
                "Solutions Engineer",
                "se@example.com",
                created="2026-04-10T09:00:00.000+0000",
            )
        ],
    }
    responses.get(SF_QUERY, json=page_1, match=[_soql_contains(TEAM_SOQL)])
    responses.get(f"{SF}/services/data/v62.0/query/01gD0-T2000", json=page_2)
    run = sync_run(source="salesforce")
    assert run.status == "done", run.errors
    assert team_rows() == [
        ("A-1", "ae@example.com", "account_executive", datetime.date(2026, 2, 3), None),
        ("B-1", "se@example.com", "solutions_engineer", datetime.date(2026, 4, 10), None),
    ]
    # The owner change of 2 March and the two members; A-1's first owner since 2025 was already there.
    assert (run.created, run.pages, run.records) == (3, 5, 4)
    assert Assignment.objects.filter(
        account__external_id="A-1", start_date=datetime.date(2026, 3, 2)
    ).exists()
    assert cursor_of("salesforce") == "2026-03-02T10:00:00Z"
    # A second night reads the whole team again and changes nothing.
    again = sync_run(source="salesforce")
    assert (again.status, again.created, again.unchanged) == ("done", 0, 3)


@responses.activate
def test_salesforce_member_without_email_writes_nothing_of_either_kind(team):
    SyncCursor.objects.create(source="salesforce", cursor="2026-01-01T00:00:00Z")
    sf_owner_change()
    responses.get(
        SF_QUERY,
        json={
            "totalSize": 1,
            "done": True,
            "records": [sf_member("01M000000000009AAA", "A-1", "005000000000099AAA", "Sales Rep")],
        },
        match=[_soql_contains(TEAM_SOQL)],
    )
    run = sync_run(source="salesforce")
    assert (run.status, run.error_count, run.cursor_to) == ("invalid", 1, "")
    assert run.errors[0]["code"] == "unknown_owner" and "005000000000099AAA" in run.shown_errors[0]["message"]
    assert run.message_words == "1 invalid rows of Account team members: nothing was written."
    # The valid owner change went back with the invalid team: all or nothing.
    assert not Assignment.objects.filter(start_date=datetime.date(2026, 3, 2)).exists()
    assert AccountTeamMember.objects.count() == 0
    assert cursor_of("salesforce") == "2026-01-01T00:00:00Z"


@responses.activate
def test_salesforce_refusing_the_team_query_fails_the_sync_and_writes_nothing(team, waits):
    sf_owner_change()
    responses.get(
        SF_QUERY,
        status=400,
        json=[{"message": "sObject type 'AccountTeamMember' is not supported.", "errorCode": "INVALID_TYPE"}],
        match=[_soql_contains(TEAM_SOQL)],
    )
    run = sync_run(source="salesforce")
    assert run.status == "failed" and "400" in run.message_words and "INVALID_TYPE" in run.message_words
    assert waits == []
    assert not Assignment.objects.filter(start_date=datetime.date(2026, 3, 2)).exists()
    assert cursor_of("salesforce") is None


@responses.activate
def test_salesforce_without_account_teams_does_not_ask(team, settings):
    settings.SALESFORCE_ACCOUNT_TEAMS = False
    sf_owner_change()
    run = sync_run(source="salesforce")
    assert (run.status, run.created) == ("done", 1)
    assert not any("AccountTeamMember" in c.request.url for c in responses.calls)


def hs_owners(first, second):
    """The owners API in two pages (``paging.next.after``), then no archived owner."""
    responses.get(
        f"{HS}/crm/v3/owners",
        json={"results": first, "paging": {"next": {"after": "O2", "link": f"{HS}/crm/v3/owners?after=O2"}}},
        match=[matchers.query_param_matcher({"limit": "100", "archived": "false"})],
    )
    responses.get(
        f"{HS}/crm/v3/owners",
        json={"results": second},
        match=[matchers.query_param_matcher({"limit": "100", "archived": "false", "after": "O2"})],
    )
    responses.get(
        f"{HS}/crm/v3/owners",
        json={"results": []},
        match=[matchers.query_param_matcher({"limit": "100", "archived": "true"})],
    )


def hs_owner(id, email):
    return {
        "id": id,
        "email": email,
        "type": "PERSON",
        "firstName": "A",
        "lastName": "B",
        "userId": int(id),
        "archived": False,
    }


def hs_team_company(ae_history):
    company = hs_company("A-1", [hs_entry("102", "2026-04-01T08:00:00Z")])
    company["propertiesWithHistory"]["ae_owner"] = ae_history
    company["properties"]["se_owner"] = "12"  # no history: the current owner from createdate
    return company


def _companies_with_team_properties(request):
    query = parse_qs(urlparse(request.url).query)
    return (
        query.get("propertiesWithHistory") == ["hubspot_owner_id,ae_owner,se_owner"]
        and "ae_owner" in query.get("properties", [""])[0].split(","),
        "the team properties are asked",
    )


@responses.activate
def test_hubspot_sync_reads_the_team_properties_through_the_owners(team):
    hs_owners(
        [hs_owner("102", "csm.b@example.com"), hs_owner("11", "ae@example.com")],
        [hs_owner("12", "se@example.com")],
    )
    company = hs_team_company(
        [hs_entry("11", "2026-05-01T10:00:00Z"), hs_entry("12", "2026-02-01T10:00:00Z")]
    )
    responses.get(
        f"{HS}/crm/v3/objects/companies", json={"results": [company]}, match=[_companies_with_team_properties]
    )
    run = sync_run(source="hubspot")
    assert run.status == "done", run.errors
    assert team_rows() == [
        ("A-1", "ae@example.com", "account_executive", datetime.date(2026, 5, 1), None),
        ("A-1", "se@example.com", "account_executive", datetime.date(2026, 2, 1), datetime.date(2026, 4, 30)),
        ("A-1", "se@example.com", "solutions_engineer", datetime.date(2025, 1, 1), None),
    ]
    assert (
        Assignment.objects.get(account__external_id="A-1", start_date=datetime.date(2026, 4, 1)).csm.email
        == "csm.b@example.com"
    )
    assert run.created == 4


@responses.activate
def test_hubspot_unknown_team_owner_writes_nothing(team):
    hs_owners([hs_owner("102", "csm.b@example.com")], [hs_owner("12", "se@example.com")])
    company = hs_team_company([hs_entry("77", "2026-05-01T10:00:00Z")])
    responses.get(f"{HS}/crm/v3/objects/companies", json={"results": [company]})
    run = sync_run(source="hubspot")
    assert (run.status, run.error_count) == ("invalid", 1)
    assert (run.errors[0]["column"], run.errors[0]["value"], run.errors[0]["code"]) == (
        "propertiesWithHistory.ae_owner.value",
        "77",
        "unknown_owner",
    )
    assert not Assignment.objects.filter(start_date=datetime.date(2026, 4, 1)).exists()
    assert AccountTeamMember.objects.count() == 0 and cursor_of("hubspot") is None


@responses.activate
def test_hubspot_owners_api_down_writes_nothing(team, waits):
    responses.get(f"{HS}/crm/v3/owners", status=503, json={"status": "error", "message": "unavailable"})
    run = sync_run(source="hubspot")
    assert run.status == "failed" and "503 3 times in a row" in run.message_words
    assert AccountTeamMember.objects.count() == 0 and cursor_of("hubspot") is None


def test_the_sources_page_says_what_is_missing_in_the_readers_words_and_its_tables_scroll(
    client, org, settings
):
    settings.SALESFORCE_DOMAIN = "https://acme.my.salesforce.com"
    settings.SALESFORCE_CLIENT_ID = settings.SALESFORCE_CLIENT_SECRET = settings.SALESFORCE_ACCESS_TOKEN = ""
    client.force_login(org.admin)
    page = client.get(reverse("sources-list"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "SALESFORCE_CLIENT_ID y SALESFORCE_CLIENT_SECRET (o SALESFORCE_ACCESS_TOKEN)" in page
    assert " and SALESFORCE_CLIENT_SECRET" not in page
    # Thirteen columns of recent syncs made the whole page scroll sideways at 1366 pixels.
    assert page.count('<div class="scroll"><table>') == 2
