"""Source formats: each system's own API JSON mapped onto a kind, through the same
validator and all-or-nothing load; the edge cases of each mapping, worked out by hand; errors in the
source's terms; and the same data in our own format giving identical rows.

The payloads follow the vendors' documented response shapes (Zendesk Tickets API with
``include=metric_sets``, Salesforce REST query results, HubSpot CRM v3 companies with
``propertiesWithHistory`` and owners, ChartMogul ``/v1/activities``, Delighted
``/v1/survey_responses.json``).
"""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Assignment
from activity.models import RevenueEvent, SurveyResponse, Ticket
from datain import services
from datain.models import ImportRun, SourceAccount, SourceOwner

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def load(kind, source, payload, dry_run=False):
    data = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    return services.import_csv(kind=kind, binary=io.BytesIO(data), dry_run=dry_run, source_format=source)


def load_ours(kind, text):
    return services.import_csv(kind=kind, binary=io.BytesIO(text.encode()))


def errors_of(result):
    return [(e.row, e.column, e.value, e.message) for e in result.errors]


def rows_of(model_or_queryset, *fields):
    queryset = getattr(model_or_queryset, "objects", model_or_queryset)
    return sorted(queryset.values_list(*fields))


# --- Zendesk ---------------------------------------------------------------------------------


def zd_ticket(id, org=9001, status="solved", priority="normal", tags=(), group_id=360001, channel="email"):
    return {
        "url": f"https://acme.zendesk.com/api/v2/tickets/{id}.json",
        "id": id,
        "external_id": None,
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": "2026-07-01T09:00:00Z",
        "updated_at": "2026-07-03T10:00:00Z",
        "type": "question",
        "subject": "Help",
        "priority": priority,
        "status": status,
        "requester_id": 20978392,
        "submitter_id": 76872,
        "assignee_id": 235323,
        "organization_id": org,
        "group_id": group_id,
        "tags": list(tags),
    }


def zd_metrics(
    ticket_id, reply=30, solved_at="2026-07-02T09:00:00Z", reopens=0, assigned_at="2026-07-01T10:00:00Z"
):
    return {
        "url": f"https://acme.zendesk.com/api/v2/ticket_metrics/{ticket_id + 1000}.json",
        "id": ticket_id + 1000,
        "ticket_id": ticket_id,
        "created_at": "2026-07-01T09:00:01Z",
        "updated_at": "2026-07-03T10:00:00Z",
        "group_stations": 1,
        "assignee_stations": 1,
        "reopens": reopens,
        "replies": 2,
        "assignee_updated_at": None,
        "requester_updated_at": "2026-07-01T09:00:00Z",
        "status_updated_at": "2026-07-02T09:00:00Z",
        "initially_assigned_at": "2026-07-01T09:30:00Z",
        "assigned_at": assigned_at,
        "solved_at": solved_at,
        "latest_comment_added_at": "2026-07-02T09:00:00Z",
        "reply_time_in_minutes": {"calendar": reply, "business": reply},
        "first_resolution_time_in_minutes": {"calendar": 1440, "business": 480},
        "full_resolution_time_in_minutes": {"calendar": 1440, "business": 480},
        "agent_wait_time_in_minutes": {"calendar": 10, "business": 10},
        "requester_wait_time_in_minutes": {"calendar": 5, "business": 5},
        "on_hold_time_in_minutes": {"calendar": 0, "business": 0},
    }


