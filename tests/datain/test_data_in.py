"""Data in: every error of a file in one pass, mapping formats checked when a mapping is
read, an unbalanced quote named, and a load's memory that does not grow with its file."""

import io
import tracemalloc

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from activity.models import HealthSnapshot, Ticket
from datain import import_runs, services
from datain.models import ImportRun
from datain.sources.mapping import MappingError, parse_mapping

pytestmark = pytest.mark.django_db

TICKETS_HEADER = (
    "external_id,account_external_id,opened_at,first_response_at,resolved_at,"
    "customer_contacts,escalated_at,priority,channel\n"
)


def load(kind, text, **kwargs):
    return services.import_csv(kind=kind, binary=io.BytesIO(text.encode()), **kwargs)


def errors_of(result):
    return [(e.row, e.column, e.value, e.message) for e in result.errors]


@pytest.fixture
def run_tasks_inline(monkeypatch):
    def enqueue(task_name, run):
        import_runs.import_run_execute(run_id=run.pk, dry_run=task_name.endswith("validate"))

    monkeypatch.setattr(import_runs, "_enqueue", enqueue)


# --- every error in one pass -------------------------------------------------------------------

# Five shape errors (rows 2, 3, 5, 6, 8); row 3 also names an unknown account and row 8 repeats the
# key of row 4; row 9 names another unknown account; row 10 repeats row 7's key.
ONE_PASS = TICKETS_HEADER + (
    "T1,A-1,yesterday,,,,,normal,\n"  # 2: opened_at
    "T2,NOPE,2026-07-03T10:00:00Z,,,,,urgentish,\n"  # 3: priority, and the unknown account
    "T3,A-1,2026-07-03T10:00:00Z,,,,,low,\n"  # 4: fine
    "T4,A-1,2026-07-03T10:00:00Z,,,0,,low,\n"  # 5: customer_contacts 0
    "T5,A-1,2026-07-03T10:00:00Z\n"  # 6: 3 fields
    "T6,B-1,2026-07-03T10:00:00Z,,,,,high,\n"  # 7: fine
    "T3,A-1,2026-07-03T10:00:00Z,,,,,soon,\n"  # 8: priority, and T3 again
    "T8,GONE,2026-07-03T10:00:00Z,,,,,low,\n"  # 9: unknown account
    "T6,B-1,2026-07-04T10:00:00Z,,,,,low,\n"  # 10: T6 again
)
PRIORITIES = "must be one of low, normal, high, urgent"
EXPECTED_ONE_PASS = [
    (2, "opened_at", "yesterday", "is not an ISO 8601 datetime such as 2026-07-03T14:05:00+02:00"),
    (3, "priority", "urgentish", PRIORITIES),
    (3, "account_external_id", "NOPE", "no account has this external_id"),
    (5, "customer_contacts", "0", "must be at least 1"),
    (6, "", "", "has 3 fields where the header has 9"),
    (8, "priority", "soon", PRIORITIES),
    (8, "external_id", "T3", "appears earlier in this load with the same key (row 4)"),
    (9, "account_external_id", "GONE", "no account has this external_id"),
    (10, "external_id", "T6", "appears earlier in this load with the same key (row 7)"),
]


@pytest.mark.parametrize("batch_size", [5000, 2], ids=["one batch", "batches of 2"])
def test_every_error_of_a_file_in_one_pass_sorted_by_row(org, monkeypatch, batch_size):
    # In batches of 2 the repeated keys are found in the keys of earlier batches (the load's table).
    monkeypatch.setattr(services, "BATCH_SIZE", batch_size)
    result = load("tickets", ONE_PASS, dry_run=True)
    assert errors_of(result) == EXPECTED_ONE_PASS
    assert result.error_count == 9
    assert Ticket.objects.count() == 0


def test_the_upload_page_lists_every_error_of_the_check(
    client, org, run_tasks_inline, django_capture_on_commit_callbacks
):
    client.force_login(org.admin)
    f = io.BytesIO(ONE_PASS.encode())
    f.name = "tickets.csv"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import-list"), {"kind": "tickets", "file": f})
    run = ImportRun.objects.get()
    assert run.status == "invalid" and run.error_count == 9
    assert [(e["row"], e["column"], e["value"], e["message"]) for e in run.shown_errors] == EXPECTED_ONE_PASS
    page = client.get(reverse("import-detail", args=[run.pk])).content.decode()
    assert "9 errors: nothing was written" in page
    assert page.index("urgentish") < page.index("NOPE") < page.index("GONE")


