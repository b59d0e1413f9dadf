"""Every HTML form's POST, fuzzed: hypothesis sends the field names the product's forms use with
hostile values (NaN, 1e20, far years, NUL bytes, huge text, wrong types) to every URL of the
permission matrix as each role. No answer is a 5xx.

Bounded here (FUZZ_EXAMPLES, default 6 per URL and role: about 1,000 requests); for a long run by hand:
    FUZZ_EXAMPLES=500 bash scripts/test.sh tests/test_form_fuzz.py
"""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import examples
from tests.test_permission_matrix import TABLE, objects  # noqa: F401 - the fixture is used below

EXAMPLES = examples(6)
FIELDS = (
    "value", "confidence", "note", "done", "title", "description", "kind", "metric", "baseline",
    "target", "unit", "direction", "weight", "commitment", "parent", "segment", "period", "version",
    "section_outcomes", "section_strengths", "rating_outcomes", "rating_overall", "final_rating",
    "rating_reason", "reason", "comment", "answer", "action", "next", "score", "final_score",
    "final_score_reason", "self_review_due", "manager_review_due", "reviewer", "csm", "team", "file",
    "language", "username", "password", "confirm", "body", "account", "shared_with_csm", "code", "login",
    "remember", "email", "source", "anonymous", "rating", "answer_strengths", "answer_improve", "answer_other",
)  # fmt: skip
HOSTILE = st.one_of(
    st.sampled_from(
        [
            "NaN", "sNaN", "Infinity", "-inf", "1e20", "-1e20", "1e400", "0", "-1", "99999999999999999999",
            "0000-Q1", "9999-Q4", "2026-Q3", "0001-01-01", "9999-12-31", "2026-13-45", "abc", "", " ",
            "true", "null", "[]", "{}", "\x00", "a\x00b", "https://evil.example/", "//evil.example",
            "=HYPERLINK(\"x\")", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd",
        ]
    ),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.just("x" * 100_000),
)  # fmt: skip
BODIES = st.dictionaries(
    st.sampled_from(FIELDS), st.one_of(HOSTILE, st.lists(HOSTILE, max_size=3)), max_size=8
)
ROLES = {"csm": "csm_a", "manager": "manager_a", "hr": "hr", "admin": "admin", "contributor": None}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_no_form_post_answers_5xx(client, org, objects, role):  # noqa: F811
    # The contributor is the person the matrix's input request is addressed to (its form and decline).
    client.force_login(getattr(org, ROLES[role]) if ROLES[role] else objects["contributor"])
    urls = []
    for name, (kwargs, _query, _expected) in sorted(TABLE.items()):
        if name in ("logout", "account_logout"):
            continue
        urls.append(reverse(name, kwargs=kwargs(objects) if callable(kwargs) else kwargs))

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=BODIES)
    def post(url, body):
        response = client.post(url, body)
        assert response.status_code < 500, f"{role} POST {url} {body!r:.300}: {response.status_code}"

    for url in urls:
        response = client.post(url, {"value": "NaN", "version": "abc", "period": "0000-Q1"})
        assert response.status_code < 500, f"{role} POST {url}: {response.status_code}"
        post(url)