@pytest.fixture
def zendesk(org):
    SourceAccount.objects.create(source="zendesk", source_id="9001", account=org.account_a)
    tickets = [
        zd_ticket(101, priority=None),  # solved, no priority: normal
        zd_ticket(102, status="open"),  # unresolved, no reply yet
        zd_ticket(103, status="closed", tags=["escalated", "vip"]),  # reopened twice, then solved
        zd_ticket(104, status="open"),  # reopened and open again: unresolved despite an old solved_at
        zd_ticket(105, org=None),  # no organization: skipped
        zd_ticket(106, status="deleted"),  # deleted: skipped
    ]
    metrics = [
        zd_metrics(101),
        zd_metrics(102, reply=None, solved_at=None),
        zd_metrics(
            103, reply=90, solved_at="2026-07-04T09:00:00Z", reopens=2, assigned_at="2026-07-01T12:00:00Z"
        ),
        zd_metrics(104, reply=15, solved_at="2026-07-02T09:00:00Z", reopens=1),
    ]
    return {"tickets": tickets, "metric_sets": metrics, "next_page": None, "previous_page": None, "count": 6}


TICKET_FIELDS = (
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
OURS_TICKETS = (
    "external_id,account_external_id,opened_at,first_response_at,resolved_at,customer_contacts,escalated_at,priority,channel\n"
    "zendesk:101,A-1,2026-07-01T09:00:00Z,2026-07-01T09:30:00Z,2026-07-02T09:00:00Z,1,,normal,email\n"
    "zendesk:102,A-1,2026-07-01T09:00:00Z,,,,,normal,email\n"
    "zendesk:103,A-1,2026-07-01T09:00:00Z,2026-07-01T10:30:00Z,2026-07-04T09:00:00Z,3,2026-07-01T12:00:00Z,normal,email\n"
    "zendesk:104,A-1,2026-07-01T09:00:00Z,2026-07-01T09:15:00Z,,,,normal,email\n"
)


def test_zendesk_tickets_edge_cases(zendesk, settings):
    settings.ZENDESK_ESCALATION = "tag:escalated"
    result = load("tickets", "zendesk", zendesk)
    assert result.ok, errors_of(result)
    assert (result.rows_read, result.created) == (4, 4)
    assert [str(n) for n in result.notes] == [
        "1 Zendesk record skipped: tickets of no organization (e.g. ticket 105 (record 5))",
        "1 Zendesk record skipped: deleted tickets (e.g. ticket 106 (record 6))",
    ]
    t = {t.external_id: t for t in Ticket.objects.all()}
    opened = datetime.datetime(2026, 7, 1, 9, tzinfo=UTC)
    # Null priority: normal. First response = created_at + reply minutes. 1 + 0 reopens.
    assert (t["zendesk:101"].priority, t["zendesk:101"].customer_contacts) == ("normal", 1)
    assert t["zendesk:101"].first_response_at == opened + datetime.timedelta(minutes=30)
    # Unresolved, never answered: no first response, no resolution, no contacts yet.
    assert (t["zendesk:102"].first_response_at, t["zendesk:102"].resolved_at) == (None, None)
    assert t["zendesk:102"].customer_contacts is None
    # Reopened twice then closed: 3 contacts; escalated by its tag at its last assignment.
    assert t["zendesk:103"].customer_contacts == 3
    assert t["zendesk:103"].escalated_at == datetime.datetime(2026, 7, 1, 12, tzinfo=UTC)
    # Reopened and open again: unresolved, although the metrics keep the earlier solved_at.
    assert (t["zendesk:104"].resolved_at, t["zendesk:104"].customer_contacts) == (None, None)
    assert {x.escalated_at is None for k, x in t.items() if k != "zendesk:103"} == {True}


def test_zendesk_and_our_own_format_give_identical_rows(zendesk):
    assert load("tickets", "zendesk", zendesk).ok
    mapped = rows_of(Ticket, *TICKET_FIELDS)
    Ticket.objects.all().delete()
    result = load_ours("tickets", OURS_TICKETS)
    assert result.ok, errors_of(result)
    assert rows_of(Ticket, *TICKET_FIELDS) == mapped
    # And loading the source again over our own rows changes nothing.
    again = load("tickets", "zendesk", zendesk)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


@pytest.mark.parametrize(
    ("rule", "escalated"),
    [("group:360002", {"zendesk:2"}), ("priority:urgent", {"zendesk:3"}), ("tag:nope, group:1", set())],
)
def test_zendesk_escalation_rule_is_configurable(org, settings, rule, escalated):
    settings.ZENDESK_ESCALATION = rule
    SourceAccount.objects.create(source="zendesk", source_id="9001", account=org.account_a)
    payload = {
        "tickets": [zd_ticket(1), zd_ticket(2, group_id=360002), zd_ticket(3, priority="urgent")],
        "metric_sets": [zd_metrics(1), zd_metrics(2), zd_metrics(3)],
    }
    assert load("tickets", "zendesk", payload).ok
    assert (
        set(Ticket.objects.filter(escalated_at__isnull=False).values_list("external_id", flat=True))
        == escalated
    )


def test_zendesk_errors_name_the_ticket_and_its_field_and_write_nothing(zendesk):
    zendesk["tickets"][0]["organization_id"] = 777  # no crosswalk entry, no such account
    zendesk["tickets"][1]["priority"] = "p1"
    zendesk["metric_sets"][2]["reopens"] = "many"
    zendesk["tickets"][3]["created_at"] = "yesterday"
    result = load("tickets", "zendesk", zendesk)
    # Every error in one pass, by record.
    assert errors_of(result) == [
        (
            1,
            "organization_id",
            "777",
            "Zendesk ticket 101 (record 1): no account matches organization_id '777': add it to the account "
            "crosswalk (kind source_accounts) or give the account this external_id",
        ),
        (2, "priority", "p1", "Zendesk ticket 102 (record 2): must be one of low, normal, high, urgent"),
        (
            3,
            "metric_set.reopens",
            "many",
            "Zendesk ticket 103 (record 3): metric_set.reopens is not a whole number",
        ),
        (
            4,
            "created_at",
            "yesterday",
            "Zendesk ticket 104 (record 4): created_at is not an ISO 8601 timestamp",
        ),
    ]
    assert Ticket.objects.count() == 0


def test_zendesk_organization_id_that_is_an_account_external_id_needs_no_crosswalk(org):
    payload = {"tickets": [zd_ticket(1, org="B-1")], "metric_sets": []}
    result = load("tickets", "zendesk", payload)
    assert result.ok, errors_of(result)
    assert Ticket.objects.get().account == org.account_b


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "the file is not the JSON of Zendesk"),
        (
            b'{"users": []}',
            "not what Zendesk answers: expected a JSON list of records or an object with 'tickets'",
        ),
        (b"[1]", "Zendesk record 1: is not an object"),
    ],
)
def test_zendesk_files_that_are_not_its_json(org, data, message):
    result = load("tickets", "zendesk", data)
    assert not result.ok and message in str(result.errors[0].message)
    assert Ticket.objects.count() == 0