def test_thousands_of_errors_keep_the_first_by_row_and_count_them_all(org, monkeypatch):
    monkeypatch.setattr(services, "MAX_ERRORS_KEPT", 5)
    monkeypatch.setattr(services, "BATCH_SIZE", 3)
    # 40 rows: each an unknown account (found when its batch is checked), every 4th also a bad
    # priority (found when read); whatever the order they are found in, the first 5 by row are kept.
    rows = "".join(
        f"T{n},X-{n},2026-07-03T10:00:00Z,,,,,{'bad' if n % 4 == 0 else 'low'},\n" for n in range(40)
    )
    result = load("tickets", TICKETS_HEADER + rows)
    assert result.error_count == 50
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "priority"),
        (2, "account_external_id"),
        (3, "account_external_id"),
        (4, "account_external_id"),
        (5, "account_external_id"),
    ]


# --- an unbalanced quote -----------------------------------------------------------------------


def test_an_unbalanced_quote_is_an_error_naming_its_line(org):
    text = (
        TICKETS_HEADER
        + "T1,A-1,2026-07-03T10:00:00Z,,,,,normal,email\n"
        + 'T2,A-1,2026-07-04T10:00:00Z,,,,,low,"chat\n'
        + "T3,A-1,2026-07-05T10:00:00Z,,,,,low,chat\n"
        + "T4,A-1,2026-07-06T10:00:00Z,,,,,low,chat\n"
    )
    result = load("tickets", text, dry_run=True)
    assert errors_of(result) == [
        (
            3,
            "",
            "",
            'has a quote (") that opens a cell and is never closed: the rest of the file, up to line 5, '
            "would be read as that one cell",
        )
    ]
    assert not result.ok and result.created == 0


def test_text_after_a_closing_quote_is_an_error_and_the_rows_after_it_are_still_checked(org):
    text = (
        TICKETS_HEADER
        + 'T1,A-1,2026-07-03T10:00:00Z,,,,,normal,"email"x\n'
        + "T2,A-1,2026-07-04T10:00:00Z,,,,,nope,chat\n"
    )
    assert errors_of(load("tickets", text)) == [
        (
            2,
            "",
            "",
            'has a quoted cell with text after its closing quote: a quote inside a quoted cell is written twice ("")',
        ),
        (3, "priority", "nope", PRIORITIES),
    ]


def test_an_unbalanced_quote_in_a_file_read_through_a_mapping(org):
    mapping = "kind: health\nfields:\n  account_external_id: acct\n  date: {today: true}\n  score: s\n"
    result = load("health", 'acct,s\nA-1,70\n"B-1,20\nA-2,30\n', mapping=mapping)
    assert [(e.row, e.code) for e in result.errors] == [(3, "unbalanced_quote")]
    assert "never closed" in str(result.errors[0].message)


# --- the formats of a mapping ------------------------------------------------------------------

BAD_FORMAT = {
    "kind": "health",
    "fields": {
        "account_external_id": "acct",
        "date": {"column": "day", "transform": "date_format", "format": "%Y%Y"},
        "score": "s",
    },
}


@pytest.mark.parametrize(
    ("fmt", "why"),
    [
        ("%Y%Y", "gives the same part of the date twice: each directive (%Y, %m, %d, ...) may appear once"),
        (
            "%d/%q/%Y",
            "has a directive Python does not know: use those of strptime, such as %Y, %m, %d, %H, %M",
        ),
    ],
)
def test_a_date_format_that_cannot_read_dates_is_refused_when_the_mapping_is_read(fmt, why):
    with pytest.raises(MappingError) as caught:
        parse_mapping(
            {
                **BAD_FORMAT,
                "fields": {**BAD_FORMAT["fields"], "date": {**BAD_FORMAT["fields"]["date"], "format": fmt}},
            }
        )
    assert [str(p) for p in caught.value.problems] == [f"fields.date.format: {fmt!r} {why}"]
    assert parse_mapping(
        {
            **BAD_FORMAT,
            "fields": {
                **BAD_FORMAT["fields"],
                "date": {**BAD_FORMAT["fields"]["date"], "format": "%d/%m/%Y"},
            },
        }
    )


