"""The importers of docs/data-contract.md: every rule's failure with its message, all-or-nothing,
idempotency, round trips and the awkward shapes of real CSV files."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AccountTeamMember, Assignment, CustomerAccount, Team, User
from activity.models import HealthSnapshot, RevenueEvent, SurveyResponse, Ticket, UsageSnapshot
from datain import kinds, services
from datain.kinds import LOAD_ORDER
from datain.models import ImportRun, SourceAccount, SourceOwner
from tests import factories

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def load(kind, text, dry_run=False):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return services.import_csv(kind=kind, binary=io.BytesIO(data), dry_run=dry_run)


def errors_of(result):
    return [(e.row, e.column, e.value, e.message) for e in result.errors]


@pytest.fixture
def book(org):
    """Account A-1 (csm.a) with MRR 100.00 from 2026-01-01."""
    factories.RevenueEventFactory(
        external_id="R0",
        account=org.account_a,
        date=datetime.date(2026, 1, 1),
        kind="new",
        mrr_delta=Decimal("100.00"),
    )
    return org


TICKETS_HEADER = "external_id,account_external_id,opened_at,first_response_at,resolved_at,customer_contacts,escalated_at,priority,channel\n"


# --- tickets ---------------------------------------------------------------------------------


def test_tickets_load_with_offsets_z_and_local_time(org, settings):
    settings.TIME_ZONE = "Europe/Madrid"
    result = load(
        "tickets",
        TICKETS_HEADER
        + "T1,A-1,2026-07-03T14:05:00+02:00,2026-07-03T15:05:00+02:00,,,,normal,email\n"
        + "T2,A-1,2026-07-03T12:05:00Z,,2026-07-04T12:05:00Z,2,,high,chat\n"
        + "T3,B-1,2026-07-03 14:05,,,,,low,\n",
    )
    assert result.ok, errors_of(result)
    assert (result.rows_read, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    t1, t2, t3 = Ticket.objects.order_by("external_id")
    assert t1.opened_at == datetime.datetime(2026, 7, 3, 12, 5, tzinfo=UTC)
    assert t2.opened_at == datetime.datetime(2026, 7, 3, 12, 5, tzinfo=UTC)
    # No offset: read in the organisation's zone (Madrid is UTC+2 in July).
    assert t3.opened_at == datetime.datetime(2026, 7, 3, 12, 5, tzinfo=UTC)
    assert t2.customer_contacts == 2 and t3.channel == ""


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "T1,A-1,2026-07-03,,,,,normal,email",
            (2, "opened_at", "2026-07-03", "is not an ISO 8601 datetime such as 2026-07-03T14:05:00+02:00"),
        ),
        (
            "T1,A-1,2026-07-03T10:00:00Z,2026-07-03T09:00:00Z,,,,normal,email",
            (2, "first_response_at", "2026-07-03 09:00:00+00:00", "must not be before opened_at"),
        ),
        (
            "T1,A-1,2026-07-03T10:00:00Z,,2026-07-03T09:59:59Z,1,,normal,",
            (2, "resolved_at", "2026-07-03 09:59:59+00:00", "must not be before opened_at"),
        ),
        (
            "T1,A-1,2026-07-03T10:00:00Z,,,,2026-07-02T10:00:00Z,normal,",
            (2, "escalated_at", "2026-07-02 10:00:00+00:00", "must not be before opened_at"),
        ),
        (
            "T1,A-1,2026-07-03T10:00:00Z,,2026-07-04T10:00:00Z,0,,normal,",
            (2, "customer_contacts", "0", "must be at least 1"),
        ),
        (
            "T1,A-1,2026-07-03T10:00:00Z,,2026-07-04T10:00:00Z,two,,normal,",
            (2, "customer_contacts", "two", "is not a whole number"),
        ),
        (
            "T1,A-1,2026-07-03T10:00:00Z,,,2,,normal,",
            (2, "customer_contacts", "2", "must be empty while the ticket is unresolved"),
        ),
        (
            "T1,A-1,2026-07-03T10:00:00Z,,2026-07-04T10:00:00Z,,,normal,",
            (2, "customer_contacts", "", "is required once the ticket is resolved"),
        ),
        (
            "T1,A-1,2026-07-03T10:00:00Z,,,,,critical,",
            (2, "priority", "critical", "must be one of low, normal, high, urgent"),
        ),
        (
            "T1,NOPE,2026-07-03T10:00:00Z,,,,,low,",
            (2, "account_external_id", "NOPE", "no account has this external_id"),
        ),
        (",A-1,2026-07-03T10:00:00Z,,,,,low,", (2, "external_id", "", "is required")),
        ("T1,A-1,2026-07-03T10:00:00Z,,,,,low", (2, "", "", "has 8 fields where the header has 9")),
    ],
)
def test_ticket_rule_failures(org, row, expected):
    result = load("tickets", TICKETS_HEADER + row + "\n")
    assert not result.ok
    assert errors_of(result) == [expected]
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("at_once", [200_000, 0], ids=["every account at once", "by batch of ids"])
def test_account_references_whichever_way_the_accounts_are_read(org, monkeypatch, at_once):
    # Up to ACCOUNTS_READ_AT_ONCE accounts are read in one query; a larger organisation looks the
    # batch's new ids up instead. Same answers either way; the batch of 3 rows below is one batch.
    monkeypatch.setattr(kinds.base, "ACCOUNTS_READ_AT_ONCE", at_once)
    rows = "T1,A-1,2026-07-03T10:00:00Z,,,,,low,\nT2,NOPE,2026-07-03T10:00:00Z,,,,,low,\nT3,B-1,2026-07-03T10:00:00Z,,,,,low,\n"
    result = load("tickets", TICKETS_HEADER + rows)
    assert errors_of(result) == [(3, "account_external_id", "NOPE", "no account has this external_id")]
    good = load("tickets", TICKETS_HEADER + rows.replace("NOPE", "B-1"))
    assert good.ok and good.created == 3
    accounts = dict(Ticket.objects.values_list("external_id", "account__external_id"))
    assert accounts == {"T1": "A-1", "T2": "B-1", "T3": "B-1"}


def test_every_error_is_answered_at_once_and_nothing_written(org):
    result = load(
        "tickets",
        TICKETS_HEADER
        + "T1,A-1,2026-07-03T10:00:00Z,,,,,normal,\n"
        + "T2,A-1,bad,,,,,normal,\n"
        + "T3,A-1,2026-07-03T10:00:00Z,,,,,normal,\n"
        + "T4,ZZZ,2026-07-03T10:00:00Z,,,,,nope,\n",
    )
    # Row 5's unknown account is looked up although its priority failed: one pass, every error.
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "opened_at"),
        (5, "priority"),
        (5, "account_external_id"),
    ]
    assert Ticket.objects.count() == 0


def test_a_bad_last_row_of_many_batches_writes_nothing(org, monkeypatch):
    monkeypatch.setattr(services, "BATCH_SIZE", 10)
    lines = [f"T{i},A-1,2026-07-03T10:00:00Z,,,,,normal,email" for i in range(95)]
    lines.append("T-last,A-1,2026-07-03T10:00:00Z,,,,,normal,email,extra")
    result = load("tickets", TICKETS_HEADER + "\n".join(lines) + "\n")
    assert errors_of(result) == [(97, "", "", "has 10 fields where the header has 9")]
    assert Ticket.objects.count() == 0
    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)


def test_dry_run_writes_nothing_but_counts(org):
    result = load("tickets", TICKETS_HEADER + "T1,A-1,2026-07-03T10:00:00Z,,,,,normal,\n", dry_run=True)
    assert result.ok and result.created == 1
    assert Ticket.objects.count() == 0


def test_same_file_twice_changes_nothing_and_a_changed_row_updates(org):
    text = (
        TICKETS_HEADER
        + "T1,A-1,2026-07-03T10:00:00Z,,,,,normal,email\nT2,A-1,2026-07-04T10:00:00Z,,,,,low,chat\n"
    )
    first = load("tickets", text)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    second = load("tickets", text)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    third = load("tickets", text.replace("low,chat", "urgent,chat"))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    assert Ticket.objects.get(external_id="T2").priority == "urgent"
    assert Ticket.objects.count() == 2


def test_duplicate_key_inside_one_file(org):
    result = load(
        "tickets",
        TICKETS_HEADER + "T1,A-1,2026-07-03T10:00:00Z,,,,,normal,\nT1,A-1,2026-07-04T10:00:00Z,,,,,low,\n",
    )
    assert errors_of(result) == [
        (3, "external_id", "T1", "appears earlier in this load with the same key (row 2)")
    ]
    assert Ticket.objects.count() == 0


# --- headers and file shapes -----------------------------------------------------------------


def test_unknown_and_missing_columns(org):
    result = load("advocacy", "external_id,account_external_id,date,kynd\nX,A-1,2026-01-01,referral\n")
    assert errors_of(result) == [
        (
            1,
            "kynd",
            "kynd",
            "is not a column of advocacy (expected: external_id, account_external_id, date, kind)",
        ),
        (1, "kind", "", "is missing from the header"),
    ]


def test_empty_file_and_header_only_file(org):
    assert errors_of(load("advocacy", b"")) == [(1, "", "", "the file is empty: a header row is required")]
    result = load("advocacy", "external_id,account_external_id,date,kind\n")
    assert result.ok and result.rows_read == 0


def test_bom_crlf_quoted_commas_and_newlines(org):
    data = (
        "\ufeffexternal_id,account_external_id,responded_at,kind,score,comment\r\n"
        'S1,A-1,2026-07-01T10:00:00Z,nps,9,"Great, fast, kind"\r\n'
        'S2,A-1,2026-07-01T11:00:00Z,csat,2,"Line one\r\nline two"\r\n'
        "S3,A-1,2026-07-01T12:00:00Z,nps,11,\r\n"
    ).encode()
    result = load("surveys", data)
    # S3 starts on line 5: S2's quoted newline takes lines 3 and 4.
    assert errors_of(result) == [(5, "score", "11", "must be between 0 and 10 for kind nps")]
    result = load("surveys", data.replace(b",nps,11,", b",nps,10,"))
    assert result.ok
    assert SurveyResponse.objects.get(external_id="S1").comment == "Great, fast, kind"
    assert SurveyResponse.objects.get(external_id="S2").comment == "Line one\r\nline two"


def test_non_utf8_bytes_are_a_row_error(org):
    data = b"external_id,account_external_id,date,kind\nX1,A-1,2026-01-01,referral\nX2,A-\xe9,2026-01-01,review\n"
    result = load("advocacy", data)
    assert errors_of(result) == [(3, "account_external_id", "", "is not valid UTF-8 text")]


# --- revenue ---------------------------------------------------------------------------------

REV = "external_id,account_external_id,date,kind,mrr_delta\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("R1,A-1,2026-02-01,expansion,-10.00", "must be greater than 0 for kind expansion"),
        ("R1,A-1,2026-02-01,renewal,-0.01", "must be 0 or more for kind renewal"),
        ("R1,A-1,2026-02-01,churn,0", "must be less than 0 for kind churn"),
        (
            "R1,A-1,2026-02-01,churn,-100.001",
            "is not an amount such as 1250.00 (a '.' and at most 2 decimals)",
        ),
        (
            'R1,A-1,2026-02-01,churn,"-1,00"',
            "is not an amount such as 1250.00 (a '.' and at most 2 decimals)",
        ),
        ("R1,A-1,01/02/2026,churn,-1.00", "is not a date in the form YYYY-MM-DD"),
        ("R1,A-1,2026-02-30,churn,-1.00", "is not a date in the form YYYY-MM-DD"),
        (
            "R1,A-1,2026-02-01,refund,-1.00",
            "must be one of new, expansion, upgrade, renewal, downgrade, contraction, churn, reactivation",
        ),
    ],
)
def test_revenue_rules(book, row, message):
    result = load("revenue", REV + row + "\n")
    assert [e.message for e in result.errors] == [message]
    assert RevenueEvent.objects.count() == 1


def test_mrr_never_below_zero_across_file_and_database(book):
    # The database holds +100.00 on 2026-01-01. -60 then -50 goes to -10 on 2026-03-01.
    result = load("revenue", REV + "R1,A-1,2026-02-01,contraction,-60.00\nR2,A-1,2026-03-01,churn,-50.00\n")
    assert errors_of(result) == [
        (3, "mrr_delta", "-50.00", "takes the MRR of account A-1 below 0 (-10.00 after 2026-03-01)")
    ]
    assert RevenueEvent.objects.count() == 1
    # The same rows are fine once the file also carries an expansion before them.
    result = load(
        "revenue",
        REV
        + "R1,A-1,2026-02-01,contraction,-60.00\nR2,A-1,2026-03-01,churn,-50.00\nR3,A-1,2026-01-15,expansion,10.00\n",
    )
    assert result.ok, errors_of(result)
    assert RevenueEvent.objects.count() == 4


def test_mrr_check_sees_an_upserted_row_replace_its_stored_version(book):
    # Re-loading R0 as +40 makes a -50 churn go below zero.
    result = load("revenue", REV + "R0,A-1,2026-01-01,new,40.00\nR1,A-1,2026-02-01,churn,-50.00\n")
    assert [e.code for e in result.errors] == ["mrr_below_zero"]
    assert RevenueEvent.objects.get(external_id="R0").mrr_delta == Decimal("100.00")


# --- usage and health ------------------------------------------------------------------------


def test_usage_rules_and_composite_key(org):
    header = "account_external_id,date,licensed_seats,dau,mau,features_used,features_available\n"
    result = load(
        "usage", header + "A-1,2026-07-06,10,5,4,1,2\nA-1,2026-07-13,10,1,4,3,2\nA-1,2026-07-20,-1,1,4,1,2\n"
    )
    assert errors_of(result) == [
        (2, "dau", "5", "must not be greater than mau"),
        (3, "features_used", "3", "must not be greater than features_available"),
        (4, "licensed_seats", "-1", "must be at least 0"),
    ]
    ok = header + "A-1,2026-07-06,10,4,4,2,2\n"
    assert load("usage", ok).created == 1
    again = load("usage", ok.replace(",10,4,4", ",12,4,4"))
    assert (again.created, again.updated) == (0, 1)
    assert UsageSnapshot.objects.get().licensed_seats == 12
    dup = load("usage", header + "A-1,2026-07-06,10,4,4,2,2\nA-1,2026-07-06,10,4,4,2,2\n")
    assert errors_of(dup) == [
        (
            3,
            "account_external_id+date",
            "A-1 / 2026-07-06",
            "appears earlier in this load with the same key (row 2)",
        )
    ]


def test_health_band_optional_and_score_range(org):
    header = "account_external_id,date,score,band\n"
    result = load("health", header + "A-1,2026-07-31,101,\nA-1,2026-08-31,50,great\n")
    assert errors_of(result) == [
        (2, "score", "101", "must be at most 100"),
        (3, "band", "great", "must be one of good, average, poor"),
    ]
    assert load("health", header + "A-1,2026-07-31,80,\nA-1,2026-08-31,30,good\n").ok
    assert list(HealthSnapshot.objects.order_by("date").values_list("score", "band")) == [
        (80, ""),
        (30, "good"),
    ]


# --- people, accounts, assignments -----------------------------------------------------------

PEOPLE = "email,name,role,team,manager_email,segment\n"


def test_people_create_teams_and_managers(db):
    result = load(
        "people",
        PEOPLE
        + "ana@example.com,Ana,csm,Orion,mia@example.com,smb\n"
        + "Mia@Example.com,Mia,manager,Orion,,\n"
        + "hr@example.com,Hal,hr,,,\n",
    )
    assert result.ok, errors_of(result)
    team = Team.objects.get(name="Orion")
    assert team.manager.email == "mia@example.com"
    assert list(team.members.values_list("email", flat=True)) == ["ana@example.com"]
    assert load("people", PEOPLE + "ana@example.com,Ana,csm,Orion,mia@example.com,smb\n").unchanged == 1


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("ana@example.com,Ana,csm,Orion,,", [(2, "segment", "", "is required for a CSM")]),
        ("mia@example.com,Mia,manager,Orion,,smb", [(2, "segment", "smb", "is for CSMs only")]),
        ("ana@example,Ana,csm,Orion,,smb", [(2, "email", "ana@example", "is not an email address")]),
        (
            "ana@example.com,Ana,boss,Orion,,smb",
            [(2, "role", "boss", "must be one of csm, manager, hr, admin, contributor")],
        ),
        (
            "ana@example.com,Ana,csm,Orion,bob@example.com,smb\nmia@example.com,Mia,manager,Orion,,",
            [
                (
                    2,
                    "manager_email",
                    "bob@example.com",
                    "is not the manager of team Orion (its manager is mia@example.com)",
                )
            ],
        ),
        (
            "mia@example.com,Mia,manager,Orion,,\nbob@example.com,Bob,manager,Orion,,",
            [(3, "team", "Orion", "this team already gets a manager on row 2")],
        ),
    ],
)
def test_people_rules(db, rows, expected):
    result = load("people", PEOPLE + rows + "\n")
    assert errors_of(result) == expected
    assert User.objects.count() == 0 and Team.objects.count() == 0


ACCOUNTS = "external_id,name,segment,signed_on,onboarding_completed_on,csm_email\n"


def test_accounts_first_assignment_on_signed_on_then_history_kept(org, monkeypatch):
    result = load("accounts", ACCOUNTS + "N-1,Newco,smb,2026-03-01,2026-03-20,csm.a@example.com\n")
    assert result.ok and result.created == 1
    account = CustomerAccount.objects.get(external_id="N-1")
    assert list(account.assignments.values_list("csm__email", "start_date")) == [
        ("csm.a@example.com", datetime.date(2026, 3, 1))
    ]
    # A later load with another CSM adds an assignment starting on the load date.
    monkeypatch.setattr("datain.kinds.people.timezone.localdate", lambda: datetime.date(2026, 9, 15))
    result = load("accounts", ACCOUNTS + "N-1,Newco,smb,2026-03-01,2026-03-20,csm.b@example.com\n")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    assert list(account.assignments.order_by("start_date").values_list("csm__email", "start_date")) == [
        ("csm.a@example.com", datetime.date(2026, 3, 1)),
        ("csm.b@example.com", datetime.date(2026, 9, 15)),
    ]
    assert (
        load("accounts", ACCOUNTS + "N-1,Newco,smb,2026-03-01,2026-03-20,csm.b@example.com\n").unchanged == 1
    )


def test_accounts_rules(org):
    result = load(
        "accounts",
        ACCOUNTS
        + "N-1,Newco,smb,2026-03-01,2026-02-28,csm.a@example.com\n"
        + "N-2,Other,smb,2026-03-01,,manager.a@example.com\n"
        + "N-3,Third,galaxy,2026-03-01,,nobody@example.com\n",
    )
    assert errors_of(result) == [
        (2, "onboarding_completed_on", "2026-02-28", "must not be before signed_on"),
        (3, "csm_email", "manager.a@example.com", "this person is a manager, not a csm"),
        (4, "segment", "galaxy", "must be one of smb, mid_market, enterprise"),
        (4, "csm_email", "nobody@example.com", "no person has this email"),
    ]
    assert CustomerAccount.objects.count() == 3


def test_assignments_upsert_the_first_assignment_by_key(org):
    header = "account_external_id,csm_email,start_date\n"
    result = load(
        "assignments", header + "A-1,csm.a2@example.com,2025-01-01\nA-1,csm.b@example.com,2026-04-01\n"
    )
    assert (result.created, result.updated) == (1, 1)
    assert list(
        Assignment.objects.filter(account=org.account_a)
        .order_by("start_date")
        .values_list("csm__email", "start_date")
    ) == [("csm.a2@example.com", datetime.date(2025, 1, 1)), ("csm.b@example.com", datetime.date(2026, 4, 1))]


# --- command, export, round trip -------------------------------------------------------------


def test_command_summary_and_exit_status(org, tmp_path, capsys):
    good = tmp_path / "t.csv"
    good.write_text(TICKETS_HEADER + "T1,A-1,2026-07-03T10:00:00Z,,,,,normal,\n")
    call_command("import_data", "tickets", str(good), verbosity=0)
    out = capsys.readouterr().out
    assert "tickets: 1 rows read, 1 created, 0 updated, 0 unchanged, 0 errors" in out
    bad = tmp_path / "bad.csv"
    bad.write_text(TICKETS_HEADER + "T2,A-1,yesterday,,,,,normal,\n")
    with pytest.raises(CommandError, match="1 invalid rows: nothing was written"):
        call_command("import_data", "tickets", str(bad), verbosity=0)
    assert "row 2, column opened_at 'yesterday': is not an ISO 8601 datetime" in capsys.readouterr().err
    assert Ticket.objects.count() == 1
    runs = list(
        ImportRun.objects.order_by("pk").values_list("kind", "source", "status", "created", "error_count")
    )
    assert runs == [("tickets", "command", "done", 1, 0), ("tickets", "command", "invalid", 0, 1)]


def test_export_then_import_changes_nothing(tmp_path, db):
    call_command("seed_demo", today=datetime.date(2026, 10, 10), accounts=12, verbosity=0)
    # The crosswalks are empty in the demo: one entry each.
    SourceAccount.objects.create(source="zendesk", source_id="9001", account=CustomerAccount.objects.first())
    SourceOwner.objects.create(
        source="hubspot", source_id="101", person=User.objects.filter(role="csm").first()
    )
    # So is the optional account team: one member.
    AccountTeamMember.objects.create(
        account=CustomerAccount.objects.first(),
        person=User.objects.filter(role="manager").first(),
        role="account_executive",
        start_date=datetime.date(2026, 1, 1),
    )
    for kind in LOAD_ORDER:
        path = tmp_path / f"{kind}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            services.data_export(kind=kind, out=out)
        with path.open("rb") as binary:
            result = services.import_csv(kind=kind, binary=binary)
        assert result.ok, (kind, errors_of(result)[:3])
        assert result.created == 0 and result.updated == 0, kind
        assert result.unchanged == result.rows_read > 0, kind


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (
            "surveys",
            "external_id,account_external_id,responded_at,kind,score,comment\nS1,A-1,2026-07-01T10:00:00Z,csat,0,\n",
            (2, "score", "0", "must be between 1 and 5 for kind csat"),
        ),
        (
            "surveys",
            "external_id,account_external_id,responded_at,kind,score\nS1,A-1,2026-07-01T10:00:00Z,ces,3\n",
            (2, "kind", "ces", "must be one of nps, csat"),
        ),
        (
            "touchpoints",
            "external_id,account_external_id,csm_email,occurred_at,kind\nP1,A-1,ghost@example.com,2026-07-01T10:00:00Z,call\n",
            (2, "csm_email", "ghost@example.com", "no person has this email"),
        ),
        (
            "touchpoints",
            "external_id,account_external_id,csm_email,occurred_at,kind\nP1,A-1,csm.a@example.com,2026-07-01T10:00:00Z,fax\n",
            (2, "kind", "fax", "must be one of call, email, meeting, qbr"),
        ),
        (
            "assignments",
            "account_external_id,csm_email,start_date\nA-1,hr@example.com,2026-01-01\n",
            (2, "csm_email", "hr@example.com", "this person is a hr, not a csm"),
        ),
        (
            "advocacy",
            "external_id,account_external_id,date,kind\nV1,A-1,2026-13-01,referral\n",
            (2, "date", "2026-13-01", "is not a date in the form YYYY-MM-DD"),
        ),
        (
            "health",
            "account_external_id,date,score,band\nA-1,2026-07-01,5.5,\n",
            (2, "score", "5.5", "is not a whole number"),
        ),
    ],
)
def test_more_rules_by_kind(org, kind, text, expected):
    result = load(kind, text)
    assert errors_of(result) == [expected]
    assert ImportRun.objects.count() == 0  # the engine itself records nothing; callers do


def test_a_nul_character_is_a_row_error(org):
    result = load("advocacy", "external_id,account_external_id,date,kind\nV\x001,A-1,2026-01-01,referral\n")
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "external_id", "contains a NUL character")
    ]