# --- Salesforce ------------------------------------------------------------------------------


def sf_history(id, account, at, old, new, old_name, new_name):
    """An owner change: two rows at one moment, the ids and the names."""
    attrs = {"type": "AccountHistory", "url": f"/services/data/v62.0/sobjects/AccountHistory/{id}"}
    common = {"AccountId": account, "Field": "Owner", "CreatedDate": at}
    return [
        {
            "attributes": attrs,
            "Id": id + "A",
            **common,
            "DataType": "EntityId",
            "OldValue": old,
            "NewValue": new,
        },
        {
            "attributes": attrs,
            "Id": id + "B",
            **common,
            "DataType": "Text",
            "OldValue": old_name,
            "NewValue": new_name,
        },
    ]


U1, U2, U3, U4 = "005000000000001AAA", "005000000000002AAA", "005000000000003AAA", "005000000000004AAA"


def sf_payload(histories, users=None):
    account = {
        "attributes": {"type": "Account", "url": "/services/data/v62.0/sobjects/Account/001000000000001AAA"},
        "Id": "001000000000001AAA",
        "Name": "Alpha Inc",
        "OwnerId": U1,
        "CreatedDate": "2024-12-15T10:00:00.000+0000",
        "Histories": {"totalSize": len(histories), "done": True, "records": histories},
    }
    result = [{"totalSize": 1, "done": True, "records": [account]}]
    user_rows = users or [
        (U1, "csm.a@example.com", "CSM A"),
        (U2, "csm.a2@example.com", "CSM A2"),
        (U3, "csm.b@example.com", "CSM B"),
    ]
    result.append(
        {
            "totalSize": len(user_rows),
            "done": True,
            "records": [
                {"attributes": {"type": "User"}, "Id": i, "Email": e, "Name": n} for i, e, n in user_rows
            ],
        }
    )
    return result