def test_the_api_answers_400_for_a_bad_date_format_and_writes_nothing(org):
    api = APIClient()
    api.force_authenticate(org.admin)
    response = api.post(
        reverse("api-ingest", args=["health"]),
        {"mapping": BAD_FORMAT, "rows": [{"acct": "A-1", "day": "2026", "s": 70}]},
        format="json",
    )
    assert response.status_code == 400
    assert [e["message"] for e in response.json()["errors"]] == [
        "fields.date.format: '%Y%Y' gives the same part of the date twice: each directive (%Y, %m, %d, ...) "
        "may appear once"
    ]
    assert HealthSnapshot.objects.count() == 0


def test_the_upload_form_refuses_a_bad_date_format(client, org):
    client.force_login(org.admin)
    f = io.BytesIO(
        b"kind: health\nfields:\n  account_external_id: acct\n"
        b"  date: {column: day, transform: date_format, format: '%Y%Y'}\n  score: s\n"
    )
    f.name = "mine.yaml"
    data = io.BytesIO(b"acct,day,s\nA-1,2026,70\n")
    data.name = "h.csv"
    response = client.post(reverse("import-list"), {"kind": "health", "file": data, "mapping_file": f})
    assert "gives the same part of the date twice" in response.content.decode()
    assert ImportRun.objects.count() == 0


def test_a_stored_upload_with_a_bad_date_format_is_invalid_with_the_reason_not_a_failed_job(
    org, tmp_path, run_tasks_inline, django_capture_on_commit_callbacks
):
    path = tmp_path / "h.csv"
    path.write_text("acct,day,s\nA-1,2026,70\n")
    mapping = (
        "kind: health\nfields:\n  account_external_id: acct\n"
        "  date: {column: day, transform: date_format, format: '%Y%Y'}\n  score: s\n"
    )
    run = ImportRun.objects.create(
        kind="health",
        source="upload",
        status="queued",
        dry_run=True,
        created_by=org.admin,
        stored_file=str(path),
        source_format="mapping",
        mapping=mapping,
        attempt=1,
    )
    import_runs.import_run_execute(run_id=run.pk, dry_run=True, attempt=1)
    run.refresh_from_db()
    assert run.status == "invalid"
    assert [e["message"] for e in run.shown_errors] == [
        "the mapping file: fields.date.format: '%Y%Y' gives the same part of the date twice: each "
        "directive (%Y, %m, %d, ...) may appear once"
    ]


# --- memory that does not grow with the file ---------------------------------------------------


def _peak_bytes(rows: int) -> int:
    lines = "".join(f"V{n:07d},A-1,2026-01-01,referral\n" for n in range(rows))
    data = ("external_id,account_external_id,date,kind\n" + lines).encode()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = services.import_csv(kind="advocacy", binary=io.BytesIO(data), dry_run=True)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert result.ok and result.created == rows
    return peak


def test_a_load_holds_no_state_per_row(org, monkeypatch):
    """The keys seen (for duplicates) live in the load's temporary table: ten times the rows, the same
    peak of Python memory, give or take a batch (the file's bytes themselves are not traced here:
    they were allocated before)."""
    monkeypatch.setattr(services, "BATCH_SIZE", 500)
    small, large = _peak_bytes(2_000), _peak_bytes(20_000)
    # A set of 18,000 more keys alone would take more than 1.5 MB.
    assert large - small < 400_000, (small, large)


# --- control characters in names and free text -------------------------------------------------

