"""The account team (optional kind ``account_team``): who else works an account, loaded by command,
upload page and API like every kind, and read from Salesforce ``AccountTeamMember`` records and
HubSpot owner properties. Rows are made by hand; the Salesforce and HubSpot payloads follow the
vendors' documented response shapes (REST query results; CRM v3 companies with
``propertiesWithHistory`` and the owners API)."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import AccountTeamMember, Role
from datain import import_runs, services
from datain.models import ImportRun, SourceOwner
from tests import factories

pytestmark = pytest.mark.django_db
D = datetime.date
HEADER = "account_external_id,person_email,role,start_date,end_date\n"


@pytest.fixture
def colleagues(org):
    return {
        "ae": factories.UserFactory(email="ae@example.com", name="Ada Exec", role=Role.CONTRIBUTOR),
        "se": factories.UserFactory(email="se@example.com", name="Sam Eng", role=Role.CONTRIBUTOR),
    }


def load(text, dry_run=False):
    return services.import_csv(kind="account_team", binary=io.BytesIO(text.encode()), dry_run=dry_run)


def members():
    return sorted(
        AccountTeamMember.objects.values_list(
            "account__external_id", "person__email", "role", "start_date", "end_date"
        )
    )


def test_rows_load_and_loading_again_changes_nothing(colleagues):
    text = HEADER + (
        "A-1,ae@example.com,account_executive,2026-01-01,\n"
        "A-1,se@example.com,solutions_engineer,2026-02-01,2026-06-30\n"
        "B-1,AE@example.com,account_executive,2026-03-01,\n"
    )
    result = load(text)
    assert result.ok, [str(e) for e in result.errors]
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert members() == [
        ("A-1", "ae@example.com", "account_executive", D(2026, 1, 1), None),
        ("A-1", "se@example.com", "solutions_engineer", D(2026, 2, 1), D(2026, 6, 30)),
        ("B-1", "ae@example.com", "account_executive", D(2026, 3, 1), None),
    ]
    again = load(text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    # The same key with an end date: the member leaves the team (an update, not a new row).
    ended = load(HEADER + "A-1,ae@example.com,account_executive,2026-01-01,2026-09-30\n")
    assert (ended.created, ended.updated) == (0, 1)
    assert AccountTeamMember.objects.get(
        person__email="ae@example.com", account__external_id="A-1"
    ).end_date == D(2026, 9, 30)


def test_a_csm_or_manager_can_be_in_an_account_team(org):
    result = load(
        HEADER
        + "A-1,manager.b@example.com,other,2026-01-01,\nA-1,csm.b@example.com,support_lead,2026-01-01,\n"
    )
    assert result.ok, [str(e) for e in result.errors]
    assert len(members()) == 2


def test_invalid_rows_are_each_named_and_nothing_is_written(colleagues):
    text = HEADER + (
        "A-1,ae@example.com,account_executive,2026-01-01,\n"  # valid, not written either
        "A-9,ae@example.com,account_executive,2026-01-01,\n"
        "A-1,nobody@example.com,account_executive,2026-01-01,\n"
        "A-1,se@example.com,cheerleader,2026-01-01,\n"
        "A-1,se@example.com,support_lead,2026-05-01,2026-04-30\n"
        "A-1,se@example.com,support_lead,,\n"
        "A-1,ae@example.com,account_executive,2026-01-01,\n"  # the key of row 2 again
    )
    result = load(text)
    assert not result.ok
    got = sorted((e.row, e.column, e.code) for e in result.errors)
    assert got == [
        (3, "account_external_id", "unknown_reference"),
        (4, "person_email", "unknown_reference"),
        (5, "role", "invalid_choice"),
        (6, "end_date", "before_start_date"),
        (7, "start_date", "required"),
        (8, "account_external_id+person_email+role+start_date", "duplicate_key"),
    ]
    assert AccountTeamMember.objects.count() == 0


def test_dry_run_counts_and_writes_nothing(colleagues):
    result = load(HEADER + "A-1,ae@example.com,account_executive,2026-01-01,\n", dry_run=True)
    assert (result.ok, result.created) == (True, 1)
    assert AccountTeamMember.objects.count() == 0


def test_command_loads_and_refuses(colleagues, tmp_path, capsys):
    good = tmp_path / "team.csv"
    good.write_text(HEADER + "A-1,ae@example.com,account_executive,2026-01-01,\n")
    call_command("import_data", "account_team", str(good), verbosity=0)
    assert "account_team: 1 rows read, 1 created" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "A-1,ae@example.com,account_executive,2026-13-01,\n")
    with pytest.raises(CommandError, match="1 invalid rows: nothing was written"):
        call_command("import_data", "account_team", str(bad), verbosity=0)
    assert members() == [("A-1", "ae@example.com", "account_executive", D(2026, 1, 1), None)]


def test_upload_page_checks_then_imports(
    client, org, colleagues, monkeypatch, django_capture_on_commit_callbacks
):
    def enqueue(task_name, run):
        import_runs.import_run_execute(run_id=run.pk, dry_run=task_name.endswith("validate"))

    monkeypatch.setattr(import_runs, "_enqueue", enqueue)
    client.force_login(org.admin)
    f = io.BytesIO((HEADER + "A-1,se@example.com,solutions_engineer,2026-01-01,\n").encode())
    f.name = "team.csv"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import-list"), {"kind": "account_team", "file": f})
    run = ImportRun.objects.get()
    assert (run.kind, run.status, run.created) == ("account_team", "valid", 1)
    assert AccountTeamMember.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import-confirm", args=[run.pk]))
    assert members() == [("A-1", "se@example.com", "solutions_engineer", D(2026, 1, 1), None)]


def test_api_ingest_loads_and_an_invalid_row_writes_nothing(colleagues):
    call_command("create_api_token", email="crm-sync@example.com", name="CRM sync", stdout=io.StringIO())
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.get(user__email='crm-sync@example.com').key}"
    )
    row = {"account_external_id": "A-1", "person_email": "ae@example.com", "role": "account_executive"}
    bad = client.post(
        "/api/v1/ingest/account_team/",
        [dict(row, start_date="2026-01-01"), dict(row, start_date="2026-02-01", end_date="2026-01-31")],
        format="json",
    )
    assert bad.status_code == 400
    assert [(e["row"], e["column"]) for e in bad.json()["errors"]] == [(2, "end_date")]
    assert AccountTeamMember.objects.count() == 0
    good = client.post("/api/v1/ingest/account_team/", [dict(row, start_date="2026-01-01")], format="json")
    assert good.status_code == 200, good.json()
    assert good.json()["created"] == 1


def test_export_writes_what_was_loaded(colleagues):
    load(HEADER + "A-1,ae@example.com,account_executive,2026-01-01,\n")
    out = io.StringIO()
    services.data_export(kind="account_team", out=out)
    assert out.getvalue().splitlines() == [
        HEADER.strip(),
        "A-1,ae@example.com,account_executive,2026-01-01,",
    ]


# --- Salesforce AccountTeamMember ------------------------------------------------------------


def sf_member(id, account, user, role, created="2026-02-03T15:00:00.000+0000", email=None, deleted=None):
    record = {
        "attributes": {
            "type": "AccountTeamMember",
            "url": f"/services/data/v60.0/sobjects/AccountTeamMember/{id}",
        },
        "Id": id,
        "AccountId": account,
        "UserId": user,
        "TeamMemberRole": role,
        "AccountAccessLevel": "Edit",
        "CreatedDate": created,
    }
    if email:
        record["User"] = {
            "attributes": {"type": "User", "url": f"/services/data/v60.0/sobjects/User/{user}"},
            "Email": email,
        }
    if deleted is not None:
        record["IsDeleted"] = deleted
    return record


def sf_user(id, email):
    return {
        "attributes": {"type": "User", "url": f"/services/data/v60.0/sobjects/User/{id}"},
        "Id": id,
        "Email": email,
        "Name": email,
    }


def sf_result(*records):
    return {"totalSize": len(records), "done": True, "records": list(records)}


def source_load(kind, source, payload):
    return services.import_csv(
        kind=kind, binary=io.BytesIO(json.dumps(payload).encode()), source_format=source
    )


def test_salesforce_team_members_with_their_roles(colleagues, settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    payload = [
        sf_result(
            sf_member("01M000000000001AAA", "A-1", "005000000000001AAA", "Sales Rep", email="ae@example.com"),
            # 02:00 UTC on 1 March is still 28 February in Los Angeles.
            sf_member(
                "01M000000000002AAA",
                "A-1",
                "005000000000002AAA",
                "Pre-Sales Consultant",
                created="2026-03-01T02:00:00.000+0000",
            ),
            sf_member("01M000000000003AAA", "B-1", "005000000000002AAA", "Executive Sponsor"),
            sf_member("01M000000000004AAA", "B-1", "005000000000001AAA", "Sales Rep", deleted=True),
        ),
        sf_result(sf_user("005000000000002AAA", "se@example.com")),
    ]
    result = source_load("account_team", "salesforce", payload)
    assert result.ok, [str(e) for e in result.errors]
    assert result.skipped == 1
    assert members() == [
        ("A-1", "ae@example.com", "account_executive", D(2026, 2, 3), None),
        ("A-1", "se@example.com", "solutions_engineer", D(2026, 2, 28), None),
        ("B-1", "se@example.com", "other", D(2026, 2, 3), None),
    ]


def test_salesforce_member_without_email_is_named_and_the_crosswalk_fixes_it(colleagues):
    payload = sf_result(sf_member("01M000000000001AAA", "A-1", "005000000000009AAA", "Sales Rep"))
    result = source_load("account_team", "salesforce", payload)
    assert [(e.column, e.value, e.code) for e in result.errors] == [
        ("UserId", "005000000000009AAA", "unknown_owner")
    ]
    assert "AccountTeamMember 01M000000000001AAA of account A-1" in str(result.errors[0].message)
    assert AccountTeamMember.objects.count() == 0
    SourceOwner.objects.create(source="salesforce", source_id="005000000000009", person=colleagues["ae"])
    assert source_load("account_team", "salesforce", payload).ok
    assert members() == [("A-1", "ae@example.com", "account_executive", D(2026, 2, 3), None)]


# --- HubSpot owner properties ----------------------------------------------------------------


def hs_company(id, history):
    return {
        "id": id,
        "properties": {"createdate": "2025-01-01T00:00:00Z", "hs_object_id": id},
        "propertiesWithHistory": history,
        "createdAt": "2025-01-01T00:00:00Z",
        "updatedAt": "2026-07-01T00:00:00Z",
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


def hs_owner(id, email):
    return {
        "id": id,
        "email": email,
        "type": "PERSON",
        "firstName": "A",
        "lastName": "B",
        "userId": 1,
        "archived": False,
    }


def test_hubspot_owner_properties_become_spells_of_the_team(colleagues, settings):
    settings.HUBSPOT_ACCOUNT_TEAM_PROPERTIES = "ae_owner:account_executive, se_owner:solutions_engineer"
    history = {
        # HubSpot lists the newest first: ae 11 from 1 Feb, 12 from 1 May, nobody from 1 Aug.
        "ae_owner": [
            hs_entry("", "2026-08-01T10:00:00Z"),
            hs_entry("12", "2026-05-01T10:00:00Z"),
            hs_entry("11", "2026-02-01T10:00:00Z"),
        ],
    }
    company = hs_company("A-1", history)
    company["properties"]["se_owner"] = "12"  # no history: the current owner from createdate
    payload = {
        "companies": {"results": [company]},
        "owners": {"results": [hs_owner("11", "ae@example.com"), hs_owner("12", "se@example.com")]},
    }
    result = source_load("account_team", "hubspot", payload)
    assert result.ok, [str(e) for e in result.errors]
    assert members() == [
        ("A-1", "ae@example.com", "account_executive", D(2026, 2, 1), D(2026, 4, 30)),
        ("A-1", "se@example.com", "account_executive", D(2026, 5, 1), D(2026, 7, 31)),
        ("A-1", "se@example.com", "solutions_engineer", D(2025, 1, 1), None),
    ]


def test_hubspot_unknown_owner_and_a_bad_setting(colleagues, settings):
    settings.HUBSPOT_ACCOUNT_TEAM_PROPERTIES = "ae_owner:account_executive"
    payload = {
        "companies": {"results": [hs_company("A-1", {"ae_owner": [hs_entry("99", "2026-02-01T10:00:00Z")]})]}
    }
    result = source_load("account_team", "hubspot", payload)
    assert [(e.column, e.value, e.code) for e in result.errors] == [
        ("propertiesWithHistory.ae_owner.value", "99", "unknown_owner")
    ]
    settings.HUBSPOT_ACCOUNT_TEAM_PROPERTIES = "ae_owner:cheerleader"
    refused = source_load("account_team", "hubspot", payload)
    assert [e.code for e in refused.errors] == ["unsupported"]
    assert "'cheerleader' is not one of" in str(refused.errors[0].message)
    # Kept as a key with the role as its parameter (issue 30: nothing stored in English).
    assert refused.errors[0].said.stored() == {
        "said": "datain.source.not_a_team_role",
        "params": {
            "role": "cheerleader",
            "roles": "account_executive, solutions_engineer, support_lead, other",
        },
    }
    assert AccountTeamMember.objects.count() == 0