@pytest.fixture
def sf_crosswalk(org):
    # The crosswalk holds the 15-character id; the API answers 18 characters.
    SourceAccount.objects.create(source="salesforce", source_id="001000000000001", account=org.account_a)
    return org


def test_salesforce_owner_changes_become_assignments(sf_crosswalk, settings):
    settings.TIME_ZONE = "Europe/Madrid"
    histories = [
        # 23:30 UTC on 1 March is 2 March in Madrid.
        *sf_history("017A", "001000000000001AAA", "2026-03-01T23:30:00.000+0000", U1, U2, "CSM A", "CSM A2"),
        # Two changes on one day: the later holds.
        *sf_history("017B", "001000000000001AAA", "2026-04-10T07:00:00.000+0000", U2, U3, "CSM A2", "CSM B"),
        *sf_history("017C", "001000000000001AAA", "2026-04-10T13:00:00.000+0000", U3, U1, "CSM B", "CSM A"),
    ]
    result = load("assignments", "salesforce", sf_payload(histories))
    assert result.ok, errors_of(result)
    assert rows_of(Assignment.objects.filter(account__external_id="A-1"), "csm__email", "start_date") == [
        # The first owner from our account's signed_on (2025-01-01 upserts the existing assignment).
        ("csm.a2@example.com", datetime.date(2026, 3, 2)),
        ("csm.a@example.com", datetime.date(2025, 1, 1)),
        ("csm.a@example.com", datetime.date(2026, 4, 10)),
    ]
    assert (result.created, result.unchanged) == (2, 1)


def test_salesforce_and_our_own_format_give_identical_rows(sf_crosswalk):
    histories = sf_history(
        "017A", "001000000000001AAA", "2026-03-02T10:00:00.000+0000", U1, U2, "CSM A", "CSM A2"
    )
    assert load("assignments", "salesforce", sf_payload(histories)).ok
    mapped = rows_of(Assignment, "account__external_id", "csm__email", "start_date")
    Assignment.objects.filter(account__external_id="A-1").delete()
    result = load_ours(
        "assignments",
        "account_external_id,csm_email,start_date\nA-1,csm.a@example.com,2025-01-01\nA-1,csm.a2@example.com,2026-03-02\n",
    )
    assert result.ok, errors_of(result)
    assert rows_of(Assignment, "account__external_id", "csm__email", "start_date") == mapped


def test_salesforce_owner_who_is_not_a_csm_is_reported_not_guessed(sf_crosswalk):
    histories = sf_history(
        "017A", "001000000000001AAA", "2026-03-02T10:00:00.000+0000", U1, U4, "CSM A", "Sam Sales"
    )
    users = [(U1, "csm.a@example.com", "CSM A"), (U4, "manager.a@example.com", "Sam Sales")]
    result = load("assignments", "salesforce", sf_payload(histories, users))
    assert errors_of(result) == [
        (
            2,
            "NewValue",
            "manager.a@example.com",
            f"Salesforce AccountHistory 017AA of account 001000000000001AAA (record 2), owner {U4} (Sam Sales): "
            "this person is a manager, not a csm (csm_email)",
        )
    ]
    assert Assignment.objects.filter(account__external_id="A-1").count() == 1  # nothing written


