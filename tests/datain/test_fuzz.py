"""Property-based tests of every validator: arbitrary bytes and mutated valid rows always end in a
row-level error or a clean import, never an exception or a partial write."""

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activity.models import (
    AdvocacyEvent,
    HealthSnapshot,
    RevenueEvent,
    SurveyResponse,
    Ticket,
    Touchpoint,
    UsageSnapshot,
)
from datain import services
from datain.kinds import KINDS, kind_for
from datain.models import SourceAccount, SourceOwner
from tests.fuzz import examples

FUZZ = settings(
    max_examples=examples(15), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
COUNTED = (
    Ticket,
    RevenueEvent,
    SurveyResponse,
    UsageSnapshot,
    HealthSnapshot,
    AdvocacyEvent,
    Touchpoint,
    SourceAccount,
    SourceOwner,
)

VALID = {
    "tickets": [
        "T1",
        "A-1",
        "2026-07-03T10:00:00Z",
        "2026-07-03T11:00:00Z",
        "2026-07-04T10:00:00Z",
        "2",
        "",
        "high",
        "email",
    ],
    "revenue": ["R1", "A-1", "2026-07-01", "expansion", "10.50"],
    "surveys": ["S1", "A-1", "2026-07-01T10:00:00+02:00", "nps", "9", "great"],
    "usage": ["A-1", "2026-07-06", "10", "3", "8", "2", "5"],
    "health": ["A-1", "2026-07-31", "55", ""],
    "advocacy": ["V1", "A-1", "2026-07-01", "referral"],
    "touchpoints": ["P1", "A-1", "csm.a@example.com", "2026-07-01T10:00:00Z", "qbr"],
    "assignments": ["A-1", "csm.a@example.com", "2026-08-01"],
    "accounts": ["N-1", "Newco", "smb", "2026-01-01", "", "csm.a@example.com"],
    "people": ["new@example.com", "New", "csm", "Team A", "manager.a@example.com", "smb"],
    "source_accounts": ["zendesk", "9001", "A-1"],
    "source_owners": ["salesforce", "005000000000001", "csm.a@example.com"],
    "account_team": ["A-1", "manager.b@example.com", "account_executive", "2026-01-01", ""],
}


def snapshot_counts():
    return tuple(model.objects.count() for model in COUNTED)


def csv_bytes(kind, cells):
    header = ",".join(kind_for(kind).column_names)
    row = ",".join('"' + c.replace('"', '""') + '"' for c in cells)
    return (header + "\n" + row + "\n").encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_valid_row_of_each_kind_imports(org, kind):
    result = services.import_csv(kind=kind, binary=io.BytesIO(csv_bytes(kind, VALID[kind])))
    assert result.ok, [str(e) for e in result.errors]


@pytest.mark.parametrize("kind", sorted(KINDS))
@FUZZ
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes(org, kind, data):
    before = snapshot_counts()
    result = services.import_csv(kind=kind, binary=io.BytesIO(data))
    if not result.ok:
        assert snapshot_counts() == before
        assert all(e.row >= 0 and e.message for e in result.errors)


@pytest.mark.parametrize("kind", sorted(KINDS))
@FUZZ
@given(position=st.integers(min_value=0, max_value=8), value=st.text(max_size=40))
def test_mutated_valid_rows(org, kind, position, value):
    cells = list(VALID[kind])
    cells[position % len(cells)] = value
    before = snapshot_counts()
    try:
        data = csv_bytes(kind, cells)
    except UnicodeEncodeError:
        return
    result = services.import_csv(kind=kind, binary=io.BytesIO(data))
    if not result.ok:
        assert snapshot_counts() == before
        assert all(e.row in (1, 2) for e in result.errors)


@FUZZ
@given(
    payload=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
        ),
        max_leaves=20,
    )
)
def test_arbitrary_json_bodies(org, payload):
    before = snapshot_counts()
    result = services.import_json(kind="tickets", items=json.loads(json.dumps(payload)))
    if not result.ok:
        assert snapshot_counts() == before
