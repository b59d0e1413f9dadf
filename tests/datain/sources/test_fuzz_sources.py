"""Property-based tests of the source formats and mapping files: arbitrary JSON, mutated
vendor payloads and arbitrary mapping texts always end in row errors or a clean load, never an
exception or a partial write."""

import copy
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Assignment
from activity.models import RevenueEvent, SurveyResponse, Ticket
from core.said import Said
from datain import services
from datain.sources.mapping import MappingError, parse_mapping
from datain.sources.readers import SOURCES
from tests.datain.sources import test_formats as f
from tests.fuzz import examples

FUZZ = settings(
    max_examples=examples(15),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
KIND = {
    "zendesk": "tickets",
    "salesforce": "assignments",
    "hubspot": "assignments",
    "chartmogul": "revenue",
    "delighted": "surveys",
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)


def counts():
    return (
        Ticket.objects.count(),
        Assignment.objects.count(),
        RevenueEvent.objects.count(),
        SurveyResponse.objects.count(),
    )


def valid_payload(source):
    return {
        "zendesk": {"tickets": [f.zd_ticket(1, org="A-1")], "metric_sets": [f.zd_metrics(1)]},
        "salesforce": f.sf_payload(
            f.sf_history("017A", "A-1", "2026-03-02T10:00:00.000+0000", f.U1, f.U2, "a", "b")
        ),
        "hubspot": {
            "companies": [f.hs_company("A-1", [f.hs_entry("101", "2026-04-01T08:00:00Z")])],
            "owners": f.HS_OWNERS,
        },
        "chartmogul": {
            "entries": [f.cm_activity("a1", "new_biz", 100, "2026-01-05T10:00:00+00:00", customer="A-1")]
        },
        "delighted": [f.dl_response("1", 9, 1782862200, account="A-1")],
    }[source]


def check(source, payload):
    before = counts()
    try:
        body = json.dumps(payload).encode()
    except (ValueError, TypeError):
        return
    result = services.import_csv(kind=KIND[source], binary=io.BytesIO(body), source_format=source)
    if not result.ok:
        assert counts() == before
        assert all(e.message for e in result.errors)


@pytest.mark.parametrize("source", sorted(SOURCES))
@FUZZ
@given(payload=JSON)
def test_arbitrary_json(org, source, payload):
    check(source, payload)


def leaves(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, (*path, i))
    yield path


@pytest.mark.parametrize("source", sorted(SOURCES))
@FUZZ
@given(position=st.integers(min_value=0, max_value=500), value=JSON)
def test_mutated_vendor_payloads(org, source, position, value):
    payload = copy.deepcopy(valid_payload(source))
    paths = list(leaves(payload))
    path = paths[position % len(paths)]
    if not path:
        payload = value
    else:
        target = payload
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    check(source, payload)


@FUZZ
@given(text=st.text(max_size=300) | JSON.map(json.dumps))
def test_arbitrary_mapping_texts(text):
    try:
        parse_mapping(text)
    except MappingError as exc:
        assert exc.problems and all(isinstance(p, Said) and str(p) for p in exc.problems)


@FUZZ
@given(rows=st.lists(st.dictionaries(st.sampled_from(["a", "s", "d"]), JSON, max_size=3), max_size=4))
def test_arbitrary_rows_through_a_mapping(org, rows):
    mapping = "kind: health\nfields:\n  account_external_id: a\n  date: {column: d, transform: unix_seconds}\n  score: {column: s, multiply: 10, transform: round}\n"
    result = services.import_json(kind="health", items=rows, mapping=mapping)
    assert result.ok or all(e.message for e in result.errors)