PEOPLE_HEADER = "email,name,role,team,manager_email,segment\n"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("Ana\nBell", "contains a line break: a name is one line"),
        ("Ana\r\nBell", "contains a line break: a name is one line"),
        ("Ana\x1b[31mBell", "contains a control character (U+001B)"),
        ("Ana\x07Bell", "contains a control character (U+0007)"),
        ("Ana\u202eBell", "contains a bidirectional override (U+202E), which can disguise text"),
        ("Ana\tBell", "contains a tab: a name is one line of text"),
    ],
)
def test_a_name_with_a_control_character_is_refused_by_the_people_import(db, name, why):
    text = PEOPLE_HEADER + f'hr2@example.com,"{name}",hr,,,\n'
    result = load("people", text)
    assert errors_of(result) == [(2, "name", name.strip(), why)]
    from accounts.models import User

    assert not User.objects.filter(email="hr2@example.com").exists()


def test_arabic_and_hebrew_names_with_their_marks_are_names(db):
    from accounts.models import User

    result = load("people", PEOPLE_HEADER + "hr2@example.com,\u0633\u0627\u0631\u0629\u200f Cohen,hr,,,\n")
    assert result.ok, errors_of(result)
    assert User.objects.get(email="hr2@example.com").name == "\u0633\u0627\u0631\u0629\u200f Cohen"


def test_account_names_and_ids_and_survey_comments(org):
    accounts = "external_id,name,segment,signed_on,onboarding_completed_on,csm_email\n"
    result = load(
        "accounts", accounts + 'N-1,"Evil\u202etxt.exe",smb,2026-03-01,,\nN\x072,Fine,smb,2026-03-01,,\n'
    )
    assert errors_of(result) == [
        (
            2,
            "name",
            "Evil\u202etxt.exe",
            "contains a bidirectional override (U+202E), which can disguise text",
        ),
        (3, "external_id", "N\x072", "contains a control character (U+0007)"),
    ]
    surveys = "external_id,account_external_id,responded_at,kind,score,comment\n"
    # Free text keeps its line breaks and tabs, nothing else.
    ok = load("surveys", surveys + 'S1,A-1,2026-07-01T10:00:00Z,nps,9,"Line one\r\nline\ttwo"\n')
    assert ok.ok, errors_of(ok)
    bad = load("surveys", surveys + 'S2,A-1,2026-07-01T10:00:00Z,nps,9,"Beep\x07 \u202egnp.exe"\n')
    assert errors_of(bad) == [
        (2, "comment", "Beep\x07 \u202egnp.exe", "contains a control character (U+0007)")
    ]


def test_the_api_refuses_a_name_with_a_line_break(org):
    api = APIClient()
    api.force_authenticate(org.admin)
    response = api.post(
        reverse("api-ingest", args=["accounts"]),
        [
            {
                "external_id": "N-1",
                "name": "Line\r\nBreak",
                "segment": "smb",
                "signed_on": "2026-03-01",
                "onboarding_completed_on": None,
                "csm_email": None,
            }
        ],
        format="json",
    )
    assert response.status_code == 400
    assert [(e["row"], e["column"], e["code"]) for e in response.json()["errors"]] == [
        (1, "name", "control_character")
    ]


def test_the_admin_and_every_model_form_refuse_a_name_with_a_control_character(client, org):
    from django.core.exceptions import ValidationError

    from accounts.models import CustomerAccount, Team, User

    for obj in (
        User(email="x@example.com", name="Ana\nBell"),
        Team(name="Team\x1b"),
        CustomerAccount(external_id="N-1", name="\u202eEvil", segment="smb", signed_on="2026-01-01"),
    ):
        with pytest.raises(ValidationError) as caught:
            obj.full_clean()
        assert "name" in caught.value.message_dict
    client.force_login(org.admin)
    response = client.post(
        reverse("admin:accounts_team_change", args=[org.team_a.pk]),
        {
            "name": "Team\nA",
            "manager": org.manager_a.pk,
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Contains a line break: a name is one line." in response.content.decode()
    org.team_a.refresh_from_db()
    assert org.team_a.name == "Team A"


def test_the_token_command_refuses_a_name_with_a_line_break(db):
    from django.core.management import CommandError, call_command

    from accounts.models import User

    with pytest.raises(CommandError, match=r"--name contains a line break: a name is one line\."):
        call_command("create_api_token", email="sync@example.com", name="CRM\nsync", stdout=io.StringIO())
    assert not User.objects.filter(email="sync@example.com").exists()
