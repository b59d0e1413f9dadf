"""Any JSON a provider sends to the SCIM endpoints answers a SCIM answer, never a 5xx: odd values
in every attribute the service reads, in a creation, a replacement and a PATCH."""

import json

from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from scim import tokens
from tests.fuzz import examples

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
FUZZ = settings(
    max_examples=examples(15), deadline=None, suppress_health_check=list(HealthCheck), database=None
)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=300), st.just("a@example.com"), st.just("\x00")
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
users = st.fixed_dictionaries(
    {},
    optional={
        "userName": values,
        "emails": st.one_of(
            values,
            st.lists(
                st.fixed_dictionaries({"value": values}, optional={"primary": values, "type": values}),
                max_size=2,
            ),
        ),
        "name": st.one_of(
            values,
            st.fixed_dictionaries(
                {}, optional={"givenName": values, "familyName": values, "formatted": values}
            ),
        ),
        "displayName": values,
        "active": values,
        "externalId": values,
        "roles": st.one_of(values, st.lists(st.fixed_dictionaries({"value": values}), max_size=2)),
        ENTERPRISE: st.one_of(
            values,
            st.fixed_dictionaries({}, optional={"department": values, "division": values, "manager": values}),
        ),
    },
)
operations = st.lists(
    st.fixed_dictionaries(
        {"op": st.sampled_from(["add", "Replace", "remove", "copy", ""])},
        optional={
            "path": st.one_of(
                st.sampled_from(
                    [
                        "active",
                        "userName",
                        "emails",
                        'emails[type eq "work"].value',
                        f"{ENTERPRISE}:manager",
                        "roles",
                        "name.givenName",
                        "members",
                    ]
                ),
                st.text(max_size=20),
            ),
            "value": st.one_of(values, users),
        },
    ),
    max_size=3,
)


@FUZZ
@given(body=users, patch=operations)
def test_any_body_answers_a_scim_answer(db, body, patch):
    # The examples share the test's transaction: each removes the people it made.
    _token, key = tokens.issue(name="fuzz")
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    try:
        made = client.post(
            "/scim/v2/Users",
            json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], **body}),
            content_type="application/scim+json",
            **auth,
        )
        assert made.status_code in (201, 400, 409), made.content
        base = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "fuzz@example.com",
            "emails": [{"value": "fuzz@example.com"}],
        }
        person = client.post("/scim/v2/Users", json.dumps(base), content_type="application/scim+json", **auth)
        person_id = person.json()["id"] if person.status_code == 201 else "1"
        for answer in (
            client.put(
                f"/scim/v2/Users/{person_id}",
                json.dumps(body),
                content_type="application/scim+json",
                **auth,
            ),
            client.patch(
                f"/scim/v2/Users/{person_id}",
                json.dumps(
                    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": patch}
                ),
                content_type="application/scim+json",
                **auth,
            ),
        ):
            assert answer.status_code < 500, answer.content
            assert answer["Content-Type"] == "application/scim+json"
    finally:
        User.objects.all().delete()