def test_salesforce_owner_without_email_is_reported_and_the_crosswalk_fixes_it(sf_crosswalk):
    histories = sf_history(
        "017A", "001000000000001AAA", "2026-03-02T10:00:00.000+0000", U1, U4, "CSM A", "New Hire"
    )
    users = [(U1, "csm.a@example.com", "CSM A")]
    result = load("assignments", "salesforce", sf_payload(histories, users))
    assert [(e.row, e.column, e.value, e.code) for e in result.errors] == [
        (2, "NewValue", U4, "unknown_owner")
    ]
    assert "owner 005000000000004AAA (New Hire)" in str(result.errors[0].message)
    SourceOwner.objects.create(source="salesforce", source_id=U4[:15], person=sf_crosswalk.csm_b)
    result = load("assignments", "salesforce", sf_payload(histories, users))
    assert result.ok, errors_of(result)
    assert (
        Assignment.objects.get(account__external_id="A-1", start_date=datetime.date(2026, 3, 2)).csm
        == sf_crosswalk.csm_b
    )


# --- HubSpot ---------------------------------------------------------------------------------


def hs_company(id, history):
    return {
        "id": id,
        "properties": {
            "name": "Bravo",
            "hubspot_owner_id": history[0]["value"] if history else None,
            "createdate": "2025-01-01T00:00:00Z",
        },
        "propertiesWithHistory": {"hubspot_owner_id": history},
        "createdAt": "2025-01-01T00:00:00Z",
        "updatedAt": "2026-04-01T08:00:00Z",
        "archived": False,
    }


def hs_entry(value, timestamp):
    return {
        "value": value,
        "timestamp": timestamp,
        "sourceType": "CRM_UI",
        "sourceId": "userId:1",
        "updatedByUserId": 1,
    }


HS_OWNERS = {
    "results": [
        {
            "id": "101",
            "email": "csm.a@example.com",
            "type": "PERSON",
            "firstName": "CSM",
            "lastName": "A",
            "userId": 1,
            "createdAt": "2024-01-01T00:00:00Z",
            "updatedAt": "2024-01-01T00:00:00Z",
            "archived": False,
        },
        {
            "id": "102",
            "email": "csm.b@example.com",
            "type": "PERSON",
            "firstName": "CSM",
            "lastName": "B",
            "userId": 2,
            "createdAt": "2024-01-01T00:00:00Z",
            "updatedAt": "2024-01-01T00:00:00Z",
            "archived": False,
        },
    ]
}


def test_hubspot_owner_history_becomes_assignments(org):
    SourceAccount.objects.create(source="hubspot", source_id="512", account=org.account_b)
    # Newest first, as HubSpot answers.
    history = [
        hs_entry("102", "2026-04-01T08:00:00.000Z"),
        hs_entry("", "2026-03-01T08:00:00.000Z"),  # unassigned: skipped, the previous owner holds
        hs_entry("101", "2026-02-01T17:00:00.000Z"),
        hs_entry("102", "2026-02-01T08:00:00.000Z"),  # the same day, earlier: the later holds
    ]
    payload = {"companies": {"results": [hs_company("512", history)], "paging": {}}, "owners": HS_OWNERS}
    result = load("assignments", "hubspot", payload)
    assert result.ok, errors_of(result)
    assert rows_of(Assignment.objects.filter(account=org.account_b), "csm__email", "start_date") == [
        ("csm.a@example.com", datetime.date(2026, 2, 1)),
        ("csm.b@example.com", datetime.date(2025, 1, 1)),
        ("csm.b@example.com", datetime.date(2026, 4, 1)),
    ]
    assert [str(n) for n in result.notes] == [
        "1 HubSpot record skipped: unassigned spells (no owner) (e.g. company 512 (record 1), history entry 2)"
    ]


def test_hubspot_unknown_owner_names_the_company_and_owner(org):
    SourceAccount.objects.create(source="hubspot", source_id="512", account=org.account_b)
    payload = {
        "companies": [hs_company("512", [hs_entry("999", "2026-04-01T08:00:00Z")])],
        "owners": HS_OWNERS,
    }
    result = load("assignments", "hubspot", payload)
    assert [(e.row, e.column, e.value, e.code) for e in result.errors] == [
        (1, "propertiesWithHistory.hubspot_owner_id.value", "999", "unknown_owner")
    ]
    assert "HubSpot company 512 (record 1), owner 999" in str(result.errors[0].message)


# --- ChartMogul ------------------------------------------------------------------------------


def cm_activity(uuid, type, movement, date, customer="cus_0001"):
    return {
        "activity-arr": 0,
        "activity-mrr": 0,
        "activity-mrr-movement": movement,
        "currency": "USD",
        "currency-sign": "$",
        "date": date,
        "description": "purchased the Silver Monthly plan (1)",
        "type": type,
        "subscription-external-id": "sub_0001",
        "plan-external-id": "gold_monthly",
        "customer-name": "Alpha",
        "customer-uuid": "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7",
        "customer-external-id": customer,
        "billing-connector-uuid": "ds_1",
        "uuid": uuid,
    }


@pytest.fixture
def chartmogul(org):
    SourceAccount.objects.create(source="chartmogul", source_id="cus_0001", account=org.account_a)
    return {
        "entries": [
            cm_activity("a1", "new_biz", 10000, "2026-01-05T10:00:00+00:00"),
            cm_activity("a2", "expansion", 2550, "2026-02-05T10:00:00+00:00"),
            cm_activity("a3", "churn", -12550, "2026-03-31T10:00:00+00:00"),
            cm_activity("a4", "reactivation", 5000, "2026-05-10T10:00:00+00:00"),
            cm_activity("a5", "expansion", 0, "2026-05-11T10:00:00+00:00"),  # free plan: skipped
        ],
        "has_more": False,
        "cursor": "cursor==",
    }


OURS_REVENUE = (
    "external_id,account_external_id,date,kind,mrr_delta\n"
    "chartmogul:a1,A-1,2026-01-05,new,100.00\n"
    "chartmogul:a2,A-1,2026-02-05,expansion,25.50\n"
    "chartmogul:a3,A-1,2026-03-31,churn,-125.50\n"
    "chartmogul:a4,A-1,2026-05-10,reactivation,50.00\n"
)


def test_chartmogul_churn_then_reactivation_and_our_own_format_identical(chartmogul):
    result = load("revenue", "chartmogul", chartmogul)
    assert result.ok, errors_of(result)
    fields = ("external_id", "account__external_id", "date", "kind", "mrr_delta")
    mapped = rows_of(RevenueEvent, *fields)
    assert [(r[3], r[4]) for r in mapped] == [
        ("new", Decimal("100.00")),
        ("expansion", Decimal("25.50")),
        ("churn", Decimal("-125.50")),
        ("reactivation", Decimal("50.00")),
    ]
    assert [str(n) for n in result.notes] == [
        "1 ChartMogul record skipped: activities that move MRR by 0 (e.g. activity a5 (record 5))"
    ]
    RevenueEvent.objects.all().delete()
    assert load_ours("revenue", OURS_REVENUE).ok
    assert rows_of(RevenueEvent, *fields) == mapped


def test_chartmogul_churn_below_zero_and_unknown_type_are_errors(chartmogul):
    chartmogul["entries"][3]["type"] = "upgrade_plan"
    result = load("revenue", "chartmogul", chartmogul)
    assert [(e.row, e.column, e.value, e.code) for e in result.errors] == [
        (4, "type", "upgrade_plan", "bad_source_value")
    ]
    chartmogul["entries"][3]["type"] = "reactivation"
    chartmogul["entries"][2]["activity-mrr-movement"] = -20000
    result = load("revenue", "chartmogul", chartmogul)
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (3, "activity-mrr-movement", "mrr_below_zero")
    ]
    assert "ChartMogul activity a3 (record 3): takes the MRR of account A-1 below 0" in str(
        result.errors[0].message
    )
    assert RevenueEvent.objects.count() == 0


# --- Delighted -------------------------------------------------------------------------------


def dl_response(id, score, created_at, account="acct-9", survey_type="nps", comment="Great"):
    return {
        "id": id,
        "person": "1001",
        "survey_type": survey_type,
        "score": score,
        "comment": comment,
        "permalink": f"https://delighted.com/r/{id}",
        "created_at": created_at,
        "updated_at": created_at,
        "person_properties": {"account_id": account, "Delighted Source": "Email"},
        "notes": [],
        "tags": [],
        "additional_answers": [],
    }


def test_delighted_unix_times_fall_in_the_organisations_time_zone(org, settings):
    settings.TIME_ZONE = "Europe/Madrid"
    SourceAccount.objects.create(source="delighted", source_id="acct-9", account=org.account_a)
    late_june_utc = int(datetime.datetime(2026, 6, 30, 23, 30, tzinfo=UTC).timestamp())
    result = load(
        "surveys",
        "delighted",
        [dl_response("1", 9, late_june_utc), dl_response("2", 3, late_june_utc - 7200, comment=None)],
    )
    assert result.ok, errors_of(result)
    first = SurveyResponse.objects.get(external_id="delighted:1")
    assert first.responded_at == datetime.datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    # The load touched 1 July in Madrid (a Q3 response) and 30 June (21:30 UTC = 23:30 in Madrid).
    assert (result.first_day, result.last_day) == (datetime.date(2026, 6, 30), datetime.date(2026, 7, 1))
    assert SurveyResponse.objects.get(external_id="delighted:2").comment == ""
    fields = ("external_id", "account__external_id", "responded_at", "kind", "score", "comment")
    mapped = rows_of(SurveyResponse, *fields)
    SurveyResponse.objects.all().delete()
    ours = load_ours(
        "surveys",
        "external_id,account_external_id,responded_at,kind,score,comment\n"
        "delighted:1,A-1,2026-07-01T01:30:00+02:00,nps,9,Great\n"
        "delighted:2,A-1,2026-06-30 23:30,nps,3,\n",
    )
    assert ours.ok, errors_of(ours)
    assert rows_of(SurveyResponse, *fields) == mapped


def test_delighted_other_scales_and_missing_account_property(org):
    result = load(
        "surveys",
        "delighted",
        [
            dl_response("1", 5, 1782862200, survey_type="ces"),
            dl_response("2", 11, 1782862200),
            {**dl_response("3", 5, 1782862200), "person_properties": {}},
        ],
    )
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (1, "survey_type", "bad_source_value"),
        (2, "score", "out_of_range"),
        # Record 2's account is looked up although its score failed: acct-9 matches no account here.
        (2, "person_properties.account_id", "no_crosswalk_match"),
        (3, "person_properties.account_id", "bad_source_value"),
    ]


# --- the command -----------------------------------------------------------------------------


def test_import_data_with_a_source(zendesk, tmp_path, capsys):
    path = tmp_path / "tickets.json"
    path.write_text(json.dumps(zendesk))
    call_command("import_data", "tickets", str(path), "--source", "zendesk", verbosity=0)
    out = capsys.readouterr().out
    assert "tickets: 4 rows read, 4 created" in out
    assert "1 Zendesk record skipped: tickets of no organization" in out
    run = ImportRun.objects.get()
    assert (run.source, run.source_format, run.created) == ("command", "zendesk", 4)
    with pytest.raises(CommandError, match="Zendesk gives tickets, not revenue"):
        call_command("import_data", "revenue", str(path), "--source", "zendesk", verbosity=0)
